using System.Text.Json;

namespace MlNetHw.Datasets;

/// <summary>
/// The cheap check of a cached dataset on every use: each file the manifest lists must be there with the size it had
/// when it was verified; when its size or modification time differs from the stamp stored beside it
/// (<see cref="StampFile"/>), its full sha256 is computed again (a touched but intact file gets a new stamp; a changed
/// one is a problem). Folder file counts are checked too. A cache without a stamp (an older fetch) is hashed once.
/// </summary>
internal static class CacheStamp
{
    /// <summary>Name of the stamp file in the dataset's cache folder.</summary>
    public const string StampFile = ".mlnethw-stamp.json";

    sealed record Entry(long Size, long WriteTicks);

    /// <summary>The problems found (empty: the cache can be used); refreshes the stamp of intact files.</summary>
    public static List<string> Check(DatasetManifest manifest, string folder)
    {
        var stamp = Read(folder);
        bool changed = false;
        var problems = new List<string>();
        foreach (var f in manifest.Files)
        {
            string path = Path.Combine(folder, f.Path);
            var info = new FileInfo(path);
            if (!info.Exists) { problems.Add($"missing file {f.Path}"); continue; }
            if (f.Size is long size && size != info.Length) { problems.Add($"{f.Path}: {info.Length} bytes, expected {size}"); continue; }
            var now = new Entry(info.Length, info.LastWriteTimeUtc.Ticks);
            if (stamp.TryGetValue(f.Path, out var known) && known == now) continue;
            if (!FileHashing.Matches(path, f.Sha256, out string actual)) { problems.Add($"{f.Path}: sha256 {actual}, expected {f.Sha256}"); continue; }
            stamp[f.Path] = now;
            changed = true;
        }
        foreach (var d in manifest.Folders)
        {
            string path = Path.Combine(folder, d.Path);
            if (!Directory.Exists(path)) { problems.Add($"missing folder {d.Path}"); continue; }
            if (d.Count is int expected)
            {
                int count = Directory.EnumerateFiles(path).Count(p => !Path.GetFileName(p).StartsWith('.'));
                if (count != expected) problems.Add($"{d.Path}: {count} files, expected {expected}");
            }
        }
        if (problems.Count == 0 && changed) Write(folder, stamp);
        return problems;
    }

    /// <summary>Records the current size and time of every listed file (right after a full verification).</summary>
    public static void WriteFresh(DatasetManifest manifest, string folder)
    {
        var stamp = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var f in manifest.Files)
        {
            var info = new FileInfo(Path.Combine(folder, f.Path));
            if (info.Exists) stamp[f.Path] = new Entry(info.Length, info.LastWriteTimeUtc.Ticks);
        }
        Write(folder, stamp);
    }

    static Dictionary<string, Entry> Read(string folder)
    {
        try
        {
            string path = Path.Combine(folder, StampFile);
            if (!File.Exists(path)) return new(StringComparer.Ordinal);
            return new(JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllText(path)) ?? new(), StringComparer.Ordinal);
        }
        catch (JsonException) { return new(StringComparer.Ordinal); } // a damaged stamp: everything is hashed again
    }

    static void Write(string folder, Dictionary<string, Entry> stamp)
    {
        try { MlNetHw.IO.AtomicFile.Write(Path.Combine(folder, StampFile), s => JsonSerializer.Serialize(s, stamp)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a read-only cache is still checked, just not stamped
    }
}
