using MlNetHw.Style;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Style;

/// <summary>
/// A seeded two-layer conv net (random weights, frozen) as an <see cref="IFeatureExtractor"/>: layers "r1"
/// (8 ch, full size) and "r2" (16 ch, half size). Random conv features are enough for Gram matching to work, and
/// small enough for fast tests.
/// </summary>
static class TinyFeatureNet
{
    public static IFeatureExtractor Create(int seed)
    {
        TorchRuntime.Seed(seed);
        var c1 = nn.Conv2d(3, 8, 3, padding: 1);
        var c2 = nn.Conv2d(8, 16, 3, stride: 2, padding: 1);
        foreach (var p in c1.parameters().Concat(c2.parameters())) p.requires_grad = false;
        var owner = new CompositeDisposable(c1, c2);
        return new DelegateFeatureExtractor("tiny conv net", new[] { "r1", "r2" }, (image, layers) =>
        {
            var r1 = nn.functional.relu(c1.forward(image * 2 - 1));
            var result = new Dictionary<string, Tensor>();
            if (layers.Contains("r1")) result["r1"] = r1;
            if (layers.Contains("r2")) result["r2"] = nn.functional.relu(c2.forward(r1));
            return result;
        }, CPU, owner);
    }

    sealed class CompositeDisposable(params IDisposable[] items) : IDisposable
    {
        public void Dispose() { foreach (var i in items) i.Dispose(); }
    }
}
