using MlNetHw.Style;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Style;

/// <summary>The optimisation loop on a tiny random conv net: losses fall, the budget is exact, pixels stay in [0, 1].</summary>
[TestClass]
[TestCategory("Style")]
public sealed class GatysStyleTransferTests
{
    static int _threads;

    /// <summary>These tensors are tiny: one libtorch thread avoids thread hand-offs that dominate on a busy 2-core machine.</summary>
    [ClassInitialize]
    public static void OneThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    static (Tensor Content, Tensor Style) Images()
    {
        using var c = Vision.TestImages.Draw(11, 24, 24);
        using var s = Vision.TestImages.Draw(12, 24, 24);
        return (StyleImages.ToTensor(c, 24, 24), StyleImages.ToTensor(s, 24, 24));
    }

    static StyleLossSettings Settings(StyleOptimizer optimizer, int evaluations, ActivationSmoothing smoothing = ActivationSmoothing.None) =>
        new(new[] { "r1", "r2" }, "r2", StyleWeight: 1e3, ContentWeight: 1, TvWeight: 0, smoothing, optimizer,
            LearningRate: optimizer == StyleOptimizer.Adam ? 0.05 : 1, Evaluations: evaluations);

    [TestMethod]
    public void LbfgsCutsTheStyleLossTenfoldInExactlyTheBudget()
    {
        using var scope = NewDisposeScope();
        using var net = TinyFeatureNet.Create(5);
        var (content, style) = Images();
        var r = GatysStyleTransfer.Optimize(net, content, style, content, Settings(StyleOptimizer.Lbfgs, 37));
        Assert.AreEqual(37, r.Samples.Count, "L-BFGS must spend exactly the evaluation budget");
        CollectionAssert.AreEqual(Enumerable.Range(1, 37).ToArray(), r.Samples.Select(s => s.Evaluation).ToArray());
        Assert.AreEqual(0, r.Samples[0].Content, 1e-9, "starting from the photo, the content loss starts at 0");
        double ratio = r.Samples[0].Style / r.Best.Style;
        Console.WriteLine($"style loss {r.Samples[0].Style:G4} -> {r.Best.Style:G4} ({ratio:0.#}x), content {r.Best.Content:G4}");
        Assert.IsTrue(ratio >= 10, $"style loss fell only {ratio:0.##}x");
        Assert.AreEqual(r.Samples.Min(s => s.Total), r.Best.Total, "the kept image is the best evaluated one");
        Assert.IsTrue(r.Image.min().item<float>() >= 0 && r.Image.max().item<float>() <= 1, "pixels stay in [0, 1]");
        Assert.IsTrue((r.Image - content).abs().max().item<float>() > 0.01, "the image changed");
    }

    [TestMethod]
    public void AdamAndSmoothedLossesAlsoDescend()
    {
        using var scope = NewDisposeScope();
        using var net = TinyFeatureNet.Create(6);
        var (content, style) = Images();
        var adam = GatysStyleTransfer.Optimize(net, content, style, content, Settings(StyleOptimizer.Adam, 25));
        Assert.AreEqual(25, adam.Samples.Count);
        Assert.IsTrue(adam.Best.Total < 0.5 * adam.Samples[0].Total, $"Adam: total {adam.Samples[0].Total:G4} -> {adam.Best.Total:G4}");
        var soft = GatysStyleTransfer.Optimize(net, content, style, content, Settings(StyleOptimizer.Lbfgs, 25, ActivationSmoothing.Softmax));
        Assert.IsTrue(soft.Best.Style < 0.5 * soft.Samples[0].Style, $"softmax: style {soft.Samples[0].Style:G4} -> {soft.Best.Style:G4}");
    }

    [TestMethod]
    public void StyleWeightTradesContentForStyle()
    {
        using var scope = NewDisposeScope();
        using var net = TinyFeatureNet.Create(7);
        var (content, style) = Images();
        var weak = GatysStyleTransfer.Optimize(net, content, style, content, Settings(StyleOptimizer.Lbfgs, 30) with { StyleWeight = 10 });
        var strong = GatysStyleTransfer.Optimize(net, content, style, content, Settings(StyleOptimizer.Lbfgs, 30) with { StyleWeight = 1e5 });
        Assert.IsTrue(strong.Best.Style < weak.Best.Style, "a larger style weight leaves a smaller style loss");
        Assert.IsTrue(strong.Best.Content > weak.Best.Content, "... and a larger content loss");
    }
}
