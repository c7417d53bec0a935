using MlNetHw.MlNet;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Captioning;

/// <summary>
/// The scoring side of the captioner inside ML.NET: reads a feature vector column (512 ResNet18 floats by default)
/// and adds a text column with the generated caption (greedy, or beam search when <see cref="BeamWidth"/> &gt; 1).
/// Saved and loaded by <see cref="ModelArchive"/> with its vocabulary, sizes and decoding settings.
/// </summary>
[TorchArchitecture(ArchitectureName)]
public sealed class CaptionerModel : TorchModel
{
    /// <summary>The name in archive manifests.</summary>
    public const string ArchitectureName = "mlnethw.captioner";

    readonly CaptionerNetwork _module;
    readonly Device _device;

    /// <summary>Wraps a (trained) module with its vocabulary.</summary>
    public CaptionerModel(CaptionerNetwork module, CaptionCodec vocabulary, string featureColumn = "Features", string captionColumn = "Caption",
        int beamWidth = 1, double lengthPenalty = 0.7, Device? device = null)
    {
        if (module.Shape.VocabSize != vocabulary.Count)
            throw new ArgumentException($"the module has {module.Shape.VocabSize} vocabulary rows but the vocabulary has {vocabulary.Count} words.");
        if (beamWidth < 1) throw new ArgumentOutOfRangeException(nameof(beamWidth), beamWidth, "beam width must be at least 1.");
        _module = module;
        Codec = vocabulary;
        FeatureColumn = featureColumn;
        CaptionColumn = captionColumn;
        BeamWidth = beamWidth;
        LengthPenalty = lengthPenalty;
        _device = device ?? torch.CPU;
        _module.to(_device);
        InputColumns = new[] { TorchColumn.FloatVector(featureColumn, module.Shape.FeatureDim) };
        OutputColumns = new[] { TorchColumn.Text(captionColumn) };
        ScoringBatchSize = 64;
    }

    /// <inheritdoc/>
    public override string Architecture => ArchitectureName;
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> InputColumns { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> OutputColumns { get; }
    /// <inheritdoc/>
    public override nn.Module Module => _module;

    /// <summary>The network (features → h0, embedding, RNN/LSTM, vocabulary scores).</summary>
    public CaptionerNetwork Network => _module;
    /// <summary>The vocabulary: word ↔ index, special tokens and the caption length limit.</summary>
    public CaptionCodec Codec { get; }
    /// <summary>Name of the input column of feature vectors ["Features"].</summary>
    public string FeatureColumn { get; }
    /// <summary>Name of the output column of generated captions ["Caption"].</summary>
    public string CaptionColumn { get; }
    /// <summary>Beam width used when scoring; 1 = greedy decoding.</summary>
    public int BeamWidth { get; set; }
    /// <summary>Length normalisation exponent of beam search (see <see cref="CaptionDecoder.Beam"/>).</summary>
    public double LengthPenalty { get; set; }
    /// <summary>How the model was trained (null for a loaded model).</summary>
    public CaptionTrainingHistory? Training { get; internal set; }
    /// <summary>What happened to the training captions (empty skipped, long truncated); null for a loaded model.</summary>
    public CaptionEncodingStats? Encoding { get; internal set; }

    /// <summary>Captions of a batch of feature vectors (each of length <c>FeatureDim</c>).</summary>
    public string[] Caption(IReadOnlyList<float[]> features)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        int d = _module.Shape.FeatureDim;
        var flat = new float[features.Count * d];
        for (int i = 0; i < features.Count; i++)
        {
            if (features[i].Length != d) throw new ArgumentException($"feature row {i} has {features[i].Length} values (expected {d}).");
            features[i].AsSpan().CopyTo(flat.AsSpan(i * d, d));
        }
        var x = torch.tensor(flat, new long[] { features.Count, d }, device: _device);
        var rows = BeamWidth > 1
            ? CaptionDecoder.Beam(_module, x, Codec.MaxWords, BeamWidth, LengthPenalty)
            : CaptionDecoder.Greedy(_module, x, Codec.MaxWords);
        return rows.Select(r => Codec.Decode(r)).ToArray();
    }

    /// <inheritdoc/>
    protected override void ScoreBatch(ColumnTable inputs, ColumnTable outputs) =>
        outputs.Set(CaptionColumn, Caption(inputs.Get<float[]>(FeatureColumn)));

    /// <inheritdoc/>
    protected override void WriteState(TorchModelState state)
    {
        state.Set("featureColumn", FeatureColumn);
        state.Set("captionColumn", CaptionColumn);
        state.Set("cell", _module.Shape.Cell.ToString());
        state.Set("featureDim", _module.Shape.FeatureDim);
        state.Set("wordDim", _module.Shape.WordDim);
        state.Set("hiddenDim", _module.Shape.HiddenDim);
        state.Set("maxWords", Codec.MaxWords);
        state.Set("beamWidth", BeamWidth);
        state.Set("lengthPenalty", LengthPenalty);
        state.Vocabularies["words"] = Codec.Words.ToArray();
    }

    /// <summary>Rebuilds a saved model (the archive's loader for <see cref="ArchitectureName"/>).</summary>
    public static CaptionerModel Load(TorchModelState state)
    {
        string cellName = state.Get<string>("cell");
        if (!Enum.TryParse<CaptionCell>(cellName, ignoreCase: true, out var cell))
            throw new InvalidDataException($"model '{state.Architecture}': unknown cell '{cellName}' (expected Rnn or Lstm)");
        var vocabulary = new CaptionCodec(state.Vocabulary("words"), state.Get<int>("maxWords"));
        var shape = new CaptioningModelShape(state.Get<int>("featureDim"), state.Get<int>("wordDim"), state.Get<int>("hiddenDim"), vocabulary.Count, cell);
        var module = new CaptionerNetwork(shape);
        try { state.LoadWeightsInto(module); }
        catch { module.Dispose(); throw; }
        return new CaptionerModel(module, vocabulary, state.Get<string>("featureColumn"), state.Get<string>("captionColumn"),
            state.Get<int>("beamWidth"), state.Get<double>("lengthPenalty"));
    }
}
