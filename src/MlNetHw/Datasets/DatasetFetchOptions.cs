namespace MlNetHw.Datasets;

/// <summary>How <see cref="DatasetCatalog.Resolve"/> finds, fetches and reports a dataset.</summary>
public sealed record DatasetFetchOptions
{
    /// <summary>Cache root (<c>--data-dir</c>). Default: <c>$MLNETHW_DATA</c>, else <c>$XDG_CACHE_HOME/mlnethw</c>,
    /// else <c>~/.cache/mlnethw</c>.</summary>
    public string? DataDir { get; init; }

    /// <summary>A local copy the user already has, tried before every other source: a folder with the final layout
    /// (returned as is, not copied) or an archive (.zip, .tar.gz, .tgz, .deb) that a source of the dataset knows how to
    /// convert.</summary>
    public string? LocalPath { get; init; }

    /// <summary>Where progress and source attempts are written. Default: the console.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Time allowed to open a connection (DNS + TCP + TLS). Kept short so that machines without internet fall
    /// through to the next source quickly. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A download that receives no byte for this long is treated as dropped and resumed. Default 30 s.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per downloaded file (the first try plus resumes after dropped connections). Default 4.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Source types allowed (url, npm, apt, dataset); null allows all. Tests use it to stay off the package clients.</summary>
    public IReadOnlyCollection<string>? AllowedSourceTypes { get; init; }

    /// <summary>Re-fetch even when the cache already holds a complete copy.</summary>
    public bool Force { get; init; }

    /// <summary>The cache root these options select.</summary>
    public string ResolveCacheRoot()
    {
        if (!string.IsNullOrEmpty(DataDir)) return Path.GetFullPath(DataDir);
        string? env = Environment.GetEnvironmentVariable("MLNETHW_DATA");
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return Path.Combine(Path.GetFullPath(xdg), "mlnethw");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "mlnethw");
    }

    internal TextWriter Writer => Log ?? TextWriter.Null;
}

/// <summary>A source could not deliver the dataset (network error, 404, checksum mismatch, missing package client).
/// The catalog then tries the next source.</summary>
public sealed class DatasetSourceException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No source could deliver the dataset; the message lists what each one said.</summary>
public sealed class DatasetUnavailableException(string message) : Exception(message);

/// <summary>A downloaded or converted file does not have the sha256 the manifest pins. The file has been removed.</summary>
public sealed class ChecksumMismatchException(string message) : Exception(message);
