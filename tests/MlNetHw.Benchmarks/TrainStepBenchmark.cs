using MlNetHw.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// The packaged ResNet18's finetune training step alone (batch 16, forward + backward + SGD momentum), a few seconds
/// per process: what native-memory-ab.sh runs in alternating processes with <c>--native-memory retain</c> and
/// <c>release</c>, since the C heap's settings hold for a whole process and cannot be switched inside one.
/// </summary>
public sealed class TrainStepBenchmark : IBenchmarkSection
{
    public string Name => "train-step";
    public string Description => "ResNet18 finetune train step b16 only (SGD momentum), for process-level A/B such as native-memory-ab.sh";

    public void Run(BenchmarkContext context)
    {
        torch.manual_seed(0);
        using var classifier = new ResNet18Network(2);
        classifier.train();
        using var optimizer = torch.optim.SGD(classifier.parameters(), 0.001, 0.9);
        using var x16 = torch.rand(16, 3, 224, 224) * 255;
        using var y16 = torch.randint(0, 2, new long[] { 16 }, dtype: ScalarType.Int64);
        context.Measure("torchsharp_finetune_train_step_b16_sgd_momentum", () =>
        {
            using var scope = torch.NewDisposeScope();
            var loss = nn.functional.cross_entropy(classifier.forward(x16), y16);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }, warmup: 1, iterations: 5, workPerIteration: 16, unit: "img",
            extra: new() { ["native_heap"] = MlNetHw.Torch.NativeHeap.Describe() });
    }
}
