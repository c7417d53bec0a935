using MlNetHw.Runs;
using MlNetHw.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MlNetHw.Reporting;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

using MlNetHw.Recurrent;

namespace MlNetHw.RecurrentLayers;

/// <summary>Settings of <see cref="RecurrentLayersExperiment.Run"/> (homework parts 3 and 4).</summary>
public sealed class RecurrentLayersOptions
{
    /// <summary>
    /// Seed (default 0: every random draw, weights and data), device of the training demo (the gradient checks always
    /// run in float64 on the CPU), threads (default 1: the demo's and the checks' tensors are tiny, and extra threads
    /// only add synchronisation, 7x slower on a busy 2-core machine; 0 = libtorch's default), output folder (default
    /// out/recurrent-layers), quick (small sizes and a short demo) and log.
    /// </summary>
    public RunOptions Run { get; set; } = new() { Seed = 0, Threads = 1 };
    /// <summary>Run the gradient checks. Default true.</summary>
    public bool RunGradientChecks { get; set; } = true;
    /// <summary>Run the ManualLstm training demo. Default true.</summary>
    public bool RunDemo { get; set; } = true;
    /// <summary>Demo: optimizer steps. Default 400 (80 with <see cref="RunOptions.Quick"/>).</summary>
    public int? Iterations { get; set; }
    /// <summary>Demo: sequences per batch. Default 64.</summary>
    public int BatchSize { get; set; } = 64;
    /// <summary>Demo: LSTM hidden size. Default 64.</summary>
    public int HiddenSize { get; set; } = 64;
    /// <summary>Demo: word-vector size. Default 16.</summary>
    public int EmbeddingSize { get; set; } = 16;
    /// <summary>Demo: Adam learning rate. Default 1e-2.</summary>
    public double LearningRate { get; set; } = 1e-2;
    /// <summary>Demo task. Default vocabulary 10, T 12, lengths 5..12, delay 2.</summary>
    public DelayedCopyTask Task { get; set; } = new();

    internal int EffectiveIterations => Iterations ?? (Run.Quick ? 80 : 400);
    internal string Folder => Run.OutputDirectory ?? Path.Combine("out", "recurrent-layers");
}

/// <summary>What <see cref="RecurrentLayersExperiment.Run"/> measured and wrote.</summary>
public sealed record RecurrentLayersResult(
    IReadOnlyList<GradientCheckRow> Checks,
    IReadOnlyList<double> Losses,
    double? InitialLoss,
    double? FinalLoss,
    double? HeldOutAccuracy,
    double ChanceAccuracy,
    string? TablePath,
    string? LossCurvePath,
    string SummaryPath)
{
    /// <summary>True when every gradient check met its bound.</summary>
    public bool AllChecksPassed => Checks.All(c => c.Passed);
}

/// <summary>
/// Homework parts 3 and 4 as a runnable experiment: every gradient check of the hand-written layers as a table
/// (console and Markdown), then a ManualWordEmbedding → ManualLstm → ManualTemporalAffine → temporal softmax loss
/// model trained with Adam on <see cref="DelayedCopyTask"/> (masked, variable lengths), with its loss curve as PNG.
/// </summary>
public static class RecurrentLayersExperiment
{
    /// <summary>Runs the gradient checks and the ManualLstm demo (each unless switched off) and writes the tables and loss curve to the output folder.</summary>
    public static RecurrentLayersResult Run(RecurrentLayersOptions options)
    {
        options.Run.Validate();
        using var threads = options.Run.UseThreads();
        var device = TorchRuntime.ResolveDevice(options.Run.Device);
        // One run per folder: an interrupted or failed run never leaves files of two runs here (MlNetHw.IO.RunFolder).
        using var runFolder = RunFolder.Begin(options.Folder);
        var result = RunCore(options, device, options.Run.Log);
        runFolder.Commit();
        return result;
    }

    static RecurrentLayersResult RunCore(RecurrentLayersOptions options, Device device, TextWriter log)
    {
        log.WriteLine($"recurrent-layers: {options.Run.Describe()}");
        log.WriteLine(TorchRuntime.Describe(device));

        IReadOnlyList<GradientCheckRow> checks = Array.Empty<GradientCheckRow>();
        string? tablePath = null;
        if (options.RunGradientChecks)
        {
            var sizes = options.Run.Quick ? new RecurrentGradientChecks.Sizes(N: 3, T: 3, D: 3, H: 4, V: 5) : new RecurrentGradientChecks.Sizes();
            log.WriteLine($"gradient checks: float64, centred differences h=1e-5, sizes {sizes}");
            checks = RecurrentGradientChecks.All(options.Run.Seed, sizes);
            string table = FormatTable(checks);
            log.Write(table);
            tablePath = Path.Combine(options.Folder, "gradient-checks.md");
            File.WriteAllText(tablePath, "# Gradient checks of the hand-written recurrent layers\n\n" +
                $"float64, centred differences (h = 1e-5), seed {options.Run.Seed}, sizes {sizes}. Relative error = |a - n| / max(|a|, |n|) " +
                "over the whole gradient (Euclidean norms); the cs231n element-wise maximum is shown beside it.\n\n" + FormatMarkdown(checks));
            log.WriteLine($"{checks.Count(c => c.Passed)}/{checks.Count} checks passed; table: {tablePath}");
        }

        var losses = new List<double>();
        double? accuracy = null;
        string? curvePath = null;
        if (options.RunDemo)
        {
            (accuracy, curvePath) = TrainDemo(options, device, losses, log);
        }

        string summaryPath = Path.Combine(options.Folder, "summary.json");
        var result = new RecurrentLayersResult(checks, losses, losses.Count > 0 ? losses[0] : null,
            losses.Count > 0 ? losses.TakeLast(Math.Min(20, losses.Count)).Average() : null, accuracy,
            1.0 / (options.Task.Vocabulary - 1), tablePath, curvePath, summaryPath);
        AtomicFile.Write(summaryPath, s => JsonSerializer.Serialize(s, new
        {
            options.Run.Seed, options.Run.Quick, Task = options.Task, Iterations = options.RunDemo ? options.EffectiveIterations : 0,
            ChecksPassed = checks.Count(c => c.Passed), Checks = checks.Count,
            MaxNumericError = checks.Where(c => c.Method == "numeric").Select(c => c.RelativeError).DefaultIfEmpty().Max(),
            MaxAutogradError = checks.Where(c => c.Method == "autograd").Select(c => c.RelativeError).DefaultIfEmpty().Max(),
            result.InitialLoss, result.FinalLoss, HeldOutAccuracy = accuracy, result.ChanceAccuracy,
            Rows = checks,
        }, new JsonSerializerOptions { WriteIndented = true }));
        return result;
    }

    static (double accuracy, string curvePath) TrainDemo(RecurrentLayersOptions o, Device device, List<double> losses, TextWriter log)
    {
        var task = o.Task;
        int iterations = o.EffectiveIterations;
        log.WriteLine($"demo: ManualLstm on the delayed-copy task (vocabulary {task.Vocabulary}, T {task.T}, lengths {task.MinLength}..{task.T}, " +
                      $"delay {task.Delay}); embedding {o.EmbeddingSize}, hidden {o.HiddenSize}, batch {o.BatchSize}, Adam lr {o.LearningRate}, {iterations} steps");
        TorchRuntime.Seed(o.Run.Seed);
        using var embed = new ManualWordEmbedding(task.Vocabulary, o.EmbeddingSize, device: device);
        using var lstm = new ManualLstm(o.EmbeddingSize, o.HiddenSize, device: device);
        using var head = new ManualTemporalAffine(o.HiddenSize, task.Vocabulary, device: device);
        var parameters = embed.parameters().Concat(lstm.parameters()).Concat(head.parameters()).ToList();
        using var optimizer = torch.optim.Adam(parameters, o.LearningRate);
        var gen = new Generator((ulong)o.Run.Seed + 1);

        Tensor Scores(Tensor x, Tensor mask)
        {
            var h0 = torch.zeros(new long[] { x.shape[0], o.HiddenSize }, device: device);
            return head.forward(lstm.forward(embed.forward(x), h0, mask));
        }

        var progress = new TextProgressBar("train", iterations, log);
        for (int it = 1; it <= iterations; it++)
        {
            using var scope = torch.NewDisposeScope();
            var (x, y, inputMask, lossMask) = task.Batch(o.BatchSize, gen, device);
            optimizer.zero_grad();
            var loss = ManualLosses.TemporalSoftmaxLoss(Scores(x, inputMask), y, lossMask);
            loss.backward();
            optimizer.step();
            double value = loss.item<float>();
            if (!double.IsFinite(value)) throw new InvalidOperationException($"the loss became {value} at step {it}; lower the learning rate.");
            losses.Add(value);
            progress.Report(it, $"loss {value:0.0000}");
        }

        double accuracy;
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            var (x, y, inputMask, lossMask) = task.Batch(1000, new Generator((ulong)o.Run.Seed + 1_000_003), device);
            var predicted = Scores(x, inputMask).argmax(2);
            var correct = predicted.eq(y).logical_and(lossMask).sum().item<long>();
            accuracy = correct / (double)lossMask.sum().item<long>();
        }
        log.WriteLine($"demo: loss {losses[0]:0.000} -> {losses.TakeLast(20).Average():0.000} (mean of the last 20 steps); " +
                      $"held-out token accuracy {accuracy:P1} (chance {1.0 / (task.Vocabulary - 1):P1})");

        string curvePath = Path.Combine(o.Folder, "lstm-demo-loss.png");
        new LineChart { Title = "ManualLstm, delayed-copy task: training loss", XLabel = "step", YLabel = "temporal softmax loss", LogY = true }
            .Add("loss", losses).SavePng(curvePath);
        log.WriteLine($"loss curve: {curvePath}");
        return (accuracy, curvePath);
    }

    /// <summary>The console table: layer, parameter, method, relative error, cs231n element-wise max, bound, pass/fail.</summary>
    public static string FormatTable(IReadOnlyList<GradientCheckRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"layer",-24} {"parameter",-15} {"method",-9} {"rel. error",11} {"elem. max",11} {"bound",8}  result");
        foreach (var r in rows)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Layer,-24} {r.Parameter,-15} {r.Method,-9} {r.RelativeError,11:0.00E+00} {r.MaxElementwiseError,11:0.00E+00} {r.Tolerance,8:0E+00}  {(r.Passed ? "pass" : "FAIL")}"));
        return sb.ToString();
    }

    static string FormatMarkdown(IReadOnlyList<GradientCheckRow> rows)
    {
        var sb = new StringBuilder("| layer | parameter | method | relative error | cs231n element-wise max | bound | result |\n|---|---|---|---:|---:|---:|---|\n");
        foreach (var r in rows)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Layer} | {r.Parameter} | {r.Method} | {r.RelativeError:0.00E+00} | {r.MaxElementwiseError:0.00E+00} | {r.Tolerance:0E+00} | {(r.Passed ? "pass" : "**FAIL**")} |"));
        return sb.ToString();
    }
}
