using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// Imported torchvision backbones beside torchvision itself: MobileNetV2 and ResNet50 (random weights, seed 0). Per
/// architecture, torchvision runs in child processes (<see cref="TorchvisionPeerProcess"/>, Debian's python3-torch),
/// one of which first exports its model (BatchNorm kept) for the importer, so both sides run the same graph with the
/// same weights; a second child of each workload has MlNetHw's C-heap setting. Pooled features (the input of the last
/// Gemm) at batch 32 without grad, channels-last on and off, and one training step at batch 16 (SGD momentum 0.9,
/// cross-entropy on the 1000 outputs) are timed in alternating rounds with the peers, and each ratio is the median
/// over rounds of torchvision's time / ours.
/// </summary>
public sealed class BackboneBenchmark : IBenchmarkSection
{
    public string Name => "backbones";
    public string Description => "Imported MobileNetV2/ResNet50 vs torchvision in the same rounds: features b32 no grad, train step b16";

    public void Run(BenchmarkContext context)
    {
        int threads = torch.get_num_threads();
        string dir = Directory.CreateTempSubdirectory("mlnethw-bench-backbones").FullName;
        try
        {
            foreach (var arch in new[] { "mobilenet_v2", "resnet50" })
            {
                string onnx = Path.Combine(dir, arch + ".onnx");
                using var trainPeer = TorchvisionPeerProcess.TryStart(threads, out string why, TorchvisionPeerProcess.TrainStep, onnx, architecture: arch);
                if (trainPeer is null)
                {
                    Console.WriteLine($"  no torchvision peer for {arch}: {why}");
                    continue;
                }
                using var trainHeapPeer = TorchvisionPeerProcess.TryStart(threads, out _, TorchvisionPeerProcess.TrainStep, retainFreedMemory: true, architecture: arch);
                using var featuresPeer = TorchvisionPeerProcess.TryStart(threads, out _, architecture: arch);
                using var featuresHeapPeer = TorchvisionPeerProcess.TryStart(threads, out _, retainFreedMemory: true, architecture: arch);
                using var module = OnnxModule.Load(onnx);
                string features = module.Nodes.Last(n => n.OpType == "Gemm").Inputs[0];
                torch.manual_seed(0);
                using var x32 = torch.randn(32, 3, 224, 224);
                module.eval();
                void Features(bool channelsLast)
                {
                    module.ChannelsLast = channelsLast;
                    using var scope = torch.NewDisposeScope();
                    using var noGrad = torch.no_grad();
                    module.Run(x32, new[] { features });
                }
                var featureCases = new List<BenchmarkContext.Case>
                {
                    new($"{arch}_features_b32_no_grad_channels_last", () => Features(true), 32, "img"),
                    new($"{arch}_features_b32_no_grad_nchw", () => Features(false), 32, "img"),
                };
                if (featuresPeer is not null) featureCases.Insert(0, new($"torchvision_{arch}_features_b32_no_grad", featuresPeer.Run, 32, "img"));
                if (featuresHeapPeer is not null) featureCases.Insert(1, new($"torchvision_{arch}_features_b32_no_grad_retained_heap", featuresHeapPeer.Run, 32, "img"));
                var f = context.MeasureAlternating(featureCases, warmup: 1, rounds: 5, idleWaitSeconds: 45).ToDictionary(r => r.Name);
                module.ChannelsLast = true;
                var ours = f[$"{arch}_features_b32_no_grad_channels_last"];
                context.Record($"{arch}_channels_last_speedup", BenchmarkContext.RoundRatio(f[$"{arch}_features_b32_no_grad_nchw"], ours).Ratio, "x");
                if (featuresPeer is not null) context.RecordVersus($"{arch} features b32 / torchvision (same rounds)", f[$"torchvision_{arch}_features_b32_no_grad"], ours);
                if (featuresHeapPeer is not null) context.RecordVersus($"{arch} features b32 / torchvision with the same heap setting (same rounds)", f[$"torchvision_{arch}_features_b32_no_grad_retained_heap"], ours);

                module.train();
                using var optimizer = torch.optim.SGD(module.parameters(), 0.01, 0.9);
                using var x16 = torch.randn(16, 3, 224, 224);
                using var y16 = torch.randint(0, 1000, new long[] { 16 }, dtype: ScalarType.Int64);
                var trainCases = new List<BenchmarkContext.Case>
                {
                    new($"torchvision_{arch}_train_step_b16_sgd_momentum", trainPeer.Run, 16, "img"),
                    new($"{arch}_train_step_b16_sgd_momentum", () =>
                    {
                        using var scope = torch.NewDisposeScope();
                        optimizer.zero_grad();
                        nn.functional.cross_entropy(module.forward(x16), y16).backward();
                        optimizer.step();
                    }, 16, "img"),
                };
                if (trainHeapPeer is not null) trainCases.Insert(1, new($"torchvision_{arch}_train_step_b16_sgd_momentum_retained_heap", trainHeapPeer.Run, 16, "img"));
                var t = context.MeasureAlternating(trainCases, warmup: 1, rounds: 5, idleWaitSeconds: 45).ToDictionary(r => r.Name);
                var step = t[$"{arch}_train_step_b16_sgd_momentum"];
                context.RecordVersus($"{arch} train step b16 / torchvision (same rounds)", t[$"torchvision_{arch}_train_step_b16_sgd_momentum"], step);
                if (trainHeapPeer is not null) context.RecordVersus($"{arch} train step b16 / torchvision with the same heap setting (same rounds)", t[$"torchvision_{arch}_train_step_b16_sgd_momentum_retained_heap"], step);
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
