using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetHw.Data;

namespace MlNetHw.Vision;

/// <summary>Settings of <see cref="ResNet18FinetuneEstimator"/>.</summary>
public sealed class ResNet18FinetuneEstimatorOptions
{
    /// <summary>Text column with image file paths. Default "ImagePath".</summary>
    public string ImagePathColumnName { get; set; } = nameof(ImageRow.ImagePath);
    /// <summary>Text column with class names. Default "Label".</summary>
    public string LabelColumnName { get; set; } = nameof(ImageRow.Label);
    /// <summary>The training recipe: the shared loop's settings and the image ones (defaults: the PyTorch tutorial's).</summary>
    public FinetuneOptions Finetune { get; set; } = new();
    /// <summary>Validation rows (same columns) for per-epoch accuracy and best-epoch selection; null keeps the last epoch.</summary>
    public IDataView? ValidationData { get; set; }
    /// <summary>Where the trained network is written as ONNX; null = a new file in the temp folder. The zip stores its bytes.</summary>
    public string? OnnxPath { get; set; }
    /// <summary>Progress output; null = none.</summary>
    public TextWriter? Log { get; set; }
}

/// <summary>
/// 'finetune' as an ML.NET estimator: <c>Fit</c> trains the packaged ResNet18 + a new head with TorchSharp on the rows'
/// images and returns a plain ML.NET transformer chain (<c>LoadImages → ResizeImages → ExtractPixels →
/// ApplyOnnxModel → MapValue</c>) around the exported ONNX, so <c>mlContext.Model.Save/Load</c> work without MlNetHw.
/// Output columns: <c>Score</c> (probability per class, classes in ordinal order) and <c>PredictedLabel</c>
/// (the class name, text), as in <see cref="ImagePrediction"/>.
/// </summary>
public sealed class ResNet18FinetuneEstimator : IEstimator<ITransformer>
{
    readonly MLContext _ml;
    readonly ResNet18FinetuneEstimatorOptions _options;

    /// <summary>The estimator over <paramref name="ml"/> with its settings [defaults: <see cref="ResNet18FinetuneEstimatorOptions"/>].</summary>
    public ResNet18FinetuneEstimator(MLContext ml, ResNet18FinetuneEstimatorOptions? options = null)
    {
        _ml = ml;
        _options = options ?? new ResNet18FinetuneEstimatorOptions();
    }

    /// <summary>The last training run (history, selected epoch, validation predictions); null before <see cref="Fit"/>.</summary>
    public FinetuneRun? LastRun { get; private set; }

    /// <summary>
    /// Trains ResNet18 + a new head on the rows' images (classes: the distinct labels, ordinal order), keeps the run in
    /// <see cref="LastRun"/> and returns the exported ML.NET chain.
    /// </summary>
    public ITransformer Fit(IDataView input)
    {
        CheckColumns(input.Schema.Select(c => (c.Name, c.Type)));
        var trainRows = Read(input);
        var classes = trainRows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
            throw new InvalidOperationException($"column '{_options.LabelColumnName}' has {classes.Count} distinct class(es); at least two are needed.");
        var train = ImageFolderSplit.FromRows(classes, trainRows, "training rows");
        ImageFolderSplit? val = null;
        if (_options.ValidationData is { } v)
        {
            CheckColumns(v.Schema.Select(c => (c.Name, c.Type)));
            val = ImageFolderSplit.FromRows(classes, Read(v), "validation rows"); // a class the training rows lack fails here, naming the row
        }
        FinetuneRun run;
        // Epoch lines also reach MLContext.Log, as ML.NET's own trainers report there.
        using (var channel = ((IHostEnvironment)_ml).Register("ResNet18Finetune").Start("Fit"))
            run = ResNet18FinetuneTrainer.Train(train, val, _options.Finetune, _options.Log, channel);
        LastRun = run;
        string onnx = _options.OnnxPath ?? Path.Combine(Path.GetTempPath(), $"mlnethw-resnet18-finetune-{Guid.NewGuid():N}.onnx");
        FinetuneExport.ToOnnx(run.Model, _options.Finetune.ResizeSize).Save(onnx);
        return FinetuneExport.BuildPipeline(_ml, onnx, classes, _options.Finetune.ResizeSize, _options.ImagePathColumnName).Fit(input);
    }

    /// <summary>The input schema plus Score (vector of float) and PredictedLabel (text).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var image = inputSchema.FirstOrDefault(c => c.Name == _options.ImagePathColumnName);
        if (image.Name is null || image.ItemType != TextDataViewType.Instance || image.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"input column '{_options.ImagePathColumnName}' (text, image file path) is missing or not text.");
        // Same column kinds as the fitted chain, from stock estimators (SchemaShape columns cannot be built directly).
        var shape = _ml.Transforms.LoadImages("Image", "", _options.ImagePathColumnName)
            .Append(_ml.Transforms.ResizeImages("Image", 2, 2))
            .Append(_ml.Transforms.ExtractPixels(FinetuneExport.ScoreName, "Image"))
            .Append(_ml.Transforms.CopyColumns(nameof(ImagePrediction.PredictedLabel), _options.ImagePathColumnName))
            .Append(_ml.Transforms.DropColumns("Image"));
        return shape.GetOutputSchema(inputSchema);
    }

    void CheckColumns(IEnumerable<(string Name, DataViewType Type)> columns)
    {
        var map = columns.GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.Last().Type);
        foreach (var name in new[] { _options.ImagePathColumnName, _options.LabelColumnName })
            if (!map.TryGetValue(name, out var t) || t != TextDataViewType.Instance)
                throw new ArgumentOutOfRangeException(name, $"column '{name}' must exist and be text (found {(map.TryGetValue(name, out var f) ? f.ToString() : "nothing")}).");
    }

    List<ImageRow> Read(IDataView data)
    {
        var paths = data.GetColumn<string>(_options.ImagePathColumnName).ToList();
        var labels = data.GetColumn<string>(_options.LabelColumnName).ToList();
        var rows = paths.Zip(labels, (p, l) => new ImageRow(p, l)).ToList();
        if (rows.Count == 0) throw new InvalidOperationException("no rows to train on.");
        foreach (var r in rows)
            if (!File.Exists(r.ImagePath)) throw new FileNotFoundException($"image file not found: {r.ImagePath}", r.ImagePath);
        return rows;
    }
}

/// <summary>Entry points of the vision estimators.</summary>
public static class VisionCatalog
{
    /// <summary>
    /// Fine-tunes the packaged ResNet18 (+ new head) on image paths and labels; see <see cref="ResNet18FinetuneEstimator"/>.
    /// <c>var model = ml.ResNet18Finetune(new() { ValidationData = val }).Fit(train);</c>
    /// </summary>
    public static ResNet18FinetuneEstimator ResNet18Finetune(this MLContext ml, ResNet18FinetuneEstimatorOptions? options = null) =>
        new(ml, options);
}
