using MlNetHw.Data;

namespace MlNetHw.Captioning;

/// <summary>
/// Captioning data other than the generated scenes, chosen by the <c>--data</c> value: a COCO captions JSON file
/// (read by <see cref="CocoCaptionsReader"/>), with its images in an <c>images/</c> folder next to it or in its own
/// folder; or a folder with cs231n's HDF5 files (read by <see cref="Cs231nCaptioningReader"/>), whose image features
/// come precomputed, so the captioner starts at the features.
/// </summary>
public static class CaptionDataSources
{
    /// <summary>
    /// Loads the data set named by <paramref name="data"/> (a path). COCO images are split deterministically by
    /// image id: every 10th image (ids in ascending order) is validation. <paramref name="quick"/> keeps at most
    /// 500 images. Images missing from the folder are listed in the notes and left out.
    /// </summary>
    public static CaptionDataset Load(string data, bool quick)
    {
        if (File.Exists(data) && data.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            string dir = Path.GetDirectoryName(Path.GetFullPath(data))!;
            string images = Directory.Exists(Path.Combine(dir, "images")) ? Path.Combine(dir, "images") : dir;
            var coco = CocoCaptionsReader.Read(data, images);
            var usable = coco.Images.Where(i => i.ImagePath is not null).OrderBy(i => i.Id).Take(quick ? 500 : int.MaxValue).ToList();
            var all = usable.Select((img, k) => (k, item: new CaptionedImage(img.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), img.ImagePath, img.Captions))).ToList();
            var notes = new List<string>
            {
                $"COCO captions {data}: {usable.Count} images with {usable.Sum(i => i.Captions.Count)} captions (images from {images}); every 10th image is validation",
            };
            if (coco.MissingImages.Count > 0) notes.Add($"{coco.MissingImages.Count} images listed in the JSON are missing from {images} and were left out (first: {coco.MissingImages[0]})");
            return new CaptionDataset($"COCO captions ({Path.GetFileName(data)})",
                all.Where(x => x.k % 10 != 0).Select(x => x.item).ToList(), all.Where(x => x.k % 10 == 0).Select(x => x.item).ToList(), notes);
        }
        if (Directory.Exists(data) && File.Exists(Path.Combine(data, Cs231nCaptionsFile))) return LoadCs231n(data, quick);
        if (!File.Exists(data) && !Directory.Exists(data))
            throw new FileNotFoundException($"--data '{data}': no such file or folder (use 'generated', a COCO captions JSON file or a cs231n coco_captioning folder).", data);
        throw new NotSupportedException($"--data '{data}': expected 'generated', a COCO captions .json file, or a folder holding cs231n's {Cs231nCaptionsFile} " +
                                        "(with coco2014_vocab.json and the *_vgg16_fc7_pca.h5 feature files).");
    }

    /// <summary>The file that marks a cs231n captioning folder.</summary>
    public const string Cs231nCaptionsFile = "coco2014_captions.h5";

    /// <summary>Images kept per split by <c>--quick</c> from the cs231n files (train, val).</summary>
    public const int QuickCs231nTrainImages = 500, QuickCs231nValImages = 100;

    /// <summary>
    /// The cs231n files (PCA-reduced VGG16 fc7 features, 512 per image): one <see cref="CaptionedImage"/> per feature
    /// row that has captions, in row order, its captions decoded to text with the file's vocabulary (the captioner
    /// builds its own from them; cs231n's <c>&lt;UNK&gt;</c> stays the unknown word). The image id is the file name of
    /// its URL when the URL list is present, else <c>train/ROW</c> or <c>val/ROW</c>. <paramref name="quick"/> keeps
    /// the first 500 training and 100 validation images.
    /// </summary>
    public static CaptionDataset LoadCs231n(string folder, bool quick)
    {
        var data = Cs231nCaptioningReader.Load(folder);
        var train = Images(data, data.Train, "train", quick ? QuickCs231nTrainImages : int.MaxValue);
        var val = Images(data, data.Val, "val", quick ? QuickCs231nValImages : int.MaxValue);
        var notes = new List<string>
        {
            $"cs231n captioning files in {folder}: {train.Count} training images with {train.Sum(i => i.Captions.Count)} captions, " +
            $"{val.Count} validation images with {val.Sum(i => i.Captions.Count)} captions; precomputed {data.Train.FeatureDimension}-d features " +
            $"(VGG16 fc7, PCA), vocabulary of the file {data.IdxToWord.Count} words" + (quick ? $" (--quick: first {QuickCs231nTrainImages}/{QuickCs231nValImages} images)" : ""),
        };
        return new CaptionDataset($"cs231n COCO captioning ({Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar))})", train, val, notes);
    }

    static List<CaptionedImage> Images(CaptioningData data, CaptionSplit split, string name, int maxImages)
    {
        var captionsOf = new List<string>?[split.FeatureCount];
        for (int i = 0; i < split.Count; i++)
            (captionsOf[split.ImageIndices[i]] ??= new List<string>()).Add(data.Decode(split.Caption(i)));
        var images = new List<CaptionedImage>();
        for (int row = 0; row < split.FeatureCount && images.Count < maxImages; row++)
        {
            if (captionsOf[row] is not { } captions) continue;
            string id = split.Urls is { } urls && urls[row].Length > 0
                ? Path.GetFileNameWithoutExtension(urls[row].TrimEnd('/')) : FormattableString.Invariant($"{name}/{row}");
            images.Add(new CaptionedImage(id, null, captions, split.Features.AsSpan(row * split.FeatureDimension, split.FeatureDimension).ToArray()));
        }
        return images;
    }
}
