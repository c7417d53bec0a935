using MlNetHw.Runs;
using MlNetHw.IO;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Data;
using MlNetHw.MlNet.Training;
using MlNetHw.Reporting;
using MlNetHw.Torch;

namespace MlNetHw.Text;

/// <summary>
/// The homework's part 6 as one call: trains the chosen text models on a <c>train/dev/test[/unlabelled]</c> folder,
/// evaluates them on test with <c>mlContext.BinaryClassification.Evaluate</c>, saves each as a <c>.zip</c>, checks the
/// reloaded model reproduces its test predictions, writes unlabelled-set predictions, a Markdown results table and a
/// dev-accuracy chart.
/// </summary>
public static class TextClassificationExperiment
{
    /// <summary>Test accuracies of the homework's solution key (on its own dataset, GloVe 6B 50d).</summary>
    public static readonly IReadOnlyDictionary<TextModelKind, double> ReferenceAccuracy = new Dictionary<TextModelKind, double>
    {
        [TextModelKind.BagOfWords] = 0.92, [TextModelKind.Embeddings] = 0.90, [TextModelKind.GloVe] = 0.93,
        [TextModelKind.Rnn] = 0.95, [TextModelKind.Lstm] = 0.95,
    };

    /// <summary>Command-line name of each model.</summary>
    public static string NameOf(TextModelKind kind) => kind switch
    {
        TextModelKind.BagOfWords => "bow", TextModelKind.Embeddings => "embed", TextModelKind.GloVe => "glove",
        TextModelKind.Rnn => "rnn", TextModelKind.Lstm => "lstm", TextModelKind.FrozenEncoder => "encoder",
        TextModelKind.FinetunedEncoder => "finetuned", _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>True for the models trained on the shared TorchSharp loop (not the two logistic regressions).</summary>
    public static bool IsTorch(TextModelKind kind) => kind is not (TextModelKind.BagOfWords or TextModelKind.FrozenEncoder);

    /// <summary>True for the models that read GloVe vectors.</summary>
    public static bool NeedsGloVe(TextModelKind kind) => kind is TextModelKind.GloVe or TextModelKind.Rnn or TextModelKind.Lstm;

    /// <summary>Parses a command-line model name (bow, embed, glove, rnn, lstm, encoder, finetuned).</summary>
    public static TextModelKind Parse(string name) =>
        Enum.GetValues<TextModelKind>().FirstOrDefault(k => NameOf(k) == name.Trim().ToLowerInvariant(), (TextModelKind)(-1)) is var k && (int)k >= 0
            ? k : throw new ArgumentException($"unknown model '{name}': use {string.Join(", ", Enum.GetValues<TextModelKind>().Select(NameOf))} (or a comma list of them) or all.");

    /// <summary>
    /// The loop settings of each TorchSharp model: the homework's (BCE, Adam 0.001, batch 100, best validation epoch
    /// kept) with each model's epochs (see <see cref="TextClassificationEstimator.DefaultTrainerOptions"/>).
    /// </summary>
    public static IReadOnlyDictionary<TextModelKind, TrainerOptions> DefaultTraining() =>
        Enum.GetValues<TextModelKind>().Where(IsTorch)
            .ToDictionary(k => k, k => TextClassificationEstimator.DefaultTrainerOptions(k, null).Training);

    /// <summary>Runs the experiment.</summary>
    public static TextClassificationResult Run(TextClassificationOptions options)
    {
        var run = options.Run;
        run.Validate();
        using var threads = run.UseThreads();
        var log = run.Log;
        var wall = Stopwatch.StartNew();
        if (options.Models.Count == 0) throw new ArgumentException("no model chosen.");
        string dataFolder = options.DataFolder ?? TextDataSources.DefaultSentimentFolder(log);
        var split = SentenceSplit.Load(dataFolder);
        string outDir = Path.GetFullPath(run.OutputDirectory ?? Path.Combine("out", "text-classification"));
        // One run per folder: an interrupted or failed run never leaves files of two runs here (MlNetHw.IO.RunFolder).
        using var runFolder = RunFolder.Begin(outDir);

        var device = TorchRuntime.ResolveDevice(run.Device);
        log.WriteLine($"text classification: {run.Describe()}; models={string.Join(",", options.Models.Select(NameOf))} " +
                      $"hidden={options.HiddenSize} minCount={options.MinCount}");
        foreach (var kind in options.Models.Where(IsTorch))
        {
            var t = TrainingOf(kind, options);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {NameOf(kind)}: epochs={t.Epochs} batch={t.BatchSize} {t.Optimizer} lr={t.LearningRate} keep best={t.KeepBestWeights}"));
        }
        log.WriteLine($"  {TorchRuntime.Describe(device)}");
        foreach (var w in split.Warnings) log.WriteLine($"  warning: {w}");
        if (options.MaxWords < 0) throw new ArgumentException($"the word cap (--max-words) must be 0 (none) or positive (got {options.MaxWords}).");
        int truncated = 0;
        if (options.MaxWords > 0 && options.Models.Any(k => k != TextModelKind.BagOfWords))
        {
            // Counted once here for the report; the vocabulary cuts them (a padded batch of a 2-million-word line would need tens of GB).
            var all = split.Train.Concat(split.Dev).Concat(split.Test).Select(s => s.Text).Concat(split.Unlabelled ?? Array.Empty<string>());
            var lengths = TextTokenization.Tokenize(new MLContext(seed: 0), all).Select(t => t.Length).ToList();
            truncated = lengths.Count(n => n > options.MaxWords);
            if (truncated > 0)
                log.WriteLine($"  warning: {truncated} sentence(s) longer than {options.MaxWords} words (the longest has {lengths.Max()}) are cut to their first {options.MaxWords} words (--max-words)");
        }
        log.WriteLine($"  data {dataFolder}: train {split.Train.Count}, dev {split.Dev.Count}, test {split.Test.Count}, unlabelled {split.Unlabelled?.Count.ToString(CultureInfo.InvariantCulture) ?? "none"}");

        var ml = new MLContext(seed: run.Seed);
        var train = ToDataView(ml, split.Train);
        var dev = ToDataView(ml, split.Dev);
        var test = ToDataView(ml, split.Test);

        PretrainedWordVectors? vectors = null;
        IReadOnlyList<string>? frequentGloVeWords = null;
        string? glovePath = null;
        if (options.Models.Any(NeedsGloVe))
        {
            glovePath = options.GloVePath ?? TextDataSources.DefaultGloVeFile(log);
            // Only the training words can enter a vocabulary, so only their vectors are kept in memory.
            var trainWords = TextTokenization.Tokenize(ml, split.Train.Select(s => s.Text)).SelectMany(t => t).ToHashSet(StringComparer.Ordinal);
            var clock = Stopwatch.StartNew();
            vectors = TextDataSources.ReadGloVe(glovePath, trainWords, options.EmbeddingDimension);
            if (options.GloVeExtraWords > 0 && options.Models.Contains(TextModelKind.GloVe))
            {
                var frequent = GloVeReader.Read(glovePath, expectedDimension: vectors.Dimension, maxWords: options.GloVeExtraWords);
                var both = TextDataSources.Union(vectors, frequent);
                frequentGloVeWords = frequent.Words;
                vectors = both;
            }
            log.WriteLine($"  GloVe {glovePath}: dimension {vectors.Dimension}, {trainWords.Count(vectors.Contains)} of {trainWords.Count} training words have a vector ({clock.Elapsed.TotalSeconds:0.0} s)");
        }

        var results = new List<TextModelResult>();
        foreach (var kind in options.Models)
        {
            results.Add(TrainOne(kind, options, ml, train, dev, test, split, vectors, kind == TextModelKind.GloVe ? frequentGloVeWords : null, outDir, log));
        }

        string? chart = WriteChart(results, outDir);
        var result = new TextClassificationResult(results, dataFolder, glovePath, vectors?.Dimension ?? 0,
            split.Train.Count, split.Dev.Count, split.Test.Count, split.Unlabelled?.Count ?? 0,
            Path.Combine(outDir, "results.md"), chart, wall.Elapsed) { TruncatedSentences = truncated, MaxWords = options.MaxWords };
        WriteMarkdown(result, options);
        WriteJson(result, Path.Combine(outDir, "results.json"));
        runFolder.Commit();
        log.WriteLine();
        log.WriteLine(File.ReadAllText(result.ResultsMarkdownPath));
        return result;
    }

    /// <summary>The loop settings <paramref name="kind"/> trains with: the options' (a copy), quick-capped, with the run's seed and device.</summary>
    static TrainerOptions TrainingOf(TextModelKind kind, TextClassificationOptions options)
    {
        var t = (options.Training.TryGetValue(kind, out var given) ? given : TextClassificationEstimator.DefaultTrainerOptions(kind, null).Training).Clone();
        if (options.Run.Quick) t.Epochs = Math.Min(t.Epochs, kind == TextModelKind.GloVe ? 20 : kind == TextModelKind.FinetunedEncoder ? 1 : 3);
        t.Seed = options.Run.Seed;
        t.Device = options.Run.Device;
        return t;
    }

    static TextModelResult TrainOne(TextModelKind kind, TextClassificationOptions options, MLContext ml, IDataView train, IDataView dev,
        IDataView test, SentenceSplit split, PretrainedWordVectors? vectors, IReadOnlyList<string>? extraWords, string outDir, TextWriter log)
    {
        string name = NameOf(kind);
        log.WriteLine();
        log.WriteLine($"== {name}: {Describe(kind)}");
        var trainer = TextClassificationEstimator.DefaultTrainerOptions(kind, vectors);
        if (IsTorch(kind)) trainer.Training = TrainingOf(kind, options);
        trainer.HiddenSize = options.HiddenSize;
        if (kind == TextModelKind.Embeddings) trainer.EmbeddingDimension = options.EmbeddingDimension ?? TextClassifierTrainer.DefaultEmbeddingDimension;
        // On a terminal: a progress bar over all steps, redrawn in place, leaving one line per epoch with the train/dev
        // figures. In a log (redirected output): one plain line per epoch with the same figures and the ETA.
        bool interactive = InteractiveWriters.IsInteractive(log);
        if (interactive) trainer.Progress = new TextTrainingProgress($"  {name}", log);
        else
            trainer.EpochEnd = p => log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name} epoch {p.Epoch,3}/{p.Epochs}: train loss {p.EpochLoss:0.0000} acc {p.TrainAccuracy:0.0000} | dev loss {p.ValidationLoss:0.0000} acc {p.ValidationAccuracy:0.0000}" +
                $"  elapsed {TextProgressBar.FormatTime(p.Elapsed)} ETA {(p.Eta is { } eta ? TextProgressBar.FormatTime(eta) : "--:--")}"));
        if (!IsTorch(kind)) log.WriteLine("  (L-BFGS on the whole training set: no epochs; L2 chosen on dev)");

        var estimator = new TextClassificationEstimator(ml, kind, vectors, trainer, new VocabularyOptions { MinCount = options.MinCount, ExtraWords = extraWords, MaxLength = options.MaxWords })
        {
            L2Grid = options.L2Grid, BagOfWordsNgramLength = options.BagOfWordsNgramLength, BagOfWordsPunctuation = options.BagOfWordsPunctuation,
            EncoderMaxTokens = options.EncoderMaxTokens, EncoderThreads = options.Run.Threads, Log = log,
            Finetune = new FinetunedEncoderOptions { MaxTokens = options.FinetuneMaxTokens, Pooling = options.FinetunePooling, Name = name },
            Monitor = kind == TextModelKind.FinetunedEncoder ? split.Test.Select(s => (s.Text, s.Label)).ToList() : null,
        };
        var clock = Stopwatch.StartNew();
        var model = estimator.Fit(train, dev);
        var trainingTime = clock.Elapsed;
        var training = model.Training;

        var scored = model.Transform(test);
        var metrics = ml.BinaryClassification.Evaluate(scored, TextColumns.Label);
        double? devAccuracy = training is null
            ? ml.BinaryClassification.Evaluate(model.Transform(dev), TextColumns.Label).Accuracy
            : training.History.FirstOrDefault(h => h.Epoch == training.BestEpoch)?.ValidationAccuracy;
        double? trainAccuracy = training is null ? ml.BinaryClassification.Evaluate(model.Transform(train), TextColumns.Label).Accuracy : null;
        if (trainAccuracy is not null)
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: L2 {model.L2} chosen on dev; train accuracy {trainAccuracy:0.0000}"));
        log.WriteLine($"  {name}: test accuracy {metrics.Accuracy:0.0000} (AUC {metrics.AreaUnderRocCurve:0.0000}, F1 {metrics.F1Score:0.0000}), " +
                      $"dev accuracy {devAccuracy:0.0000}{(training is null ? "" : $" (epoch {training.BestEpoch} kept)")}, vocabulary {model.Vocabulary?.Vocabulary.Count ?? model.WordPiece?.Vocabulary.Count ?? 0}, trained in {trainingTime.TotalSeconds:0.0} s");

        string modelPath = Path.Combine(outDir, $"{name}.zip");
        model.Save(modelPath);
        string? predictionsPath = null;
        if (split.Unlabelled is { } unlabelled)
        {
            predictionsPath = Path.Combine(outDir, $"predictions-{name}.txt");
            var labels = model.Predict(unlabelled).Select(p => p.Label ? "1" : "0");
            AtomicFile.Write(predictionsPath, s => { using var w = new StreamWriter(s, new UTF8Encoding(false)); foreach (var l in labels) w.Write(l + "\n"); });
        }
        bool? reproduces = null;
        if (options.VerifyReload)
        {
            reproduces = ReloadReproduces(modelPath, model, split.Test.Select(s => s.Text).ToList(), out string detail);
            log.WriteLine($"  saved {modelPath} (plain ML.NET); reloaded with mlContext.Model.Load in a fresh MLContext: {(reproduces.Value ? "same test predictions, " + detail : "MISMATCH " + detail)}");
        }
        else log.WriteLine($"  saved {modelPath}");

        return new TextModelResult(kind, metrics.Accuracy, metrics.AreaUnderRocCurve, metrics.F1Score, devAccuracy,
            training?.BestEpoch ?? 0, training?.History ?? Array.Empty<EpochRecord>(),
            ReferenceAccuracy.TryGetValue(kind, out var reference) ? reference : double.NaN, trainingTime,
            model.Vocabulary?.Vocabulary.Count ?? model.WordPiece?.Vocabulary.Count ?? 0, modelPath, predictionsPath, reproduces, model.L2, model.L2Trials)
        { TrainAccuracy = trainAccuracy };
    }

    /// <summary>Largest probability difference allowed between the plain (ONNX) model and the TorchSharp model it was exported from.</summary>
    public const float PlainProbabilityTolerance = 1e-5f;

    /// <summary>
    /// Loads the plain <paramref name="modelPath"/> in a new MLContext and compares its probabilities with the in-memory
    /// model's (TorchSharp, or ML.NET for bag of words) on every sentence: equal within
    /// <see cref="PlainProbabilityTolerance"/>, and the same labels wherever the probability is not within it of 0.5.
    /// <paramref name="detail"/> gives the largest difference.
    /// </summary>
    public static bool ReloadReproduces(string modelPath, TextClassificationModel model, IReadOnlyList<string> sentences, out string detail)
    {
        var fresh = new MLContext(seed: 12345);
        var loaded = TextClassificationModel.Load(fresh, modelPath);
        var a = model.Predict(sentences);
        var b = loaded.Predict(sentences);
        if (a.Count != b.Count) { detail = $"{a.Count} predictions before, {b.Count} after"; return false; }
        double max = 0;
        for (int i = 0; i < a.Count; i++)
        {
            double d = Math.Abs(a[i].Probability - b[i].Probability);
            max = Math.Max(max, d);
            if (d > PlainProbabilityTolerance || (a[i].Label != b[i].Label && Math.Abs(a[i].Probability - 0.5) > PlainProbabilityTolerance))
            {
                detail = string.Create(CultureInfo.InvariantCulture, $"sentence {i + 1}: probability {a[i].Probability:R} before saving, {b[i].Probability:R} after loading");
                return false;
            }
        }
        detail = string.Create(CultureInfo.InvariantCulture, $"max |Δprobability| {max:0.###e+0} over {a.Count} sentences");
        return true;
    }

    static string Describe(TextModelKind kind) => kind switch
    {
        TextModelKind.BagOfWords => "bag of words → linear → sigmoid (ML.NET n-grams + L-BFGS logistic regression)",
        TextModelKind.Embeddings => "learned word vectors, averaged → linear → sigmoid",
        TextModelKind.GloVe => "frozen GloVe vectors, averaged → linear → sigmoid",
        TextModelKind.Rnn => "GloVe-initialised vectors → manual RNN (masked) → linear → sigmoid",
        TextModelKind.Lstm => "GloVe-initialised vectors → manual LSTM (masked) → linear → sigmoid",
        TextModelKind.FrozenEncoder => "WordPiece → frozen all-MiniLM-L6-v2 (ONNX, ML.NET ApplyOnnxModel), mean-pooled → L-BFGS logistic regression",
        TextModelKind.FinetunedEncoder => "WordPiece → all-MiniLM-L6-v2 imported into TorchSharp and finetuned, masked mean pooling → dropout → linear (2 classes), AdamW + warm-up/linear decay",
        _ => kind.ToString(),
    };

    /// <summary>Labelled sentences as a data view with Boolean <c>Label</c> and text <c>Text</c>.</summary>
    public static IDataView ToDataView(MLContext ml, IReadOnlyList<LabeledText> rows) =>
        ml.Data.LoadFromEnumerable(rows.Select(r => new LabeledTextRow { Label = r.Label, Text = r.Text }));

    /// <summary>Row class of <see cref="ToDataView"/> (public for ML.NET's reflection).</summary>
    public sealed class LabeledTextRow
    {
        /// <summary>The label: true for positive.</summary>
        public bool Label { get; set; }
        /// <summary>The sentence.</summary>
        public string Text { get; set; } = "";
    }

    static string? WriteChart(IReadOnlyList<TextModelResult> results, string outDir)
    {
        var curves = results.Where(r => r.History.Any(h => h.ValidationAccuracy is not null)).ToList();
        if (curves.Count == 0) return null;
        // Epoch counts differ (GloVe 300, the others 15-40): the chart then draws one panel per model on one y axis.
        var chart = new LineChart { Title = "Dev accuracy per epoch", XLabel = "epoch", YLabel = "dev accuracy" };
        foreach (var r in curves)
            chart.Add(NameOf(r.Kind), r.History.Select(h => (double)h.Epoch).ToArray(), r.History.Select(h => h.ValidationAccuracy ?? double.NaN).ToArray());
        // Models without epochs (bag of words, one L-BFGS fit) are a dashed line at their dev accuracy in every panel.
        foreach (var r in results.Except(curves))
            if (r.BestValidationAccuracy is { } dev) chart.AddReference($"{NameOf(r.Kind)} (no epochs)", dev);
        string path = Path.Combine(outDir, "dev-accuracy.png");
        chart.SavePng(path);
        return path;
    }

    static void WriteMarkdown(TextClassificationResult result, TextClassificationOptions options)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Text classification results");
        sb.AppendLine();
        sb.AppendLine($"Data: `{result.DataFolder}` (train {result.TrainCount}, dev {result.ValidationCount}, test {result.TestCount}, unlabelled {result.UnlabelledCount}); " +
                      $"word vectors: {(result.GloVePath is null ? "none" : $"`{result.GloVePath}` ({result.GloVeDimension}d)")}; seed {options.Run.Seed}" +
                      $"{(options.Run.Quick ? "; QUICK run (few epochs): not for reporting" : "")}.");
        if (result.TruncatedSentences > 0)
            sb.AppendLine().AppendLine($"{result.TruncatedSentences} sentence(s) longer than {result.MaxWords} words were cut to their first {result.MaxWords} words by the TorchSharp models.");
        sb.AppendLine();
        sb.AppendLine("| model | test accuracy | test AUC | best dev accuracy | epoch kept | vocabulary | training time | homework reference* | plain zip agrees |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var m in result.Models)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {NameOf(m.Kind)} | {m.TestAccuracy:0.0000} | {m.TestAuc:0.0000} | {m.BestValidationAccuracy:0.0000} | {(m.SelectedEpoch > 0 ? m.SelectedEpoch.ToString(CultureInfo.InvariantCulture) : "-")} | " +
                $"{(m.VocabularySize > 0 ? m.VocabularySize.ToString(CultureInfo.InvariantCulture) : "ML.NET keys")} | {m.TrainingTime.TotalSeconds:0.0} s | {(double.IsNaN(m.ReferenceAccuracy) ? "-" : m.ReferenceAccuracy.ToString("0.00", CultureInfo.InvariantCulture))} | " +
                $"{(m.ReloadReproducesPredictions is null ? "not checked" : m.ReloadReproducesPredictions.Value ? "yes" : "NO")} |"));
        sb.AppendLine();
        foreach (var m in result.Models.Where(m => m.L2Trials is { Count: > 0 }))
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{NameOf(m.Kind)}: L2 chosen on dev from {{{string.Join(", ", m.L2Trials!.Select(t => $"{t.L2}: {t.DevAccuracy:0.0000}"))}}} → {m.L2}; train accuracy {m.TrainAccuracy:0.0000}.")).AppendLine();
        sb.AppendLine("*The homework's reference numbers come from its own dataset and GloVe 6B 50d; they are not measured on this data and are shown only for orientation.");
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Wall time {result.WallTime.TotalSeconds:0.0} s. Best model: {NameOf(result.Best.Kind)} ({result.Best.TestAccuracy:0.0000})."));
        if (result.DevAccuracyChartPath is not null) sb.AppendLine().AppendLine($"![dev accuracy]({Path.GetFileName(result.DevAccuracyChartPath)})");
        AtomicFile.Write(result.ResultsMarkdownPath, s => { using var w = new StreamWriter(s, new UTF8Encoding(false)); w.Write(sb.ToString()); });
    }

    /// <summary>
    /// results.json: the run's counts and, per model, the figures of results.md (test accuracy, AUC, F1, best dev
    /// accuracy, epoch kept, L2 for the logistic regressions, vocabulary, seconds, model file, reload check) and the
    /// epoch history, for scripts and reports that should not parse Markdown.
    /// </summary>
    static void WriteJson(TextClassificationResult r, string path)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new
        {
            r.DataFolder, r.GloVePath, r.GloVeDimension, r.TrainCount, r.ValidationCount, r.TestCount, r.UnlabelledCount,
            r.TruncatedSentences, r.MaxWords, WallSeconds = r.WallTime.TotalSeconds,
            Models = r.Models.Select(m => new
            {
                Name = NameOf(m.Kind), Kind = m.Kind.ToString(), m.TestAccuracy, m.TestAuc, m.TestF1, m.TrainAccuracy,
                m.BestValidationAccuracy, m.SelectedEpoch, L2 = float.IsFinite(m.L2) ? double.Parse(m.L2.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : double.NaN, m.ReferenceAccuracy, m.VocabularySize,
                TrainingSeconds = m.TrainingTime.TotalSeconds, m.ModelPath, m.PredictionsPath, m.ReloadReproducesPredictions,
                History = m.History,
            }),
        }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Converters = { new NonFiniteAsNull() } });
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>Doubles as JSON numbers, NaN and infinities (a figure that does not apply, e.g. no AUC) as null.</summary>
    sealed class NonFiniteAsNull : System.Text.Json.Serialization.JsonConverter<double>
    {
        public override double Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
            reader.TokenType == System.Text.Json.JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(System.Text.Json.Utf8JsonWriter writer, double value, System.Text.Json.JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
