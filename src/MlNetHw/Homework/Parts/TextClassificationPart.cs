using System.Globalization;
using MlNetHw.Text;

namespace MlNetHw.Homework.Parts;

/// <summary>Part 6: sentence classification with bag of words, learned embeddings, GloVe, RNN and LSTM.</summary>
public sealed class TextClassificationPart : IHomeworkPart
{
    public int Number => 6;
    public string Title => "Text classification: BoW, embeddings, GloVe, RNN, LSTM";
    public double QuickMinutes => 6;

    /// <summary>Overrides: <c>text.data</c> (folder with train/dev/test[/unlabelled].txt), <c>text.glove</c> (vectors file).</summary>
    static TextClassificationOptions Options(PartContext c) => new()
    {
        DataFolder = c.Override("text.data"),
        GloVePath = c.Override("text.glove"),
        Epochs = c.Size == RunSize.Tiny ? 1 : null,
        Quick = c.Size == RunSize.Tiny,
        Seed = c.Seed,
        Device = c.Device,
        OutputDirectory = c.OutputDirectory,
        Log = c.Log,
    };

    public string Fingerprint(PartContext context)
    {
        var o = Options(context);
        return $"{o.DataFolder}|{o.GloVePath}|{o.Epochs}";
    }

    public PartResult Run(PartContext context)
    {
        var options = Options(context);
        context.Progress(0, "five models");
        var r = TextClassificationExperiment.Run(options);
        context.Progress(1, "done");
        var result = new PartResult();
        foreach (var m in r.Models)
            result.Metrics.Add(new PartMetric($"{m.Kind}: test accuracy", m.TestAccuracy,
                $"{m.ReferenceAccuracy.ToString("0.00", CultureInfo.InvariantCulture)} (the homework's data)", Headline: true));
        if (r.DevAccuracyChartPath is { } chart && File.Exists(chart)) result.Images.Add(new PartImage(chart, "dev accuracy per epoch"));
        result.Markdown.Add($"Data: `{r.DataFolder}` ({r.TrainCount} train / {r.ValidationCount} dev / {r.TestCount} test / {r.UnlabelledCount} unlabelled sentences), " +
                            $"GloVe: `{r.GloVePath}` ({r.GloVeDimension}d). The homework's reference accuracies were measured on its own data set.");
        result.Settings["epochs"] = options.Epochs?.ToString(CultureInfo.InvariantCulture) ?? "per-model default";
        result.Settings["batch / lr"] = $"{options.BatchSize} / {options.LearningRate}";
        result.Settings["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture);
        var sb = new System.Text.StringBuilder("Each model is a .zip; predict a sentence's label (1 positive, 0 negative) with:\n\n```\n");
        foreach (var m in r.Models.Where(m => File.Exists(m.ModelPath)))
            sb.Append($"dotnet run -c Release --project pipelines/TextClassification -- predict --model-file {Path.GetFullPath(m.ModelPath)} \"a great little phone\"\n");
        sb.Append("```\n\nWithout a sentence, `predict` reads one sentence per line from stdin.");
        result.Usage = sb.ToString();
        return result;
    }
}
