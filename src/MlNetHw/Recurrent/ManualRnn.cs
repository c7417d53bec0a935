using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// A vanilla tanh RNN as a TorchSharp module whose gradients come from the hand-written
/// <see cref="RnnLayers.RnnBackward"/> (through a custom autograd function), so any TorchSharp optimizer and training
/// loop trains it unchanged. Parameters: <c>Wx</c> (D, H), <c>Wh</c> (H, H), <c>b</c> (H).
/// Initialisation (cs231n's): Wx ~ N(0, 1/D), Wh ~ N(0, 1/H), b = 0, so pre-activations start with unit scale.
/// </summary>
public sealed class ManualRnn : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // parameter names are part of the state dict: Wx, Wh, b as in cs231n
    /// <summary>Input-to-hidden weights (D, H).</summary>
    public Parameter Wx;
    /// <summary>Hidden-to-hidden weights (H, H).</summary>
    public Parameter Wh;
    /// <summary>Bias (H).</summary>
    public Parameter b;
#pragma warning restore IDE1006

    /// <summary>D, the size of each input vector.</summary>
    public long InputSize { get; }
    /// <summary>H, the size of the hidden state.</summary>
    public long HiddenSize { get; }

    /// <summary>An RNN with fresh weights (Wx ~ N(0, 1/D), Wh ~ N(0, 1/H), b = 0) of the given element type and device; non-positive sizes throw.</summary>
    public ManualRnn(long inputSize, long hiddenSize, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(ManualRnn))
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"sizes must be positive (inputSize={inputSize}, hiddenSize={hiddenSize}).");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Wx = new Parameter(torch.randn(new[] { inputSize, hiddenSize }, dtype, device).div_(Math.Sqrt(inputSize)));
        Wh = new Parameter(torch.randn(new[] { hiddenSize, hiddenSize }, dtype, device).div_(Math.Sqrt(hiddenSize)));
        b = new Parameter(torch.zeros(new[] { hiddenSize }, dtype, device));
        RegisterComponents();
    }

    /// <summary>Runs the sequence.</summary>
    /// <param name="x">Inputs (N, T, D).</param>
    /// <param name="h0">Initial hidden state (N, H).</param>
    /// <param name="mask">Optional bool (N, T), false on padding (the state is carried over there).</param>
    /// <returns>Hidden states h (N, T, H).</returns>
    public override Tensor forward(Tensor x, Tensor h0, Tensor? mask = null) =>
        RnnFunction.apply(x, h0, Wx, Wh, b, mask!);

    /// <summary>One step for inference (decoding word by word): x (N, D), prevH (N, H) → next_h (N, H); no gradient recorded.</summary>
    public Tensor Step(Tensor x, Tensor prevH)
    {
        using var noGrad = torch.no_grad();
        return RnnLayers.RnnStepForward(x, prevH, Wx, Wh, b).nextH;
    }
}
