using TorchSharp;

namespace MlNetHw.Benchmarks;

/// <summary>
/// The machine's matrix-multiply ceiling (fp32, 2048²): the reference every layer's effective GFLOP/s is compared with.
/// </summary>
public sealed class GemmBenchmark : IBenchmarkSection
{
    public string Name => "gemm";
    public string Description => "fp32 torch.mm 2048x2048 (GFLOP/s ceiling of this machine)";

    public void Run(BenchmarkContext context)
    {
        const int n = 2048;
        torch.manual_seed(0);
        using var a = torch.randn(n, n);
        using var b = torch.randn(n, n);
        context.Measure("mm 2048 fp32", () => { using var c = torch.mm(a, b); }, warmup: 2, iterations: 10,
            workPerIteration: 2.0 * n * n * n / 1e9, unit: "GFLOP");
    }
}
