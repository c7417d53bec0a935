using Microsoft.ML;
using SkiaSharp;

namespace MlNetHw.Data;

/// <summary>How <see cref="ImageFolderReader"/> treats the files it finds.</summary>
public sealed class ImageFolderOptions
{
    /// <summary>Fail on the first unreadable image instead of skipping it (default false: skip and count).</summary>
    public bool Strict { get; init; }
    /// <summary>Decode each image to catch corrupt, truncated or mislabelled files before training (default true).</summary>
    public bool CheckImages { get; init; } = true;
    /// <summary>File extensions treated as images (case-insensitive). Other files are ignored and counted.</summary>
    public IReadOnlyCollection<string> Extensions { get; init; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];
    /// <summary>Names of the validation split folder, tried in order (default val, valid, validation, test).</summary>
    public IReadOnlyList<string> ValidationFolderNames { get; init; } = ["val", "valid", "validation", "test"];
}

/// <summary>One image: its path and its class (the name of its sub-folder).</summary>
public sealed record ImageRow(string ImagePath, string Label);

/// <summary>One split folder read by <see cref="ImageFolderReader"/>.</summary>
public sealed record ImageFolderSplit(string Folder, IReadOnlyList<string> Classes, IReadOnlyList<ImageRow> Rows,
    IReadOnlyList<string> Skipped, int IgnoredFiles)
{
    /// <summary>Images per class, in class order.</summary>
    public IReadOnlyDictionary<string, int> CountsPerClass =>
        Classes.ToDictionary(c => c, c => Rows.Count(r => r.Label == c));
}

/// <summary>A train/val image-folder dataset (hymenoptera layout: <c>train/CLASS/*.jpg</c>, <c>val/CLASS/*.jpg</c>).</summary>
public sealed record ImageFolderDataset(string Root, ImageFolderSplit Train, ImageFolderSplit Validation)
{
    /// <summary>Class names, sorted (ordinal), as in torchvision's ImageFolder.</summary>
    public IReadOnlyList<string> Classes => Train.Classes;
}

/// <summary>
/// Reader of image folders, one sub-folder per class (torchvision's <c>ImageFolder</c> convention), for a single
/// split or a train/val pair. Classes are sorted by name. An image that cannot be decoded is reported by path and
/// skipped with a count, or fails in <see cref="ImageFolderOptions.Strict"/> mode; a split with fewer than two classes,
/// an empty class or no images fails with a clear message; val classes must be the train classes.
/// </summary>
public static class ImageFolderReader
{
    /// <summary>Reads one split folder (<c>FOLDER/CLASS/image</c>).</summary>
    public static ImageFolderSplit ReadSplit(string folder, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"image folder not found: {folder}");
        var classes = Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
            throw new InvalidDataException($"{folder}: no class sub-folders (expected {folder}/CLASS/image.jpg for each class).");
        if (classes.Count == 1)
            throw new InvalidDataException($"{folder}: only one class ('{classes[0]}'); a classifier needs at least two class sub-folders.");
        var rows = new List<ImageRow>();
        var skipped = new List<string>();
        int ignored = 0;
        foreach (string cls in classes)
        {
            int before = rows.Count;
            foreach (string file in Directory.EnumerateFiles(Path.Combine(folder, cls)).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                if (name.StartsWith('.') || !options.Extensions.Contains(Path.GetExtension(file).ToLowerInvariant())) { ignored++; continue; }
                string? problem = options.CheckImages ? Check(file) : null;
                if (problem is not null)
                {
                    if (options.Strict) throw new InvalidDataException($"{file}: unreadable image ({problem}).");
                    skipped.Add($"{file}: {problem}");
                    continue;
                }
                rows.Add(new ImageRow(Path.GetFullPath(file), cls));
            }
            if (rows.Count == before)
                throw new InvalidDataException($"{Path.Combine(folder, cls)}: class '{cls}' has no readable images.");
        }
        return new ImageFolderSplit(Path.GetFullPath(folder), classes, rows, skipped, ignored);
    }

    /// <summary>Reads <c>ROOT/train</c> and <c>ROOT/val</c> (or another <see cref="ImageFolderOptions.ValidationFolderNames"/>).</summary>
    public static ImageFolderDataset Read(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"dataset folder not found: {root}");
        string train = Path.Combine(root, "train");
        if (!Directory.Exists(train)) throw new InvalidDataException($"{root}: no 'train' folder (expected train/CLASS/* and val/CLASS/*).");
        string? val = options.ValidationFolderNames.Select(n => Path.Combine(root, n)).FirstOrDefault(Directory.Exists);
        if (val is null) throw new InvalidDataException($"{root}: no validation folder ({string.Join(", ", options.ValidationFolderNames)}).");
        var trainSplit = ReadSplit(train, options);
        var valSplit = ReadSplit(val, options);
        if (!trainSplit.Classes.SequenceEqual(valSplit.Classes))
            throw new InvalidDataException(
                $"{root}: train classes ({string.Join(", ", trainSplit.Classes)}) differ from {Path.GetFileName(val)} classes ({string.Join(", ", valSplit.Classes)}).");
        return new ImageFolderDataset(Path.GetFullPath(root), trainSplit, valSplit);
    }

    /// <summary>A split as an ML.NET <see cref="IDataView"/> with columns <c>ImagePath</c> and <c>Label</c> (strings),
    /// ready for <c>MapValueToKey("Label")</c> and <c>LoadImages(…, "ImagePath")</c>.</summary>
    public static IDataView Load(MLContext mlContext, ImageFolderSplit split) => Load(mlContext.Data, split);

    /// <inheritdoc cref="Load(MLContext, ImageFolderSplit)"/>
    public static IDataView Load(DataOperationsCatalog data, ImageFolderSplit split) =>
        data.LoadFromEnumerable(split.Rows.Select(r => new ImagePathRow { ImagePath = r.ImagePath, Label = r.Label }).ToList());

    /// <summary>Null when SkiaSharp can decode the image's header, else the reason.</summary>
    static string? Check(string file)
    {
        try
        {
            if (new FileInfo(file).Length == 0) return "empty file";
            using var codec = SKCodec.Create(file, out var result);
            if (codec is null) return $"not a decodable image ({result})";
            if (codec.Info.Width <= 0 || codec.Info.Height <= 0) return "zero-sized image";
            // Decode the pixels too: a truncated file has a valid header but fails (or comes back incomplete) here.
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
            using var bitmap = new SKBitmap(info);
            var decoded = codec.GetPixels(info, bitmap.GetPixels());
            return decoded == SKCodecResult.Success ? null : $"decoding failed ({decoded})";
        }
        catch (IOException e) { return e.Message; }
        catch (UnauthorizedAccessException e) { return e.Message; }
    }

    /// <summary>Row type of <c>Load</c>.</summary>
    public sealed class ImagePathRow
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }
}
