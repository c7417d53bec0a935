using MlNetHw.Data;

namespace MlNetHw.Captioning;

/// <summary>
/// Captioning data other than the generated scenes, chosen by the <c>--data</c> value: a COCO captions JSON file
/// (read by <see cref="CocoCaptionsReader"/>), with its images in an <c>images/</c> folder next to it or in its own folder.
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
        if (!File.Exists(data) && !Directory.Exists(data))
            throw new FileNotFoundException($"--data '{data}': no such file or folder (use 'generated' or a COCO captions JSON file).", data);
        throw new NotSupportedException($"--data '{data}': only a COCO captions .json file is supported besides 'generated' (cs231n HDF5 features are not wired into the captioner yet).");
    }
}
