using MlNetHw.IO;
using System.Text.Json;

namespace MlNetHw.Homework;

/// <summary>A part's outcome as stored in <c>part{N}/result.json</c>: what the report is written from.</summary>
public sealed record PartRecord
{
    /// <summary>The part number (1..6).</summary>
    public required int Number { get; init; }
    /// <summary>The part's heading, <see cref="IHomeworkPart.Title"/>.</summary>
    public required string Title { get; init; }
    /// <summary>ok or failed.</summary>
    public required string Status { get; init; }
    /// <summary>Exception type and message when <see cref="Status"/> is failed; null otherwise.</summary>
    public string? Error { get; init; }
    /// <summary>Time the part ran [s].</summary>
    public double WallSeconds { get; init; }
    /// <summary>Hash of the part's own fingerprint, size, seed, device, overrides and build; an equal one means the result is up to date.</summary>
    public required string Fingerprint { get; init; }
    /// <summary>When the part finished (UTC).</summary>
    public DateTime FinishedUtc { get; init; }
    /// <summary>See <see cref="PartResult.Metrics"/>.</summary>
    public List<PartMetric> Metrics { get; init; } = new();
    /// <summary>See <see cref="PartResult.Images"/>.</summary>
    public List<PartImage> Images { get; init; } = new();
    /// <summary>See <see cref="PartResult.Markdown"/>.</summary>
    public List<string> Markdown { get; init; } = new();
    /// <summary>See <see cref="PartResult.Settings"/>.</summary>
    public Dictionary<string, string> Settings { get; init; } = new();
    /// <summary>See <see cref="PartResult.Usage"/>.</summary>
    public string? Usage { get; init; }
    /// <summary>True when this run reused an up-to-date earlier result instead of running the part.</summary>
    public bool Reused { get; init; }

    /// <summary>True when <see cref="Status"/> is ok.</summary>
    public bool Ok => Status == "ok";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the record as indented JSON to <paramref name="path"/> (atomically).</summary>
    public void Save(string path) =>
        MlNetHw.IO.AtomicFile.Write(path, s => JsonSerializer.Serialize(s, this, Json));

    /// <summary>The record at <paramref name="path"/>, or null when it is missing or unreadable (then the part simply runs again).</summary>
    public static PartRecord? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<PartRecord>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
    }
}
