using System.Text.Json.Nodes;

namespace MlNetHw.Benchmarks;

/// <summary>
/// The peer figures (numpy / PyTorch versions of the same workloads) written by <c>shared/bench/peers.py</c>.
/// Looked up in this order: <c>$MLNETHW_PEERS</c> (point it at a peers.json measured in the same session as this run:
/// absolute times drift between sessions on a shared machine, ratios measured together do not), then
/// <c>shared/bench/peers.json</c> in the working directory or any folder above it (or beside it).
/// </summary>
public static class PeerFigures
{
    static readonly Lazy<(JsonNode? Root, string? Path)> Loaded = new(Load);

    /// <summary>The parsed peers.json, or null when none was found (sections then record figures without ratios).</summary>
    public static JsonNode? Root => Loaded.Value.Root;

    /// <summary>Where the figures came from (recorded in the output), or null.</summary>
    public static string? SourcePath => Loaded.Value.Path;

    /// <summary>The number at a path of keys (e.g. "rnn", "numpy_cs231n", "lstm_float32", "fwd_bwd", "median_ms"), or null.</summary>
    public static double? Number(params string[] keys)
    {
        JsonNode? node = Root;
        foreach (var k in keys) node = node?[k];
        return node is JsonValue v && v.TryGetValue<double>(out double d) ? d : null;
    }

    static (JsonNode?, string?) Load()
    {
        var candidates = new List<string?> { Environment.GetEnvironmentVariable("MLNETHW_PEERS") };
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, "shared", "bench", "peers.json"));
            candidates.Add(Path.Combine(dir.FullName, "..", "shared", "bench", "peers.json"));
        }
        foreach (var c in candidates)
            if (!string.IsNullOrEmpty(c) && File.Exists(c))
            {
                string full = Path.GetFullPath(c);
                Console.WriteLine($"  peers: {full}");
                return (JsonNode.Parse(File.ReadAllText(full)), full);
            }
        Console.WriteLine("  peers.json not found (set MLNETHW_PEERS); figures are recorded without peer ratios");
        return (null, null);
    }
}
