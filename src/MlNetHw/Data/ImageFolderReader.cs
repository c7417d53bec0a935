using Microsoft.ML;
using SkiaSharp;

namespace MlNetHw.Data;

/// <summary>How <see cref="ImageFolderReader"/> treats the files it finds.</summary>
public sealed class ImageFolderOptions
{
    /// <summary>Fail on the first unreadable image instead of skipping it (default false: skip and list in <see cref="ImageFolderSplit.Skipped"/>).</summary>
    public bool Strict { get; init; }
    /// <summary>Decode each image to catch corrupt, truncated or mislabelled files before training (default true).</summary>
    public bool CheckImages { get; init; } = true;
    /// <summary>
    /// Fail on a file whose extension is not an image's (a stray notes.txt or .csv), naming it, instead of ignoring it
    /// (default false: ignored and listed in <see cref="ImageFolderSplit.Ignored"/>). Hidden files (.DS_Store) are always ignored.
    /// </summary>
    public bool RejectNonImageFiles { get; init; }
    /// <summary>File extensions treated as images (case-insensitive). Other files are ignored and listed, or rejected.</summary>
    public IReadOnlyCollection<string> Extensions { get; init; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];
    /// <summary>Names of the validation split folder, tried in order (default val, valid, validation, test).</summary>
    public IReadOnlyList<string> ValidationFolderNames { get; init; } = ["val", "valid", "validation", "test"];
}

/// <summary>
/// One labelled image: its file and its class name. The row type of <see cref="ImageFolderReader"/>'s splits and of
/// the image pipelines' input (<c>LoadImages</c> reads <see cref="ImagePath"/>, <c>MapValueToKey</c> reads <see cref="Label"/>);
/// settable properties so ML.NET can both read and write it.
/// </summary>
public sealed class ImageRow
{
    /// <summary>An empty row (for ML.NET, which creates rows itself).</summary>
    public ImageRow() { }

    /// <summary>A row for the image at <paramref name="imagePath"/> of class <paramref name="label"/>.</summary>
    public ImageRow(string imagePath, string label)
    {
        ImagePath = imagePath;
        Label = label;
    }

    /// <summary>Image file path.</summary>
    public string ImagePath { get; set; } = "";
    /// <summary>Class name (the image's class folder); may be empty at prediction time.</summary>
    public string Label { get; set; } = "";

    /// <summary>"label: path", for messages.</summary>
    public override string ToString() => $"{Label}: {ImagePath}";
}

/// <summary>One split folder read by <see cref="ImageFolderReader"/>: rows in class order, then file order.</summary>
/// <param name="Folder">Full path of the split folder ("" for rows that came from elsewhere, see <see cref="FromRows"/>).</param>
/// <param name="Classes">Class names, sorted (ordinal); a row's class index is its label's position here.</param>
/// <param name="Rows">The images.</param>
/// <param name="Skipped">Images that did not decode, as "path: reason" (only when not <see cref="ImageFolderOptions.Strict"/>).</param>
/// <param name="Ignored">Files that are not images by extension, and hidden files.</param>
public sealed record ImageFolderSplit(string Folder, IReadOnlyList<string> Classes, IReadOnlyList<ImageRow> Rows,
    IReadOnlyList<string> Skipped, IReadOnlyList<string> Ignored)
{
    /// <summary>Number of <see cref="Ignored"/> files.</summary>
    public int IgnoredFiles => Ignored.Count;

    /// <summary>Number of images.</summary>
    public int Count => Rows.Count;

    /// <summary>Images per class, in class order.</summary>
    public IReadOnlyDictionary<string, int> CountsPerClass =>
        Classes.ToDictionary(c => c, c => Rows.Count(r => r.Label == c));

    /// <summary>"ants 124, bees 121", for run logs.</summary>
    public string Describe() => string.Join(", ", CountsPerClass.Select(kv => $"{kv.Key} {kv.Value}"));

    /// <summary>The position of <paramref name="label"/> in <see cref="Classes"/>; throws for an unknown class.</summary>
    public int ClassIndex(string label)
    {
        for (int i = 0; i < Classes.Count; i++)
            if (string.Equals(Classes[i], label, StringComparison.Ordinal)) return i;
        throw new InvalidDataException($"class '{label}' is not one of {string.Join(", ", Classes)}.");
    }

    /// <summary>The class index of every row, in row order.</summary>
    public IReadOnlyList<int> ClassIndices()
    {
        var index = Classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);
        return Rows.Select(r => index.TryGetValue(r.Label, out int i) ? i : ClassIndex(r.Label)).ToList();
    }

    /// <summary>
    /// A seeded, class-balanced subset of at most <paramref name="max"/> images (0 or more than there are: the split
    /// itself), for quick runs: classes take turns, each drawing its images in a seeded random order; the result is in
    /// class order, then path order.
    /// </summary>
    public ImageFolderSplit Take(int max, int seed)
    {
        if (max <= 0 || max >= Rows.Count) return this;
        var rng = new Random(seed);
        var labels = ClassIndices();
        var byClass = Enumerable.Range(0, Rows.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key)
            .Select(g => new Queue<int>(g.OrderBy(_ => rng.Next()))).ToList();
        var picked = new List<int>();
        while (picked.Count < max && byClass.Any(q => q.Count > 0))
            foreach (var q in byClass)
                if (picked.Count < max && q.Count > 0) picked.Add(q.Dequeue());
        return this with { Rows = picked.OrderBy(i => labels[i]).ThenBy(i => Rows[i].ImagePath, StringComparer.Ordinal).Select(i => Rows[i]).ToList() };
    }

    /// <summary>
    /// A split of rows that came from elsewhere (an ML.NET <see cref="IDataView"/>, a list): every label must be one of
    /// <paramref name="classes"/>; <paramref name="name"/> names the rows in the error message.
    /// </summary>
    public static ImageFolderSplit FromRows(IReadOnlyList<string> classes, IReadOnlyList<ImageRow> rows, string name = "rows")
    {
        var split = new ImageFolderSplit("", classes, rows, Array.Empty<string>(), Array.Empty<string>());
        foreach (var r in rows)
            if (!classes.Contains(r.Label))
                throw new InvalidDataException($"{name}: class '{r.Label}' ({r.ImagePath}) is not one of the classes {string.Join(", ", classes)}.");
        return split;
    }
}

/// <summary>A train/val image-folder dataset (hymenoptera layout: <c>train/CLASS/*.jpg</c>, <c>val/CLASS/*.jpg</c>).</summary>
public sealed record ImageFolderDataset(string Root, ImageFolderSplit Train, ImageFolderSplit Validation)
{
    /// <summary>Class names, sorted (ordinal), as in torchvision's ImageFolder; the same for both splits.</summary>
    public IReadOnlyList<string> Classes => Train.Classes;

    /// <summary>A seeded, class-balanced subset of each split (see <see cref="ImageFolderSplit.Take"/>; 0 keeps a split whole).</summary>
    public ImageFolderDataset Subset(int maxTrain, int maxValidation, int seed) =>
        this with { Train = Train.Take(maxTrain, seed), Validation = Validation.Take(maxValidation, seed + 1) };
}

/// <summary>
/// The reader of image folders, one sub-folder per class (torchvision's <c>ImageFolder</c> convention: classes sorted
/// by name, images found in sub-folders of a class folder too), for a single split or a train/val pair. Bad input
/// fails with a message naming the folder or file: fewer than two classes, an empty split, a class without images,
/// val classes that differ from train's, a non-image file (with <see cref="ImageFolderOptions.RejectNonImageFiles"/>),
/// an image that does not decode (with <see cref="ImageFolderOptions.Strict"/>; otherwise it is skipped and listed).
/// </summary>
public static class ImageFolderReader
{
    /// <summary>Reads one split folder (<c>FOLDER/CLASS/image</c>).</summary>
    public static ImageFolderSplit ReadSplit(string folder, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"image folder not found: {folder}");
        string split = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        var classes = Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
            throw new InvalidDataException($"the {split} split is empty: {folder} has no class sub-folders (expected {folder}/CLASS/image.jpg for each class).");
        if (classes.Count == 1)
            throw new InvalidDataException($"{folder}: only one class ('{classes[0]}'); a classifier needs at least two class sub-folders.");
        var extensions = new HashSet<string>(options.Extensions, StringComparer.OrdinalIgnoreCase);
        var rows = new List<ImageRow>();
        var skipped = new List<string>();
        var ignored = new List<string>();
        var emptyClasses = new List<string>();
        foreach (string cls in classes)
        {
            int before = rows.Count;
            foreach (string file in Directory.EnumerateFiles(Path.Combine(folder, cls), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(file).StartsWith('.')) { ignored.Add(file); continue; }
                if (!extensions.Contains(Path.GetExtension(file)))
                {
                    if (options.RejectNonImageFiles)
                        throw new InvalidDataException(
                            $"{file} is not an image (extension '{Path.GetExtension(file)}'; accepted: {string.Join(" ", options.Extensions)}). " +
                            "Remove it from the data folder, or let the reader ignore such files (ImageFolderOptions.RejectNonImageFiles = false; --skip-non-images in the pipelines).");
                    ignored.Add(file);
                    continue;
                }
                string? problem = options.CheckImages ? Check(file) : null;
                if (problem is not null)
                {
                    if (options.Strict) throw new InvalidDataException($"{file}: unreadable image ({problem}).");
                    skipped.Add($"{file}: {problem}");
                    continue;
                }
                rows.Add(new ImageRow(Path.GetFullPath(file), cls));
            }
            if (rows.Count == before) emptyClasses.Add(cls);
        }
        if (rows.Count == 0)
            throw new InvalidDataException($"the {split} split is empty: no readable images under {folder}/<class>/ (classes {string.Join(", ", classes)}).");
        if (emptyClasses.Count > 0)
            throw new InvalidDataException(string.Join("; ", emptyClasses.Select(c => $"{Path.Combine(folder, c)}: class '{c}' has no readable images")) + ".");
        return new ImageFolderSplit(Path.GetFullPath(folder), classes, rows, skipped, ignored);
    }

    /// <summary>Reads <c>ROOT/train</c> and <c>ROOT/val</c> (or another <see cref="ImageFolderOptions.ValidationFolderNames"/>).</summary>
    public static ImageFolderDataset Read(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"dataset folder not found: {root} (expected {root}/train/<class>/ and {root}/val/<class>/).");
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
    public static IDataView Load(DataOperationsCatalog data, ImageFolderSplit split) => data.LoadFromEnumerable(split.Rows);

    /// <summary>Null when the image decodes completely (the check every image reader shares: <see cref="ImageFile.Problem"/>), else the reason.</summary>
    static string? Check(string file) => ImageFile.Problem(file);
}
