using MlNetHw.IO;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using MlNetHw.Data;
using MlNetHw.Runs;
using MlNetHw.Datasets;
using MlNetHw.Reporting;
using MlNetHw.Torch;
using SkiaSharp;
using TorchSharp;

namespace MlNetHw.Vision;

/// <summary>Which transfer-learning scenarios to run.</summary>
public enum TransferMode
{
    /// <summary>ResNet18 frozen as an ML.NET featurizer, a linear classifier trained on its features.</summary>
    Freeze,
    /// <summary>ResNet18 with a new head trained end to end with TorchSharp.</summary>
    Finetune,
    /// <summary>Freeze and finetune, one after the other.</summary>
    Both,
}

/// <summary>Settings of <see cref="TransferLearningExperiment"/> (homework part 1). Defaults are the full run.</summary>
public sealed class TransferLearningOptions
{
    /// <summary>freeze (ML.NET features + linear classifier), finetune (TorchSharp end to end) or both. Default both.</summary>
    public TransferMode Mode { get; set; } = TransferMode.Both;
    /// <summary>Image folder with train/&lt;class&gt; and val/&lt;class&gt;; null = the catalog's <see cref="DatasetId"/> (fetched on first use).</summary>
    public string? DataFolder { get; set; }
    /// <summary>The catalog dataset used when <see cref="DataFolder"/> is null.</summary>
    public string DatasetId { get; set; } = "fashion-mnist-2class";
    /// <summary>
    /// Seed, device, threads, output folder (default out/transfer-learning), quick (2 epochs, at most 32 train and 32 val
    /// images) and log. Default seed 0.
    /// </summary>
    public RunOptions Run { get; set; } = new() { Seed = 0 };
    /// <summary>Skip (and list) non-image files in the data folder instead of failing. Default false.</summary>
    public bool SkipNonImages { get; set; }
    /// <summary>Also train the raw-pixel baseline. Default true.</summary>
    public bool RunBaseline { get; set; } = true;
    /// <summary>Use at most this many train images (0 = all; --quick makes it 32).</summary>
    public int MaxTrainImages { get; set; }
    /// <summary>Use at most this many val images (0 = all; --quick makes it 32).</summary>
    public int MaxValImages { get; set; }
    /// <summary>
    /// Bring your own backbone: an ONNX classification graph used by both freeze and finetune instead of the packaged
    /// ResNet18 (cut at its feature node, see <see cref="BackboneOptions"/>). Null or without a model path: the packaged ResNet18.
    /// </summary>
    public BackboneOptions? Backbone { get; set; }
    /// <summary>Settings of the finetune scenario (ResNet18 trained end to end with TorchSharp).</summary>
    public FinetuneOptions Finetune { get; set; } = new();
    /// <summary>Settings of the freeze scenario (ResNet18 features + ML.NET linear classifier).</summary>
    public FreezeOptions Freeze { get; set; } = new();
    /// <summary>Settings of the raw-pixel baseline (<see cref="RunBaseline"/>).</summary>
    public PixelBaselineOptions Baseline { get; set; } = new();
    /// <summary>At most this many images in each misclassified grid. Default 32.</summary>
    public int MaxGridImages { get; set; } = 32;
}

/// <summary>Validation result of one model of the experiment.</summary>
public sealed record TransferModelResult(string Name, double ValAccuracy, double Seconds, string? ModelPath,
    string? MisclassifiedGridPath, int[,] ConfusionMatrix)
{
    /// <summary>Finetune only: val accuracy of the best epoch and its number, and of the last epoch.</summary>
    public double? BestEpochAccuracy { get; init; }
    /// <summary>Finetune only: the number of the epoch with the best val accuracy.</summary>
    public int? BestEpoch { get; init; }
    /// <summary>Finetune only: val accuracy after the last epoch.</summary>
    public double? LastEpochAccuracy { get; init; }
}

/// <summary>What <see cref="TransferLearningExperiment.Run"/> measured and wrote.</summary>
public sealed class TransferLearningResult
{
    /// <summary>The image folder used (full path).</summary>
    public required string DataFolder { get; init; }
    /// <summary>Class names, in label order (the folder names under train/).</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>Training images read.</summary>
    public required int TrainImages { get; init; }
    /// <summary>Validation images read.</summary>
    public required int ValImages { get; init; }
    /// <summary>One result per trained model, in the order they ran (baseline, freeze, finetune).</summary>
    public List<TransferModelResult> Models { get; } = new();
    /// <summary>Finetune only: loss and accuracy of every epoch; empty when finetune did not run.</summary>
    public IReadOnlyList<FinetuneEpoch> FinetuneHistory { get; set; } = Array.Empty<FinetuneEpoch>();
    /// <summary>The accuracy-per-epoch chart (accuracy-curves.png), or null when it was not drawn.</summary>
    public string? AccuracyCurvesPath { get; set; }
    /// <summary>The loss-per-epoch chart (loss-curves.png), or null when it was not drawn.</summary>
    public string? LossCurvesPath { get; set; }
    /// <summary>The confusion matrices of every model (confusion-matrix.md).</summary>
    public string? ConfusionMatrixPath { get; set; }
    /// <summary>The summary table of the run (summary.md).</summary>
    public string? SummaryPath { get; set; }
    /// <summary>Wall time of the whole experiment [s].</summary>
    public double TotalSeconds { get; set; }
    /// <summary>The user backbone both scenarios used (file, cut point, feature size), or null for the packaged ResNet18.</summary>
    public string? Backbone { get; set; }
}

/// <summary>
/// Homework part 1: transfer learning from the packaged ResNet18 — 'freeze' as an ML.NET pipeline, 'finetune' with
/// TorchSharp (exported back to an ML.NET zip through ONNX) and a raw-pixel baseline — on an image folder.
/// </summary>
public static class TransferLearningExperiment
{
    /// <summary>
    /// Reads the image folder, trains and evaluates the models of <see cref="TransferLearningOptions.Mode"/> (and the baseline),
    /// saves each model and writes the charts, confusion matrices and summary to the output folder.
    /// </summary>
    public static TransferLearningResult Run(TransferLearningOptions options)
    {
        var run = options.Run;
        run.Validate();
        using var threads = run.UseThreads();
        var log = run.Log;
        var total = Stopwatch.StartNew();
        // --quick shrinks a copy: the caller's options stay as given.
        var finetune = options.Finetune.Clone();
        var t = finetune.Training;
        int maxTrain = options.MaxTrainImages, maxVal = options.MaxValImages;
        if (run.Quick)
        {
            t.Epochs = Math.Min(t.Epochs, 2);
            if (maxTrain == 0) maxTrain = 32;
            if (maxVal == 0) maxVal = 32;
        }
        t.Seed = run.Seed; // the run's seed seeds the loop, the head and the crops too
        t.Device = run.Device;
        // A user backbone is read, cut and probed first: a wrong file or node fails before any data is read.
        OnnxBackbone? backbone = options.Backbone is { ModelPath: not null } b ? OnnxBackbone.Load(b) : null;
        if (backbone is not null) finetune.UseBackbone(backbone);
        finetune.Validate();

        string folder = options.DataFolder ?? DatasetCatalog.Default.Resolve(options.DatasetId, new DatasetFetchOptions { Log = log });
        // By default a stray file (notes.txt, a broken JPEG) stops the run naming it; --skip-non-images lists and skips it.
        var readOptions = new ImageFolderOptions { RejectNonImageFiles = !options.SkipNonImages, Strict = !options.SkipNonImages };
        var data = ImageFolderReader.Read(folder, readOptions).Subset(maxTrain, maxVal, run.Seed);
        foreach (var split in new[] { data.Train, data.Validation })
        {
            foreach (var file in split.Ignored.Where(f => !Path.GetFileName(f).StartsWith('.'))) log.WriteLine($"warning: skipped non-image file {file}");
            foreach (var file in split.Skipped) log.WriteLine($"warning: skipped unreadable image {file}");
        }
        string outDir = Path.GetFullPath(run.OutputDirectory ?? Path.Combine("out", "transfer-learning"));
        // One run per folder: an interrupted or failed run never leaves files of two runs here (MlNetHw.IO.RunFolder).
        using var runFolder = RunFolder.Begin(outDir);

        log.WriteLine($"transfer learning: mode {options.Mode}, {run.Describe()}, data {data.Root}");
        log.WriteLine($"  classes {string.Join(", ", data.Classes)}; train {data.Train.Count} ({data.Train.Describe()}), val {data.Validation.Count} ({data.Validation.Describe()})");
        var f = finetune;
        log.WriteLine($"  finetune: epochs {t.Epochs}, batch {t.BatchSize}, {t.Optimizer} lr {t.LearningRate} momentum {t.Momentum}, {t.Schedule}({t.StepSize}, {t.Gamma}), " +
                      $"RandomResizedCrop({f.CropSize}) + flip, val Resize({f.ResizeSize}) + CenterCrop({f.CropSize}), BN momentum {f.BatchNormMomentum?.ToString() ?? "file"}, keep best {t.KeepBestWeights}");
        log.WriteLine($"  {TorchRuntime.Describe(TorchRuntime.ResolveDevice(run.Device))}; output {outDir}");
        if (backbone is not null) log.WriteLine($"  backbone {backbone.Describe()}");
        string net = backbone is null ? "ResNet18" : Path.GetFileName(backbone.ModelPath);
        int features = backbone?.FeatureCount ?? MlNetHw.Backbones.PackagedResNet18.FeatureCount;

        var result = new TransferLearningResult
        {
            DataFolder = data.Root, Classes = data.Classes, TrainImages = data.Train.Count, ValImages = data.Validation.Count,
            Backbone = backbone?.Describe(),
        };
        var ml = new MLContext(seed: run.Seed);
        // ONNX Runtime (the freeze featurizer, the exported finetune chain): the run's threads, sleeping rather than
        // spinning between operators, which on a shared machine is up to twice as fast (docs/transfer-learning.md).
        MlNetHw.Onnx.OnnxSessionSettings.Configure(ml, run.Threads, spinning: false);
        var trainView = ImageFolderReader.Load(ml.Data, data.Train);

        // The two ML.NET models: fit on train, evaluate on val, save the .zip, report.
        void RunMlNet(string name, string description, Func<ITransformer> fit)
        {
            log.WriteLine($"[{name}] {description}");
            var sw = Stopwatch.StartNew();
            var model = fit();
            var outcome = ImageRows.Evaluate(ml, model, data.Validation);
            string zip = Path.Combine(outDir, $"{name}.zip");
            int size = name == "baseline" ? options.Baseline.ImageSize : backbone?.InputSize ?? options.Freeze.ImageSize;
            SaveZip(ml, model, trainView.Schema, zip, name, data.Classes, $"images resized to {size}x{size}");
            result.Models.Add(Report(name, outcome, sw.Elapsed.TotalSeconds, zip, outDir, options, log));
        }
        if (options.RunBaseline)
            RunMlNet("baseline", $"multinomial logistic regression on {options.Baseline.ImageSize}x{options.Baseline.ImageSize} RGB pixels (ML.NET)",
                () => PixelBaseline.Fit(ml, data.Train, options.Baseline));
        if (options.Mode is TransferMode.Freeze or TransferMode.Both)
        {
            if (backbone is null)
                RunMlNet("freeze", "ML.NET: LoadImages → ResizeImages(224) → ExtractPixels → ApplyOnnxModel(ResNet18 with its preprocessing) → LbfgsMaximumEntropy",
                    () => FreezeClassifier.Fit(ml, data.Train, options.Freeze));
            else
            {
                string featuresOnnx = Path.Combine(outDir, "freeze-features.onnx");
                RunMlNet("freeze", $"ML.NET: LoadImages → ResizeImages({backbone.InputSize}) → ExtractPixels → ApplyOnnxModel({net} cut at '{backbone.CutAt}', " +
                                   $"{features} features; {Path.GetFileName(featuresOnnx)}) → LbfgsMaximumEntropy",
                    () => FreezeClassifier.Fit(ml, data.Train, options.Freeze, backbone, featuresOnnx));
            }
        }
        if (options.Mode is TransferMode.Finetune or TransferMode.Both)
        {
            log.WriteLine($"[finetune] TorchSharp: imported {net}{(backbone is null ? "" : $" up to '{backbone.CutAt}'")} + Linear({features}, classes), trained end to end");
            // The experiment trains through its own estimator, as an app would: rows in, a plain ML.NET chain out.
            string onnx = Path.Combine(outDir, "finetune.onnx"), zip = Path.Combine(outDir, "finetune.zip");
            var estimator = ml.ResNet18Finetune(new ResNet18FinetuneEstimatorOptions
            {
                Finetune = finetune, ValidationData = ImageFolderReader.Load(ml.Data, data.Validation), OnnxPath = onnx, Log = log,
            });
            var fitted = estimator.Fit(trainView);
            var trained = estimator.LastRun!;
            result.FinetuneHistory = trained.History;
            WriteHistory(trained.History, Path.Combine(outDir, "finetune-history.csv"));
            SaveZip(ml, fitted, trainView.Schema, zip, "finetune", data.Classes,
                $"images resized to {finetune.ResizeSize}x{finetune.ResizeSize} (iso crop), centre crop {finetune.CropSize}");
            log.WriteLine($"  wrote {zip} (ML.NET: LoadImages → ResizeImages({finetune.ResizeSize}) → ExtractPixels → ApplyOnnxModel) and {onnx}");
            var best = trained.History.MaxBy(h => h.ValAccuracy)!;
            var r = Report("finetune", trained.Val, trained.Elapsed.TotalSeconds, zip, outDir, options, log) with
            {
                BestEpoch = best.Epoch, BestEpochAccuracy = best.ValAccuracy, LastEpochAccuracy = trained.History[^1].ValAccuracy,
            };
            result.Models.Add(r);
            trained.Model.Dispose();
        }

        WriteCurves(result, outDir);
        result.ConfusionMatrixPath = Path.Combine(outDir, "confusion-matrix.md");
        AtomicFile.Write(result.ConfusionMatrixPath, s => s.Write(Encoding.UTF8.GetBytes(ConfusionMarkdown(result))));
        result.TotalSeconds = total.Elapsed.TotalSeconds;
        result.SummaryPath = Path.Combine(outDir, "summary.md");
        AtomicFile.Write(result.SummaryPath, s => s.Write(Encoding.UTF8.GetBytes(Summary(result, options))));
        WriteJson(result, Path.Combine(outDir, "results.json"));
        log.WriteLine();
        log.WriteLine(Summary(result, options));
        runFolder.Commit();
        return result;
    }

    /// <summary>Saves with the input schema (ImagePath, Label), so <c>mlContext.Model.Load(path, out schema)</c> gives it back.</summary>
    static void SaveZip(MLContext ml, ITransformer model, DataViewSchema inputSchema, string path, string name, IReadOnlyList<string> classes, string imageSize) =>
        MlNetHw.Onnx.PlainModel.Save(ml, model, inputSchema, path, new MlNetHw.Onnx.PlainModelInfo($"image-classifier:{name}",
            "image classifier: ImagePath (a file path) in; Score (one probability per class, in the order of Classes), PredictedLabel (class name)",
            new Dictionary<string, string> { ["image size"] = imageSize }) { Classes = classes });

    static TransferModelResult Report(string name, ClassificationOutcome outcome, double seconds, string? zip, string outDir,
        TransferLearningOptions options, TextWriter log)
    {
        string grid = Path.Combine(outDir, $"misclassified-{name}.png");
        var sheet = new ImageGrid { Title = $"{name}: misclassified validation images ({outcome.Misclassified.Count()} of {outcome.Predictions.Count})", Columns = 8, CellSize = 136, CaptionSize = 12 };
        foreach (var p in outcome.Misclassified.OrderBy(p => -p.Confidence).Take(options.MaxGridImages))
            sheet.AddFile(p.Path, $"true {outcome.Classes[p.Label]}",
                $"pred {(p.Predicted >= 0 ? outcome.Classes[p.Predicted] : "?")} {p.Confidence * 100:F0}%", new SKColor(180, 0, 0));
        sheet.SavePng(grid);
        log.WriteLine($"  {name}: val accuracy {outcome.Accuracy:P2} ({outcome.Predictions.Count(p => p.Label == p.Predicted)}/{outcome.Predictions.Count}) in {seconds:F0} s; grid {grid}");
        return new TransferModelResult(name, outcome.Accuracy, seconds, zip, grid, outcome.ConfusionMatrix);
    }

    static void WriteCurves(TransferLearningResult r, string outDir)
    {
        var h = r.FinetuneHistory;
        var acc = new LineChart { Title = "Accuracy (finetune per epoch; freeze and baseline dashed)", XLabel = "epoch", YLabel = "accuracy" };
        if (h.Count > 0)
        {
            acc.Add("finetune train", h.Select(e => e.TrainAccuracy).ToArray());
            acc.Add("finetune val", h.Select(e => e.ValAccuracy).ToArray());
            var loss = new LineChart { Title = "Finetune loss", XLabel = "epoch", YLabel = "cross-entropy" };
            loss.Add("train", h.Select(e => e.TrainLoss).ToArray()).Add("val", h.Select(e => e.ValLoss).ToArray());
            r.LossCurvesPath = Path.Combine(outDir, "loss-curves.png");
            loss.SavePng(r.LossCurvesPath);
        }
        // Freeze and the baseline have no epochs: drawn as dashed reference lines.
        foreach (var m in r.Models.Where(m => m.Name != "finetune"))
            acc.AddReference($"{m.Name} val", m.ValAccuracy);
        r.AccuracyCurvesPath = Path.Combine(outDir, "accuracy-curves.png");
        acc.SavePng(r.AccuracyCurvesPath);
    }

    static void WriteHistory(IReadOnlyList<FinetuneEpoch> history, string path)
    {
        var sb = new StringBuilder("epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds\n");
        foreach (var e in history)
            sb.AppendLine(FormattableString.Invariant($"{e.Epoch},{e.LearningRate:G6},{e.TrainLoss:F5},{e.TrainAccuracy:F5},{e.ValLoss:F5},{e.ValAccuracy:F5},{e.Seconds:F1}"));
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>Confusion matrices of every model as Markdown tables (rows = true class, columns = predicted).</summary>
    public static string ConfusionMarkdown(TransferLearningResult r)
    {
        var sb = new StringBuilder("# Confusion matrices (validation)\n\nRows: true class; columns: predicted class.\n");
        foreach (var m in r.Models)
        {
            sb.AppendLine().AppendLine($"## {m.Name} (accuracy {m.ValAccuracy:P2})").AppendLine();
            sb.AppendLine("| true \\ predicted | " + string.Join(" | ", r.Classes) + " |");
            sb.AppendLine("|---|" + string.Concat(r.Classes.Select(_ => "---:|")));
            for (int i = 0; i < r.Classes.Count; i++)
                sb.AppendLine($"| **{r.Classes[i]}** | " + string.Join(" | ", Enumerable.Range(0, r.Classes.Count).Select(j => m.ConfusionMatrix[i, j])) + " |");
        }
        return sb.ToString();
    }

    static string Summary(TransferLearningResult r, TransferLearningOptions o)
    {
        var sb = new StringBuilder("# Transfer learning results\n\n");
        sb.AppendLine($"Data: `{r.DataFolder}` — classes {string.Join(", ", r.Classes)}; {r.TrainImages} train, {r.ValImages} val images. Seed {o.Run.Seed}{(o.Run.Quick ? ", --quick" : "")}.").AppendLine();
        sb.AppendLine($"Backbone: {r.Backbone ?? "the packaged ResNet18 (CNTK export, 512 features, input 224x224)"}.").AppendLine();
        sb.AppendLine("| model | val accuracy (selected) | best epoch | last epoch | wall time |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var m in r.Models)
            sb.AppendLine($"| {m.Name} | {m.ValAccuracy:P2} | {(m.BestEpochAccuracy is { } b ? $"{b:P2} (epoch {m.BestEpoch})" : "–")} | " +
                          $"{(m.LastEpochAccuracy is { } l ? $"{l:P2}" : "–")} | {m.Seconds:F0} s |");
        sb.AppendLine().AppendLine($"Total wall time {r.TotalSeconds:F0} s.");
        return sb.ToString();
    }

    static void WriteJson(TransferLearningResult r, string path)
    {
        var json = JsonSerializer.Serialize(new
        {
            r.DataFolder, r.Classes, r.TrainImages, r.ValImages, r.TotalSeconds, r.Backbone,
            Models = r.Models.Select(m => new { m.Name, m.ValAccuracy, m.BestEpoch, m.BestEpochAccuracy, m.LastEpochAccuracy, m.Seconds, m.ModelPath }),
            FinetuneHistory = r.FinetuneHistory,
        }, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(json)));
    }
}
