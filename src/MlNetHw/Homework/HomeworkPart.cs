using MlNetHw.Runs;

namespace MlNetHw.Homework;

/// <summary>How big a run of the main job is.</summary>
public enum RunSize
{
    /// <summary>Seconds per part: for tests of the main job itself; the numbers mean little.</summary>
    Tiny,
    /// <summary>The README default: the whole homework in at most 30 minutes on 2 CPU cores.</summary>
    Quick,
    /// <summary>The homework's reference settings (hours on a CPU).</summary>
    Full,
}

/// <summary>What a part gets to run with.</summary>
public sealed class PartContext
{
    /// <summary>Seed, device, threads, log and cancellation of the main job, with the part's own output folder.</summary>
    public required RunOptions Run { get; init; }
    /// <summary>The part's own output folder (inside the report folder): <see cref="Run"/>'s.</summary>
    public string OutputDirectory => Run.OutputDirectory!;
    /// <summary>How big a run this is (tiny, quick or full); each part picks its settings from it.</summary>
    public required RunSize Size { get; init; }
    /// <summary>Dataset cache folder override (null: the catalog's default).</summary>
    public string? DataDirectory { get; init; }
    /// <summary>Per-part data overrides from the command line, e.g. "text.data" → a folder (tests use it to run on their own files).</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; init; } = new Dictionary<string, string>();
    /// <summary>Receives (fraction done 0..1, status line) while the part runs.</summary>
    public Action<double, string> Progress { get; init; } = (_, _) => { };

    /// <summary>An override from <c>--set key=value</c>, or null.</summary>
    public string? Override(string key) => Overrides.TryGetValue(key, out var v) ? v : null;
}

/// <summary>
/// One figure of a part's results, shown next to the homework key's reference where there is one. Headline metrics
/// (every model's main number) are also shown in the report's summary table.
/// </summary>
public sealed record PartMetric(string Name, double Value, string? Reference = null, string Format = "0.0000", bool Headline = false);

/// <summary>An image the report shows (path relative to the report folder once the report is written).</summary>
public sealed record PartImage(string Path, string Caption);

/// <summary>What a part produced: numbers, images, extra Markdown, and the settings it ran with.</summary>
public sealed class PartResult
{
    /// <summary>Figures of the results, in the order the report shows them.</summary>
    public List<PartMetric> Metrics { get; } = new();
    /// <summary>Images (charts, sheets) the report shows, in order.</summary>
    public List<PartImage> Images { get; } = new();
    /// <summary>Markdown blocks (tables, caption samples) placed under the metrics.</summary>
    public List<string> Markdown { get; } = new();
    /// <summary>The settings the part ran with (name → value), listed in the report.</summary>
    public Dictionary<string, string> Settings { get; } = new();
    /// <summary>Markdown for "how to use these models": the exact command or code that loads what the part saved.</summary>
    public string? Usage { get; set; }
}

/// <summary>One of the homework's six parts as the main job runs it.</summary>
public interface IHomeworkPart
{
    /// <summary>The number used by <c>--parts</c> (1..6).</summary>
    int Number { get; }
    /// <summary>The part's heading in the report and log.</summary>
    string Title { get; }
    /// <summary>A rough share of the whole quick run's time, for the overall ETA.</summary>
    double QuickMinutes { get; }
    /// <summary>The <c>--set key=value</c> keys this part reads through <see cref="PartContext.Override"/> (none by default).</summary>
    IReadOnlyList<string> OverrideKeys => Array.Empty<string>();
    /// <summary>The settings that decide whether an earlier result is still up to date (besides size, seed and code version).</summary>
    string Fingerprint(PartContext context);
    /// <summary>Runs the part, writing its files to <see cref="PartContext.OutputDirectory"/>; throws when it fails.</summary>
    PartResult Run(PartContext context);
}
