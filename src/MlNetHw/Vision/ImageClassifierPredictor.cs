using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Onnx;
using MlNetHw.Data;

namespace MlNetHw.Vision;

/// <summary>One image's answer: the predicted class and the probability of every class.</summary>
public sealed record ImageClassPrediction(string ImagePath, string Label, IReadOnlyDictionary<string, float> Probabilities);

/// <summary>
/// Any of the transfer-learning zips (baseline, freeze, finetune), loaded with plain <c>mlContext.Model.Load</c>,
/// asked about image files: the class names come from the Score column's slot names or, where the chain has none
/// (the finetuned ONNX model), from the zip's MlNetHw info entry.
/// </summary>
public sealed class ImageClassifierPredictor
{
    readonly MLContext _ml;
    readonly ITransformer _model;
    readonly DataViewSchema _inputSchema;

    /// <summary>Class names in Score order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Loads an image classifier zip (baseline, freeze or finetune) with plain ML.NET.</summary>
    /// <param name="ml">The context to load and predict with.</param>
    /// <param name="zipPath">The model file.</param>
    public ImageClassifierPredictor(MLContext ml, string zipPath)
    {
        _ml = ml;
        if (!File.Exists(zipPath)) throw new FileNotFoundException($"model '{zipPath}' not found", zipPath);
        _model = PlainModel.Load(ml, zipPath, out _inputSchema);
        if (_inputSchema.GetColumnOrNull(nameof(ImageRow.ImagePath))?.Type is not TextDataViewType)
            throw new InvalidDataException($"'{zipPath}' is not an image classifier: its input has no text column '{nameof(ImageRow.ImagePath)}' (input: {string.Join(", ", _inputSchema.Select(c => c.Name))}).");
        var output = _model.GetOutputSchema(_inputSchema);
        var score = output.GetColumnOrNull("Score") ?? throw new InvalidDataException($"'{zipPath}' gives no Score column.");
        VBuffer<ReadOnlyMemory<char>> slots = default;
        if (score.HasSlotNames()) score.GetSlotNames(ref slots);
        var names = slots.DenseValues().Select(v => v.ToString()).ToList();
        Classes = names.Count > 0 && names.All(n => n.Length > 0) ? names
            : PlainModel.ReadInfo(zipPath)?.Classes?.ToList()
              ?? Enumerable.Range(0, (score.Type as VectorDataViewType)?.Size ?? 0).Select(i => $"class{i}").ToList();
    }

    /// <summary>Predicts each image (missing files fail naming the file before any scoring).</summary>
    public IReadOnlyList<ImageClassPrediction> Predict(IReadOnlyList<string> imagePaths)
    {
        foreach (var p in imagePaths)
            if (!File.Exists(p)) throw new FileNotFoundException($"image '{p}' not found", p);
        var rows = imagePaths.Select(p => new ImageRow { ImagePath = Path.GetFullPath(p), Label = "" }).ToList();
        var scored = _model.Transform(_ml.Data.LoadFromEnumerable(rows));
        var labels = scored.GetColumn<string>("PredictedLabel").ToList();
        var scores = scored.GetColumn<float[]>("Score").ToList();
        return imagePaths.Select((p, i) => new ImageClassPrediction(p, labels[i],
            Classes.Select((c, k) => (c, k)).ToDictionary(x => x.c, x => x.k < scores[i].Length ? scores[i][x.k] : float.NaN))).ToList();
    }
}
