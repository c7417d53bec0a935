using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Data;

namespace MlNetHw.Vision;

/// <summary>Output row of the freeze and finetune models: class probabilities and the predicted class name.</summary>
public sealed class ImagePrediction
{
    /// <summary>Path of the scored image file.</summary>
    public string ImagePath { get; set; } = "";
    /// <summary>The true class name (the image's folder), passed through from the input.</summary>
    public string Label { get; set; } = "";
    /// <summary>Probability per class, in the order of the dataset's classes.</summary>
    public float[] Score { get; set; } = Array.Empty<float>();
    /// <summary>Name of the class with the highest probability.</summary>
    public string PredictedLabel { get; set; } = "";
}

/// <summary>One validation prediction, for confusion matrices and the misclassified-image grid.</summary>
public sealed record ImageClassification(string Path, int Label, int Predicted, float[] Probabilities)
{
    /// <summary>Probability of the predicted class; NaN when no class was predicted.</summary>
    public float Confidence => Probabilities.Length > Predicted && Predicted >= 0 ? Probabilities[Predicted] : float.NaN;
}

/// <summary>Accuracy, confusion matrix and per-image predictions of one model on one split.</summary>
public sealed record ClassificationOutcome(IReadOnlyList<string> Classes, IReadOnlyList<ImageClassification> Predictions)
{
    /// <summary>Fraction of predictions equal to the true class (0 for no predictions).</summary>
    public double Accuracy => Predictions.Count == 0 ? 0 : Predictions.Count(p => p.Label == p.Predicted) / (double)Predictions.Count;

    /// <summary>Counts [true class, predicted class].</summary>
    public int[,] ConfusionMatrix
    {
        get
        {
            var m = new int[Classes.Count, Classes.Count];
            foreach (var p in Predictions) if (p.Predicted >= 0) m[p.Label, p.Predicted]++;
            return m;
        }
    }

    /// <summary>The predictions whose class differs from the true one, in split order.</summary>
    public IEnumerable<ImageClassification> Misclassified => Predictions.Where(p => p.Label != p.Predicted);
}

/// <summary>Helpers shared by the ML.NET image pipelines.</summary>
public static class ImageRows
{
    /// <summary>
    /// Runs a fitted ML.NET model (freeze, baseline or exported finetune) on a split and collects its predictions.
    /// The predicted class is the one named by the 'PredictedLabel' column.
    /// </summary>
    public static ClassificationOutcome Evaluate(MLContext ml, ITransformer model, ImageFolderSplit split)
    {
        var view = model.Transform(ImageFolderReader.Load(ml, split));
        var scores = view.GetColumn<float[]>(nameof(ImagePrediction.Score)).ToList();
        var labels = view.GetColumn<string>(nameof(ImagePrediction.PredictedLabel)).ToList();
        var truth = split.ClassIndices();
        var index = split.Classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i);
        var preds = split.Rows.Select((x, i) => new ImageClassification(x.ImagePath, truth[i],
            index.TryGetValue(labels[i], out int p) ? p : -1, scores[i])).ToList();
        return new ClassificationOutcome(split.Classes, preds);
    }
}
