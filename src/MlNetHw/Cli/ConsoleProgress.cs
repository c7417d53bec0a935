using System.Diagnostics;

namespace MlNetHw.Cli;

/// <summary>
/// A one-line progress bar with rate and ETA: <c>[#####-----] 50/100  12.3 it/s  ETA 00:04  loss 0.512</c>.
/// Redraws in place on a terminal; when output is redirected (CI, log files) it prints a plain line at most
/// every <see cref="PlainInterval"/> so logs stay readable.
/// </summary>
public sealed class ConsoleProgress
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

    public ConsoleProgress(string label, long total, TextWriter? output = null)
    {
        _label = label;
        _total = Math.Max(1, total);
        _out = output ?? Console.Out;
        _interactive = output is null && !Console.IsOutputRedirected;
    }

    /// <summary>Elapsed time since the bar was created.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

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
