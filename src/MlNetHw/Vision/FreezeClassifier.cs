using MlNetHw.Backbones;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms.Image;
using MlNetHw.Data;

namespace MlNetHw.Vision;

/// <summary>Settings of the ML.NET-native 'freeze' pipeline (pretrained backbone features + a linear classifier).</summary>
public sealed class FreezeOptions
{
    /// <summary>Images are resized to this square (aspect kept, centre crop) before the network. Default 224, what the packaged ResNet18 takes.</summary>
    public int ImageSize { get; set; } = 224;
    /// <summary>L2 weight of the multinomial logistic regression (LbfgsMaximumEntropy). Default 1.</summary>
    public float L2Regularization { get; set; } = 1f;
    /// <summary>L1 weight. Default 0 (ML.NET's default is 1, which zeroes many of the 512 features).</summary>
    public float L1Regularization { get; set; }
    /// <summary>L-BFGS iteration cap. Default 100.</summary>
    public int MaximumIterations { get; set; } = 100;
    /// <summary>
    /// ONNX Runtime threads of the ResNet18 featurizer while fitting and scoring in this process; 0 = ONNX Runtime's
    /// default (the physical cores). Not saved: a loaded model uses the default.
    /// </summary>
    public int Threads { get; set; }
}

/// <summary>
/// 'freeze' transfer learning entirely in ML.NET: <c>LoadImages → ResizeImages → ExtractPixels →
/// ApplyOnnxModel(packaged preprocessing + ResNet18, one graph) → LbfgsMaximumEntropy</c>
/// (<see cref="ResNet18Featurizer.Estimator"/>: the features of <c>DnnFeaturizeImage(ResNet18)</c>, one ONNX Runtime
/// call per image instead of two). The fitted model is an ordinary ML.NET transformer chain, saved and loaded with
/// <c>mlContext.Model.Save/Load</c>; its input is <see cref="ImageRow"/>, its output <see cref="ImagePrediction"/>
/// (Score per class, PredictedLabel). The graph applies the packaged preprocessing (BGR, minus the mean image) itself,
/// so the pixels go in unscaled.
/// </summary>
public static class FreezeClassifier
{
    /// <summary>The estimator chain (unfitted). Label values become keys in the order the training data shows them.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext ml, FreezeOptions? options = null)
    {
        var o = options ?? new FreezeOptions();
        return ml.Transforms.Conversion.MapValueToKey("LabelKey", nameof(ImageRow.Label))
            .Append(ResNet18Featurizer.Estimator(ml, nameof(ImageRow.ImagePath), "Features", ImageResizingEstimator.ResizingKind.IsoCrop, o.ImageSize, o.Threads))
            .Append(ml.Transforms.DropColumns("Image", "Pixels"))
            // L-BFGS reads the data many times: cache the 512 features instead of re-running ResNet18 per pass.
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = "LabelKey", FeatureColumnName = "Features",
                L2Regularization = o.L2Regularization, L1Regularization = o.L1Regularization,
                MaximumNumberOfIterations = o.MaximumIterations,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue(nameof(ImagePrediction.PredictedLabel), "PredictedLabel"));
    }

    /// <summary>Fits the pipeline on a train split, with classes in the split's order.</summary>
    public static ITransformer Fit(MLContext ml, ImageFolderSplit train, FreezeOptions? options = null) =>
        BuildPipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(OrderedRows(train)));

    /// <summary>
    /// 'freeze' with a user's backbone: <c>LoadImages → ResizeImages(S, IsoCrop) → ExtractPixels → ApplyOnnxModel
    /// (the graph cut at the feature node, normalisation inside: <see cref="BackboneExport.Features"/>, read from
    /// <paramref name="featuresOnnxPath"/>) → LbfgsMaximumEntropy → MapKeyToValue</c>, S the backbone's input size
    /// (<see cref="FreezeOptions.ImageSize"/> is not used). Only ML.NET's own transforms: the saved zip is plain.
    /// </summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext ml, FreezeOptions? options, OnnxBackbone backbone, string featuresOnnxPath)
    {
        var o = options ?? new FreezeOptions();
        int s = backbone.InputSize;
        return ml.Transforms.Conversion.MapValueToKey("LabelKey", nameof(ImageRow.Label))
            .Append(ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: nameof(ImageRow.ImagePath)))
            .Append(ml.Transforms.ResizeImages("Image", s, s, resizing: ImageResizingEstimator.ResizingKind.IsoCrop))
            .Append(ml.Transforms.ExtractPixels(FinetuneExport.InputName, "Image"))
            .Append(ml.Transforms.ApplyOnnxModel(new[] { BackboneExport.FeaturesName }, new[] { FinetuneExport.InputName }, featuresOnnxPath))
            .Append(ml.Transforms.DropColumns("Image", FinetuneExport.InputName))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = "LabelKey", FeatureColumnName = BackboneExport.FeaturesName,
                L2Regularization = o.L2Regularization, L1Regularization = o.L1Regularization,
                MaximumNumberOfIterations = o.MaximumIterations,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue(nameof(ImagePrediction.PredictedLabel), "PredictedLabel"));
    }

    /// <summary>
    /// Writes the backbone's feature graph to <paramref name="featuresOnnxPath"/> and fits the backbone pipeline
    /// (<see cref="BuildPipeline(MLContext, FreezeOptions?, OnnxBackbone, string)"/>) on a train split.
    /// </summary>
    public static ITransformer Fit(MLContext ml, ImageFolderSplit train, FreezeOptions? options, OnnxBackbone backbone, string featuresOnnxPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(featuresOnnxPath))!);
        BackboneExport.Features(backbone, backbone.InputSize).Save(featuresOnnxPath);
        return BuildPipeline(ml, options, backbone, featuresOnnxPath).Fit(ml.Data.LoadFromEnumerable(OrderedRows(train)));
    }

    /// <summary>Train rows, with one row of each class first so that key indices follow <see cref="ImageFolderSplit.Classes"/>.</summary>
    internal static IEnumerable<ImageRow> OrderedRows(ImageFolderSplit train)
    {
        var byClass = train.Rows.GroupBy(r => train.ClassIndex(r.Label)).OrderBy(g => g.Key).ToList();
        return byClass.Select(g => g.First()).Concat(byClass.SelectMany(g => g.Skip(1)));
    }
}

/// <summary>Settings of the raw-pixel baseline (multinomial logistic regression on resized pixels).</summary>
public sealed class PixelBaselineOptions
{
    /// <summary>Images are resized (whole image, no crop) to this square. Default 32.</summary>
    public int ImageSize { get; set; } = 32;
    /// <summary>L2 weight. Default 1.</summary>
    public float L2Regularization { get; set; } = 1f;
    /// <summary>L-BFGS iteration cap. Default 100.</summary>
    public int MaximumIterations { get; set; } = 100;
}

/// <summary>
/// The baseline that measures what pretrained features add: <c>LoadImages → ResizeImages → ExtractPixels (÷255) →
/// LbfgsMaximumEntropy</c>, all ML.NET.
/// </summary>
public static class PixelBaseline
{
    /// <summary>The unfitted pipeline: label to key, pixels (÷255) of the resized image, L-BFGS maximum entropy, key back to class name.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext ml, PixelBaselineOptions? options = null)
    {
        var o = options ?? new PixelBaselineOptions();
        return ml.Transforms.Conversion.MapValueToKey("LabelKey", nameof(ImageRow.Label))
            .Append(ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: nameof(ImageRow.ImagePath)))
            .Append(ml.Transforms.ResizeImages("Image", o.ImageSize, o.ImageSize, resizing: ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255))
            .Append(ml.Transforms.DropColumns("Image"))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = "LabelKey", FeatureColumnName = "Features",
                L2Regularization = o.L2Regularization, L1Regularization = 0, MaximumNumberOfIterations = o.MaximumIterations,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue(nameof(ImagePrediction.PredictedLabel), "PredictedLabel"));
    }

    /// <summary>Fits the baseline on the training split's images.</summary>
    public static ITransformer Fit(MLContext ml, ImageFolderSplit train, PixelBaselineOptions? options = null) =>
        BuildPipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(FreezeClassifier.OrderedRows(train)));
}
