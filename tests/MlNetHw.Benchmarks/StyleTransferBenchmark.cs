using MlNetHw.Backbones;
using System.Text.Json;
using MlNetHw.Style;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// Seconds per L-BFGS closure of style transfer: zero_grad + features of the packaged ResNet18 up to layer3 + content
/// MSE + 5 Gram-matrix style MSEs + backward to the image, batch 1, float32 on the CPU. The layer set is the same as
/// the "resnet18_to_layer3" rows of ../shared/bench/peers.json (PyTorch), whose medians are reported beside ours.
/// </summary>
public sealed class StyleTransferBenchmark : IBenchmarkSection
{
    public string Name => "style";
    public string Description => "style transfer: one L-BFGS closure (ResNet18 to layer3, 5 Gram losses, backward to the image) at 256² and 512²";

    public void Run(BenchmarkContext context)
    {
        torch.manual_seed(0);
        using var extractor = OnnxFeatureExtractor.PackagedResNet18Extractor(CPU);
        var settings = new StyleLossSettings(ResNet18StyleDefaults.StyleLayers, ResNet18StyleDefaults.ContentLayer,
            ResNet18StyleDefaults.StyleWeightFor(ActivationSmoothing.None), 1, 0, ActivationSmoothing.None, StyleOptimizer.Lbfgs, 1, 1);
        var peers = PeerFigures();
        int defaultThreads = torch.get_num_threads();
        // libtorch's default (one thread per core) and one thread: on a busy shared machine the second can be faster.
        foreach (int threads in defaultThreads == 1 ? new[] { 1 } : new[] { defaultThreads, 1 })
        {
        torch.set_num_threads(threads);
        foreach (int size in new[] { 256, 512 })
        {
            using var scope = NewDisposeScope();
            var content = rand(1, 3, size, size);
            var style = rand(1, 3, size, size);
            using var losses = new StyleLossEvaluator(extractor, content, style, settings);
            var image = content.clone().requires_grad_(true);
            int n = 0;
            var extra = new Dictionary<string, object> { ["size"] = size, ["threads"] = threads, ["layers"] = string.Join(",", settings.StyleLayers), ["content_layer"] = settings.ContentLayer };
            if (peers.TryGetValue(size, out double peerMs)) extra["peer_pytorch_resnet18_to_layer3_median_ms"] = peerMs;
            var r = context.Measure($"closure {size}x{size} {threads} thread(s)", () =>
            {
                using var inner = NewDisposeScope();
                image.grad?.zero_();
                losses.Evaluate(image, ++n);
            }, warmup: 1, iterations: size >= 512 ? 3 : 5, workPerIteration: 1, unit: "closure", extra: extra);
            if (peers.TryGetValue(size, out peerMs))
                context.Record($"closure {size}x{size} {threads} thread(s) time / PyTorch's", r.MedianMs / peerMs, "x");
        }
        }
        torch.set_num_threads(defaultThreads);
    }

    /// <summary>PyTorch medians (ms) from peers.json ('style_transfer' → 'resnet18_to_layer3'), when the file is found.</summary>
    static Dictionary<int, double> PeerFigures()
    {
        var result = new Dictionary<int, double>();
        foreach (int size in new[] { 256, 512 })
            if (Benchmarks.PeerFigures.Number("style_transfer", "resnet18_to_layer3", $"closure_{size}x{size}", "median_ms") is { } ms)
                result[size] = ms;
        return result;
    }
}
