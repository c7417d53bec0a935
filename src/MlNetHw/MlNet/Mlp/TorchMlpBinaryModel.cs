using MlNetHw.MlNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.MlNet.Mlp;

/// <summary>
/// The worked example of a TorchSharp-backed model: a binary MLP classifier over a <c>float[]</c> feature column.
/// Adds ML.NET's binary-classification columns <c>Score</c> (logit), <c>Probability</c> (sigmoid) and
/// <c>PredictedLabel</c> (Score &gt; 0), so <c>mlContext.BinaryClassification.Evaluate</c> works on its output.
/// </summary>
[TorchArchitecture(ArchitectureName)]
public sealed class TorchMlpBinaryModel : TorchModel
{
    /// <summary>The name in archive manifests.</summary>
    public const string ArchitectureName = "mlnethw.mlp-binary";

    readonly MlpNetwork _module;
    readonly Device _device;

    /// <summary>Builds the model with fresh (seeded) weights.</summary>
    public TorchMlpBinaryModel(string featureColumn, int featureSize, IReadOnlyList<int> hiddenSizes, double dropout, Device? device = null)
    {
        if (featureSize < 1) throw new ArgumentOutOfRangeException(nameof(featureSize), featureSize, "the feature vector must have a known size of at least 1");
        FeatureColumn = featureColumn;
        FeatureSize = featureSize;
        HiddenSizes = hiddenSizes.ToArray();
        Dropout = dropout;
        _device = device ?? torch.CPU;
        _module = new MlpNetwork(featureSize, HiddenSizes, 1, dropout);
        _module.to(_device);
        InputColumns = new[] { TorchColumn.FloatVector(featureColumn, featureSize) };
    }

    /// <summary>Name of the feature column (Vector&lt;Single, FeatureSize&gt;).</summary>
    public string FeatureColumn { get; }
    /// <summary>Length of the feature vector.</summary>
    public int FeatureSize { get; }
    /// <summary>Widths of the hidden layers.</summary>
    public int[] HiddenSizes { get; }
    /// <summary>Dropout probability after each hidden layer (training only).</summary>
    public double Dropout { get; }
    /// <summary>How the model was trained (null for a loaded model).</summary>
    public TrainingResult? Training { get; internal set; }

    /// <inheritdoc/>
    public override string Architecture => ArchitectureName;
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> InputColumns { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> OutputColumns { get; } = BinaryOutputColumns;
    /// <inheritdoc/>
    public override nn.Module Module => _module;

    /// <summary>The columns every binary classifier adds: Score, Probability, PredictedLabel.</summary>
    public static readonly IReadOnlyList<TorchColumn> BinaryOutputColumns =
        new[] { TorchColumn.Single("Score"), TorchColumn.Single("Probability"), TorchColumn.Boolean("PredictedLabel") };

    /// <summary>Logits (N) of features (N, D).</summary>
    internal Tensor Logits(Tensor features) => _module.forward(features).squeeze(1);

    /// <inheritdoc/>
    protected override void ScoreBatch(ColumnTable inputs, ColumnTable outputs)
    {
        var rows = inputs.Get<float[]>(FeatureColumn);
        var flat = new float[rows.Length * FeatureSize];
        for (int i = 0; i < rows.Length; i++) rows[i].AsSpan().CopyTo(flat.AsSpan(i * FeatureSize, FeatureSize));
        var logits = Logits(torch.tensor(flat, new long[] { rows.Length, FeatureSize }, device: _device)).cpu();
        var score = logits.data<float>().ToArray();
        outputs.Set("Score", score);
        outputs.Set("Probability", score.Select(s => 1f / (1f + MathF.Exp(-s))).ToArray());
        outputs.Set("PredictedLabel", score.Select(s => s > 0).ToArray());
    }

    /// <inheritdoc/>
    protected override void WriteState(TorchModelState state)
    {
        state.Set("featureColumn", FeatureColumn);
        state.Set("featureSize", FeatureSize);
        state.Set("hiddenSizes", HiddenSizes);
        state.Set("dropout", Dropout);
    }

    /// <summary>Rebuilds a saved model (registered loader for <see cref="ArchitectureName"/>).</summary>
    public static TorchMlpBinaryModel Load(TorchModelState state)
    {
        var model = new TorchMlpBinaryModel(state.Get<string>("featureColumn"), state.Get<int>("featureSize"),
            state.Get<int[]>("hiddenSizes"), state.Get<double>("dropout"));
        try { state.LoadWeightsInto(model.Module); }
        catch { model.Dispose(); throw; }
        return model;
    }
}
