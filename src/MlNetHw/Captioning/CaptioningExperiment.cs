using MlNetHw.Backbones;
using MlNetHw.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Training;
using MlNetHw.Reporting;
using MlNetHw.Torch;
using TorchSharp;

namespace MlNetHw.Captioning;

/// <summary>
/// Part 5 of the homework as a library call: data → ResNet18 features (ML.NET) → captioner (manual RNN/LSTM) →
/// captions, BLEU, a Markdown sheet, a loss curve, metrics (JSON + Markdown) and the saved image → caption model.
/// </summary>
public static class CaptioningExperiment
{
    /// <summary>One row per image for the captioner estimator (the feature length is set by <see cref="FeatureView"/>).</summary>
    sealed class FeatureRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();
        public string[] References { get; set; } = Array.Empty<string>();
    }

    /// <summary>
    /// Items as an ML.NET view with a Features column of known size (512 from ResNet18, or whatever precomputed
    /// features the data brought).
    /// </summary>
    static IDataView FeatureView(MLContext ml, IReadOnlyList<Item> items, int featureDim)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureDim);
        return ml.Data.LoadFromEnumerable(items.Select(x => new FeatureRow { Features = x.Features, References = x.References.ToArray() }), schema);
    }

    sealed class CaptionRow { public string Caption { get; set; } = ""; }

    /// <summary>An image ready for training or evaluation.</summary>
    sealed record Item(CaptionedImage Image, float[] Features, IReadOnlyList<string> References);

    /// <summary>The loop settings of <paramref name="experiment"/> ("overfit" or "train") when none are given; see <see cref="CaptioningOptions.Training"/>.</summary>
    public static TrainerOptions DefaultTraining(string experiment, bool quick)
    {
        var t = CaptionerTrainer.DefaultTraining(); // cs231n's overfit settings
        if (experiment != "overfit")
        {
            t.Epochs = quick ? 6 : 20;
            t.BatchSize = 50;
            t.LearningRate = 2e-3;
            t.Gamma = 0.95;
        }
        return t;
    }

    /// <summary>
    /// Reads or generates the data, featurizes the images with ResNet18, trains each cell of <see cref="CaptioningOptions.Cell"/>,
    /// scores BLEU on train and val, and writes the sheet, loss curve, metrics and models to the output folder.
    /// </summary>
    public static CaptioningResult Run(CaptioningOptions options)
    {
        options.Validate();
        var run = options.Run;
        using var threads = run.UseThreads();
        return RunLoaded(options, run.Log);
    }

    static CaptioningResult RunLoaded(CaptioningOptions options, TextWriter log)
    {
        var run = options.Run;
        var training = (options.Training ?? DefaultTraining(options.Experiment, run.Quick)).Clone();
        training.Seed = run.Seed;
        training.Device = run.Device;
        var device = TorchRuntime.ResolveDevice(run.Device);
        string outDir = Path.GetFullPath(options.OutOrDefault);
        // One run per folder: an interrupted or failed run never leaves files of two runs here (MlNetHw.IO.RunFolder).
        using var runFolder = RunFolder.Begin(outDir);
        log.WriteLine($"image captioning: experiment={options.Experiment} cell={options.Cell} data={options.Data}; {run.Describe()}");
        log.WriteLine($"  epochs={training.Epochs} batch={training.BatchSize} lr={training.LearningRate.ToString(CultureInfo.InvariantCulture)} " +
                      $"decay={training.Gamma.ToString(CultureInfo.InvariantCulture)} H={options.Captioner.HiddenDim} W={options.Captioner.WordDim} " +
                      $"minWordCount={options.Captioner.MinWordCount} maxWords={options.Captioner.MaxWords} beam={options.Captioner.BeamWidth} centerFeatures={options.Captioner.CenterFeatures} " +
                      $"threads={torch.get_num_threads()}");
        log.WriteLine($"  {TorchRuntime.Describe(device)}; output {outDir}");

        // 1. Data.
        var dataset = LoadData(options, outDir);
        foreach (var n in dataset.Notes) log.WriteLine("  " + n);
        var trainImages = dataset.Train;
        if (options.IsOverfit)
        {
            // cs231n's small data: N (image, caption) pairs. One caption per image, phrasings rotated.
            trainImages = trainImages.Take(options.OverfitExamples)
                .Select((img, i) => img with { Captions = img.Captions.Count == 0 ? img.Captions : new[] { img.Captions[i % img.Captions.Count] } })
                .ToList();
        }

        // 2. Features through ML.NET (ResNet18), once for all cells; bad images are reported and left out.
        var ml = new MLContext(seed: run.Seed);
        // ONNX Runtime: the run's threads, workers sleeping rather than spinning (docs/transfer-learning.md, "ML.NET ONNX path").
        MlNetHw.Onnx.OnnxSessionSettings.Configure(ml, run.Threads, spinning: false);
        var featurizer = dataset.HasFeatures ? null : ResNet18Featurizer.Fit(ml, run.Threads);
        var failed = new List<string>();
        var train = Featurize(ml, featurizer, trainImages, "train", failed, log);
        // The overfit run shows how poor unseen images are; a sample of them is enough (and cs231n's val split has 40k).
        var valImages = options.IsOverfit ? dataset.Val.Take(options.ValScenesOrDefault).ToList() : dataset.Val;
        var val = Featurize(ml, featurizer, valImages, "val", failed, log);
        foreach (var f in failed) log.WriteLine($"  skipped: {f}");
        if (train.Count == 0) throw new InvalidDataException($"no usable training image in {dataset.Name} ({failed.Count} failed to load).");
        // Evaluate on at most 200 training images (the overfit set is all of them).
        var trainEval = train.Take(200).ToList();

        int featureDim = train[0].Features.Length;
        var bad = train.Concat(val).FirstOrDefault(x => x.Features.Length != featureDim);
        if (bad is not null) throw new InvalidDataException($"{dataset.Name}: image {bad.Image.Id} has {bad.Features.Length} features, the first training image {featureDim}.");
        var trainView = FeatureView(ml, train, featureDim);
        var cells = new List<CaptioningCellResult>();
        CaptionEncodingStats encoding = new(0, 0, 0, 0);
        int vocabSize = 0;
        foreach (var cell in options.Cells)
        {
            log.WriteLine($"[{cell}] training on {train.Count} images");
            var captionerOptions = options.Captioner.Clone();
            captionerOptions.Cell = cell;
            captionerOptions.Training = training;
            captionerOptions.Progress = new TextTrainingProgress($"{cell}", log);
            var transformer = ml.Transforms.CaptionImageFeatures(captionerOptions).Fit(trainView);
            var model = transformer.Model;
            var history = model.Training!;
            encoding = model.Encoding!;
            vocabSize = model.Codec.Count;
            log.WriteLine($"[{cell}] final training loss {history.FinalLoss:0.0000} (last epoch mean {history.EpochLosses[^1]:0.0000}), {history.Seconds:0.0} s");

            var trainCaptions = Caption(ml, transformer, trainEval, featureDim);
            var valCaptions = val.Count > 0 ? Caption(ml, transformer, val, featureDim) : Array.Empty<string>();
            var trainBleu = Score(trainCaptions, trainEval);
            var valBleu = val.Count > 0 ? Score(valCaptions, val) : new BleuScore(new double[4], new double[4], 0, 0, 0);
            log.WriteLine($"[{cell}] BLEU-1..4 train {Fmt(trainBleu)}  val {Fmt(valBleu)}");

            // The whole image → caption chain in one .zip, reloaded and used through a PredictionEngine as a check.
            string modelPath = Path.Combine(outDir, $"captioner-{cell.ToString().ToLowerInvariant()}.zip");
            if (featurizer is not null)
            {
                // Saved plain: the ML.NET featurizer, the greedy decoder exported to ONNX, ids → words (CaptionerOnnxExport).
                CaptionerOnnxExport.Save(ml, featurizer, transformer.Model, ml.Data.LoadFromEnumerable(Array.Empty<ImageCaptionPredictor.ImageInput>()),
                    Path.ChangeExtension(modelPath, ".onnx"), modelPath);
                var probe = val.Count > 0 ? val[0] : train[0];
                using var predictor = ImageCaptionPredictor.Load(modelPath);
                string reloaded = predictor.Caption(probe.Image.ImagePath!);
                string expected = val.Count > 0 ? valCaptions[0] : trainCaptions[0];
                log.WriteLine($"[{cell}] saved {modelPath}; reloaded PredictionEngine on {Path.GetFileName(probe.Image.ImagePath)}: \"{reloaded}\"" +
                              (reloaded == expected ? " (same as in-memory)" : $" (in-memory said \"{expected}\")"));
            }
            else
            {
                CaptionerOnnxExport.Save(ml, null, transformer.Model, trainView, Path.ChangeExtension(modelPath, ".onnx"), modelPath);
                log.WriteLine($"[{cell}] saved {modelPath} (features → caption; the data came with precomputed features)");
            }

            // The plain zip's decoder (ONNX Runtime, greedy) against TorchSharp's greedy decoding on every evaluated image.
            {
                int beam = transformer.Model.BeamWidth;
                transformer.Model.BeamWidth = 1;
                var evaluated = trainEval.Concat(val).ToList();
                var torchGreedy = beam == 1 ? trainCaptions.Concat(valCaptions).ToArray() : Caption(ml, transformer, evaluated, featureDim);
                transformer.Model.BeamWidth = beam;
                var plain = CaptionerOnnxExport.CaptionFeatures(ml, transformer.Model.Codec, Path.ChangeExtension(modelPath, ".onnx"), FeatureView(ml, evaluated, featureDim));
                int same = plain.Zip(torchGreedy).Count(p => p.First == p.Second);
                log.WriteLine($"[{cell}] plain zip (ONNX, greedy): {same} of {plain.Length} captions identical to TorchSharp's greedy decoding" +
                              (same == plain.Length ? "" : $"; first difference: \"{plain.Zip(torchGreedy).First(p => p.First != p.Second).First}\" vs \"{plain.Zip(torchGreedy).First(p => p.First != p.Second).Second}\""));
                if (same != plain.Length) throw new InvalidOperationException($"[{cell}] the plain captioner disagrees with TorchSharp on {plain.Length - same} of {plain.Length} images.");
            }

            cells.Add(new CaptioningCellResult
            {
                Cell = cell, FinalLoss = history.FinalLoss, BatchLosses = history.BatchLosses, EpochLosses = history.EpochLosses,
                TrainSeconds = history.Seconds, TrainBleu = trainBleu, ValBleu = valBleu,
                TrainExactMatch = ExactMatch(trainCaptions, trainEval), ValExactMatch = val.Count > 0 ? ExactMatch(valCaptions, val) : 0,
                TrainSamples = Samples("train", trainEval, trainCaptions), ValSamples = Samples("val", val, valCaptions),
                ModelPath = modelPath,
            });
            transformer.Model.Dispose();
        }

        var result = new CaptioningResult
        {
            Experiment = options.Experiment, DataName = dataset.Name, Seed = run.Seed, VocabularySize = vocabSize,
            TrainCaptions = encoding.Encoded, TrainImages = train.Count, ValImages = val.Count, Encoding = encoding, FailedImages = failed,
            Cells = cells, OutputDirectory = outDir,
            SheetPath = Path.Combine(outDir, "captions.md"), LossCurvePath = Path.Combine(outDir, "loss.png"),
            MetricsJsonPath = Path.Combine(outDir, "metrics.json"), MetricsMarkdownPath = Path.Combine(outDir, "metrics.md"),
        };
        WriteOutputs(options, dataset, result, training);
        log.WriteLine($"wrote {result.SheetPath}, {result.MetricsJsonPath}, {result.LossCurvePath}");
        runFolder.Commit();
        return result;
    }

    static CaptionDataset LoadData(CaptioningOptions o, string outDir)
    {
        if (o.Data.Equals("generated", StringComparison.OrdinalIgnoreCase))
        {
            var scenes = new ShapeSceneOptions { TrainScenes = o.TrainScenesOrDefault, ValScenes = o.ValScenesOrDefault, Seed = o.Run.Seed };
            return ShapeScenes.WriteDataset(scenes, Path.Combine(outDir, "scenes"));
        }
        return CaptionDataSources.Load(o.Data, o.Run.Quick);
    }

    static List<Item> Featurize(MLContext ml, ITransformer? featurizer, IReadOnlyList<CaptionedImage> images, string split, List<string> failed, TextWriter log)
    {
        var items = new List<Item>();
        if (images.Count == 0) return items;
        float[]?[] features;
        if (featurizer is null) features = images.Select(i => i.Features).ToArray();
        else
        {
            var bar = new TextProgressBar($"ResNet18 {split}", images.Count, log) { Unit = "img" };
            features = ResNet18Featurizer.Compute(ml, images.Select(i => i.ImagePath ?? "").ToList(), out var failures,
                (done, _) => bar.Report(done), featurizer);
            log.WriteLine();
            failed.AddRange(failures.Select(f => $"{split} image {images[f.Index].Id}: {f.Message}"));
        }
        for (int i = 0; i < images.Count; i++)
            if (features[i] is { } f) items.Add(new Item(images[i], f, images[i].Captions));
        return items;
    }

    static string[] Caption(MLContext ml, ITransformer captioner, IReadOnlyList<Item> items, int featureDim)
    {
        var view = FeatureView(ml, items, featureDim);
        return ml.Data.CreateEnumerable<CaptionRow>(captioner.Transform(view), reuseRowObject: false).Select(r => r.Caption).ToArray();
    }

    static BleuScore Score(IReadOnlyList<string> generated, IReadOnlyList<Item> items)
    {
        var usable = Enumerable.Range(0, items.Count).Where(i => items[i].References.Any(r => CaptionCodec.Tokenize(r).Count > 0)).ToList();
        return Bleu.Corpus(usable.Select(i => generated[i]).ToList(), usable.Select(i => items[i].References).ToList());
    }

    static double ExactMatch(IReadOnlyList<string> generated, IReadOnlyList<Item> items) =>
        items.Count == 0 ? 0 : Enumerable.Range(0, items.Count).Count(i =>
            items[i].References.Any(r => string.Join(' ', CaptionCodec.Tokenize(r)) == string.Join(' ', CaptionCodec.Tokenize(generated[i])))) / (double)items.Count;

    static List<CaptionSample> Samples(string split, IReadOnlyList<Item> items, IReadOnlyList<string> generated) =>
        items.Select((x, i) => new CaptionSample(split, x.Image.Id, x.Image.ImagePath, generated[i], x.References)).ToList();

    static string Fmt(BleuScore b) => string.Join(" ", b.Bleu.Select(v => v.ToString("0.000", CultureInfo.InvariantCulture)));

    static void WriteOutputs(CaptioningOptions o, CaptionDataset dataset, CaptioningResult r, TrainerOptions loop)
    {
        var chart = new LineChart { Title = $"Captioning training loss ({o.Experiment})", XLabel = "Adam step", YLabel = "loss (sum over time / N)", LogY = true };
        foreach (var c in r.Cells) chart.Add(c.Cell.ToString().ToUpperInvariant(), c.BatchLosses);
        chart.SavePng(r.LossCurvePath);

        var json = new
        {
            experiment = r.Experiment, data = r.DataName, seed = r.Seed, quick = o.Run.Quick,
            settings = new
            {
                epochs = loop.Epochs, batch_size = loop.BatchSize, learning_rate = loop.LearningRate, lr_decay = loop.Gamma,
                hidden = o.Captioner.HiddenDim, word_dim = o.Captioner.WordDim, center_features = o.Captioner.CenterFeatures, min_word_count = o.Captioner.MinWordCount, max_words = o.Captioner.MaxWords, beam = o.Captioner.BeamWidth,
            },
            vocabulary_size = r.VocabularySize, train_images = r.TrainImages, train_captions = r.TrainCaptions, val_images = r.ValImages,
            captions_skipped_empty = r.Encoding.SkippedEmpty, captions_truncated = r.Encoding.Truncated, failed_images = r.FailedImages,
            notes = dataset.Notes,
            cells = r.Cells.Select(c => new
            {
                cell = c.Cell.ToString().ToLowerInvariant(), final_loss = c.FinalLoss, epoch_losses = c.EpochLosses, train_seconds = c.TrainSeconds,
                train_bleu = c.TrainBleu.Bleu, val_bleu = c.ValBleu.Bleu, val_precisions = c.ValBleu.Precisions, val_brevity_penalty = c.ValBleu.BrevityPenalty,
                train_exact_match = c.TrainExactMatch, val_exact_match = c.ValExactMatch, model = Path.GetFileName(c.ModelPath),
                train_samples = c.TrainSamples.Take(o.SheetSamples).Select(s => new { id = s.Id, generated = s.Generated, references = s.References }),
                val_samples = c.ValSamples.Take(o.SheetSamples).Select(s => new { id = s.Id, generated = s.Generated, references = s.References }),
            }),
        };
        AtomicFile.Write(r.MetricsJsonPath, s => JsonSerializer.Serialize(s, json, new JsonSerializerOptions { WriteIndented = true }));

        var table = new List<string>
        {
            "| cell | final loss | train BLEU-1 | train BLEU-4 | train exact | val BLEU-1 | val BLEU-2 | val BLEU-3 | val BLEU-4 | val exact | train time |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        };
        foreach (var c in r.Cells)
            table.Add(FormattableString.Invariant(
                $"| {c.Cell} | {c.FinalLoss:0.0000} | {c.TrainBleu.Bleu1:0.000} | {c.TrainBleu.Bleu4:0.000} | {c.TrainExactMatch:P0} | {c.ValBleu.Bleu1:0.000} | {c.ValBleu.Bleu2:0.000} | {c.ValBleu.Bleu3:0.000} | {c.ValBleu.Bleu4:0.000} | {c.ValExactMatch:P0} | {c.TrainSeconds:0} s |"));
        var settings = new List<string>
        {
            $"- experiment `{r.Experiment}`, data: {r.DataName}, seed {r.Seed}{(o.Run.Quick ? ", --quick" : "")}",
            FormattableString.Invariant($"- {loop.Epochs} epochs, batch {loop.BatchSize}, Adam lr {loop.LearningRate:G3} × {loop.Gamma:G4} per epoch, H {o.Captioner.HiddenDim}, W {o.Captioner.WordDim}, beam {o.Captioner.BeamWidth}, features {(o.Captioner.CenterFeatures ? "centred on the training mean" : "raw (not centred)")}"),
            $"- {r.TrainImages} training images / {r.TrainCaptions} captions, {r.ValImages} validation images, vocabulary {r.VocabularySize} words " +
            $"({r.Encoding.SkippedEmpty} empty captions skipped, {r.Encoding.Truncated} truncated to {o.Captioner.MaxWords} words)",
        };
        settings.AddRange(dataset.Notes.Select(n => "- " + n));
        if (r.FailedImages.Count > 0) settings.Add($"- {r.FailedImages.Count} images could not be loaded and were left out: " + string.Join("; ", r.FailedImages.Take(5)));
        var metricsMd = new StringBuilder();
        metricsMd.AppendLine($"# Captioning metrics ({r.Experiment})").AppendLine();
        foreach (var s in settings) metricsMd.AppendLine(s);
        metricsMd.AppendLine().AppendLine("Loss: masked temporal softmax summed over time and divided by the batch size (cs231n scale). BLEU: corpus BLEU, all references of an image.").AppendLine();
        foreach (var t in table) metricsMd.AppendLine(t);
        AtomicFile.Write(r.MetricsMarkdownPath, s => { using var w = new StreamWriter(s, new UTF8Encoding(false)); w.Write(metricsMd.ToString()); });

        var preamble = new List<string>(settings) { "" };
        preamble.AddRange(table);
        preamble.Add("");
        preamble.Add($"![training loss]({Path.GetFileName(r.LossCurvePath)})");
        string trainHint = o.IsOverfit
            ? "The model was trained on exactly these captions: after overfitting, the generated caption should reproduce the reference."
            : "Training images (the model saw these captions).";
        string valHint = o.IsOverfit
            ? "Never seen in training: with 50 examples the model cannot generalise, so these captions are poor (the homework's point)."
            : "Held-out validation scenes: each contains a colour–shape combination that never occurs in training.";
        var sections = r.Cells.SelectMany(c => new[]
        {
            new CaptionSheetSection($"{c.Cell}: training images", trainHint, c.TrainSamples.Take(o.SheetSamples).ToList()),
            new CaptionSheetSection($"{c.Cell}: validation images", valHint, c.ValSamples.Take(o.SheetSamples).ToList()),
        });
        CaptionSheet.Write(r.SheetPath, $"Image captioning: {r.Experiment}", preamble, sections);
    }
}
