using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetHw.Datasets;

/// <summary>
/// One dataset of the catalog, as described by <c>datasets/&lt;id&gt;.json</c>: what it is, under which licence,
/// the files of its final layout (with sha256 where the bytes are reproducible) and the ordered sources that can
/// produce that layout.
/// </summary>
public sealed class DatasetManifest
{
    /// <summary>Catalog id, e.g. <c>fashion-mnist-2class</c>; also the name of its cache folder.</summary>
    public string Id { get; init; } = "";
    /// <summary>One line saying what the data is.</summary>
    public string Description { get; init; } = "";
    /// <summary>Licence of the data itself (not of the package that ships it).</summary>
    public string Licence { get; init; } = "";
    /// <summary>Total bytes of the final files, when known.</summary>
    public long? Size { get; init; }
    /// <summary>Layout kind: image-folder, idx, images, labelled-sentences, glove-text.</summary>
    public string Format { get; init; } = "";
    /// <summary>Item counts people care about, e.g. <c>{"train": 244, "val": 153}</c>.</summary>
    public Dictionary<string, long> Items { get; init; } = new();
    /// <summary>Files of the final layout. A null sha256 means only presence is checked.</summary>
    public List<DatasetFile> Files { get; init; } = new();
    /// <summary>Folders of the final layout, with the number of files expected in each when fixed.</summary>
    public List<DatasetFolder> Folders { get; init; } = new();
    /// <summary>Where the data comes from, tried in order after a user-given local path.</summary>
    public List<DatasetSource> Sources { get; init; } = new();

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>Parses and validates a manifest; <paramref name="origin"/> names it in error messages.</summary>
    public static DatasetManifest Parse(string json, string origin)
    {
        DatasetManifest? m;
        try { m = JsonSerializer.Deserialize<DatasetManifest>(json, JsonOptions); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin}: not a valid dataset manifest (line {e.LineNumber + 1}): {e.Message}", e);
        }
        if (m is null) throw new InvalidDataException($"{origin}: empty manifest.");
        m.Validate(origin);
        return m;
    }

    /// <summary>The manifest as indented JSON (what <c>datasets hash</c> prints).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    void Validate(string origin)
    {
        if (string.IsNullOrWhiteSpace(Id) || Id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new InvalidDataException($"{origin}: 'id' must be letters, digits, '-', '_' or '.' (got '{Id}').");
        if (Sources.Count == 0) throw new InvalidDataException($"{origin}: dataset '{Id}' has no 'sources'.");
        for (int i = 0; i < Sources.Count; i++)
        {
            var s = Sources[i];
            string where = $"{origin}: sources[{i}]";
            switch (s.Type)
            {
                case "url":
                    if (s.Downloads.Count == 0) throw new InvalidDataException($"{where}: a 'url' source needs 'downloads'.");
                    foreach (var d in s.Downloads)
                        if (string.IsNullOrEmpty(d.Url) || string.IsNullOrEmpty(d.Name))
                            throw new InvalidDataException($"{where}: every download needs 'url' and 'name'.");
                    break;
                case "npm":
                case "apt":
                    if (string.IsNullOrEmpty(s.Package) || string.IsNullOrEmpty(s.Version))
                        throw new InvalidDataException($"{where}: a '{s.Type}' source needs 'package' and 'version'.");
                    break;
                case "dataset":
                    if (string.IsNullOrEmpty(s.Dataset)) throw new InvalidDataException($"{where}: a 'dataset' source needs 'dataset'.");
                    break;
                default:
                    throw new InvalidDataException($"{where}: unknown source type '{s.Type}' (url, npm, apt, dataset).");
            }
            if (!DatasetConverters.Exists(s.Convert))
                throw new InvalidDataException($"{where}: unknown 'convert' step '{s.Convert}' ({string.Join(", ", DatasetConverters.Names)}).");
        }
        foreach (var f in Files)
            if (string.IsNullOrEmpty(f.Path) || Path.IsPathRooted(f.Path) || f.Path.Contains(".."))
                throw new InvalidDataException($"{origin}: file path '{f.Path}' must be relative, inside the dataset folder.");
        ValidateRanges(origin);
    }

    /// <summary>Out-of-range values are refused naming the field (a negative size or count, a malformed sha256, a duplicate file).</summary>
    void ValidateRanges(string origin)
    {
        static bool IsSha256(string? h) => h is null || (h.Length == 64 && h.All(char.IsAsciiHexDigit));
        if (Size is < 0) throw new InvalidDataException($"{origin}: 'size' = {Size} is negative.");
        foreach (var (key, n) in Items)
            if (n < 0) throw new InvalidDataException($"{origin}: 'items.{key}' = {n} is negative.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in Files)
        {
            if (!seen.Add(f.Path)) throw new InvalidDataException($"{origin}: file '{f.Path}' is listed twice.");
            if (f.Size is < 0) throw new InvalidDataException($"{origin}: file '{f.Path}': 'size' = {f.Size} is negative.");
            if (!IsSha256(f.Sha256)) throw new InvalidDataException($"{origin}: file '{f.Path}': 'sha256' = '{f.Sha256}' is not 64 hexadecimal digits.");
        }
        foreach (var d in Folders)
        {
            if (string.IsNullOrEmpty(d.Path) || Path.IsPathRooted(d.Path) || d.Path.Contains(".."))
                throw new InvalidDataException($"{origin}: folder path '{d.Path}' must be relative, inside the dataset folder.");
            if (d.Count is < 0) throw new InvalidDataException($"{origin}: folder '{d.Path}': 'count' = {d.Count} is negative.");
        }
        for (int i = 0; i < Sources.Count; i++)
        {
            var s = Sources[i];
            if (!IsSha256(s.Sha256)) throw new InvalidDataException($"{origin}: sources[{i}]: 'sha256' = '{s.Sha256}' is not 64 hexadecimal digits.");
            foreach (var d in s.Downloads)
            {
                if (d.Size is < 0) throw new InvalidDataException($"{origin}: sources[{i}]: download '{d.Name}': 'size' = {d.Size} is negative.");
                if (!IsSha256(d.Sha256)) throw new InvalidDataException($"{origin}: sources[{i}]: download '{d.Name}': 'sha256' = '{d.Sha256}' is not 64 hexadecimal digits.");
                if (d.Name.Contains('/') || d.Name.Contains('\\') || d.Name is "." or "..")
                    throw new InvalidDataException($"{origin}: sources[{i}]: download name '{d.Name}' must be a plain file name.");
            }
        }
    }
}

/// <summary>A file of a dataset's final layout.</summary>
public sealed class DatasetFile
{
    /// <summary>Path relative to the dataset folder, with '/' separators.</summary>
    public string Path { get; init; } = "";
    /// <summary>Expected sha256 (hex) of the file; null when its bytes are not reproducible.</summary>
    public string? Sha256 { get; init; }
    /// <summary>Expected size [bytes], when known.</summary>
    public long? Size { get; init; }
}

/// <summary>A folder of a dataset's final layout; <see cref="Count"/> files expected in it when not null.</summary>
public sealed class DatasetFolder
{
    /// <summary>Path relative to the dataset folder, with '/' separators.</summary>
    public string Path { get; init; } = "";
    /// <summary>Number of files expected in the folder, or null for any.</summary>
    public int? Count { get; init; }
}

/// <summary>One way to obtain a dataset.</summary>
public sealed class DatasetSource
{
    /// <summary><c>url</c> (canonical public URL), <c>npm</c> / <c>apt</c> (package client), <c>dataset</c> (another catalog entry).</summary>
    public string Type { get; init; } = "";
    /// <summary>For <c>url</c>: the files to download (each may be an archive, see <see cref="DatasetDownload.Archive"/>).</summary>
    public List<DatasetDownload> Downloads { get; init; } = new();
    /// <summary>For <c>npm</c>/<c>apt</c>: package name and exact version.</summary>
    public string? Package { get; init; }
    /// <summary>For <c>npm</c>/<c>apt</c>: the exact package version.</summary>
    public string? Version { get; init; }
    /// <summary>For <c>npm</c>/<c>apt</c>: sha256 of the package file (.tgz/.deb), checked when given.</summary>
    public string? Sha256 { get; init; }
    /// <summary>For <c>npm</c>/<c>apt</c>: only archive members under these paths are unpacked (all when empty).</summary>
    public List<string> Include { get; init; } = new();
    /// <summary>For <c>dataset</c>: the id of the catalog entry whose folder is the input of the conversion.</summary>
    public string? Dataset { get; init; }
    /// <summary>Name of the conversion step from the unpacked input to the final layout (see <see cref="DatasetConverters"/>).</summary>
    public string Convert { get; init; } = "copy";
    /// <summary>For the <c>pick</c> and <c>copy</c> steps: file name (or path) in the input → path in the final layout;
    /// for <c>copy</c> the key may name a folder whose content becomes the dataset root.</summary>
    public Dictionary<string, string> Pick { get; init; } = new();
    /// <summary>Free parameters for the conversion step (seed, counts, classes), documented per step.</summary>
    public Dictionary<string, JsonElement> Parameters { get; init; } = new();

    /// <summary>One line for logs and error messages.</summary>
    public string Describe() => Type switch
    {
        "url" => "url " + string.Join(", ", Downloads.Select(d => d.Url)),
        "npm" => $"npm package {Package}@{Version}",
        "apt" => $"apt package {Package}={Version}",
        "dataset" => $"dataset {Dataset}",
        _ => Type,
    };
}

/// <summary>One file of a <c>url</c> source.</summary>
public sealed class DatasetDownload
{
    /// <summary>Canonical public URL of the file.</summary>
    public string Url { get; init; } = "";
    /// <summary>Local file name of the download.</summary>
    public string Name { get; init; } = "";
    /// <summary>Expected sha256 (hex) of the download, checked when given.</summary>
    public string? Sha256 { get; init; }
    /// <summary>Expected size [bytes], when known.</summary>
    public long? Size { get; init; }
    /// <summary>zip, tar.gz, tgz, deb, or null (a plain file).</summary>
    public string? Archive { get; init; }
}
