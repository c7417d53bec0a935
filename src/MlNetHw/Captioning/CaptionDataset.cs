namespace MlNetHw.Captioning;

/// <summary>
/// One image and its reference captions. <see cref="ImagePath"/> is set for image sources (generated scenes, COCO
/// images); <see cref="Features"/> for sources that ship precomputed CNN features (the cs231n HDF5 files), which
/// skip the ResNet18 featurizer.
/// </summary>
public sealed record CaptionedImage(string Id, string? ImagePath, IReadOnlyList<string> Captions, float[]? Features = null);

/// <summary>A captioning data set split into training and validation images.</summary>
/// <param name="Name">Where it came from ("generated scenes seed 0", a file path).</param>
/// <param name="Train">Training images (what the vocabulary and the captioner are fitted on).</param>
/// <param name="Val">Validation images, never trained on.</param>
/// <param name="Notes">Lines describing the split (held-out combinations, counts), printed and written to the sheet.</param>
public sealed record CaptionDataset(string Name, IReadOnlyList<CaptionedImage> Train, IReadOnlyList<CaptionedImage> Val, IReadOnlyList<string> Notes)
{
    /// <summary>True when every image carries precomputed features (no image files to featurize).</summary>
    public bool HasFeatures => Train.Concat(Val).All(i => i.Features is not null);
}
