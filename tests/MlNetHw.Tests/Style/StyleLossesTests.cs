using MlNetHw.Style;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Style;

/// <summary>The Gatys losses against their definitions, with gradient checks in float64 (autograd vs centred differences).</summary>
[TestClass]
[TestCategory("Style")]
public sealed class StyleLossesTests
{
    /// <summary>Relative error |a-n| / max(|a|, |n|), the cs231n gradient-check measure.</summary>
    static double RelativeError(double a, double n)
    {
        double scale = Math.Max(Math.Abs(a), Math.Abs(n));
        return scale < 1e-8 ? 0 : Math.Abs(a - n) / scale; // both zero (e.g. TV at a monotone pixel): agree
    }

    /// <summary>Max relative error between autograd's gradient of <paramref name="f"/> at <paramref name="x"/> and centred differences (h = 1e-5).</summary>
    static double GradientCheck(Func<Tensor, Tensor> f, Tensor x, int maxEntries = 40)
    {
        using var scope = NewDisposeScope();
        var leaf = x.detach().clone().requires_grad_(true);
        f(leaf).backward();
        var analytic = leaf.grad!.detach().clone().reshape(-1);
        var flat = x.detach().clone().reshape(-1);
        double worst = 0;
        const double h = 1e-5;
        long n = flat.numel();
        for (long i = 0; i < Math.Min(n, maxEntries); i++)
        {
            long k = i * Math.Max(1, n / maxEntries) % n;
            double orig = flat[k].item<double>();
            flat[k] = orig + h;
            double plus; using (no_grad()) plus = f(flat.reshape(x.shape)).item<double>();
            flat[k] = orig - h;
            double minus; using (no_grad()) minus = f(flat.reshape(x.shape)).item<double>();
            flat[k] = orig;
            worst = Math.Max(worst, RelativeError(analytic[k].item<double>(), (plus - minus) / (2 * h)));
        }
        return worst;
    }

    [TestMethod]
    public void GramIsFFtOverCHW()
    {
        TorchRuntime.Seed(1);
        using var scope = NewDisposeScope();
        var f = randn(new long[] { 1, 3, 4, 5 }, dtype: float64);
        var g = StyleLosses.Gram(f);
        CollectionAssert.AreEqual(new long[] { 3, 3 }, g.shape);
        var v = f.reshape(3, 20);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double expected = 0;
                for (int k = 0; k < 20; k++) expected += v[i, k].item<double>() * v[j, k].item<double>();
                Assert.AreEqual(expected / 60, g[i, j].item<double>(), 1e-12, $"G[{i},{j}]");
            }
    }

    [TestMethod]
    public void StyleLossGradientMatchesNumericDifferences()
    {
        TorchRuntime.Seed(2);
        using var scope = NewDisposeScope();
        var f = randn(new long[] { 1, 4, 3, 3 }, dtype: float64);
        var target = StyleLosses.Gram(randn(new long[] { 1, 4, 5, 2 }, dtype: float64));
        double err = GradientCheck(x => StyleLosses.Style(x, target), f);
        Console.WriteLine($"style loss gradient: max relative error {err:E2}");
        Assert.IsTrue(err < 1e-7, $"relative error {err:E2}");
        // Zero exactly when the Gram matrices agree.
        Assert.AreEqual(0, StyleLosses.Style(f, StyleLosses.Gram(f)).item<double>(), 1e-15);
    }

    [TestMethod]
    public void SoftmaxSmoothingIsAScaledDistributionWithCheckedGradient()
    {
        TorchRuntime.Seed(3);
        using var scope = NewDisposeScope();
        var f = randn(new long[] { 1, 2, 3, 4 }, dtype: float64) * 2;
        var s = StyleLosses.Smooth(f, ActivationSmoothing.Softmax);
        CollectionAssert.AreEqual(f.shape, s.shape);
        Assert.AreEqual(24.0, s.sum().item<double>(), 1e-9, "softmax over C·H·W, times C·H·W, sums to C·H·W");
        Assert.IsTrue(s.min().item<double>() > 0);
        // Order is kept (softmax is monotone) and the map is flatter than exp alone would make it: entropy rises vs a one-hot.
        Assert.AreEqual(f.argmax().item<long>(), s.argmax().item<long>());
        Assert.AreEqual(0, (StyleLosses.Smooth(f, ActivationSmoothing.None) - f).abs().max().item<double>());
        var target = StyleLosses.Gram(StyleLosses.Smooth(randn(new long[] { 1, 2, 3, 4 }, dtype: float64), ActivationSmoothing.Softmax));
        double err = GradientCheck(x => StyleLosses.Style(StyleLosses.Smooth(x, ActivationSmoothing.Softmax), target), f);
        Console.WriteLine($"smoothed style loss gradient: max relative error {err:E2}");
        // exp makes higher derivatives large, so centred differences are less exact here than for the plain Gram loss.
        Assert.IsTrue(err < 1e-6, $"relative error {err:E2}");
    }

    [TestMethod]
    public void TotalVariationMatchesDefinitionAndGradient()
    {
        TorchRuntime.Seed(4);
        using var scope = NewDisposeScope();
        var img = rand(new long[] { 1, 3, 4, 5 }, dtype: float64);
        double dy = 0, dx = 0;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 5; x++)
                {
                    if (y < 3) dy += Math.Abs(img[0, c, y + 1, x].item<double>() - img[0, c, y, x].item<double>());
                    if (x < 4) dx += Math.Abs(img[0, c, y, x + 1].item<double>() - img[0, c, y, x].item<double>());
                }
        Assert.AreEqual(dy / (3 * 3 * 5) + dx / (3 * 4 * 4), StyleLosses.TotalVariation(img).item<double>(), 1e-12);
        double err = GradientCheck(StyleLosses.TotalVariation, img);
        Assert.IsTrue(err < 1e-6, $"relative error {err:E2}");
        Assert.AreEqual(0, StyleLosses.TotalVariation(ones(1, 3, 4, 5)).item<float>(), 0, "a flat image has no variation");
    }

    [TestMethod]
    public void ContentLossIsMeanSquaredError()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 1, 2, 3, 4 }).reshape(1, 1, 2, 2);
        var b = tensor(new double[] { 1, 0, 3, 7 }).reshape(1, 1, 2, 2);
        Assert.AreEqual((4 + 9) / 4.0, StyleLosses.Content(a, b).item<double>(), 1e-12);
    }
}
