using System.Diagnostics;
using System.Runtime.CompilerServices;
using MlNetHw.MlNet.Training;

namespace MlNetHw.IO;

/// <summary>
/// Writers that are a terminal, where progress bars redraw in place. The library never looks at the console itself:
/// the command line (MlNetHw.Cli) registers its standard error writer here when that is not redirected.
/// </summary>
public static class InteractiveWriters
{
    static readonly ConditionalWeakTable<TextWriter, object> Registered = new();

    /// <summary>Marks <paramref name="writer"/> as a terminal.</summary>
    public static void Register(TextWriter writer) => Registered.AddOrUpdate(writer, Registered);

    /// <summary>True when <paramref name="writer"/> was registered as a terminal.</summary>
    public static bool IsInteractive(TextWriter? writer) => writer is not null && Registered.TryGetValue(writer, out _);
}

/// <summary>
/// A one-line progress bar with rate and ETA: <c>[#####-----] 50/100  12.3 it/s  ETA 00:04  loss 0.512</c>, written to a
/// <see cref="TextWriter"/>. Redraws in place on a terminal (<see cref="InteractiveWriters"/>); elsewhere (CI, log files)
/// it prints a plain line at most every <see cref="PlainInterval"/> so logs stay readable.
/// </summary>
public sealed class TextProgressBar
{
    readonly string _label;
    readonly long _total;
    readonly TextWriter _out;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly bool _interactive;
    TimeSpan? _lastPlain;
    // The rate is measured from the first report on: a bar created when the first item is already done (a trainer
    // reporting after its first batch) would otherwise show that item as done in no time, at an absurd rate.
    (long Done, TimeSpan Elapsed)? _firstReport;
    int _lastWidth;

    /// <summary>Minimum time between two lines when the output is not a terminal.</summary>
    public TimeSpan PlainInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Optional unit shown after the rate ("it", "img", "B").</summary>
    public string Unit { get; init; } = "it";

    /// <param name="label">Text in front of the bar.</param>
    /// <param name="total">Items planned.</param>
    /// <param name="output">Writer (null: nothing is written).</param>
    public TextProgressBar(string label, long total, TextWriter? output)
    {
        _label = label;
        _total = Math.Max(1, total);
        _out = output ?? TextWriter.Null;
        _interactive = InteractiveWriters.IsInteractive(output);
    }

    /// <summary>Elapsed time since the bar was created.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>True when the bar redraws in place (its writer is a terminal).</summary>
    public bool Interactive => _interactive;

    /// <summary>Shows <paramref name="done"/> of the total with an optional status text (e.g. "loss 0.51 acc 0.93").</summary>
    public void Report(long done, string? status = null)
    {
        var elapsed = _clock.Elapsed;
        _firstReport ??= (done, elapsed);
        bool finished = done >= _total;
        if (!_interactive && !finished && _lastPlain is { } last && elapsed - last < PlainInterval) return;
        _lastPlain = elapsed;
        string line = Format(done, elapsed, status);
        if (_interactive)
        {
            _out.Write("\r" + line.PadRight(_lastWidth));
            _lastWidth = line.Length;
            if (finished) _out.WriteLine();
        }
        else _out.WriteLine(line);
    }

    /// <summary>The text of one progress line (public for tests and for callers that log elsewhere).</summary>
    public string Format(long done, TimeSpan elapsed, string? status)
    {
        const int width = 24;
        double frac = Math.Clamp(done / (double)_total, 0, 1);
        int filled = (int)Math.Round(frac * width);
        var (baseDone, baseElapsed) = _firstReport is { } f && f.Done > 0 ? f : (0L, TimeSpan.Zero);
        double seconds = (elapsed - baseElapsed).TotalSeconds;
        double rate = seconds > 0 && done > baseDone ? (done - baseDone) / seconds : 0;
        string eta = rate > 0 && done < _total ? FormatTime(TimeSpan.FromSeconds((_total - done) / rate)) : "--:--";
        string rateText = Unit == "B" ? $"{FormatBytes(rate)}/s" : $"{rate:0.0} {Unit}/s";
        return $"{_label} [{new string('#', filled)}{new string('-', width - filled)}] {done}/{_total} {rateText} elapsed {FormatTime(elapsed)} ETA {eta}" +
               (string.IsNullOrEmpty(status) ? "" : "  " + status);
    }

    /// <summary>mm:ss, or h:mm:ss past an hour.</summary>
    public static string FormatTime(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes:00}:{t.Seconds:00}";

    /// <summary>Human-readable byte count (1.5 MB).</summary>
    public static string FormatBytes(double bytes)
    {
        string[] units = { "B", "KB", "MB", "GB" };
        int u = 0;
        while (bytes >= 1024 && u < units.Length - 1) { bytes /= 1024; u++; }
        return $"{bytes:0.0} {units[u]}";
    }
}

/// <summary>
/// Renders training progress on a <see cref="TextWriter"/>: a <see cref="TextProgressBar"/> over all batches on a
/// terminal (keeping each epoch's final line), one full line per epoch in a log.
/// </summary>
public sealed class TextTrainingProgress : IProgress<TrainingProgress>
{
    readonly string _label;
    readonly TextWriter _output;
    TextProgressBar? _bar;

    /// <param name="label">Text in front of the bar (e.g. "train").</param>
    /// <param name="output">Writer (null: nothing is written).</param>
    public TextTrainingProgress(string label, TextWriter? output)
    {
        _label = label;
        _output = output ?? TextWriter.Null;
    }

    /// <summary>Advances the bar to the step of <paramref name="value"/>; in a log (not a terminal) writes one line per epoch end instead.</summary>
    public void Report(TrainingProgress value)
    {
        _bar ??= new TextProgressBar(_label, value.TotalSteps, _output) { Unit = "batch" };
        if (value.EpochEnd && !_bar.Interactive)
        {
            // Logs keep one full line per epoch, whatever the bar's rate limit skipped.
            _output.WriteLine($"{_label} {value}");
            return;
        }
        _bar.Report(value.GlobalStep, value.Describe(withEta: false)); // the bar shows its own ETA
        if (value.EpochEnd && value.GlobalStep < value.TotalSteps)
            _output.WriteLine(); // on a terminal, keep each epoch's final line on screen
    }
}
