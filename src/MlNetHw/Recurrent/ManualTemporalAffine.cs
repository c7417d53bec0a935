using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// The per-time-step affine map as a TorchSharp module whose gradients come from the hand-written
/// <see cref="TemporalAffineLayer.Backward"/>. Parameters <c>w</c> (D, M) ~ N(0, 1/D) (cs231n) and <c>b</c> (M) = 0.
/// </summary>
public sealed class ManualTemporalAffine : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // parameter names are part of the state dict: w, b as in cs231n
    /// <summary>Weights (D, M).</summary>
    public Parameter w;
    /// <summary>Bias (M).</summary>
    public Parameter b;
#pragma warning restore IDE1006

    /// <summary>D, the size of each input vector.</summary>
    public long InputSize { get; }
    /// <summary>M, the size of each output vector.</summary>
    public long OutputSize { get; }

    /// <summary>A (D = <paramref name="inDim"/>) → (M = <paramref name="outDim"/>) map with w ~ N(0, 1/D), b = 0; non-positive sizes throw.</summary>
    public ManualTemporalAffine(long inDim, long outDim, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(ManualTemporalAffine))
    {
        if (inDim <= 0 || outDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(inDim), $"sizes must be positive (inDim={inDim}, outDim={outDim}).");
        InputSize = inDim;
        OutputSize = outDim;
        w = new Parameter(torch.randn(new[] { inDim, outDim }, dtype, device).div_(Math.Sqrt(inDim)));
        b = new Parameter(torch.zeros(new[] { outDim }, dtype, device));
        RegisterComponents();
    }

    /// <summary>x (N, T, D) → (N, T, M).</summary>
    public override Tensor forward(Tensor x) => TemporalAffineFunction.apply(x, w, b);
}
