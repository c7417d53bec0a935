using MlNetHw.Datasets;

namespace MlNetHw.Style;

/// <summary>
/// The default photo and painting, from the dataset catalog ("content-photos" and "style-starry-night"), fetched
/// into the dataset cache on first use (see docs/datasets.md).
/// </summary>
public static class StyleDefaultImages
{
    /// <summary>Path of <see cref="ResNet18StyleDefaults.ContentPhoto"/>.</summary>
    public static string ContentPhoto(TextWriter? log = null) =>
        Path.Combine(DatasetCatalog.Default.Resolve("content-photos", new DatasetFetchOptions { Log = log }), ResNet18StyleDefaults.ContentPhoto);

    /// <summary>Path of <see cref="ResNet18StyleDefaults.StylePainting"/>.</summary>
    public static string Painting(TextWriter? log = null) =>
        Path.Combine(DatasetCatalog.Default.Resolve("style-starry-night", new DatasetFetchOptions { Log = log }), ResNet18StyleDefaults.StylePainting);
}
