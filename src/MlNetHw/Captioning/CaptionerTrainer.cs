using MlNetHw.Backbones;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Training;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Captioning;

/// <summary>Options of <see cref="CaptionerTrainer"/>. Defaults in brackets are the homework's (cs231n) settings.</summary>
public sealed class CaptionerTrainerOptions
{
    /// <summary>Image feature column, Vector&lt;Single&gt; of known size ["Features"].</summary>
    public string FeaturesColumnName { get; set; } = "Features";
    /// <summary>Reference captions of each image, Vector&lt;String&gt; (one row per image, any number of captions) ["References"].</summary>
    public string ReferencesColumnName { get; set; } = "References";
    /// <summary>Output column with the generated caption ["Caption"].</summary>
    public string CaptionColumnName { get; set; } = "Caption";
    /// <summary>RNN or LSTM [Lstm].</summary>
    public CaptionCell Cell { get; set; } = CaptionCell.Lstm;
    /// <summary>Hidden size H [512].</summary>
    public int HiddenDim { get; set; } = 512;
    /// <summary>Word-vector size W [256].</summary>
    public int WordDim { get; set; } = 256;
    /// <summary>Words seen fewer times in the training captions become &lt;UNK&gt; [1].</summary>
    public int MinWordCount { get; set; } = 1;
    /// <summary>Longest caption in words; longer training captions are truncated with END kept, and decoding stops there [16].</summary>
    public int MaxWords { get; set; } = 16;
    /// <summary>
    /// Subtract the mean training feature vector before the projection to h0 [true]. ResNet18's pooled features
    /// are non-negative with a large shared component; centring them is what cs231n's PCA features already are,
    /// and without it the RNN overfit run misses its target (see <see cref="CaptionerNetwork.SetFeatureMean"/>).
    /// </summary>
    public bool CenterFeatures { get; set; } = true;
    /// <summary>Beam width when scoring; 1 = greedy [1].</summary>
    public int BeamWidth { get; set; } = 1;
    /// <summary>Beam-search length normalisation exponent [0.7].</summary>
    public double LengthPenalty { get; set; } = 0.7;
    /// <summary>The shared loop's settings, device and seed included [<see cref="CaptionerTrainer.DefaultTraining"/>: cs231n's].</summary>
    public TrainerOptions Training { get; set; } = CaptionerTrainer.DefaultTraining();
    /// <summary>Receives every batch and epoch report (e.g. <see cref="MlNetHw.IO.TextTrainingProgress"/>) [none].</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>A copy (its <see cref="Training"/> copied too), for one cell or run.</summary>
    public CaptionerTrainerOptions Clone()
    {
        var copy = (CaptionerTrainerOptions)MemberwiseClone();
        copy.Training = Training.Clone();
        return copy;
    }
}

/// <summary>
/// Trains the image captioner: <c>mlContext.Transforms.CaptionImageFeatures(options)</c>. Reads one row per image
/// (a feature vector and its reference captions), builds the vocabulary, trains cs231n's CaptioningRNN on MlNetHw's
/// manual RNN/LSTM layers, and returns a transformer that adds a <c>Caption</c> text column.
/// Empty reference captions are skipped and over-long ones truncated (counts in <see cref="CaptionerModel.Encoding"/>).
/// </summary>
public sealed partial class CaptionerTrainer : TorchEstimator<CaptionerModel>
{
    readonly CaptionerTrainerOptions _options;

    /// <summary>The trainer with its settings; bad sizes throw (see <see cref="Validate"/>).</summary>
    public CaptionerTrainer(IHostEnvironment environment, CaptionerTrainerOptions options) : base(environment, "Captioner")
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        Validate(options);
    }

    /// <summary>Checks the captioner's sizes, naming the first bad one.</summary>
    public static void Validate(CaptionerTrainerOptions options)
    {
        if (options.HiddenDim < 1 || options.WordDim < 1) throw new ArgumentOutOfRangeException(nameof(options), "HiddenDim and WordDim must be positive");
        if (options.MaxWords < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxWords, "MaxWords must be at least 1");
        if (options.MinWordCount < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MinWordCount, "MinWordCount must be at least 1");
        if (options.BeamWidth < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BeamWidth, "BeamWidth must be at least 1");
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<TorchColumn> TrainingColumns =>
        new[] { TorchColumn.FloatVector(_options.FeaturesColumnName), TorchColumn.TextVector(_options.ReferencesColumnName) };

    /// <inheritdoc/>
    protected override IReadOnlyList<TorchColumn> OutputColumns => new[] { TorchColumn.Text(_options.CaptionColumnName) };

    /// <inheritdoc/>
    protected override CaptionerModel Train(IDataView trainData, IChannel channel)
    {
        var table = ColumnTable.Read(trainData, TrainingColumns, Name);
        var features = table.Get<float[]>(_options.FeaturesColumnName);
        var references = table.Get<string[]>(_options.ReferencesColumnName);
        if (table.Count == 0) throw new ArgumentException("Captioner: the training data has no rows.");
        int d = features[0].Length;
        for (int i = 0; i < features.Length; i++)
            if (features[i].Length != d)
                throw new ArgumentException($"Captioner: row {i} of '{_options.FeaturesColumnName}' has {features[i].Length} values, row 0 has {d}.");

        // One training example per (image, caption) pair.
        var captions = new List<string?>();
        var imageOf = new List<int>();
        for (int i = 0; i < references.Length; i++)
            foreach (var r in references[i] ?? Array.Empty<string>()) { captions.Add(r); imageOf.Add(i); }
        var vocabulary = CaptionCodec.Build(captions.Where(c => c is not null).Select(c => c!), _options.MinWordCount, _options.MaxWords);
        var encoded = vocabulary.EncodeAll(captions, out var kept, out var stats);
        channel.Info(MessageSensitivity.None, $"Captioner: {table.Count} images, {stats.Encoded} captions ({stats.SkippedEmpty} empty skipped, " +
                                              $"{stats.Truncated} truncated to {_options.MaxWords} words, {stats.UnknownWords} unknown words), vocabulary {vocabulary.Count}");
        if (stats.Encoded == 0) throw new ArgumentException($"Captioner: no non-empty caption in column '{_options.ReferencesColumnName}'.");

        var device = TorchRuntime.ResolveDevice(_options.Training.Device);
        var flat = new float[stats.Encoded * d];
        for (int k = 0; k < kept.Count; k++) features[imageOf[kept[k]]].AsSpan().CopyTo(flat.AsSpan(k * d, d));
        using var featureTensor = torch.tensor(flat, new long[] { stats.Encoded, d }, device: device);
        using var captionTensor = torch.tensor(encoded, new long[] { stats.Encoded, vocabulary.SequenceLength }, device: device);

        TorchRuntime.Seed(_options.Training.Seed); // the initial weights depend on the seed only
        var module = new CaptionerNetwork(new CaptioningModelShape(d, _options.WordDim, _options.HiddenDim, vocabulary.Count, _options.Cell));
        module.to(device);
        try
        {
            if (_options.CenterFeatures)
            {
                // Mean over the training images (each image once, however many captions it has).
                var imageRows = new float[features.Length * d];
                for (int i = 0; i < features.Length; i++) features[i].AsSpan().CopyTo(imageRows.AsSpan(i * d, d));
                using var all = torch.tensor(imageRows, new long[] { features.Length, d }, device: device);
                using var mean = all.mean(new long[] { 0 });
                module.SetFeatureMean(mean);
            }
            var history = CaptionerTrainer.TrainNetwork(module, featureTensor, captionTensor, _options.Training, _options.Progress, channel);
            return new CaptionerModel(module, vocabulary, _options.FeaturesColumnName, _options.CaptionColumnName, _options.BeamWidth, _options.LengthPenalty, device)
            {
                Training = history,
                Encoding = stats,
            };
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }
}

/// <summary>Catalog entry points of the captioner, in the ML.NET style.</summary>
public static class CaptioningCatalogExtensions
{
    /// <summary>
    /// The captioner over an existing feature column (e.g. from <c>DnnFeaturizeImage</c>): reads
    /// <c>Features</c> (Vector&lt;Single&gt;) and <c>References</c> (Vector&lt;String&gt;), adds <c>Caption</c>.
    /// Save fitted chains with <see cref="ModelArchive.Save"/>.
    /// </summary>
    public static CaptionerTrainer CaptionImageFeatures(this TransformsCatalog catalog, CaptionerTrainerOptions? options = null) =>
        new(CatalogEnvironment.Of(catalog), options ?? new CaptionerTrainerOptions());

    /// <summary>
    /// The whole image → sentence pipeline: <c>LoadImages → ResizeImages → ExtractPixels → ApplyOnnxModel(ResNet18
    /// with its preprocessing, <see cref="ResNet18Featurizer.Estimator"/>) → captioner</c>, reading image paths from <paramref name="imagePathColumnName"/>.
    /// </summary>
    public static IEstimator<ITransformer> CaptionImages(this TransformsCatalog catalog, MLContext mlContext,
        string imagePathColumnName = "ImagePath", CaptionerTrainerOptions? options = null)
    {
        options ??= new CaptionerTrainerOptions();
        return ResNet18Featurizer.Estimator(mlContext, imagePathColumnName, options.FeaturesColumnName)
            .Append(catalog.CaptionImageFeatures(options));
    }
}
