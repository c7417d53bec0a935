using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// An LSTM as a TorchSharp module whose gradients come from the hand-written <see cref="LstmLayers.LstmBackward"/>
/// (through a custom autograd function), so any TorchSharp optimizer trains it unchanged. Parameters: <c>Wx</c>
/// (D, 4H), <c>Wh</c> (H, 4H), <c>b</c> (4H), gate blocks in the order i, f, o, g (cs231n). The cell state starts at 0.
/// Initialisation: Wx ~ N(0, 1/D), Wh ~ N(0, 1/H) (cs231n), b = 0 except the forget-gate block, which starts at
/// <c>forgetBias</c> (1 by default, Jozefowicz et al. 2015) so the cell remembers from the first step; pass 0 for
/// cs231n's all-zero bias.
/// </summary>
public sealed class ManualLstm : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // parameter names are part of the state dict: Wx, Wh, b as in cs231n
    /// <summary>Input-to-gates weights (D, 4H).</summary>
    public Parameter Wx;
    /// <summary>Hidden-to-gates weights (H, 4H).</summary>
    public Parameter Wh;
    /// <summary>Gate biases (4H).</summary>
    public Parameter b;
#pragma warning restore IDE1006

    /// <summary>D, the size of each input vector.</summary>
    public long InputSize { get; }
    /// <summary>H, the size of the hidden and cell states.</summary>
    public long HiddenSize { get; }

    /// <summary>An LSTM with fresh weights (see the class remarks for the initialisation); non-positive sizes throw.</summary>
    /// <param name="inputSize">D.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="forgetBias">Initial bias of the forget-gate block [1; 0 = cs231n's].</param>
    /// <param name="dtype">Element type of the parameters [Float32].</param>
    /// <param name="device">Device of the parameters [CPU].</param>
    public ManualLstm(long inputSize, long hiddenSize, double forgetBias = 1.0, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(ManualLstm))
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"sizes must be positive (inputSize={inputSize}, hiddenSize={hiddenSize}).");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Wx = new Parameter(torch.randn(new[] { inputSize, 4 * hiddenSize }, dtype, device).div_(Math.Sqrt(inputSize)));
        Wh = new Parameter(torch.randn(new[] { hiddenSize, 4 * hiddenSize }, dtype, device).div_(Math.Sqrt(hiddenSize)));
        var bias = torch.zeros(new[] { 4 * hiddenSize }, dtype, device);
        bias.narrow(0, hiddenSize, hiddenSize).fill_(forgetBias);
        b = new Parameter(bias);
        RegisterComponents();
    }

    /// <summary>Runs the sequence from h0 (and c0 = 0).</summary>
    /// <param name="x">Inputs (N, T, D).</param>
    /// <param name="h0">Initial hidden state (N, H).</param>
    /// <param name="mask">Optional bool (N, T), false on padding (both states are carried over there).</param>
    /// <returns>Hidden states h (N, T, H).</returns>
    public override Tensor forward(Tensor x, Tensor h0, Tensor? mask = null) =>
        LstmFunction.apply(x, h0, Wx, Wh, b, mask!);

    /// <summary>
    /// One step for inference (greedy or sampled decoding, e.g. captioning word by word): no gradient is recorded.
    /// Start from h0 and c0 = zeros (N, H).
    /// </summary>
    /// <param name="x">Input (N, D).</param>
    /// <param name="prevH">(N, H).</param>
    /// <param name="prevC">(N, H).</param>
    /// <returns>next_h and next_c (N, H).</returns>
    public (Tensor nextH, Tensor nextC) Step(Tensor x, Tensor prevH, Tensor prevC)
    {
        using var noGrad = torch.no_grad();
        var (h, c, _) = LstmLayers.LstmStepForward(x, prevH, prevC, Wx, Wh, b);
        return (h, c);
    }
}
