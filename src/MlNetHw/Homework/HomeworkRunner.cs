using MlNetHw.Runs;
using MlNetHw.IO;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MlNetHw.Reporting;

namespace MlNetHw.Homework;

/// <summary>Settings of one run of the main job.</summary>
public sealed class HomeworkOptions
{
    /// <summary>Seed (default 1), device, threads, report folder (default <c>out/homework</c>) and log, handed to every part.</summary>
    public RunOptions Run { get; init; } = new() { Seed = 1 };
    /// <summary>The report folder, full path (<see cref="Run"/>'s, or <c>out/homework</c>).</summary>
    public string ReportFolder => Path.GetFullPath(Run.OutputDirectory ?? Path.Combine("out", "homework"));
    /// <summary>How big a run this is: tiny, quick or full [Quick].</summary>
    public RunSize Size { get; init; } = RunSize.Quick;
    /// <summary>Part numbers to run (empty: all).</summary>
    public IReadOnlyList<int> Parts { get; init; } = Array.Empty<int>();
    /// <summary>Run parts even when their earlier result is up to date.</summary>
    public bool Force { get; init; }
    /// <summary>Dataset cache folder override (null: the catalog's default).</summary>
    public string? DataDirectory { get; init; }
    /// <summary>Per-part data overrides from <c>--set key=value</c>, handed to every part as <see cref="PartContext.Overrides"/>.</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Runs the homework's parts one after another, isolating failures (a failed part is reported with its error and
/// the others still run), skipping parts whose stored result is up to date, and writing the report.
/// </summary>
public static class HomeworkRunner
{
    /// <summary>Runs the selected parts and writes <c>report.md</c>/<c>report.html</c>; returns every part's record.</summary>
    public static IReadOnlyList<PartRecord> Run(HomeworkOptions options, IReadOnlyList<IHomeworkPart> allParts)
    {
        var unknown = options.Parts.Where(p => allParts.All(x => x.Number != p)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"--parts: no part {string.Join(",", unknown)}; the parts are {string.Join(",", allParts.Select(p => p.Number))}.");
        var validKeys = allParts.SelectMany(p => p.OverrideKeys).Distinct().Order(StringComparer.Ordinal).ToList();
        var unknownKeys = options.Overrides.Keys.Where(k => !validKeys.Contains(k)).ToList();
        if (unknownKeys.Count > 0)
            throw new ArgumentException($"--set: unknown key(s) {string.Join(", ", unknownKeys)}; the keys are {string.Join(", ", validKeys)}.");
        var parts = allParts.Where(p => options.Parts.Count == 0 || options.Parts.Contains(p.Number)).OrderBy(p => p.Number).ToList();
        options.Run.Validate();
        string outDir = options.ReportFolder;
        // One run per folder (MlNetHw.IO.RunFolder): the earlier run's parts are carried into the new folder (an up-to-date
        // part is skipped, a rerun part's folder is replaced), and the reports are written anew; an interrupted or failed
        // job leaves the earlier complete folder, never a mixture of the two runs' reports and models.
        using var runFolder = RunFolder.Begin(outDir, carryOver: name => name is not ("report.md" or "report.html"));
        var log = options.Run.Log;
        log.WriteLine($"MlNetHw homework: size={options.Size} {options.Run.Describe()} parts={string.Join(",", parts.Select(p => p.Number))} out={outDir}");

        var clock = Stopwatch.StartNew();
        double plannedMinutes = parts.Sum(p => p.QuickMinutes), doneMinutes = 0;
        var records = new List<PartRecord>();
        for (int i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            string partDir = Path.Combine(outDir, $"part{part.Number}");
            Directory.CreateDirectory(partDir);
            var context = new PartContext
            {
                // Quick is off: the size decides each part's sizes.
                Run = options.Run with { OutputDirectory = partDir, Quick = false }, Size = options.Size,
                DataDirectory = options.DataDirectory, Overrides = options.Overrides,
                Progress = MakeProgress(log, part, i, parts.Count, clock, doneMinutes, plannedMinutes),
            };
            string fingerprint = Fingerprint(part, context);
            string recordPath = Path.Combine(partDir, "result.json");
            var earlier = PartRecord.TryLoad(recordPath);
            if (!options.Force && earlier is { Ok: true } && earlier.Fingerprint == fingerprint)
            {
                log.WriteLine($"== part {part.Number}/{parts.Count}: {part.Title}: up to date (finished {earlier.FinishedUtc:u}), skipped; --force reruns it");
                records.Add(earlier with { Reused = true });
            }
            else
            {
                log.WriteLine($"== part {part.Number}: {part.Title} ({i + 1} of {parts.Count}), elapsed {TextProgressBar.FormatTime(clock.Elapsed)}");
                // A rerun part starts from an empty folder: none of its earlier files stay beside the new ones.
                Directory.Delete(partDir, recursive: true);
                Directory.CreateDirectory(partDir);
                var record = RunOne(part, context, fingerprint, log);
                record.Save(recordPath);
                records.Add(record);
            }
            doneMinutes += part.QuickMinutes;
            WriteReports(outDir, options, records, clock.Elapsed); // after every part, so a crash later loses nothing
        }
        runFolder.Commit();
        log.WriteLine($"report: {Path.Combine(outDir, "report.md")} ({records.Count(r => r.Ok)} ok, {records.Count(r => !r.Ok)} failed, {TextProgressBar.FormatTime(clock.Elapsed)})");
        return records;
    }

    static PartRecord RunOne(IHomeworkPart part, PartContext context, string fingerprint, TextWriter log)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var result = part.Run(context);
            log.WriteLine($"   part {part.Number} ok in {watch.Elapsed.TotalSeconds:0.0} s");
            return new PartRecord
            {
                Number = part.Number, Title = part.Title, Status = "ok", WallSeconds = watch.Elapsed.TotalSeconds,
                Fingerprint = fingerprint, FinishedUtc = DateTime.UtcNow, Metrics = result.Metrics,
                Images = result.Images.Select(img => img with { Path = Relative(context.OutputDirectory, img.Path) }).ToList(),
                Markdown = result.Markdown, Settings = result.Settings, Usage = result.Usage,
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // libtorch errors carry a native stack trace of dozens of lines: the report keeps the message itself.
            string message = string.Join(Environment.NewLine, e.Message.Split('\n').Take(3)).TrimEnd();
            log.WriteLine($"   part {part.Number} FAILED after {watch.Elapsed.TotalSeconds:0.0} s: {e.GetType().Name}: {message}");
            return new PartRecord
            {
                Number = part.Number, Title = part.Title, Status = "failed", Error = $"{e.GetType().Name}: {message}",
                WallSeconds = watch.Elapsed.TotalSeconds, Fingerprint = fingerprint, FinishedUtc = DateTime.UtcNow,
            };
        }
    }

    /// <summary>Image paths are stored relative to the report folder (the parent of the part's folder).</summary>
    static string Relative(string partDir, string path)
    {
        string reportDir = Path.GetDirectoryName(Path.GetFullPath(partDir))!;
        return Path.GetRelativePath(reportDir, Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(partDir, path))).Replace('\\', '/');
    }

    static Action<double, string> MakeProgress(TextWriter log, IHomeworkPart part, int index, int count, Stopwatch clock, double doneMinutes, double plannedMinutes)
    {
        TimeSpan? last = null;
        return (fraction, status) =>
        {
            if (last is { } l && clock.Elapsed - l < TimeSpan.FromSeconds(10) && fraction < 1) return;
            last = clock.Elapsed;
            double done = doneMinutes + part.QuickMinutes * Math.Clamp(fraction, 0, 1);
            string eta = done > 0 ? TextProgressBar.FormatTime(TimeSpan.FromMinutes(Math.Max(0, clock.Elapsed.TotalMinutes / done * plannedMinutes - clock.Elapsed.TotalMinutes))) : "--:--";
            log.WriteLine($"   [part {part.Number} {index + 1}/{count} {fraction * 100:0}%] {status}  elapsed {TextProgressBar.FormatTime(clock.Elapsed)} ETA {eta}");
        };
    }

    /// <summary>A part's result is up to date when its settings, the run size, the seed and the compiled code are the same.</summary>
    static string Fingerprint(IHomeworkPart part, PartContext context)
    {
        string text = string.Join("|", part.Fingerprint(context), context.Size, context.Run.Seed, context.Run.Device,
            string.Join(";", context.Overrides.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value)),
            part.GetType().Assembly.ManifestModule.ModuleVersionId);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    static void WriteReports(string outDir, HomeworkOptions options, IReadOnlyList<PartRecord> records, TimeSpan elapsed)
    {
        var md = ReportWriter.Markdown(records, options, elapsed);
        MlNetHw.IO.AtomicFile.Write(Path.Combine(outDir, "report.md"), s => { using var w = new StreamWriter(s); w.Write(md); });
        var html = ReportWriter.Html(md, outDir);
        MlNetHw.IO.AtomicFile.Write(Path.Combine(outDir, "report.html"), s => { using var w = new StreamWriter(s); w.Write(html); });
    }
}
