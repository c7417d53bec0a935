namespace MlNetHw.Vision;

/// <summary>One image file and its class index.</summary>
public sealed record LabeledImage(string Path, int Label);

/// <summary>
/// An image classification folder in the "hymenoptera" layout (the PyTorch transfer-learning tutorial's):
/// <c>root/train/&lt;class&gt;/*.jpg</c> and <c>root/val/&lt;class&gt;/*.jpg</c>. Class names are the train
/// sub-folder names in ordinal order; the class index is the position in <see cref="Classes"/>.
/// </summary>
public sealed class ImageFolderDataset
{
    /// <summary>File extensions treated as images (what SkiaSharp and ML.NET's LoadImages decode).</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp" };

    public string Root { get; }
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<LabeledImage> Train { get; }
    public IReadOnlyList<LabeledImage> Val { get; }
    /// <summary>Files that were skipped (only with <c>skipNonImages</c>), for the run log.</summary>
    public IReadOnlyList<string> Skipped { get; }

    ImageFolderDataset(string root, IReadOnlyList<string> classes, IReadOnlyList<LabeledImage> train,
        IReadOnlyList<LabeledImage> val, IReadOnlyList<string> skipped)
    {
        Root = root; Classes = classes; Train = train; Val = val; Skipped = skipped;
    }

    /// <summary>
    /// Scans <paramref name="root"/>. Fails with a message naming the folder or file when: train/ or val/ is
    /// missing, there are fewer than two classes, a split has no images, val/ has a class train/ lacks, or a file
    /// is not an image (hidden files such as .DS_Store are ignored; <paramref name="skipNonImages"/> skips the rest).
    /// </summary>
    public static ImageFolderDataset Load(string root, bool skipNonImages = false)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"image folder not found: {root} (expected {root}/train/<class>/ and {root}/val/<class>/).");
        string trainDir = Path.Combine(root, "train"), valDir = Path.Combine(root, "val");
        foreach (var d in new[] { trainDir, valDir })
            if (!Directory.Exists(d))
                throw new DirectoryNotFoundException($"{d} is missing: an image folder needs train/<class>/ and val/<class>/ sub-folders.");

        var classes = Directory.GetDirectories(trainDir).Select(Path.GetFileName).Where(n => n is not null && !n.StartsWith('.'))
            .Select(n => n!).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
            throw new InvalidDataException(
                $"{trainDir} has {classes.Count} class folder(s) ({string.Join(", ", classes)}); classification needs at least two (one sub-folder per class).");
        var valClasses = Directory.GetDirectories(valDir).Select(Path.GetFileName).Where(n => n is not null && !n.StartsWith('.')).Select(n => n!).ToList();
        var unknown = valClasses.Except(classes).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"{valDir} has class folder(s) {string.Join(", ", unknown)} that {trainDir} lacks.");

        var skipped = new List<string>();
        var train = Scan(trainDir, classes, skipNonImages, skipped);
        var val = Scan(valDir, classes, skipNonImages, skipped);
        foreach (var (split, items, dir) in new[] { ("train", train, trainDir), ("val", val, valDir) })
        {
            if (items.Count == 0) throw new InvalidDataException($"the {split} split is empty: no images under {dir}/<class>/.");
        }
        var emptyTrain = classes.Where((c, i) => train.All(t => t.Label != i)).ToList();
        if (emptyTrain.Count > 0)
            throw new InvalidDataException($"class folder(s) {string.Join(", ", emptyTrain.Select(c => Path.Combine(trainDir, c)))} contain no images.");
        return new ImageFolderDataset(Path.GetFullPath(root), classes, train, val, skipped);
    }

    static List<LabeledImage> Scan(string dir, List<string> classes, bool skipNonImages, List<string> skipped)
    {
        var items = new List<LabeledImage>();
        for (int c = 0; c < classes.Count; c++)
        {
            string classDir = Path.Combine(dir, classes[c]);
            if (!Directory.Exists(classDir)) continue;
            foreach (var file in Directory.EnumerateFiles(classDir, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                if (name.StartsWith('.')) continue;
                if (!ImageExtensions.Contains(Path.GetExtension(file)))
                {
                    if (skipNonImages) { skipped.Add(file); continue; }
                    throw new InvalidDataException(
                        $"{file} is not an image (extension '{Path.GetExtension(file)}'; accepted: {string.Join(" ", ImageExtensions)}). " +
                        "Remove it from the data folder or pass skipNonImages (--skip-non-images).");
                }
                items.Add(new LabeledImage(Path.GetFullPath(file), c));
            }
        }
        return items;
    }

    /// <summary>A dataset from in-memory lists (e.g. rows of an ML.NET IDataView); <paramref name="val"/> may be empty.</summary>
    public static ImageFolderDataset FromLists(string root, IReadOnlyList<string> classes, IReadOnlyList<LabeledImage> train,
        IReadOnlyList<LabeledImage> val) => new(root, classes, train, val, Array.Empty<string>());

    /// <summary>
    /// A seeded, class-balanced subset (at most <paramref name="maxTrain"/> train and <paramref name="maxVal"/> val
    /// images; 0 keeps a split whole), for quick runs.
    /// </summary>
    public ImageFolderDataset Subset(int maxTrain, int maxVal, int seed) =>
        new(Root, Classes, Take(Train, maxTrain, seed), Take(Val, maxVal, seed + 1), Skipped);

    internal static IReadOnlyList<LabeledImage> Take(IReadOnlyList<LabeledImage> items, int max, int seed)
    {
        if (max <= 0 || max >= items.Count) return items;
        var rng = new Random(seed);
        var byClass = items.GroupBy(x => x.Label).OrderBy(g => g.Key)
            .Select(g => new Queue<LabeledImage>(g.OrderBy(_ => rng.Next()))).ToList();
        var result = new List<LabeledImage>();
        while (result.Count < max && byClass.Any(q => q.Count > 0))
            foreach (var q in byClass)
                if (result.Count < max && q.Count > 0) result.Add(q.Dequeue());
        return result.OrderBy(x => x.Label).ThenBy(x => x.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>Images per class of a split, for the run log ("ants 124, bees 121").</summary>
    public string Describe(IReadOnlyList<LabeledImage> split) =>
        string.Join(", ", Classes.Select((c, i) => $"{c} {split.Count(x => x.Label == i)}"));
}
