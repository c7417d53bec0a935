using MlNetHw.Data;
using MlNetHw.MlNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Vision;

/// <summary>One mini-batch of images for the finetune network.</summary>
/// <param name="Pixels">(N, 3, 224, 224) float32 RGB planes in 0..255.</param>
/// <param name="Labels">(N) int64 class indices.</param>
public readonly record struct ImageBatch(Tensor Pixels, Tensor Labels);

/// <summary>
/// Image files as mini-batches for <see cref="TorchTrainer{TBatch}"/> (a torchvision <c>ImageFolder</c> +
/// transforms + <c>DataLoader</c>): each batch decodes its files with SkiaSharp and transforms them.
/// <see cref="Training"/> applies RandomResizedCrop + horizontal flip; its randomness comes only from the epoch seed the
/// trainer passes to <see cref="StartEpoch"/> and the image's index, so a run is reproducible from its seed (and a
/// resumed run draws what the uninterrupted one drew). <see cref="Evaluation"/> applies Resize + CenterCrop.
/// </summary>
public sealed class ImageBatchSource : IBatchSource<ImageBatch>, IEpochAwareBatchSource
{
    readonly IReadOnlyList<string> _paths;
    readonly long[] _labels;
    readonly FinetuneOptions _options;
    readonly bool _augment;
    int? _epochSeed;

    ImageBatchSource(IReadOnlyList<string> paths, IReadOnlyList<int> labels, FinetuneOptions options, bool augment)
    {
        if (paths.Count != labels.Count) throw new ArgumentException($"{paths.Count} paths but {labels.Count} labels.");
        _paths = paths;
        _labels = labels.Select(l => (long)l).ToArray();
        _options = options;
        _augment = augment;
    }

    /// <summary>Training batches of <paramref name="split"/>: RandomResizedCrop(<see cref="FinetuneOptions.CropSize"/>, scale from <see cref="FinetuneOptions.MinCropScale"/>) + optional flip.</summary>
    public static ImageBatchSource Training(ImageFolderSplit split, FinetuneOptions options) =>
        new(split.Rows.Select(r => r.ImagePath).ToList(), split.ClassIndices(), options, augment: true);

    /// <summary>Validation batches of <paramref name="split"/>: Resize(<see cref="FinetuneOptions.ResizeSize"/>) + CenterCrop(<see cref="FinetuneOptions.CropSize"/>), no randomness.</summary>
    public static ImageBatchSource Evaluation(ImageFolderSplit split, FinetuneOptions options) =>
        new(split.Rows.Select(r => r.ImagePath).ToList(), split.ClassIndices(), options, augment: false);

    /// <inheritdoc/>
    public int Count => _paths.Count;

    /// <inheritdoc/>
    public void StartEpoch(int epoch, int seed) => _epochSeed = seed;

    /// <summary>The seed of image <paramref name="index"/>'s crop and flip in the epoch seeded <paramref name="epochSeed"/>.</summary>
    // A fixed integer mix, not HashCode.Combine: HashCode is seeded randomly per process, which would make runs differ.
    public static int ImageSeed(int epochSeed, int index) =>
        unchecked((int)(((uint)epochSeed * 2654435761u) ^ ((uint)index * 2246822519u + 374761393u)) & 0x7FFFFFFF);

    /// <inheritdoc/>
    public ImageBatch GetBatch(ReadOnlySpan<int> indices, Device device)
    {
        if (_augment && _epochSeed is null)
            throw new InvalidOperationException("the training source draws its augmentation from the epoch seed: call StartEpoch first (TorchTrainer does).");
        int n = indices.Length, s = _options.CropSize, plane = 3 * s * s;
        var pixels = new float[n * plane];
        var labels = new long[n];
        for (int b = 0; b < n; b++)
        {
            int i = indices[b];
            using var bmp = ImageTransforms.Decode(_paths[i]);
            var image = _augment
                ? ImageTransforms.RandomResizedCrop(bmp, s, new Random(ImageSeed(_epochSeed!.Value, i)), _options.HorizontalFlip, _options.MinCropScale)
                : ImageTransforms.ResizeCenterCrop(bmp, _options.ResizeSize, s);
            Array.Copy(image, 0, pixels, b * plane, plane);
            labels[b] = _labels[i];
        }
        return new ImageBatch(torch.tensor(pixels, new long[] { n, 3, s, s }, device: device), torch.tensor(labels, device: device));
    }
}
