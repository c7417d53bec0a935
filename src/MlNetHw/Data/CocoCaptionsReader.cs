using System.Text.Json;
using Microsoft.ML;

namespace MlNetHw.Data;

/// <summary>One COCO image with its captions. <see cref="ImagePath"/> is null when no image folder was given.</summary>
public sealed record CocoImage(long Id, string FileName, string? ImagePath, int Width, int Height, IReadOnlyList<string> Captions);

/// <summary>A COCO captions file read by <see cref="CocoCaptionsReader"/>.</summary>
public sealed record CocoCaptions(string JsonPath, IReadOnlyList<CocoImage> Images, IReadOnlyList<string> MissingImages)
{
    /// <summary>Captions over all images.</summary>
    public int CaptionCount => Images.Sum(i => i.Captions.Count);
}

/// <summary>
/// Reader of COCO caption annotations (<c>captions_train2014.json</c>: <c>images[]</c> with <c>id</c>,
/// <c>file_name</c>, <c>width</c>, <c>height</c>; <c>annotations[]</c> with <c>image_id</c> and <c>caption</c>) plus,
/// optionally, the folder holding the images. Errors name the file and the offending record (index and id); images
/// missing from the folder are listed, or fail with <c>strict</c>.
/// </summary>
public static class CocoCaptionsReader
{
    /// <summary>Reads a COCO captions JSON file and, when <paramref name="imageFolder"/> is given, resolves each image's path in it.</summary>
    /// <param name="jsonPath">The annotations file, e.g. <c>captions_train2014.json</c>.</param>
    /// <param name="imageFolder">Folder holding the images (<c>file_name</c> relative to it), or null to read the captions only.</param>
    /// <param name="strict">Fail on an image missing from the folder instead of listing it in <see cref="CocoCaptions.MissingImages"/>.</param>
    public static CocoCaptions Read(string jsonPath, string? imageFolder = null, bool strict = false)
    {
        if (!File.Exists(jsonPath)) throw new FileNotFoundException($"COCO captions file not found: {jsonPath}", jsonPath);
        if (imageFolder is not null && !Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"COCO image folder not found: {imageFolder}");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath)); }
        catch (JsonException e) { throw new InvalidDataException($"{jsonPath}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            var images = Array(root, "images", jsonPath);
            var annotations = Array(root, "annotations", jsonPath);
            var byId = new Dictionary<long, (string File, int W, int H, List<string> Captions)>();
            var order = new List<long>();
            int index = 0;
            foreach (var img in images.EnumerateArray())
            {
                string where = $"{jsonPath}: images[{index++}]";
                long id = Number(img, "id", where);
                string file = Text(img, "file_name", where);
                int w = img.TryGetProperty("width", out var wv) && wv.ValueKind == JsonValueKind.Number ? wv.GetInt32() : 0;
                int h = img.TryGetProperty("height", out var hv) && hv.ValueKind == JsonValueKind.Number ? hv.GetInt32() : 0;
                if (!byId.TryAdd(id, (file, w, h, new List<string>()))) throw new InvalidDataException($"{where}: duplicate image id {id}.");
                order.Add(id);
            }
            index = 0;
            foreach (var ann in annotations.EnumerateArray())
            {
                string where = $"{jsonPath}: annotations[{index++}]";
                long imageId = Number(ann, "image_id", where);
                string caption = Text(ann, "caption", where).Trim();
                if (!byId.TryGetValue(imageId, out var entry))
                    throw new InvalidDataException($"{where}: image_id {imageId} is not in 'images'.");
                entry.Captions.Add(caption);
            }
            var result = new List<CocoImage>();
            var missing = new List<string>();
            foreach (long id in order)
            {
                var (file, w, h, captions) = byId[id];
                string? path = null;
                if (imageFolder is not null)
                {
                    path = Path.GetFullPath(Path.Combine(imageFolder, file));
                    if (!File.Exists(path))
                    {
                        if (strict) throw new FileNotFoundException($"{jsonPath}: image {id} ('{file}') is not in {imageFolder}.", path);
                        missing.Add(path);
                        continue;
                    }
                }
                result.Add(new CocoImage(id, file, path, w, h, captions));
            }
            if (result.Count == 0) throw new InvalidDataException($"{jsonPath}: no images{(missing.Count > 0 ? $" found in {imageFolder} ({missing.Count} missing)" : "")}.");
            return new CocoCaptions(jsonPath, result, missing);
        }
    }

    /// <summary>One row per caption: <c>ImageId</c> (long), <c>ImagePath</c> (string, empty without a folder),
    /// <c>Caption</c> (string).</summary>
    public static IDataView Load(MLContext mlContext, CocoCaptions captions) => Load(mlContext.Data, captions);

    /// <inheritdoc cref="Load(MLContext, CocoCaptions)"/>
    public static IDataView Load(DataOperationsCatalog data, CocoCaptions captions) =>
        data.LoadFromEnumerable(captions.Images
            .SelectMany(i => i.Captions.Select(c => new CaptionRow { ImageId = i.Id, ImagePath = i.ImagePath ?? "", Caption = c }))
            .ToList());

    static JsonElement Array(JsonElement root, string name, string path) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a
            : throw new InvalidDataException($"{path}: missing the '{name}' array of a COCO captions file.");

    static long Number(JsonElement e, string name, string where) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n
            : throw new InvalidDataException($"{where}: missing or non-integer '{name}'.");

    static string Text(JsonElement e, string name, string where) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new InvalidDataException($"{where}: missing or non-string '{name}'.");

    /// <summary>Row type of <c>Load</c>.</summary>
    public sealed class CaptionRow
    {
        /// <summary>COCO image id.</summary>
        public long ImageId { get; set; }
        /// <summary>Full path of the image file; empty when no image folder was given.</summary>
        public string ImagePath { get; set; } = "";
        /// <summary>One caption of the image, trimmed.</summary>
        public string Caption { get; set; } = "";
    }
}
