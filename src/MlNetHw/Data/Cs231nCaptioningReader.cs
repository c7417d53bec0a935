using System.Text.Json;
using PureHDF;

namespace MlNetHw.Data;

/// <summary>One split of the cs231n COCO captioning data.</summary>
public sealed class CaptionSplit
{
    /// <summary>Caption word indices, row-major (Count, Length), padded with &lt;NULL&gt; (0).</summary>
    public required int[] Captions { get; init; }
    /// <summary>Number of captions.</summary>
    public required int Count { get; init; }
    /// <summary>Words per caption including &lt;START&gt; and &lt;END&gt; (17 in cs231n's file).</summary>
    public required int Length { get; init; }
    /// <summary>For each caption, the row of <see cref="Features"/> (and line of <see cref="Urls"/>) of its image.</summary>
    public required int[] ImageIndices { get; init; }
    /// <summary>Image features, row-major (FeatureCount, FeatureDimension): VGG16 fc7, PCA-reduced to 512 by default.</summary>
    public required float[] Features { get; init; }
    /// <summary>Number of images (rows of <see cref="Features"/>).</summary>
    public required int FeatureCount { get; init; }
    /// <summary>Length of one feature vector (512 for the PCA-reduced file).</summary>
    public required int FeatureDimension { get; init; }
    /// <summary>Image URLs, one per feature row, when the url file is present.</summary>
    public IReadOnlyList<string>? Urls { get; init; }

    /// <summary>The word indices of caption <paramref name="i"/>.</summary>
    public ReadOnlySpan<int> Caption(int i) => Captions.AsSpan(i * Length, Length);

    /// <summary>The feature vector of the image of caption <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> FeaturesOfCaption(int i) => Features.AsSpan(ImageIndices[i] * FeatureDimension, FeatureDimension);
}

/// <summary>The cs231n captioning data set (what <c>load_coco_data</c> returns): train and val splits and the vocabulary.</summary>
public sealed class CaptioningData
{
    /// <summary>The training split.</summary>
    public required CaptionSplit Train { get; init; }
    /// <summary>The validation split.</summary>
    public required CaptionSplit Val { get; init; }
    /// <summary>Word of each index; 0..3 are &lt;NULL&gt;, &lt;START&gt;, &lt;END&gt;, &lt;UNK&gt;.</summary>
    public required IReadOnlyList<string> IdxToWord { get; init; }
    /// <summary>Index of each word, the inverse of <see cref="IdxToWord"/>.</summary>
    public required IReadOnlyDictionary<string, int> WordToIdx { get; init; }

    /// <summary>Index of &lt;NULL&gt; (padding) [0].</summary>
    public int NullIndex => WordToIdx.TryGetValue("<NULL>", out int i) ? i : 0;
    /// <summary>Index of &lt;START&gt; [1].</summary>
    public int StartIndex => WordToIdx.TryGetValue("<START>", out int i) ? i : 1;
    /// <summary>Index of &lt;END&gt; [2].</summary>
    public int EndIndex => WordToIdx.TryGetValue("<END>", out int i) ? i : 2;

    /// <summary>The words of a caption without &lt;START&gt; and &lt;NULL&gt;, stopping at &lt;END&gt; (cs231n's
    /// <c>decode_captions</c>).</summary>
    public string Decode(ReadOnlySpan<int> caption)
    {
        var words = new List<string>();
        foreach (int t in caption)
        {
            if (t == EndIndex) break;
            if (t == StartIndex || t == NullIndex) continue;
            words.Add(t >= 0 && t < IdxToWord.Count ? IdxToWord[t] : "<?>");
        }
        return string.Join(' ', words);
    }
}

/// <summary>
/// Reader of the cs231n captioning files (<c>datasets/coco_captioning/</c>) with PureHDF, a managed HDF5 reader:
/// <c>coco2014_captions.h5</c> (<c>train_captions</c> (N, T), <c>train_image_idxs</c> (N), <c>val_*</c>),
/// <c>train2014_vgg16_fc7_pca.h5</c> / <c>val2014_vgg16_fc7_pca.h5</c> (<c>features</c> (M, D); without
/// <c>_pca</c> when <c>pcaFeatures</c> is false), <c>coco2014_vocab.json</c> (<c>idx_to_word</c>,
/// <c>word_to_idx</c>) and optionally <c>train2014_urls.txt</c> / <c>val2014_urls.txt</c>. Shapes, image indices
/// and word indices are checked, and every error names the file and the dataset.
/// </summary>
public static class Cs231nCaptioningReader
{
    /// <param name="folder">Folder holding the files above.</param>
    /// <param name="maxTrain">Keep only this many training captions, drawn without replacement with <paramref name="seed"/>
    /// (cs231n draws with replacement; a fixed subset without duplicates is what overfitting experiments want).</param>
    /// <param name="pcaFeatures">Read the 512-d PCA features (default) or the 4096-d fc7 features.</param>
    /// <param name="seed">Seed of the <paramref name="maxTrain"/> draw.</param>
    public static CaptioningData Load(string folder, int? maxTrain = null, bool pcaFeatures = true, int seed = 0)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"captioning data folder not found: {folder}");
        string captionsFile = Required(folder, "coco2014_captions.h5");
        string suffix = pcaFeatures ? "_pca" : "";
        var (idxToWord, wordToIdx) = ReadVocabulary(Required(folder, "coco2014_vocab.json"));
        var train = ReadSplit(captionsFile, "train", Required(folder, $"train2014_vgg16_fc7{suffix}.h5"), Path.Combine(folder, "train2014_urls.txt"), idxToWord.Count);
        var val = ReadSplit(captionsFile, "val", Required(folder, $"val2014_vgg16_fc7{suffix}.h5"), Path.Combine(folder, "val2014_urls.txt"), idxToWord.Count);
        if (maxTrain is int max && max < train.Count)
        {
            var rows = Enumerable.Range(0, train.Count).ToList();
            new Datasets.SplitMix64((ulong)seed).Shuffle(rows);
            var keep = rows.Take(max).ToArray();
            var captions = new int[max * train.Length];
            for (int i = 0; i < max; i++) train.Caption(keep[i]).CopyTo(captions.AsSpan(i * train.Length, train.Length));
            train = new CaptionSplit
            {
                Captions = captions, Count = max, Length = train.Length, ImageIndices = keep.Select(k => train.ImageIndices[k]).ToArray(),
                Features = train.Features, FeatureCount = train.FeatureCount, FeatureDimension = train.FeatureDimension, Urls = train.Urls,
            };
        }
        return new CaptioningData { Train = train, Val = val, IdxToWord = idxToWord, WordToIdx = wordToIdx };
    }

    static CaptionSplit ReadSplit(string captionsFile, string split, string featuresFile, string urlsFile, int vocabularySize)
    {
        var (captions, capShape) = ReadInts(captionsFile, $"{split}_captions");
        var (indices, idxShape) = ReadInts(captionsFile, $"{split}_image_idxs");
        if (capShape.Length != 2) throw new InvalidDataException($"{captionsFile}: '{split}_captions' must be 2-D (N, T), got [{string.Join("x", capShape)}].");
        if (idxShape.Length != 1 || idxShape[0] != capShape[0])
            throw new InvalidDataException($"{captionsFile}: '{split}_image_idxs' has shape [{string.Join("x", idxShape)}], expected [{capShape[0]}] (one per caption).");
        var (features, featShape) = ReadFloats(featuresFile, "features");
        if (featShape.Length != 2) throw new InvalidDataException($"{featuresFile}: 'features' must be 2-D (M, D), got [{string.Join("x", featShape)}].");
        for (int i = 0; i < indices.Length; i++)
            if (indices[i] < 0 || indices[i] >= featShape[0])
                throw new InvalidDataException($"{captionsFile}: {split}_image_idxs[{i}] = {indices[i]} is outside the {featShape[0]} rows of {featuresFile}.");
        for (int i = 0; i < captions.Length; i++)
            if (captions[i] < 0 || captions[i] >= vocabularySize)
                throw new InvalidDataException($"{captionsFile}: {split}_captions[{i / capShape[1]}, {i % capShape[1]}] = {captions[i]} is not a word index (vocabulary of {vocabularySize}).");
        IReadOnlyList<string>? urls = null;
        if (File.Exists(urlsFile))
        {
            urls = File.ReadAllLines(urlsFile).Select(l => l.Trim()).ToList();
            if (urls.Count != featShape[0])
                throw new InvalidDataException($"{urlsFile}: {urls.Count} URLs for {featShape[0]} feature rows.");
        }
        return new CaptionSplit
        {
            Captions = captions, Count = capShape[0], Length = capShape[1], ImageIndices = indices,
            Features = features, FeatureCount = featShape[0], FeatureDimension = featShape[1], Urls = urls,
        };
    }

    static (List<string>, Dictionary<string, int>) ReadVocabulary(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (!doc.RootElement.TryGetProperty("idx_to_word", out var i2w) || i2w.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: missing the 'idx_to_word' array.");
        var idxToWord = i2w.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
        var wordToIdx = new Dictionary<string, int>(StringComparer.Ordinal);
        if (doc.RootElement.TryGetProperty("word_to_idx", out var w2i) && w2i.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in w2i.EnumerateObject())
            {
                int idx = p.Value.GetInt32();
                if (idx < 0 || idx >= idxToWord.Count || idxToWord[idx] != p.Name)
                    throw new InvalidDataException($"{path}: word_to_idx['{p.Name}'] = {idx} disagrees with idx_to_word.");
                wordToIdx[p.Name] = idx;
            }
        }
        else for (int i = 0; i < idxToWord.Count; i++) wordToIdx.TryAdd(idxToWord[i], i);
        if (idxToWord.Count == 0) throw new InvalidDataException($"{path}: empty vocabulary.");
        return (idxToWord, wordToIdx);
    }

    /// <summary>An integer dataset of an HDF5 file (stored as int32 or int64), flattened, with its shape.</summary>
    public static (int[] Values, int[] Shape) ReadInts(string file, string dataset)
    {
        using var h5 = H5File.OpenRead(file);
        var ds = Open(h5, file, dataset);
        int[] shape = ds.Space.Dimensions.Select(d => checked((int)d)).ToArray();
        try { return (ds.Read<int[]>(), shape); }
        catch (Exception e) when (e is not InvalidDataException)
        {
            try { return (ds.Read<long[]>().Select(v => checked((int)v)).ToArray(), shape); }
            catch (Exception e2) when (e2 is not InvalidDataException)
            {
                throw new InvalidDataException($"{file}: dataset '{dataset}' is not an integer array ({e.Message}).", e);
            }
        }
    }

    /// <summary>A floating-point dataset of an HDF5 file (float32 or float64), flattened to float, with its shape.</summary>
    public static (float[] Values, int[] Shape) ReadFloats(string file, string dataset)
    {
        using var h5 = H5File.OpenRead(file);
        var ds = Open(h5, file, dataset);
        int[] shape = ds.Space.Dimensions.Select(d => checked((int)d)).ToArray();
        try { return (ds.Read<float[]>(), shape); }
        catch (Exception e) when (e is not InvalidDataException)
        {
            try { return (ds.Read<double[]>().Select(v => (float)v).ToArray(), shape); }
            catch (Exception e2) when (e2 is not InvalidDataException)
            {
                throw new InvalidDataException($"{file}: dataset '{dataset}' is not a floating-point array ({e.Message}).", e);
            }
        }
    }

    static IH5Dataset Open(IH5Group file, string path, string dataset)
    {
        if (!file.LinkExists(dataset))
            throw new InvalidDataException($"{path}: no dataset '{dataset}' (it has: {string.Join(", ", file.Children().Select(c => c.Name))}).");
        return file.Dataset(dataset);
    }

    static string Required(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{folder}: missing {name} (cs231n coco_captioning layout).", path);
    }
}
