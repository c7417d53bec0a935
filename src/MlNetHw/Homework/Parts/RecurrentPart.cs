using System.Globalization;
using System.Text;
using MlNetHw.Recurrent;
using MlNetHw.Torch;

namespace MlNetHw.Homework.Parts;

/// <summary>
/// Parts 3 (RNN) and 4 (LSTM): the gradient checks of the hand-written layers, as the homework checks its code.
/// One class serves both parts; they differ only in which layers they check (step, sequence, masked sequence).
/// </summary>
public sealed class RecurrentPart(int number, string title, string layerPrefix,
    Func<int, RecurrentGradientChecks.Sizes, IEnumerable<GradientCheckRow>> checks) : IHomeworkPart
{
    /// <summary>Part 3: gradient checks of the RNN step, sequence and masked-sequence layers.</summary>
    public static RecurrentPart Rnn() => new(3, "RNN: hand-written forward and backward, gradient checks", "Rnn",
        (seed, s) => RecurrentGradientChecks.RnnStep(seed, s)
            .Concat(RecurrentGradientChecks.RnnSequence(seed, s, masked: false))
            .Concat(RecurrentGradientChecks.RnnSequence(seed, s, masked: true)));
    /// <summary>Part 4: gradient checks of the LSTM step, sequence and masked-sequence layers.</summary>
    public static RecurrentPart Lstm() => new(4, "LSTM: hand-written forward and backward, gradient checks", "Lstm",
        (seed, s) => RecurrentGradientChecks.LstmStep(seed, s)
            .Concat(RecurrentGradientChecks.LstmSequence(seed, s, masked: false))
            .Concat(RecurrentGradientChecks.LstmSequence(seed, s, masked: true)));

    /// <inheritdoc/>
    public int Number => number;
    /// <inheritdoc/>
    public string Title => title;
    /// <inheritdoc/>
    public double QuickMinutes => 0.3;

    static RecurrentGradientChecks.Sizes SizesFor(RunSize size) =>
        size == RunSize.Tiny ? new RecurrentGradientChecks.Sizes(N: 3, T: 3, D: 3, H: 4, V: 5) : new RecurrentGradientChecks.Sizes();

    /// <inheritdoc/>
    public string Fingerprint(PartContext context) => $"{layerPrefix}|{SizesFor(context.Size)}";

    /// <inheritdoc/>
    public PartResult Run(PartContext context)
    {
        TorchRuntime.EnsureLoaded();
        var sizes = SizesFor(context.Size);
        context.Progress(0, "gradient checks (float64, centred differences h=1e-5, and TorchSharp autograd)");
        // Only this part's layers are checked: part 3 does not pay for the LSTM checks, nor part 4 for the RNN's.
        var rows = checks(context.Run.Seed, sizes).ToList();
        if (rows.Count == 0) throw new InvalidOperationException($"no gradient checks found for layers '{layerPrefix}*'.");
        context.Progress(1, $"{rows.Count(r => r.Passed)}/{rows.Count} checks passed");

        var result = new PartResult();
        var numeric = rows.Where(r => r.Method == "numeric").ToList();
        var autograd = rows.Where(r => r.Method == "autograd").ToList();
        result.Metrics.Add(new PartMetric("gradient checks passed", rows.Count(r => r.Passed), $"all {rows.Count}", "0"));
        result.Metrics.Add(new PartMetric("max relative error vs numeric gradient", numeric.Max(r => r.RelativeError), "< 1e-7 (cs231n: good)", "0.00E+00"));
        if (autograd.Count > 0)
            result.Metrics.Add(new PartMetric("max relative error vs TorchSharp autograd", autograd.Max(r => r.RelativeError), "< 1e-10", "0.00E+00"));

        var table = new StringBuilder();
        table.AppendLine("| layer | gradient | against | relative error | bound | result |");
        table.AppendLine("| --- | --- | --- | ---: | ---: | --- |");
        foreach (var r in rows)
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Layer} | {r.Parameter} | {r.Method} | {r.RelativeError:0.00E+00} | {r.Tolerance:0E+00} | {(r.Passed ? "pass" : "**FAIL**")} |"));
        result.Markdown.Add(table.ToString());
        result.Settings["sizes"] = sizes.ToString();
        result.Settings["dtype"] = "float64";
        result.Settings["seed"] = context.Run.Seed.ToString(CultureInfo.InvariantCulture);
        result.Usage = "This part checks code and saves no model. The checked layers are in the library (`MlNetHw.Recurrent`: " +
                       "`ManualRnn`, `ManualLstm`, `ManualWordEmbedding`, `ManualTemporalAffine`); parts 5 and 6 use them. The delayed-copy " +
                       "demo that trains them end to end, with its loss curve, is `dotnet run -c Release --project pipelines/RecurrentLayers -- --out DIR`.";
        if (rows.Any(r => !r.Passed))
            throw new InvalidOperationException($"{rows.Count(r => !r.Passed)} gradient check(s) failed: " +
                string.Join(", ", rows.Where(r => !r.Passed).Select(r => $"{r.Layer} {r.Parameter} {r.RelativeError:E2}")));
        return result;
    }
}
