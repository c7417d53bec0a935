using MlNetHw.Recurrent;
using static TorchSharp.torch;

namespace MlNetHw.Captioning;

/// <summary>
/// The single place where decoding calls the functional step forwards of <c>MlNetHw.Recurrent</c> with a
/// module's parameters (sampling needs the LSTM cell state, which the sequence forward keeps internal).
/// </summary>
internal static class RecurrentSteps
{
    /// <summary>next_h (B, H) = tanh(x Wx + h Wh + b).</summary>
    public static Tensor Rnn(Tensor x, Tensor prevH, ManualRnn cell) =>
        RnnLayers.RnnStepForward(x, prevH, cell.Wx, cell.Wh, cell.b).nextH;

    /// <summary>(next_h, next_c), each (B, H), of one LSTM step.</summary>
    public static (Tensor H, Tensor C) Lstm(Tensor x, Tensor prevH, Tensor prevC, ManualLstm cell)
    {
        var (h, c, _) = LstmLayers.LstmStepForward(x, prevH, prevC, cell.Wx, cell.Wh, cell.b);
        return (h, c);
    }
}
