using MlNetHw.Backbones;
using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// The ONNX importer's inference switches, A/B in one process: eval BatchNorm folded into the Conv and in-place
/// Relu/Add without grad, against both off, on the packaged ResNet18 (batch 32, 224x224, no grad) and, when the
/// conformance graphs exist ($MLNETHW_ONNX_CONFORMANCE or tests/onnx-conformance/out), on PyTorch-exported ResNet18
/// and MobileNetV2 (BatchNorm-preserving export) at the same size. Rounds alternate so drift on a shared machine
/// hits both variants alike.
/// </summary>
public sealed class OnnxImportBenchmark : IBenchmarkSection
{
    public string Name => "onnx";
    public string Description => "ONNX importer: BatchNorm folding + in-place ops on/off, ResNet18 (packaged, torchvision) and MobileNetV2, b32 224x224 no grad";

    public void Run(BenchmarkContext context)
    {
        var graphs = new List<(string Name, Func<OnnxModule> Load)> { ("packaged_resnet18", PackagedResNet18.LoadBackbone) };
        string folder = Environment.GetEnvironmentVariable("MLNETHW_ONNX_CONFORMANCE") is { Length: > 0 } env ? env
            : Path.Combine(FindRoot(), "tests", "onnx-conformance", "out");
        foreach (var arch in new[] { "resnet18", "mobilenet_v2", "resnext50_32x4d" })
        {
            string path = Path.Combine(folder, $"{arch}_op13_preserve.onnx");
            if (File.Exists(path)) graphs.Add(($"torchvision_{arch}", () => OnnxModule.Load(path)));
            else Console.WriteLine($"  ({path} not found: run tests/onnx-conformance/export_torchvision.py)");
        }
        torch.manual_seed(0);
        using var x = torch.rand(32, 3, 224, 224);
        foreach (var (name, load) in graphs)
        {
            using var module = load();
            module.eval();
            var best = new Dictionary<bool, double>();
            for (int round = 0; round < 2; round++)
                foreach (bool on in new[] { false, true })
                {
                    module.FoldBatchNormInEval = on; module.InPlaceWhenNoGrad = on;
                    var r = context.Measure($"{name}_b32_no_grad_{(on ? "folded_inplace" : "plain")}_round{round}", () =>
                    {
                        using var scope = torch.NewDisposeScope();
                        using var noGrad = torch.no_grad();
                        module.forward(x);
                    }, warmup: 1, iterations: 3, workPerIteration: 32, unit: "img");
                    best[on] = Math.Min(best.GetValueOrDefault(on, double.MaxValue), r.MedianMs);
                }
            context.Record($"{name}_folded_inplace_speedup", best[false] / best[true], "x",
                new() { ["plain_ms"] = Math.Round(best[false], 1), ["folded_inplace_ms"] = Math.Round(best[true], 1) });
        }
    }

    static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MlNetHw.sln"))) return d.FullName;
        return ".";
    }
}
