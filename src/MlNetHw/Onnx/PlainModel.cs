using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MlNetHw.IO;

namespace MlNetHw.Onnx;

/// <summary>
/// What MlNetHw stores next to a plain ML.NET model in its <c>.zip</c> (entry <see cref="PlainModel.InfoEntry"/>, which
/// ML.NET's loader ignores): which model it is, what its columns mean and the limits the export imposes.
/// </summary>
public sealed record PlainModelInfo(string Kind, string Description, IReadOnlyDictionary<string, string> Limits)
{
    /// <summary>Format tag of the entry.</summary>
    public string Format { get; init; } = PlainModel.FormatTag;
    /// <summary>Class names in score order, for classifiers whose Score vector carries no slot names (null otherwise).</summary>
    public IReadOnlyList<string>? Classes { get; init; }
}

/// <summary>
/// Plain ML.NET models: chains of ML.NET's own transformers (text normalisation, image loading, <c>ApplyOnnxModel</c>,
/// key/value maps, a binary predictor) saved with <c>mlContext.Model.Save</c> and their input schema, so an app that
/// references only Microsoft.ML, Microsoft.ML.ImageAnalytics and Microsoft.ML.OnnxTransformer loads them with
/// <c>mlContext.Model.Load(path, out schema)</c>. The TorchSharp networks are exported to ONNX first.
/// </summary>
public static class PlainModel
{
    /// <summary>Zip entry holding <see cref="PlainModelInfo"/> as JSON.</summary>
    public const string InfoEntry = "MlNetHw/model-info.json";
    /// <summary>Format tag written in the info entry.</summary>
    public const string FormatTag = "mlnethw-plain/1";
    /// <summary>Column of the one-element logit vector the ONNX graphs of binary classifiers write.</summary>
    public const string LogitColumn = "Logit";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>
    /// ML.NET's own binary-classifier output over the ONNX logit: a linear model with weight 1 and bias 0 on the
    /// one-element <see cref="LogitColumn"/> (so <c>Score</c> is the logit, bit for bit, and <c>PredictedLabel</c> is
    /// Score &gt; 0) followed by the fixed Platt calibrator with slope -1, offset 0 (<c>Probability</c> = sigmoid(Score)).
    /// ML.NET reads ONNX outputs as vectors only, and no public ML.NET transform turns a one-element vector into the
    /// scalar Score that <c>BinaryClassification.Evaluate</c> needs; the predictor is built through ML.NET's internal
    /// constructors (writing only: the saved model is stock ML.NET and loads without MlNetHw).
    /// </summary>
    public static ITransformer BinaryHead(MLContext ml)
    {
        var data = ml.Data.LoadFromEnumerable(new[] { new LogitRow { Logit = new[] { 1f } } });
        const BindingFlags flags = BindingFlags.NonPublic | BindingFlags.Instance;
        var linearCtor = typeof(LinearBinaryModelParameters).GetConstructors(flags).SingleOrDefault(c => c.GetParameters().Length == 4)
            ?? throw new InvalidOperationException("this ML.NET version has no LinearBinaryModelParameters(env, weights, bias, stats) constructor.");
        var weights = new VBuffer<float>(1, new[] { 1f });
        var linear = (LinearBinaryModelParameters)linearCtor.Invoke(new object?[] { ml, weights, 0f, null });
        var scorerCtor = typeof(BinaryPredictionTransformer<LinearBinaryModelParameters>).GetConstructors(flags)
            .SingleOrDefault(c => c.GetParameters().Select(p => p.ParameterType).SequenceEqual(new[]
                { typeof(Microsoft.ML.Runtime.IHostEnvironment), typeof(LinearBinaryModelParameters), typeof(DataViewSchema), typeof(string), typeof(float), typeof(string) }))
            ?? throw new InvalidOperationException("this ML.NET version has no BinaryPredictionTransformer(env, model, schema, feature, threshold, thresholdColumn) constructor.");
        var scorer = (ITransformer)scorerCtor.Invoke(new object?[] { ml, linear, data.Schema, LogitColumn, 0f, "Score" });
        var platt = ml.BinaryClassification.Calibrators.Platt(slope: -1, offset: 0, scoreColumnName: "Score").Fit(scorer.Transform(data));
        return new TransformerChain<ITransformer>(scorer, platt);
    }

    /// <summary>Row with the logit vector (public for ML.NET's reflection).</summary>
    public sealed class LogitRow
    {
        /// <summary>The one-element logit vector the ONNX graph outputs.</summary>
        [VectorType(1)] public float[] Logit { get; set; } = Array.Empty<float>();
    }

    /// <summary>
    /// Saves <paramref name="model"/> with <c>mlContext.Model.Save</c> and its input schema, adds the info entry and
    /// moves the file into place atomically.
    /// </summary>
    public static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string path, PlainModelInfo info) =>
        Save(ml, model, inputSchema, path, info, null);

    /// <summary>
    /// As <see cref="Save(MLContext, ITransformer, DataViewSchema, string, PlainModelInfo)"/>, with more zip entries
    /// (name → bytes; ML.NET's loader ignores them), e.g. a tokenizer's vocabulary the app needs in front of the chain.
    /// </summary>
    public static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string path, PlainModelInfo info,
        IReadOnlyDictionary<string, byte[]>? extraEntries)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, s =>
        {
            using var buffer = new MemoryStream();
            ml.Model.Save(model, inputSchema, buffer);
            using (var zip = new ZipArchive(buffer, ZipArchiveMode.Update, leaveOpen: true))
            {
                var entry = zip.CreateEntry(InfoEntry);
                using var w = entry.Open();
                JsonSerializer.Serialize(w, info, Json);
                w.Dispose();
                foreach (var (name, bytes) in extraEntries ?? new Dictionary<string, byte[]>())
                {
                    using var e = zip.CreateEntry(name).Open();
                    e.Write(bytes);
                }
            }
            buffer.Position = 0;
            buffer.CopyTo(s);
        });
    }

    /// <summary>
    /// <c>mlContext.Model.Load(path, out inputSchema)</c>, with a failure reported as <see cref="InvalidDataException"/>
    /// naming the file and the innermost reason (ML.NET wraps it in several "Error during class instantiation" layers).
    /// </summary>
    public static ITransformer Load(MLContext ml, string path, out DataViewSchema inputSchema)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file '{path}' does not exist", path);
        try { return ml.Model.Load(path, out inputSchema); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            throw new InvalidDataException($"'{path}' is not a model ML.NET can load: {inner.Message}", e);
        }
    }

    /// <summary>The info entry of a plain MlNetHw model, or null when the zip has none (or is no zip).</summary>
    public static PlainModelInfo? ReadInfo(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var entry = zip.GetEntry(InfoEntry);
            if (entry is null) return null;
            using var r = entry.Open();
            return JsonSerializer.Deserialize<PlainModelInfo>(r);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException) { return null; }
    }
}
