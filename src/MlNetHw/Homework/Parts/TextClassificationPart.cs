using System.Globalization;
using MlNetHw.Text;

namespace MlNetHw.Homework.Parts;

/// <summary>Part 6: sentence classification with bag of words, learned embeddings, GloVe, RNN and LSTM.</summary>
public sealed class TextClassificationPart : IHomeworkPart
{
    /// <inheritdoc/>
    public int Number => 6;
    /// <inheritdoc/>
    public string Title => "Text classification: BoW, embeddings, GloVe, RNN, LSTM";
    /// <inheritdoc/>
    public double QuickMinutes => 6;
    const string DataKey = "text.data", GloVeKey = "text.glove";
    /// <inheritdoc/>
    public IReadOnlyList<string> OverrideKeys => [DataKey, GloVeKey];

    /// <summary>Overrides: <c>text.data</c> (folder with train/dev/test[/unlabelled].txt), <c>text.glove</c> (vectors file).</summary>
    static TextClassificationOptions Options(PartContext c) => new()
    {
        DataFolder = c.Override(DataKey),
        GloVePath = c.Override(GloVeKey),
        // The homework's five models, each saved as a plain ML.NET zip; the MiniLM encoders, frozen and finetuned (also
        // plain zips, over the WordPiece ids), are beyond the homework and run in the pipeline (--model encoder / finetuned).
        Models = HomeworkModels,
        Training = c.Size == RunSize.Tiny ? OneEpochEach() : TextClassificationExperiment.DefaultTraining(),
        Run = c.Run with { Quick = c.Size == RunSize.Tiny },
    };

    /// <summary>The models part 6 of the homework trains: the five homework models (not the frozen or the finetuned encoder).</summary>
    public static readonly IReadOnlyList<TextModelKind> HomeworkModels = Enum.GetValues<TextModelKind>()
        .Where(k => k is not (TextModelKind.FrozenEncoder or TextModelKind.FinetunedEncoder)).ToArray();

    static IReadOnlyDictionary<TextModelKind, MlNetHw.MlNet.Training.TrainerOptions> OneEpochEach()
    {
        var t = TextClassificationExperiment.DefaultTraining();
        foreach (var o in t.Values) o.Epochs = 1;
        return t;
    }

    /// <inheritdoc/>
    public string Fingerprint(PartContext context)
    {
        var o = Options(context);
        string epochs = context.Size == RunSize.Tiny ? "1" : ""; // the same fingerprint as before for the quick and full runs
        return $"{o.DataFolder}|{o.GloVePath}|{epochs}";
    }

    /// <inheritdoc/>
    public PartResult Run(PartContext context)
    {
        var options = Options(context);
        context.Progress(0, "six models");
        var r = TextClassificationExperiment.Run(options);
        context.Progress(1, "done");
        var result = new PartResult();
        foreach (var m in r.Models)
            result.Metrics.Add(new PartMetric($"{m.Kind}: test accuracy", m.TestAccuracy,
                double.IsNaN(m.ReferenceAccuracy) ? "-" : $"{m.ReferenceAccuracy.ToString("0.00", CultureInfo.InvariantCulture)} (the homework's data)", Headline: true));
        if (r.DevAccuracyChartPath is { } chart && File.Exists(chart)) result.Images.Add(new PartImage(chart, "dev accuracy per epoch"));
        result.Markdown.Add($"Data: `{r.DataFolder}` ({r.TrainCount} train / {r.ValidationCount} dev / {r.TestCount} test / {r.UnlabelledCount} unlabelled sentences), " +
                            $"GloVe: `{r.GloVePath}` ({r.GloVeDimension}d). The homework's reference accuracies were measured on its own data set.");
        result.Settings["epochs"] = string.Join(", ", options.Training.Select(kv => $"{kv.Key} {kv.Value.Epochs.ToString(CultureInfo.InvariantCulture)}"));
        var first = options.Training.Values.First();
        result.Settings["batch / lr"] = $"{first.BatchSize} / {first.LearningRate.ToString(CultureInfo.InvariantCulture)}";
        result.Settings["seed"] = options.Run.Seed.ToString(CultureInfo.InvariantCulture);
        var sb = new System.Text.StringBuilder("Each model is a .zip; predict a sentence's label (1 positive, 0 negative) with:\n\n```\n");
        foreach (var m in r.Models.Where(m => File.Exists(m.ModelPath)))
            sb.Append($"dotnet run -c Release --project pipelines/TextClassification -- predict --model-file {Path.GetFullPath(m.ModelPath)} \"a great little phone\"\n");
        sb.Append("```\n\nWithout a sentence, `predict` reads one sentence per line from stdin.");
        result.Usage = sb.ToString();
        return result;
    }
}
