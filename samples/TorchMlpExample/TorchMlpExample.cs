using MlNetHw.IO;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;
using MlNetHw.MlNet.Training;
using MlNetHw.Torch;

namespace MlNetHw.Samples.TorchMlp;

/// <summary>Options of <see cref="TorchMlpExample.Run"/>. Defaults in brackets.</summary>
public sealed class TorchMlpExampleOptions
{
    /// <summary>
    /// Folder with <c>train.txt</c>, <c>dev.txt</c>, <c>test.txt</c> of labelled sentences, one <c>LABEL sentence</c> per
    /// line, LABEL 0 or 1 (the <c>sentiment-uci</c> dataset's layout); null = synthetic 4-feature blobs [null].
    /// </summary>
    public string? DataDirectory { get; set; }
    /// <summary>Output folder ["out/torch-mlp"].</summary>
    public string OutputDirectory { get; set; } = Path.Combine("out", "torch-mlp");
    /// <summary>Hidden layer widths [64].</summary>
    public int[] HiddenSizes { get; set; } = { 64 };
    /// <summary>Dropout [0.2].</summary>
    public double Dropout { get; set; } = 0.2;
    /// <summary>Epochs [15]; 3 with <see cref="Quick"/>.</summary>
    public int Epochs { get; set; } = 15;
    /// <summary>Learning rate [3e-3].</summary>
    public double LearningRate { get; set; } = 3e-3;
    /// <summary>Stop after this many epochs without validation improvement (the best epoch's weights are kept) [4].</summary>
    public int? Patience { get; set; } = 4;
    /// <summary>Seed [1].</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Device: auto, cpu, cuda ["auto"].</summary>
    public string Device { get; set; } = "auto";
    /// <summary>Small sizes for smoke runs [false].</summary>
    public bool Quick { get; set; }
    /// <summary>Continue an interrupted run from <c>training.ckpt</c> in the output folder; otherwise it is deleted first [false].</summary>
    public bool Resume { get; set; }
    /// <summary>Progress receiver (a console bar in the pipeline) [null].</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
}

/// <summary>What <see cref="TorchMlpExample.Run"/> measured and wrote.</summary>
public sealed record TorchMlpExampleResult(
    string DataDescription, int TrainRows, int TestRows, double TestAccuracy, double TestAuc, double TestF1,
    TrainingResult Training, string ArchivePath, string ReportPath, string SampleInputPath);

/// <summary>
/// The worked example as a program: a pipeline of an ML.NET-native featurizer and the TorchSharp MLP, trained,
/// evaluated on a held-out test set, saved as a plain ML.NET model (the MLP exported to ONNX) that
/// <c>samples/ModelConsumer</c> and any ML.NET app load with <c>mlContext.Model.Load</c>. With sentences: <c>FeaturizeText</c> → <c>TorchMlp</c>; with the synthetic
/// blobs: <c>NormalizeMeanVariance</c> → <c>TorchMlp</c>.
/// </summary>
public static class TorchMlpExample
{
    sealed class Sentence
    {
        public string Text { get; set; } = "";
        public bool Label { get; set; }
    }

    sealed class Blob
    {
        [VectorType(4)] public float[] Features { get; set; } = Array.Empty<float>();
        public bool Label { get; set; }
    }

    public static TorchMlpExampleResult Run(TorchMlpExampleOptions options)
    {
        var ml = new MLContext(seed: options.Seed);
        // One run per folder (MlNetHw.IO.RunFolder): a failed or interrupted run never leaves a model beside another run's
        // report; --resume carries the checkpoint of the interrupted (or earlier) run into the new folder.
        using var runFolder = RunFolder.Begin(options.OutputDirectory, options.Resume ? name => name == "training.ckpt" : null);
        int epochs = options.Quick ? Math.Min(3, options.Epochs) : options.Epochs;
        var mlp = new TorchMlpBinaryOptions
        {
            HiddenSizes = options.HiddenSizes, Dropout = options.Dropout, ValidationFraction = 0,
            Training = { Epochs = epochs, LearningRate = options.LearningRate, Seed = options.Seed, Device = options.Device, BatchSize = 32,
                         EarlyStoppingPatience = options.Patience, CheckpointPath = Path.Combine(options.OutputDirectory, "training.ckpt") },
            // (the checkpoint lets `--resume` continue an interrupted run at its last finished epoch)
            Progress = options.Progress,
        };
        IDataView train, test;
        IEstimator<ITransformer> featurizer;
        string description;
        List<System.Text.Json.Nodes.JsonObject> samples;
        if (options.DataDirectory is { } dir)
        {
            var trainRows = ReadSentences(Path.Combine(dir, "train.txt"));
            var devRows = ReadSentences(Path.Combine(dir, "dev.txt"));
            var testRows = ReadSentences(Path.Combine(dir, "test.txt"));
            if (options.Quick) { trainRows = trainRows.Take(400).ToList(); testRows = testRows.Take(200).ToList(); }
            train = ml.Data.LoadFromEnumerable(trainRows);
            test = ml.Data.LoadFromEnumerable(testRows);
            featurizer = ml.Transforms.Text.FeaturizeText("Features", "Text");
            // dev.txt is the validation set (it picks the best epoch), featurised by the featurizer fitted on train.
            mlp.ValidationData = featurizer.Fit(train).Transform(ml.Data.LoadFromEnumerable(devRows));
            description = $"labelled sentences from {dir} (train {trainRows.Count}, dev {devRows.Count}, test {testRows.Count})";
            samples = testRows.Take(5).Select(r => new System.Text.Json.Nodes.JsonObject { ["Text"] = r.Text }).ToList();
        }
        else
        {
            var rng = new Random(options.Seed);
            Blob[] Make(int n) => Enumerable.Range(0, n).Select(_ =>
            {
                var x = Enumerable.Range(0, 4).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 3).ToArray();
                double dot = x[0] - 2 * x[1] + 0.5 * x[2] + 1.5 * x[3];
                return new Blob { Features = x, Label = dot + rng.NextDouble() - 0.5 > 0 };
            }).ToArray();
            var trainRows = Make(options.Quick ? 500 : 4000);
            var testRows = Make(1000);
            train = ml.Data.LoadFromEnumerable(trainRows);
            test = ml.Data.LoadFromEnumerable(testRows);
            mlp.ValidationFraction = 0.1;
            featurizer = ml.Transforms.NormalizeMeanVariance("Features");
            description = $"synthetic 4-feature blobs (train {trainRows.Length}, test {testRows.Length}); pass a data folder for real sentences";
            samples = testRows.Take(5).Select(r => new System.Text.Json.Nodes.JsonObject
                { ["Features"] = new System.Text.Json.Nodes.JsonArray(r.Features.Select(f => (System.Text.Json.Nodes.JsonNode)f).ToArray()) }).ToList();
        }

        var model = featurizer.Append(ml.BinaryClassification.Trainers.TorchMlp(mlp)).Fit(train);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
        string archive = Path.Combine(options.OutputDirectory, "model.zip");
        // Saved as a plain ML.NET model: the featurizer as fitted, the MLP exported to ONNX (model.onnx beside the zip).
        var featurizerFitted = new TransformerChain<ITransformer>(ModelArchive.Flatten(model).SkipLast(1).ToArray());
        MlNetHw.Onnx.MlpOnnxExport.Save(ml, featurizerFitted, model.LastTransformer.Model, train,
            Path.Combine(options.OutputDirectory, "model.onnx"), archive);
        string sample = Path.Combine(options.OutputDirectory, "sample-input.jsonl");
        MlNetHw.IO.AtomicFile.Write(sample, s =>
        {
            using var w = new StreamWriter(s);
            foreach (var row in samples) w.WriteLine(row.ToJsonString());
        });

        var training = model.LastTransformer.Model.Training!;
        string report = Path.Combine(options.OutputDirectory, "report.md");
        MlNetHw.IO.AtomicFile.Write(report, s =>
        {
            using var w = new StreamWriter(s);
            w.WriteLine("# TorchMlp worked example");
            w.WriteLine();
            w.WriteLine($"Data: {description}. Seed {options.Seed}, {epochs} epochs, hidden {string.Join("x", options.HiddenSizes)}, dropout {options.Dropout}, lr {options.LearningRate}.");
            w.WriteLine();
            w.WriteLine($"Test accuracy **{metrics.Accuracy:0.0000}**, AUC {metrics.AreaUnderRocCurve:0.0000}, F1 {metrics.F1Score:0.0000}. Best epoch {training.BestEpoch}{(training.StoppedEarly ? $" (early stop after epoch {training.History.Count})" : "")}.");
            w.WriteLine();
            w.WriteLine("| epoch | train loss | train acc | val loss | val acc | lr |");
            w.WriteLine("|---|---|---|---|---|---|");
            foreach (var e in training.History)
                w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {e.Epoch} | {e.TrainLoss:0.0000} | {e.TrainAccuracy:0.0000} | {e.ValidationLoss:0.0000} | {e.ValidationAccuracy:0.0000} | {e.LearningRate:0.####e+0} |"));
            w.WriteLine();
            w.WriteLine($"Model: `{archive}`, a plain ML.NET model (load with `mlContext.Model.Load`, or `dotnet run --project samples/ModelConsumer -- --model {archive} --input {sample}`).");
        });
        runFolder.Commit();
        return new TorchMlpExampleResult(description, (int)(train.GetRowCount() ?? 0), (int)(test.GetRowCount() ?? 0),
            metrics.Accuracy, metrics.AreaUnderRocCurve, metrics.F1Score, training, archive, report, sample);
    }

    /// <summary>Reads <c>LABEL sentence</c> lines (LABEL 0/1, then a space or tab); bad lines fail naming file and line.</summary>
    static List<Sentence> ReadSentences(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"labelled sentence file '{path}' not found", path);
        var rows = new List<Sentence>();
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            int cut = line.IndexOfAny(new[] { ' ', '\t' });
            string label = cut < 0 ? line : line[..cut];
            if (label is not ("0" or "1") || cut < 0)
                throw new InvalidDataException($"{path}:{n}: expected 'LABEL sentence' with LABEL 0 or 1, got '{(line.Length > 40 ? line[..40] + "..." : line)}'");
            rows.Add(new Sentence { Label = label == "1", Text = line[(cut + 1)..].Trim() });
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no sentences");
        return rows;
    }
}
