using System.Diagnostics;
using MlNetHw.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// The hand-written RNN and LSTM (N=64, T=32, D=128, H=256, float32) next to TorchSharp's nn.RNN / nn.LSTM with the
/// same weights, measured in the same run: forward, and forward + backward to x, h0 and every parameter with a random
/// upstream dh. "layers" = the functional RnnLayers/LstmLayers calls; "module" = ManualRnn/ManualLstm through
/// TorchSharp autograd (what a training loop runs). Effective GFLOP/s counts the GEMM work only (forward
/// 2·N·T·(D+H)·G·H with G = 1 or 4 gates, backward twice that, as peers.py does) and is compared with a 2048² fp32 mm
/// measured in this run. Ends with a 1,000-iteration leak check (live tensors and process memory before/after).
/// </summary>
public sealed class RecurrentBenchmark : IBenchmarkSection
{
    public string Name => "rnn";
    public string Description => "manual RNN/LSTM vs TorchSharp nn.RNN/nn.LSTM, N64 T32 D128 H256 fp32, fwd and fwd+bwd; leak check";

    const long N = 64, T = 32, D = 128, H = 256;

    public void Run(BenchmarkContext context)
    {
        torch.manual_seed(0);
        double gemmGflops = GemmCeiling(context);
        GemmCpuCeiling(context);
        int warmup = 5, iterations = 11; // warm-up also lets .NET's tiered JIT finish optimising the kernels
        var ratios = new Dictionary<string, object>();

        foreach (var cell in new[] { "rnn", "lstm" })
        {
            long g = cell == "lstm" ? 4 : 1;
            double fwdGflop = 2.0 * N * T * (D + H) * g * H / 1e9;
            using var scope = torch.NewDisposeScope();
            var x = torch.randn(N, T, D);
            var h0 = torch.randn(N, H);
            var dh = torch.randn(N, T, H);
            var wx = torch.randn(D, g * H).div_(Math.Sqrt(D));
            var wh = torch.randn(H, g * H).div_(Math.Sqrt(H));
            var b = torch.zeros(g * H);

            // 1. functional layers (no autograd at all)
            var fwd = context.Measure($"{cell} manual layers forward", () =>
            {
                using var s = torch.NewDisposeScope();
                if (cell == "lstm") LstmLayers.LstmForward(x, h0, wx, wh, b); else RnnLayers.RnnForward(x, h0, wx, wh, b);
            }, warmup, iterations, fwdGflop, "GFLOP");
            var fb = context.Measure($"{cell} manual layers forward+backward", () =>
            {
                using var s = torch.NewDisposeScope();
                if (cell == "lstm") LstmLayers.LstmBackward(dh, LstmLayers.LstmForward(x, h0, wx, wh, b).cache);
                else RnnLayers.RnnBackward(dh, RnnLayers.RnnForward(x, h0, wx, wh, b).cache);
            }, warmup, iterations, 3 * fwdGflop, "GFLOP");

            // 2. the autograd modules, as a training loop uses them
            using nn.Module<Tensor, Tensor, Tensor?, Tensor> manual = cell == "lstm" ? new ManualLstm(D, H) : new ManualRnn(D, H);
            var xg = x.clone().requires_grad_(true);
            var h0g = h0.clone().requires_grad_(true);
            var mfb = context.Measure($"{cell} manual module forward+backward (autograd)", () =>
            {
                using var s = torch.NewDisposeScope();
                ClearGrads(manual, xg, h0g);
                manual.forward(xg, h0g, null).backward(new[] { dh });
            }, warmup, iterations, 3 * fwdGflop, "GFLOP");

            // 3. TorchSharp's fused modules, same sizes, gradients to the same tensors
            nn.Module reference = cell == "lstm" ? nn.LSTM(D, H, batchFirst: true) : nn.RNN(D, H, batchFirst: true);
            Func<Tensor> torchForward = cell == "lstm"
                ? () => ((TorchSharp.Modules.LSTM)reference).forward(xg, (h0g.unsqueeze(0), torch.zeros(1, N, H))).Item1
                : () => ((TorchSharp.Modules.RNN)reference).forward(xg, h0g.unsqueeze(0)).Item1;
            var tf = context.Measure($"{cell} TorchSharp nn.{cell.ToUpperInvariant()} forward", () =>
            {
                using var s = torch.NewDisposeScope();
                torchForward();
            }, warmup, iterations, fwdGflop, "GFLOP");
            var tfb = context.Measure($"{cell} TorchSharp nn.{cell.ToUpperInvariant()} forward+backward", () =>
            {
                using var s = torch.NewDisposeScope();
                ClearGrads(reference, xg, h0g);
                torchForward().backward(new[] { dh });
            }, warmup, iterations, 3 * fwdGflop, "GFLOP");

            // Interleaved pairs: on a shared machine the load changes between two Measure calls; timing A and B
            // alternately and taking the median of the per-pair ratios compares them under the same load.
            Action manualFb = () =>
            {
                using var s = torch.NewDisposeScope();
                ClearGrads(manual, xg, h0g);
                manual.forward(xg, h0g, null).backward(new[] { dh });
            };
            Action torchFb = () =>
            {
                using var s = torch.NewDisposeScope();
                ClearGrads(reference, xg, h0g);
                torchForward().backward(new[] { dh });
            };
            Paired(context, $"{cell} fwd+bwd speedup, layers vs nn.{cell.ToUpperInvariant()} (interleaved pairs)", () =>
            {
                using var s = torch.NewDisposeScope();
                if (cell == "lstm") LstmLayers.LstmBackward(dh, LstmLayers.LstmForward(x, h0, wx, wh, b).cache);
                else RnnLayers.RnnBackward(dh, RnnLayers.RnnForward(x, h0, wx, wh, b).cache);
            }, torchFb, iterations, 3 * fwdGflop);
            Paired(context, $"{cell} fwd+bwd speedup, module vs nn.{cell.ToUpperInvariant()} (interleaved pairs)", manualFb, torchFb, iterations, 3 * fwdGflop);
            Paired(context, $"{cell} fwd speedup, layers vs nn.{cell.ToUpperInvariant()} (interleaved pairs)", () =>
            {
                using var s = torch.NewDisposeScope();
                if (cell == "lstm") LstmLayers.LstmForward(x, h0, wx, wh, b); else RnnLayers.RnnForward(x, h0, wx, wh, b);
            }, () =>
            {
                using var s = torch.NewDisposeScope();
                torchForward();
            }, iterations, fwdGflop);
            reference.Dispose();

            // The Python peers (peers.py): numpy written as cs231n, and PyTorch's fused nn.RNN/nn.LSTM.
            foreach (var (peer, key) in new[] { ("numpy_cs231n", "numpy_cs231n"), ("pytorch_nn", "torch") })
            {
                string variant = peer == "numpy_cs231n" ? $"{cell}_float32" : $"{cell}_fused_nn_float32";
                foreach (var (phase, mine) in new[] { ("forward", fwd), ("fwd_bwd", fb) })
                    if (PeerFigures.Number("rnn", key, variant, phase, "median_ms") is { } peerMs)
                        context.Record($"{cell} {phase} speedup vs {peer} peer (layers)", peerMs / mine.MedianMs, "x",
                            new() { ["peer_median_ms"] = peerMs, ["manual_median_ms"] = Math.Round(mine.MedianMs, 3), ["peers_file"] = PeerFigures.SourcePath! });
            }

            ratios[$"{cell}_fwd_bwd_speedup_layers_vs_torch"] = Math.Round(tfb.MedianMs / fb.MedianMs, 2);
            ratios[$"{cell}_fwd_bwd_speedup_module_vs_torch"] = Math.Round(tfb.MedianMs / mfb.MedianMs, 2);
            ratios[$"{cell}_fwd_speedup_layers_vs_torch"] = Math.Round(tf.MedianMs / fwd.MedianMs, 2);
            ratios[$"{cell}_fwd_bwd_fraction_of_gemm_ceiling"] = Math.Round(fb.Throughput!.Value / gemmGflops, 3);
        }
        foreach (var (k, v) in ratios) context.Record(k, Convert.ToDouble(v), "x");
        LeakCheck(context);
    }

    /// <summary>
    /// Times <paramref name="a"/> (manual) and <paramref name="b"/> (TorchSharp) alternately and records the median of
    /// the per-pair wall-time ratios b/a, plus both medians and the process CPU time of each side. On a shared machine
    /// the wall times swing with other processes' load; the CPU time a computation consumes does not (with one torch
    /// thread it is the work itself; with more it also counts OpenMP spin-waiting), so the CPU-time ratio is reported too.
    /// </summary>
    static double Paired(BenchmarkContext context, string name, Action a, Action b, int pairs, double? gflopPerCall = null)
    {
        if (context.Quick) pairs = Math.Min(pairs, 3);
        a(); b();
        var ta = new double[pairs];
        var tb = new double[pairs];
        var ratio = new double[pairs];
        double cpuA = 0, cpuB = 0;
        var sw = new Stopwatch();
        void Time(Action op, double[] wall, ref double cpu, int i)
        {
            double c0 = CpuClock.ProcessMilliseconds();
            sw.Restart();
            op();
            wall[i] = sw.Elapsed.TotalMilliseconds;
            cpu += CpuClock.ProcessMilliseconds() - c0;
        }
        for (int i = 0; i < pairs; i++)
        {
            // Alternate which goes first, so neither always runs right after the other's cache and allocator state.
            if (i % 2 == 0) { Time(a, ta, ref cpuA, i); Time(b, tb, ref cpuB, i); }
            else { Time(b, tb, ref cpuB, i); Time(a, ta, ref cpuA, i); }
            ratio[i] = tb[i] / ta[i];
        }
        double cpuRatio = cpuB / cpuA;
        var extra = new Dictionary<string, object>
        {
            ["pairs"] = pairs, ["manual_median_ms"] = Math.Round(Median(ta), 3), ["torch_median_ms"] = Math.Round(Median(tb), 3),
            ["manual_cpu_ms_per_call"] = Math.Round(cpuA / pairs, 3), ["torch_cpu_ms_per_call"] = Math.Round(cpuB / pairs, 3),
            ["cpu_time_speedup"] = Math.Round(cpuRatio, 3),
        };
        if (gflopPerCall is { } g)
        {
            extra["manual_gflops_per_cpu_second"] = Math.Round(g / (cpuA / pairs / 1000), 2);
            extra["torch_gflops_per_cpu_second"] = Math.Round(g / (cpuB / pairs / 1000), 2);
        }
        context.Record(name, Median(ratio), "x", extra);
        Console.WriteLine($"      cpu time per call: manual {cpuA / pairs:0.0} ms, torch {cpuB / pairs:0.0} ms, cpu-time speedup {cpuRatio:0.00}x");
        return cpuRatio;
    }

    static double Median(double[] v)
    {
        var s = v.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    static void ClearGrads(nn.Module module, params Tensor[] inputs)
    {
        foreach (var p in module.parameters()) p.grad = null;
        foreach (var t in inputs) t.grad = null;
    }

    /// <summary>The gemm section's figure when it ran in this process, else one measured here the same way.</summary>
    static double GemmCeiling(BenchmarkContext context)
    {
        var prior = context.Results.FirstOrDefault(r => r.Section == "gemm" && r.Throughput is not null);
        if (prior is not null) return prior.Throughput!.Value;
        const int n = 2048;
        using var a = torch.randn(n, n);
        using var b = torch.randn(n, n);
        var r = context.Measure("mm 2048 fp32 (ceiling, this run)", () => { using var c = torch.mm(a, b); },
            warmup: 2, iterations: 10, workPerIteration: 2.0 * n * n * n / 1e9, unit: "GFLOP");
        return r.Throughput!.Value;
    }

    /// <summary>GFLOP per CPU-second of a 2048² fp32 mm: the CPU-time counterpart of the ceiling, robust to other load.</summary>
    static double GemmCpuCeiling(BenchmarkContext context)
    {
        const int n = 2048;
        using var a = torch.randn(n, n);
        using var b = torch.randn(n, n);
        using (var warm = torch.mm(a, b)) { }
        int reps = context.Quick ? 2 : 6;
        double c0 = CpuClock.ProcessMilliseconds();
        for (int i = 0; i < reps; i++) { using var c = torch.mm(a, b); }
        double perCall = (CpuClock.ProcessMilliseconds() - c0) / reps;
        double gflops = 2.0 * n * n * n / 1e9 / (perCall / 1000);
        context.Record("mm 2048 fp32 GFLOP per CPU-second", gflops, "GFLOP/cpu-s", new() { ["cpu_ms_per_call"] = Math.Round(perCall, 2) });
        return gflops;
    }

    /// <summary>
    /// ManualLstm (N 32, T 8, D 64, H 128) forward+backward plus an Adam step, 1,000 times (100 with --quick), each in its own dispose scope:
    /// the live-tensor count must come back to where it was and the process memory must not grow with the iterations.
    /// </summary>
    static void LeakCheck(BenchmarkContext context)
    {
        int iterations = context.Quick ? 100 : 1000;
        // Smaller than the timing sizes: this measures memory, not speed.
        using var lstm = new ManualLstm(64, 128);
        var optimizer = torch.optim.Adam(lstm.parameters(), 1e-3);
        using var x = torch.randn(32, 8, 64);
        using var h0 = torch.zeros(32, 128);
        void Step()
        {
            using var s = torch.NewDisposeScope();
            optimizer.zero_grad();
            lstm.forward(x, h0).square().mean().backward();
            optimizer.step();
        }
        for (int i = 0; i < 20; i++) Step(); // warm: Adam state and allocator caches exist before the baseline
        GC.Collect(); GC.WaitForPendingFinalizers();
        long liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long rssBefore = Process.GetCurrentProcess().WorkingSet64;
        long rssMid = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            Step();
            if (i == iterations / 2 - 1) { GC.Collect(); GC.WaitForPendingFinalizers(); rssMid = Process.GetCurrentProcess().WorkingSet64; }
        }
        GC.Collect(); GC.WaitForPendingFinalizers();
        long liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long rssAfter = Process.GetCurrentProcess().WorkingSet64;
        context.Record("lstm leak check: live tensors gained", liveAfter - liveBefore, "tensors", new()
        {
            ["iterations"] = iterations, ["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 1),
            ["rss_before_mb"] = rssBefore >> 20, ["rss_half_mb"] = rssMid >> 20, ["rss_after_mb"] = rssAfter >> 20,
        });
        context.Record("lstm leak check: memory growth second half", (rssAfter - rssMid) / 1048576.0, "MB");
        optimizer.Dispose();
    }
}

/// <summary>Process CPU time (all threads) from clock_gettime(CLOCK_PROCESS_CPUTIME_ID); Process.TotalProcessorTime elsewhere.</summary>
static class CpuClock
{
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    struct Timespec { public long Seconds; public long Nanoseconds; }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out Timespec value);

    const int ClockProcessCpuTimeId = 2;

    public static double ProcessMilliseconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockProcessCpuTimeId, out var ts) == 0)
            return ts.Seconds * 1000.0 + ts.Nanoseconds / 1e6;
        return Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
    }
}
