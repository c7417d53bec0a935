using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.ML.Transforms.Onnx;
using SkiaSharp;

namespace MlNetHw.Backbones;

/// <summary>
/// The ResNet18 image featurizer of 'freeze' and captioning, made of ML.NET's own transforms:
/// <c>LoadImages → ResizeImages(224²) → ExtractPixels → ApplyOnnxModel</c> over the packaged preprocessing and network
/// merged into one graph, giving 512 floats per image, the features of <c>DnnFeaturizeImage(ResNet18)</c> (the pretrained
/// network ships in the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, no download).
/// </summary>
public static class ResNet18Featurizer
{
    /// <summary>Length of the feature vector.</summary>
    public const int FeatureDim = 512;

    /// <summary>Name of the pixel column the chain writes (and the merged graph's input).</summary>
    public const string PixelsColumn = "Pixels";

    /// <summary>
    /// The ML.NET estimator chain from a text column of image paths to a 512-float feature column, the one chain every
    /// part uses: 'freeze' (part 1) crops to a square (<see cref="ImageResizingEstimator.ResizingKind.IsoCrop"/>),
    /// captioning (part 5) stretches (<see cref="ImageResizingEstimator.ResizingKind.Fill"/>, ML.NET's default).
    /// <c>LoadImages → ResizeImages → ExtractPixels → ApplyOnnxModel</c> over the packaged preprocessing and ResNet18
    /// merged into one graph (<see cref="PackagedResNet18.MergedModelPath"/>): the same nodes and weights as
    /// <c>DnnFeaturizeImage</c> (<see cref="DnnFeaturizeImageEstimator"/>, same features), but one ONNX Runtime session
    /// and one call per image instead of two, and the threads chosen. Leaves the intermediate columns <c>Image</c> and
    /// <c>Pixels</c> in the view. All of it is ML.NET's own transformers: a saved model loads with ML.NET alone.
    /// </summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="imagePathColumn">Text column with the image files.</param>
    /// <param name="featuresColumn">Output column: a vector of 512 floats (shape 1×512×1×1, like DnnFeaturizeImage's).</param>
    /// <param name="resizing">How images are brought to the square.</param>
    /// <param name="imageSize">Side of the square; the packaged network takes 224.</param>
    /// <param name="threads">ONNX Runtime's intra-op threads (one image at a time, so these are all the threads it
    /// uses); null or 0 = ONNX Runtime's default (the physical cores). Not saved with the model: a loaded model uses the default.</param>
    public static IEstimator<ITransformer> Estimator(MLContext ml, string imagePathColumn = "ImagePath", string featuresColumn = "Features",
        ImageResizingEstimator.ResizingKind resizing = ImageResizingEstimator.ResizingKind.Fill, int imageSize = PackagedResNet18.ImageSize,
        int? threads = null) =>
        PixelsEstimator(ml, imagePathColumn, resizing, imageSize)
            .Append(ml.Transforms.ApplyOnnxModel(OnnxOptions(PixelsColumn, featuresColumn, threads)));

    /// <summary>
    /// The ONNX part of <see cref="Estimator"/> alone: <c>ApplyOnnxModel</c> over the merged graph, from a column
    /// <paramref name="pixelsColumn"/> of 3×224×224 RGB floats in 0..255 (ExtractPixels' layout) to the features.
    /// </summary>
    public static IEstimator<ITransformer> PixelsToFeatures(MLContext ml, string pixelsColumn = PixelsColumn, string featuresColumn = "Features", int? threads = null) =>
        ml.Transforms.ApplyOnnxModel(OnnxOptions(pixelsColumn, featuresColumn, threads));

    static OnnxOptions OnnxOptions(string pixelsColumn, string featuresColumn, int? threads)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be 0 (ONNX Runtime's default) or more.");
        return new OnnxOptions
        {
            ModelFile = PackagedResNet18.MergedModelPath(pixelsColumn, featuresColumn),
            InputColumns = new[] { pixelsColumn },
            OutputColumns = new[] { featuresColumn },
            // One image per call: parallelism across graph nodes has nothing to run in parallel.
            InterOpNumThreads = 1,
            IntraOpNumThreads = threads is > 0 ? threads : null,
        };
    }

    /// <summary>
    /// The chain before the network: <c>LoadImages → ResizeImages → ExtractPixels</c> into <see cref="PixelsColumn"/>
    /// (the column <c>Image</c> stays in the view).
    /// </summary>
    public static EstimatorChain<ImagePixelExtractingTransformer> PixelsEstimator(MLContext ml, string imagePathColumn = "ImagePath",
        ImageResizingEstimator.ResizingKind resizing = ImageResizingEstimator.ResizingKind.Fill, int imageSize = PackagedResNet18.ImageSize) =>
        ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: imagePathColumn)
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: imageSize, imageHeight: imageSize, resizing: resizing))
            .Append(ml.Transforms.ExtractPixels(PixelsColumn, "Image"));

    /// <summary>
    /// The chain as ML.NET's own image featurizer builds it, and as this library did before the merged graph:
    /// <c>LoadImages → ResizeImages → ExtractPixels → DnnFeaturizeImage(ResNet18)</c> (two ONNX Runtime sessions per image,
    /// default session options). Kept as the reference the merged chain is checked against, and for the benchmark.
    /// </summary>
    public static IEstimator<ITransformer> DnnFeaturizeImageEstimator(MLContext ml, string imagePathColumn = "ImagePath", string featuresColumn = "Features",
        ImageResizingEstimator.ResizingKind resizing = ImageResizingEstimator.ResizingKind.Fill, int imageSize = PackagedResNet18.ImageSize) =>
        PixelsEstimator(ml, imagePathColumn, resizing, imageSize)
            .Append(ml.Transforms.DnnFeaturizeImage(featuresColumn, m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), PixelsColumn));

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
    /// The fitted featurizer (nothing is learned: fitting only binds the columns), reading column <c>ImagePath</c>;
    /// <paramref name="threads"/> as in <see cref="Estimator"/> (null or 0 = ONNX Runtime's default).
    /// </summary>
    public static ITransformer Fit(MLContext ml, int? threads = null) =>
        Estimator(ml, threads: threads).Fit(ml.Data.LoadFromEnumerable(Array.Empty<PathRow>()));
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
