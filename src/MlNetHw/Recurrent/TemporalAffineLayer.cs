using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>What <see cref="TemporalAffineLayer.Backward"/> needs from <see cref="TemporalAffineLayer.Forward"/>.</summary>
/// <param name="XFlat">The input flattened to (N·T, D).</param>
/// <param name="W">Weights (D, M).</param>
/// <param name="N">Batch size.</param>
/// <param name="T">Sequence length.</param>
public sealed record TemporalAffineCache(Tensor XFlat, Tensor W, long N, long T);

/// <summary>
/// The same affine map applied at every time step: out[n, t] = x[n, t]·w + b, computed as one (N·T, D)·(D, M) GEMM.
/// Used to turn hidden states into vocabulary scores.
/// </summary>
public static class TemporalAffineLayer
{
    /// <summary>Forward.</summary>
    /// <param name="x">Inputs (N, T, D).</param>
    /// <param name="w">Weights (D, M).</param>
    /// <param name="b">Bias (M).</param>
    /// <returns>out (N, T, M) and the cache for <see cref="Backward"/>.</returns>
    public static (Tensor output, TemporalAffineCache cache) Forward(Tensor x, Tensor w, Tensor b)
    {
        Shapes.Require(x, nameof(x), "(N, T, D)", -1, -1, -1);
        long n = x.shape[0], t = x.shape[1], d = x.shape[2];
        Shapes.Require(w, nameof(w), "(D, M)", d, -1);
        long m = w.shape[1];
        Shapes.Require(b, nameof(b), "(M)", m);
        Shapes.SameFloatType(w, nameof(w), x, nameof(x));
        Shapes.SameFloatType(b, nameof(b), x, nameof(x));
        using var scope = torch.NewDisposeScope();
        var xFlat = x.reshape(n * t, d);
        var output = torch.addmm(b, xFlat, w, 1, 1).view(n, t, m);
        scope.MoveToOuter(output, xFlat);
        return (output, new TemporalAffineCache(xFlat, w, n, t));
    }

    /// <summary>Backward: dx = dout·wᵀ, dw = x_flatᵀ·dout_flat, db = Σ_{n,t} dout.</summary>
    /// <param name="dout">Upstream gradient (N, T, M).</param>
    /// <param name="cache">From <see cref="Forward"/>.</param>
    /// <returns>dx (N, T, D), dw (D, M), db (M).</returns>
    public static (Tensor dx, Tensor dw, Tensor db) Backward(Tensor dout, TemporalAffineCache cache)
    {
        long m = cache.W.shape[1], d = cache.W.shape[0];
        Shapes.Require(dout, nameof(dout), "(N, T, M)", cache.N, cache.T, m);
        using var scope = torch.NewDisposeScope();
        var dFlat = dout.reshape(cache.N * cache.T, m);
        var dx = dFlat.mm(cache.W.t()).view(cache.N, cache.T, d);
        var dw = cache.XFlat.t().mm(dFlat);
        var db = dFlat.sum(0L);
        scope.MoveToOuter(dx, dw, db);
        return (dx, dw, db);
    }
}
