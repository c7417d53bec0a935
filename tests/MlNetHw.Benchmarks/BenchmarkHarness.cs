using MlNetHw.IO;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetHw.Benchmarks;

/// <summary>One group of figures (e.g. "rnn", "gemm"). Implementations are discovered by reflection.</summary>
public interface IBenchmarkSection
{
    /// <summary>Short id used by <c>--only</c>.</summary>
    string Name { get; }
    /// <summary>What the section measures, printed before it runs.</summary>
    string Description { get; }
    void Run(BenchmarkContext context);
}

/// <summary>One measured figure: per-iteration times plus an optional throughput (rows/s, img/s, GFLOP/s).</summary>
public sealed record BenchmarkResult(
    string Section, string Name, int Iterations, double MedianMs, double MinMs, double MaxMs,
    double? Throughput, string? ThroughputUnit, Dictionary<string, object>? Extra);

/// <summary>Times operations and collects <see cref="BenchmarkResult"/>s.</summary>
public sealed class BenchmarkContext
{
    readonly List<BenchmarkResult> _results = new();
    public IReadOnlyList<BenchmarkResult> Results => _results;
    /// <summary>Fewer iterations (for CI smoke runs); figures from a quick run are not for reporting.</summary>
    public bool Quick { get; init; }
    public string Section { get; set; } = "";

    /// <summary>
    /// Runs <paramref name="op"/> <paramref name="warmup"/> times untimed, then <paramref name="iterations"/> times timed.
    /// <paramref name="workPerIteration"/> (images, rows, FLOP) turns the median into a throughput in <paramref name="unit"/> per second.
    /// </summary>
    public BenchmarkResult Measure(string name, Action op, int warmup = 3, int iterations = 20,
        double? workPerIteration = null, string? unit = null, Dictionary<string, object>? extra = null)
    {
        if (Quick) { warmup = Math.Min(warmup, 1); iterations = Math.Min(iterations, 3); }
        for (int i = 0; i < warmup; i++) op();
        var times = new double[iterations];
        var sw = new Stopwatch();
        for (int i = 0; i < iterations; i++)
        {
            sw.Restart();
            op();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        double median = iterations % 2 == 1 ? times[iterations / 2] : (times[iterations / 2 - 1] + times[iterations / 2]) / 2;
        double? throughput = workPerIteration is { } w ? w / (median / 1000.0) : null;
        var r = new BenchmarkResult(Section, name, iterations, median, times[0], times[^1], throughput, unit, extra);
        _results.Add(r);
        Console.WriteLine($"  {name,-48} median {median,9:0.000} ms  (min {times[0]:0.000}, max {times[^1]:0.000})" +
                          (throughput is { } t ? $"  {t:0.##} {unit}/s" : ""));
        return r;
    }

    /// <summary>One operation of <see cref="MeasureAlternating"/>.</summary>
    public sealed record Case(string Name, Action Op, double? WorkPerIteration = null, string? Unit = null, Dictionary<string, object>? Extra = null);

    /// <summary>
    /// A/B (A/B/C...) timing on a shared machine: each case runs <paramref name="warmup"/> times untimed, then
    /// <paramref name="rounds"/> rounds time every case once, in forward order in even rounds and backward in odd ones,
    /// so a change of load during the measurement falls on all cases alike. Returns one result per case (median of its rounds).
    /// </summary>
    /// <param name="cases">The operations.</param>
    /// <param name="warmup">Untimed runs of each case first.</param>
    /// <param name="rounds">Timed rounds.</param>
    /// <param name="idleWaitSeconds">Before each round, wait up to this long for other processes to use less than
    /// 0.2 cores (Linux /proc/stat; 0 = do not wait); the cores they used just before each round are recorded.</param>
    /// <remarks>Each result's extra fields hold the per-round times (<c>round_ms</c>, in round order) and the other
    /// processes' cores before each round, so ratios can be taken round by round (see <see cref="RoundRatio"/>).</remarks>
    public IReadOnlyList<BenchmarkResult> MeasureAlternating(IReadOnlyList<Case> cases, int warmup = 1, int rounds = 5, double idleWaitSeconds = 0)
    {
        if (Quick) { warmup = Math.Min(warmup, 1); rounds = Math.Min(rounds, 3); idleWaitSeconds = 0; }
        foreach (var c in cases) for (int i = 0; i < warmup; i++) c.Op();
        var times = cases.Select(_ => new double[rounds]).ToArray();
        var others = new double[rounds];
        var sw = new Stopwatch();
        for (int r = 0; r < rounds; r++)
        {
            others[r] = Math.Round(MachineLoad.WaitForIdle(idleWaitSeconds), 2);
            for (int k = 0; k < cases.Count; k++)
            {
                int i = r % 2 == 0 ? k : cases.Count - 1 - k;
                sw.Restart();
                cases[i].Op();
                times[i][r] = sw.Elapsed.TotalMilliseconds;
            }
        }
        Console.WriteLine($"  (other processes' cores before each round: {string.Join(", ", others)})");
        var results = new List<BenchmarkResult>();
        for (int i = 0; i < cases.Count; i++)
        {
            var inOrder = times[i].Select(x => Math.Round(x, 3)).ToArray();
            var t = (double[])times[i].Clone();
            Array.Sort(t);
            double median = rounds % 2 == 1 ? t[rounds / 2] : (t[rounds / 2 - 1] + t[rounds / 2]) / 2;
            double? throughput = cases[i].WorkPerIteration is { } w ? w / (median / 1000.0) : null;
            var extra = new Dictionary<string, object>(cases[i].Extra ?? new()) { ["alternating_rounds"] = rounds, ["alternating_with"] = cases.Count - 1, ["other_processes_cores_before_rounds"] = others, ["round_ms"] = inOrder };
            var res = new BenchmarkResult(Section, cases[i].Name, rounds, median, t[0], t[^1], throughput, cases[i].Unit, extra);
            _results.Add(res);
            results.Add(res);
            Console.WriteLine($"  {cases[i].Name,-48} median {median,9:0.000} ms  (min {t[0]:0.000}, max {t[^1]:0.000})" +
                              (throughput is { } tp ? $"  {tp:0.##} {cases[i].Unit}/s" : "") + "  [alternating]");
        }
        return results;
    }

    /// <summary>
    /// Median over rounds of <paramref name="numerator"/>'s time / <paramref name="denominator"/>'s time, both from one
    /// <see cref="MeasureAlternating"/> call, over the rounds where other processes used less than
    /// <paramref name="maxOtherCores"/> cores (all rounds when none did); also returns how many rounds were used.
    /// </summary>
    public static (double Ratio, int Rounds) RoundRatio(BenchmarkResult numerator, BenchmarkResult denominator, double maxOtherCores = 0.2)
    {
        var a = (double[])numerator.Extra!["round_ms"]; var b = (double[])denominator.Extra!["round_ms"];
        var others = (double[])numerator.Extra!["other_processes_cores_before_rounds"];
        var idle = Enumerable.Range(0, a.Length).Where(r => others[r] < maxOtherCores).ToList();
        if (idle.Count == 0) idle = Enumerable.Range(0, a.Length).ToList();
        var ratios = idle.Select(r => a[r] / b[r]).OrderBy(x => x).ToList();
        double median = ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[ratios.Count / 2 - 1] + ratios[ratios.Count / 2]) / 2;
        return (median, idle.Count);
    }

    /// <summary>
    /// Records <paramref name="peer"/>'s time / <paramref name="mine"/>'s per round of one <see cref="MeasureAlternating"/>
    /// call (<see cref="RoundRatio"/>; &gt; 1: ours is faster), with both throughputs and the rounds used.
    /// </summary>
    public void RecordVersus(string name, BenchmarkResult peer, BenchmarkResult mine)
    {
        var (ratio, used) = RoundRatio(peer, mine);
        Record(name, ratio, "ratio", new() { ["rounds_used"] = used, ["images_per_s"] = Math.Round(mine.Throughput ?? 0, 2), ["peer_images_per_s"] = Math.Round(peer.Throughput ?? 0, 2) });
    }

    /// <summary>Records a figure computed by the section itself (e.g. a ratio of two measurements).</summary>
    public void Record(string name, double value, string unit, Dictionary<string, object>? extra = null)
    {
        _results.Add(new BenchmarkResult(Section, name, 0, 0, 0, 0, value, unit, extra));
        Console.WriteLine($"  {name,-48} {value:0.###} {unit}");
    }
}

/// <summary>How busy the machine is with other processes (Linux: /proc/stat minus this process's own CPU time).</summary>
public static class MachineLoad
{
    /// <summary>Cores used by other processes over the next <paramref name="milliseconds"/>; NaN where /proc is missing.</summary>
    public static double OtherProcessesCores(int milliseconds = 1000)
    {
        if (!File.Exists("/proc/stat") || !File.Exists("/proc/self/stat")) return double.NaN;
        var (total0, idle0) = Cpu(); long own0 = OwnTicks();
        Thread.Sleep(milliseconds);
        var (total1, idle1) = Cpu(); long own1 = OwnTicks();
        double total = total1 - total0;
        if (total <= 0) return double.NaN;
        double busy = (total - (idle1 - idle0)) - (own1 - own0);
        return Math.Max(0, busy / total * Environment.ProcessorCount);
    }

    /// <summary>Waits up to <paramref name="maxSeconds"/> for other processes to use less than 0.2 cores; returns the last reading.</summary>
    public static double WaitForIdle(double maxSeconds)
    {
        if (maxSeconds <= 0) return OtherProcessesCores(500);
        var sw = Stopwatch.StartNew();
        double c;
        do c = OtherProcessesCores(1000);
        while (!(c < 0.2) && !double.IsNaN(c) && sw.Elapsed.TotalSeconds < maxSeconds);
        return c;
    }

    static (long Total, long Idle) Cpu()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
        return (f.Sum(), f[3] + f[4]); // idle + iowait
    }

    static long OwnTicks()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(f[11]) + long.Parse(f[12]); // utime, stime (fields 14 and 15)
    }
}

public static class BenchmarkHarness
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IReadOnlyList<IBenchmarkSection> AllSections() =>
        typeof(BenchmarkHarness).Assembly.GetTypes()
            .Where(t => typeof(IBenchmarkSection).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchmarkSection)Activator.CreateInstance(t)!)
            .OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>Runs the chosen sections and writes the JSON report; returns the results.</summary>
    public static IReadOnlyList<BenchmarkResult> Run(IReadOnlyList<string> only, string outPath, bool quick)
    {
        var sections = AllSections();
        var unknown = only.Except(sections.Select(s => s.Name)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown section(s) {string.Join(",", unknown)}; available: {string.Join(",", sections.Select(s => s.Name))}");
        var chosen = only.Count == 0 ? sections : sections.Where(s => only.Contains(s.Name)).ToList();
        var ctx = new BenchmarkContext { Quick = quick };
        var started = DateTime.UtcNow;
        foreach (var s in chosen)
        {
            Console.WriteLine($"[{s.Name}] {s.Description}");
            ctx.Section = s.Name;
            s.Run(ctx);
        }
        var report = new
        {
            Meta = new
            {
                Started = started.ToString("O"),
                Machine = Environment.MachineName,
                Cores = Environment.ProcessorCount,
                Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                TorchThreads = TorchSharp.torch.get_num_threads(),
                NativeHeap = MlNetHw.Torch.NativeHeap.Describe(),
                Quick = quick,
            },
            Results = ctx.Results,
        };
        MlNetHw.IO.AtomicFile.Write(outPath, stream => JsonSerializer.Serialize(stream, report, Json));
        Console.WriteLine($"wrote {Path.GetFullPath(outPath)}");
        return ctx.Results;
    }
}
