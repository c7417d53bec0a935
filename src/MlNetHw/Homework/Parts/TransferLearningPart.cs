using System.Globalization;
using MlNetHw.Vision;

namespace MlNetHw.Homework.Parts;

/// <summary>
/// Part 1: ResNet18 transfer learning, 'freeze' (ML.NET) and 'finetune' (TorchSharp), with a raw-pixel baseline.
/// The default data is Fashion-MNIST shirt vs pullover, a pair on which raw pixels do not already reach 97 %, so
/// the report shows what transfer learning buys (the candidates' numbers are in docs/transfer-learning.md).
/// </summary>
public sealed class TransferLearningPart : IHomeworkPart
{
    /// <inheritdoc/>
    public int Number => 1;
    /// <inheritdoc/>
    public string Title => "Transfer learning: ResNet18, freeze and finetune";
    /// <inheritdoc/>
    public double QuickMinutes => 8;
    const string DataKey = "transfer.data";
    /// <inheritdoc/>
    public IReadOnlyList<string> OverrideKeys => [DataKey];

    /// <summary>Part 1's default data set (catalog id).</summary>
    public const string DefaultDataset = "fashion-mnist-shirt-pullover";

    /// <summary>Overrides: <c>transfer.data</c> (an image folder with train/ and val/).</summary>
    static TransferLearningOptions Options(PartContext c)
    {
        var o = new TransferLearningOptions
        {
            Mode = TransferMode.Both, DataFolder = c.Override(DataKey), DatasetId = DefaultDataset, Run = c.Run,
        };
        switch (c.Size)
        {
            case RunSize.Tiny: o.Run = o.Run with { Quick = true }; o.MaxTrainImages = 8; o.MaxValImages = 8; o.Finetune.Training.Epochs = 1; break;
            case RunSize.Quick: o.Finetune.Training.Epochs = 5; break; // the whole data set, 5 of the tutorial's 25 epochs
        }
        return o;
    }

    /// <inheritdoc/>
    public string Fingerprint(PartContext context)
    {
        var o = Options(context);
        return $"{o.DataFolder ?? o.DatasetId}|{o.Finetune.Training.Epochs}|{o.MaxTrainImages}|{o.MaxValImages}";
    }

    /// <inheritdoc/>
    public PartResult Run(PartContext context)
    {
        var options = Options(context);
        context.Progress(0, "baseline, freeze and finetune");
        var r = TransferLearningExperiment.Run(options);
        context.Progress(1, "done");
        var result = new PartResult();
        foreach (var m in r.Models)
        {
            string? reference = m.Name switch
            {
                "freeze" => "0.954248 (hymenoptera)",
                "finetune" => "0.947712 (hymenoptera)",
                _ => null,
            };
            result.Metrics.Add(new PartMetric($"{m.Name}: val accuracy", m.ValAccuracy, reference, Headline: true));
            if (m.BestEpochAccuracy is { } best)
                result.Metrics.Add(new PartMetric($"{m.Name}: best epoch ({m.BestEpoch}) / last epoch val accuracy", best,
                    $"last epoch {m.LastEpochAccuracy?.ToString("0.0000", CultureInfo.InvariantCulture)}"));
            if (m.MisclassifiedGridPath is { } grid && File.Exists(grid)) result.Images.Add(new PartImage(grid, $"{m.Name}: misclassified validation images"));
        }
        if (r.LossCurvesPath is { } loss && File.Exists(loss)) result.Images.Insert(0, new PartImage(loss, "finetune: train and val loss per epoch"));
        if (r.AccuracyCurvesPath is { } acc && File.Exists(acc)) result.Images.Insert(0, new PartImage(acc, "accuracy per epoch (finetune; freeze and baseline dashed)"));
        result.Markdown.Add($"Data: `{r.DataFolder}`, classes {string.Join(", ", r.Classes)}, {r.TrainImages} train / {r.ValImages} val images. " +
                            $"The homework's numbers are on hymenoptera (ants/bees), which needs internet; this run uses the catalog's `{DefaultDataset}` unless `--set transfer.data=DIR` is given.");
        result.Markdown.Add(TransferLearningExperiment.ConfusionMarkdown(r));
        result.Settings["finetune epochs"] = options.Finetune.Training.Epochs.ToString(CultureInfo.InvariantCulture);
        result.Settings["finetune recipe"] = $"SGD lr {options.Finetune.Training.LearningRate} momentum {options.Finetune.Training.Momentum}, StepLR({options.Finetune.Training.StepSize}, {options.Finetune.Training.Gamma}), batch {options.Finetune.Training.BatchSize}";
        result.Settings["images (train/val cap)"] = $"{options.MaxTrainImages}/{options.MaxValImages} (0 = all)";
        result.Settings["seed"] = options.Run.Seed.ToString(CultureInfo.InvariantCulture);
        result.Usage = Usage(r);
        return result;
    }

    /// <summary>How to load the saved .zip files: ML.NET models whose input is an image path column.</summary>
    static string Usage(TransferLearningResult r)
    {
        var zips = r.Models.Where(m => m.ModelPath is { } p && File.Exists(p)).Select(m => $"`{Path.GetFullPath(m.ModelPath!)}` ({m.Name})").ToList();
        return "The models are ML.NET .zip files whose input is a column `ImagePath` (string, an image file) and whose output is " +
               $"`PredictedLabel` (one of {string.Join(", ", r.Classes)}): {string.Join(", ", zips)}. There is no predict command; load a zip in code:\n\n" +
               "```\n" +
               "var ml = new MLContext();\n" +
               "ITransformer model = ml.Model.Load(\"freeze.zip\", out _);\n" +
               "// class Input { public string ImagePath { get; set; } = \"\"; }  class Prediction { public string PredictedLabel { get; set; } = \"\"; }\n" +
               "var rows = ml.Data.LoadFromEnumerable(new[] { new Input { ImagePath = \"/path/to/image.png\" } });\n" +
               "var labels = ml.Data.CreateEnumerable<Prediction>(model.Transform(rows), reuseRowObject: false);\n" +
               "```";
    }
}
