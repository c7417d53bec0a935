using MlNetHw.IO;
using System.Text.Json;

namespace MlNetHw.Homework;

/// <summary>A part's outcome as stored in <c>part{N}/result.json</c>: what the report is written from.</summary>
public sealed record PartRecord
{
    public required int Number { get; init; }
    public required string Title { get; init; }
    /// <summary>ok or failed.</summary>
    public required string Status { get; init; }
    public string? Error { get; init; }
    public double WallSeconds { get; init; }
    public required string Fingerprint { get; init; }
    public DateTime FinishedUtc { get; init; }
    public List<PartMetric> Metrics { get; init; } = new();
    public List<PartImage> Images { get; init; } = new();
    public List<string> Markdown { get; init; } = new();
    public Dictionary<string, string> Settings { get; init; } = new();
    /// <summary>See <see cref="PartResult.Usage"/>.</summary>
    public string? Usage { get; init; }
    /// <summary>True when this run reused an up-to-date earlier result instead of running the part.</summary>
    public bool Reused { get; init; }

    public bool Ok => Status == "ok";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

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
