using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// Numeric gradients by centred differences, cs231n's eval_numerical_gradient_array: for each element x_i,
/// dL/dx_i ≈ Σ (f(x + h·e_i) - f(x - h·e_i)) ⊙ dout / (2h), where L = Σ f(x) ⊙ dout. Differencing the outputs
/// before the dot product with dout keeps the rounding error at the level of one output element.
/// Use float64 on the CPU.
/// </summary>
public static class GradientCheck
{
    /// <summary>
    /// Numeric gradient of Σ f() ⊙ dout with respect to <paramref name="x"/>, which <paramref name="f"/> must read.
    /// <paramref name="x"/> is perturbed in place one element at a time and restored exactly afterwards, so pass a
    /// tensor the check owns (a clone), contiguous, float64, on the CPU.
    /// </summary>
    public static Tensor Numeric(Func<Tensor> f, Tensor x, Tensor dout, double h = 1e-5)
    {
        if (x.dtype != ScalarType.Float64 || dout.dtype != ScalarType.Float64)
            throw new ArgumentException("gradient checks need float64 tensors.");
        if (!x.is_contiguous()) throw new ArgumentException("x must be contiguous.", nameof(x));
        var grad = torch.zeros_like(x);
        // These tensors are tiny: one thread avoids libtorch's thread start-up and spinning, ~10x faster on a busy box.
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
        using var xFlat = x.view(-1);      // shares x's storage: writes below perturb x itself
        using var gFlat = grad.view(-1);
        var xs = xFlat.data<double>();
        var gs = gFlat.data<double>();
        for (long i = 0; i < x.numel(); i++)
        {
            double old = xs[i];
            using var scope = torch.NewDisposeScope();
            xs[i] = old + h;
            var pos = f();
            xs[i] = old - h;
            var neg = f();
            xs[i] = old;
            gs[i] = ((pos - neg) * dout).sum().item<double>() / (2 * h);
        }
        }
        finally { torch.set_num_threads(threads); }
        return grad;
    }

    /// <summary>
    /// Relative error of a whole gradient: |a - n| / max(|a|, |n|) with |·| the Euclidean norm over all its elements
    /// (0 when both are zero). This is the acceptance metric: one number per input or parameter, insensitive to the
    /// elements that are tiny compared with the rest, whose centred difference is limited by rounding
    /// (an element of 6e-5 in a gradient of scale 1 carries a difference error near 2e-11, i.e. 3e-7 relative to itself).
    /// </summary>
    public static double RelativeError(Tensor analytic, Tensor numeric)
    {
        RequireSameShape(analytic, numeric);
        using var scope = torch.NewDisposeScope();
        var a = analytic.to_type(ScalarType.Float64);
        var n = numeric.to_type(ScalarType.Float64);
        double scale = Math.Max(a.norm().item<double>(), n.norm().item<double>());
        return scale == 0 ? 0 : (a - n).norm().item<double>() / scale;
    }

    /// <summary>
    /// cs231n's element-wise form, max_i |a_i - n_i| / max(|a_i|, |n_i|, <paramref name="floor"/>): stricter on tiny
    /// elements, where it measures the numeric difference's rounding more than the analytic gradient. Reported beside
    /// <see cref="RelativeError"/> for comparison with cs231n notebooks.
    /// </summary>
    public static double MaxElementwiseRelativeError(Tensor analytic, Tensor numeric, double floor = 1e-8)
    {
        RequireSameShape(analytic, numeric);
        using var scope = torch.NewDisposeScope();
        var a = analytic.to_type(ScalarType.Float64);
        var n = numeric.to_type(ScalarType.Float64);
        var denom = torch.maximum(torch.maximum(a.abs(), n.abs()), torch.tensor(floor, ScalarType.Float64));
        return a.numel() == 0 ? 0 : ((a - n).abs() / denom).max().item<double>();
    }

    static void RequireSameShape(Tensor a, Tensor n)
    {
        if (!a.shape.SequenceEqual(n.shape))
            throw new ArgumentException($"shapes differ: ({string.Join(", ", a.shape)}) vs ({string.Join(", ", n.shape)}).");
    }
}
