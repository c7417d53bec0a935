using MlNetHw.Style;
using MlNetHw.Torch;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Style;

[TestClass]
[TestCategory("Style")]
public sealed class ImageStatisticsTests
{
    [TestMethod]
    public void OverlapsAreOneForTheSameImageAndZeroForDisjointOnes()
    {
        TorchRuntime.Seed(1);
        using var scope = NewDisposeScope();
        var noise = rand(1, 3, 16, 16);
        Assert.AreEqual(1, ImageStatistics.ColourOverlap(noise, noise), 1e-9);
        Assert.AreEqual(1, ImageStatistics.TextureOverlap(noise, noise), 1e-9);
        var black = zeros(1, 3, 16, 16);
        var white = ones(1, 3, 16, 16);
        Assert.AreEqual(0, ImageStatistics.ColourOverlap(black, white), 1e-9, "disjoint palettes");
        Assert.AreEqual(1, ImageStatistics.TextureOverlap(black, white), 1e-9, "both flat: same (zero) gradients");
        double t = ImageStatistics.TextureOverlap(black, noise);
        Assert.IsTrue(t < 0.1, $"flat vs noise texture overlap {t:0.###}");
    }
}
