using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// Softmax cross-entropy at every time step, masked, as cs231n's temporal_softmax_loss:
/// loss = -(1/N) Σ_{n,t} mask[n,t]·log softmax(x[n,t])[y[n,t]] (summed over time, divided by the batch size N,
/// not by the number of real tokens). Its gradient is dx[n,t] = mask[n,t]·(softmax(x[n,t]) - onehot(y[n,t])) / N.
/// Computed with log-softmax, so large scores do not overflow.
/// </summary>
public static class TemporalSoftmaxLoss
{
    /// <summary>Loss and its gradient with respect to the scores.</summary>
    /// <param name="x">Scores (N, T, V).</param>
    /// <param name="y">Targets (N, T), int64 in [0, V).</param>
    /// <param name="mask">Bool (N, T): true where the target counts.</param>
    /// <returns>The loss and dx (N, T, V).</returns>
    public static (double loss, Tensor dx) Compute(Tensor x, Tensor y, Tensor mask)
    {
        var (loss, dx) = ComputeTensor(x, y, mask);
        using (loss) return (loss.to_type(ScalarType.Float64).item<double>(), dx);
    }

    /// <summary>As <see cref="Compute"/>, but the loss stays a 0-dim tensor in x's dtype (no device sync).</summary>
    internal static (Tensor loss, Tensor dx) ComputeTensor(Tensor x, Tensor y, Tensor mask)
    {
        Shapes.Require(x, nameof(x), "(N, T, V)", -1, -1, -1);
        long n = x.shape[0], t = x.shape[1], v = x.shape[2];
        if (!x.is_floating_point()) throw new ArgumentException($"x must be floating point, got {x.dtype}.", nameof(x));
        Shapes.Require(y, nameof(y), "(N, T)", n, t);
        Shapes.RequireIndices(y, nameof(y));
        Shapes.Require(mask, nameof(mask), "(N, T)", n, t);
        if (mask.dtype != ScalarType.Bool) throw new ArgumentException($"mask must be bool, got {mask.dtype}.", nameof(mask));
        if (y.numel() > 0)
        {
            long lo = y.min().item<long>(), hi = y.max().item<long>();
            if (lo < 0 || hi >= v)
                throw new ArgumentOutOfRangeException(nameof(y), $"target {(lo < 0 ? lo : hi)} is outside [0, {v}).");
        }
        using var scope = torch.NewDisposeScope();
        var logp = x.reshape(n * t, v).log_softmax(1);
        var yFlat = y.reshape(n * t, 1);
        var m = mask.reshape(n * t, 1).to_type(x.dtype);
        var loss = -(logp.gather(1, yFlat) * m).sum() / n;
        var dx = logp.exp_().scatter_add_(1, yFlat, -torch.ones_like(m)).mul_(m).div_(n).view(n, t, v);
        scope.MoveToOuter(loss, dx);
        return (loss, dx);
    }
}
