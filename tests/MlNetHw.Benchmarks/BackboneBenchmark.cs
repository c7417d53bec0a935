using System.Text.Json.Nodes;
using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// Imported torchvision backbones beside torchvision itself: MobileNetV2 and ResNet50, exported (random weights, seed 0,
/// BatchNorm kept) and timed by <c>backbone_peers.py</c> in the same session (run-with-peers.sh runs it when the section
/// list names "backbones" and sets <c>MLNETHW_BACKBONE_PEERS</c> to its folder). Here the same graphs go through the
/// ONNX importer: pooled features (the input of the last Gemm) at batch 32 without grad, channels-last on and off, and
/// one training step at batch 16 (SGD momentum 0.9, cross-entropy on the 1000 outputs), each with its ratio to torchvision.
/// </summary>
public sealed class BackboneBenchmark : IBenchmarkSection
{
    public string Name => "backbones";
    public string Description => "Imported MobileNetV2/ResNet50 vs torchvision (same session): features b32 no grad, train step b16";

    public void Run(BenchmarkContext context)
    {
        string? dir = Environment.GetEnvironmentVariable("MLNETHW_BACKBONE_PEERS");
        string? json = dir is null ? null : Path.Combine(dir, "backbone_peers.json");
        if (json is null || !File.Exists(json))
        {
            Console.WriteLine("  no backbone peers: run tests/MlNetHw.Benchmarks/run-with-peers.sh backbones (needs Debian python3-torch/torchvision)");
            return;
        }
        var peers = JsonNode.Parse(File.ReadAllText(json))!;
        Console.WriteLine($"  peers: {json} (torch {peers["torch"]}, {peers["threads"]} threads)");
        // The same peers with MlNetHw's C-heap setting (run-with-peers.sh writes them beside the first), when there.
        string heapJson = Path.Combine(dir!.TrimEnd('/') + "-retained-heap", "backbone_peers.json");
        var heapPeers = File.Exists(heapJson) ? JsonNode.Parse(File.ReadAllText(heapJson)) : null;
        foreach (var arch in new[] { "mobilenet_v2", "resnet50" })
        {
            if (peers[arch]?["onnx"]?.GetValue<string>() is not { } file) continue;
            using var module = OnnxModule.Load(Path.Combine(dir!, file));
            string features = module.Nodes.Last(n => n.OpType == "Gemm").Inputs[0];
            torch.manual_seed(0);
            using var x32 = torch.randn(32, 3, 224, 224);
            module.eval();
            var best = new Dictionary<bool, BenchmarkResult>();
            for (int round = 0; round < 2; round++)
                foreach (bool channelsLast in new[] { true, false })
                {
                    module.ChannelsLast = channelsLast;
                    var r = context.Measure($"{arch}_features_b32_no_grad_{(channelsLast ? "channels_last" : "nchw")}_round{round}", () =>
                    {
                        using var scope = torch.NewDisposeScope();
                        using var noGrad = torch.no_grad();
                        module.Run(x32, new[] { features });
                    }, warmup: 1, iterations: 3, workPerIteration: 32, unit: "img");
                    if (!best.TryGetValue(channelsLast, out var b) || r.MedianMs < b.MedianMs) best[channelsLast] = r;
                }
            module.ChannelsLast = true;
            context.Record($"{arch}_channels_last_speedup", best[false].MedianMs / best[true].MedianMs, "x");
            Versus(context, $"{arch} features b32 / torchvision", best[true], peers[arch]?["features_b32_no_grad"]);
            Versus(context, $"{arch} features b32 / torchvision with the same heap setting", best[true], heapPeers?[arch]?["features_b32_no_grad"]);

            module.train();
            using var optimizer = torch.optim.SGD(module.parameters(), 0.01, 0.9);
            using var x16 = torch.randn(16, 3, 224, 224);
            using var y16 = torch.randint(0, 1000, new long[] { 16 }, dtype: ScalarType.Int64);
            var step = context.Measure($"{arch}_train_step_b16_sgd_momentum", () =>
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();
                nn.functional.cross_entropy(module.forward(x16), y16).backward();
                optimizer.step();
            }, warmup: 1, iterations: 3, workPerIteration: 16, unit: "img");
            Versus(context, $"{arch} train step b16 / torchvision", step, peers[arch]?["train_step_b16_sgd_momentum"]);
            Versus(context, $"{arch} train step b16 / torchvision with the same heap setting", step, heapPeers?[arch]?["train_step_b16_sgd_momentum"]);
        }
    }

    static void Versus(BenchmarkContext context, string name, BenchmarkResult mine, JsonNode? peer)
    {
        if (mine.Throughput is { } ours && peer?["images_per_s"]?.GetValue<double>() is { } theirs)
            context.Record(name, ours / theirs, "ratio", new() { ["peer_images_per_s"] = theirs, ["images_per_s"] = Math.Round(ours, 2) });
    }
}
