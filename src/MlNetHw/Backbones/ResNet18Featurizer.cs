using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace MlNetHw.Backbones;

/// <summary>
/// The image half of the captioning pipeline, made of ML.NET's own transforms:
/// <c>LoadImages → ResizeImages(224²) → ExtractPixels → DnnFeaturizeImage(ResNet18)</c>, giving 512 floats per image
/// (the pretrained network ships in the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, no download).
/// </summary>
public static class ResNet18Featurizer
{
    /// <summary>Length of the feature vector.</summary>
    public const int FeatureDim = 512;

    /// <summary>
    /// The ML.NET estimator chain from a text column of image paths to a 512-float feature column, the one chain every
    /// part uses: 'freeze' (part 1) crops to a square (<see cref="ImageResizingEstimator.ResizingKind.IsoCrop"/>),
    /// captioning (part 5) stretches (<see cref="ImageResizingEstimator.ResizingKind.Fill"/>, ML.NET's default).
    /// Leaves the intermediate columns <c>Image</c> and <c>Pixels</c> in the view.
    /// </summary>
    public static IEstimator<ITransformer> Estimator(MLContext ml, string imagePathColumn = "ImagePath", string featuresColumn = "Features",
        ImageResizingEstimator.ResizingKind resizing = ImageResizingEstimator.ResizingKind.Fill, int imageSize = PackagedResNet18.ImageSize) =>
        ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: imagePathColumn)
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: imageSize, imageHeight: imageSize, resizing: resizing))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(ml.Transforms.DnnFeaturizeImage(featuresColumn, m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));

    /// <summary>
    /// Null when the file exists and decodes as an image; otherwise a message naming the path and the reason.
    /// Used before featurizing, because ML.NET's image loader fails late and without the file name.
    /// </summary>
    public static string? CheckImage(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return "image path is empty";
        if (!File.Exists(path)) return $"image '{path}' does not exist";
        // The shared check (MlNetHw.Data.ImageFile): truncated files and oversized images are refused too.
        return MlNetHw.Data.ImageFile.Problem(path) is { } problem ? $"image '{path}': {problem}" : null;
    }

    sealed class PathRow { public string ImagePath { get; set; } = ""; }

    /// <summary>
    /// The fitted featurizer (nothing is learned: fitting only binds the columns), reading column <c>ImagePath</c>.
    /// </summary>
    public static ITransformer Fit(MLContext ml) => Estimator(ml).Fit(ml.Data.LoadFromEnumerable(Array.Empty<PathRow>()));
    sealed class FeatureRow { public float[] Features { get; set; } = Array.Empty<float>(); }

    /// <summary>
    /// Features of many images, in order. Images that fail <see cref="CheckImage"/> get null features and their
    /// message in <paramref name="failures"/> (index, message), so one bad file costs one image, not the run.
    /// </summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="paths">Image files.</param>
    /// <param name="failures">Images left out: index in <paramref name="paths"/> and message naming the path.</param>
    /// <param name="progress">Called with (done, total) after each featurized image.</param>
    /// <param name="featurizer">A transformer from <see cref="Fit"/> to reuse; null = fit one.</param>
    public static float[]?[] Compute(MLContext ml, IReadOnlyList<string> paths, out List<(int Index, string Message)> failures,
        Action<int, int>? progress = null, ITransformer? featurizer = null)
    {
        failures = new List<(int, string)>();
        var good = new List<int>();
        for (int i = 0; i < paths.Count; i++)
        {
            if (CheckImage(paths[i]) is { } error) failures.Add((i, error));
            else good.Add(i);
        }
        var result = new float[]?[paths.Count];
        if (good.Count == 0) return result;
        var data = ml.Data.LoadFromEnumerable(good.Select(i => new PathRow { ImagePath = paths[i] }));
        var model = featurizer ?? Estimator(ml).Fit(data);
        int done = 0;
        foreach (var row in ml.Data.CreateEnumerable<FeatureRow>(model.Transform(data), reuseRowObject: false))
        {
            if (row.Features.Length != FeatureDim)
                throw new InvalidOperationException($"ResNet18 gave {row.Features.Length} features for '{paths[good[done]]}' (expected {FeatureDim}).");
            result[good[done]] = row.Features;
            done++;
            progress?.Invoke(done, good.Count);
        }
        return result;
    }
}
