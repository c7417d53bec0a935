using Microsoft.ML;
using MlNetHw.MlNet.Mlp;

namespace MlNetHw.MlNet;

/// <summary>Catalog entry points of MlNetHw's TorchSharp-backed estimators, in the ML.NET style.</summary>
public static class TorchCatalogExtensions
{
    /// <summary>
    /// A TorchSharp MLP binary classifier over a <c>float[]</c> feature column. Adds <c>Score</c>, <c>Probability</c>
    /// and <c>PredictedLabel</c>. Save fitted chains with <see cref="ModelArchive.Save"/>.
    /// </summary>
    public static TorchMlpBinaryTrainer TorchMlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        TorchMlpBinaryOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>The same with the common settings as arguments (other settings at their defaults).</summary>
    public static TorchMlpBinaryTrainer TorchMlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int[]? hiddenSizes = null, int epochs = 20,
        double learningRate = 1e-2, int seed = 1)
    {
        var options = new TorchMlpBinaryOptions { LabelColumnName = labelColumnName, FeatureColumnName = featureColumnName };
        if (hiddenSizes is not null) options.HiddenSizes = hiddenSizes;
        options.Training.Epochs = epochs;
        options.Training.LearningRate = learningRate;
        options.Training.Seed = seed;
        return new(CatalogEnvironment.Of(catalog), options);
    }
}
