using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;
using MlNetHw.MlNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Text;

/// <summary>
/// A trained TorchSharp sentence classifier as a model of MlNetHw's ML.NET integration: word ids (Int32 vector) in,
/// <c>Score</c> (logit), <c>Probability</c> (sigmoid) and <c>PredictedLabel</c> (probability ≥ 0.5) out, like
/// ML.NET's binary classifiers. Rows are scored in padded batches with a mask, so padding never reaches the result.
/// </summary>
[TorchArchitecture(ArchitectureName)]
public sealed class TextClassifierModel : TorchModel
{
    /// <summary>Name written to archives.</summary>
    public const string ArchitectureName = "mlnethw.text-classifier";

    /// <summary>The network (evaluation mode once wrapped in a transformer).</summary>
    public TextClassifierNetwork Network { get; }
    /// <summary>Column of word ids read.</summary>
    public string TokenIdsColumnName { get; }
    /// <summary>Which of the homework's models this is (kept for reports and the predict tool).</summary>
    public TextModelKind Kind { get; }
    /// <summary>How training went (null for a model loaded from an archive).</summary>
    public TrainingResult? Training { get; internal set; }

    /// <summary>Wraps a (trained) network that reads word ids from <paramref name="tokenIdsColumnName"/>.</summary>
    public TextClassifierModel(TextClassifierNetwork network, TextModelKind kind, string tokenIdsColumnName = TextColumns.TokenIds)
    {
        Network = network ?? throw new ArgumentNullException(nameof(network));
        Kind = kind;
        TokenIdsColumnName = tokenIdsColumnName;
        InputColumns = new[] { TextVocabularyModel.IdsColumn(tokenIdsColumnName) };
    }

    /// <inheritdoc/>
    public override string Architecture => ArchitectureName;
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> InputColumns { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> OutputColumns => TorchMlpBinaryModel.BinaryOutputColumns;
    /// <inheritdoc/>
    public override nn.Module Module => Network;

    /// <inheritdoc/>
    protected override void ScoreBatch(ColumnTable inputs, ColumnTable outputs)
    {
        var ids = inputs.Get<int[]>(TokenIdsColumnName);
        long vocabulary = Network.Shape.VocabularySize;
        foreach (var sentence in ids)
            foreach (var id in sentence)
                if (id < 0 || id >= vocabulary)
                    throw new ArgumentException($"word id {id} is outside this model's vocabulary (size {vocabulary}): the ids come from another vocabulary.");
        var device = Network.EmbeddingWeight.device;
        var (idsT, mask) = SentenceBatch.Pad(ids, device);
        var scores = Network.forward(idsT, mask).cpu().data<float>().ToArray();
        outputs.Set(TextColumns.Score, scores);
        outputs.Set(TextColumns.Probability, scores.Select(s => 1f / (1f + MathF.Exp(-s))).ToArray());
        outputs.Set(TextColumns.PredictedLabel, scores.Select(s => s >= 0f).ToArray());
    }

    /// <inheritdoc/>
    protected override void WriteState(TorchModelState state)
    {
        state.Set("kind", Kind.ToString());
        state.Set("network", Network.Shape.Kind.ToString());
        state.Set("vocabularySize", Network.Shape.VocabularySize);
        state.Set("embeddingDimension", Network.Shape.EmbeddingDimension);
        state.Set("hiddenSize", Network.Shape.HiddenSize);
        state.Set("averageSkipsUnknown", Network.Shape.AverageSkipsUnknown);
        state.Set("tokenIdsColumn", TokenIdsColumnName);
    }

    /// <summary>Rebuilds the model from an archive (found through <see cref="TorchArchitectureAttribute"/>).</summary>
    public static TextClassifierModel Load(TorchModelState state)
    {
        if (!Enum.TryParse<TextNetworkKind>(state.Get<string>("network"), out var network))
            throw new InvalidDataException($"unknown text network '{state.Get<string>("network")}' in the archive.");
        if (!Enum.TryParse<TextModelKind>(state.Get<string>("kind"), out var kind))
            throw new InvalidDataException($"unknown text model kind '{state.Get<string>("kind")}' in the archive.");
        var shape = new TextNetworkShape(network, state.Get<int>("vocabularySize"), state.Get<int>("embeddingDimension"),
            state.Get<int>("hiddenSize"), state.Get<bool>("averageSkipsUnknown"));
        var net = TextClassifierNetwork.Create(shape);
        try
        {
            state.LoadWeightsInto(net);
            net.EmbeddingWeight.requires_grad_(false);
            return new TextClassifierModel(net, kind, state.Get<string>("tokenIdsColumn"));
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }
}

/// <summary>Pads sentences of word ids into the (N, T) tensors the networks read.</summary>
public static class SentenceBatch
{
    /// <summary>Largest batch accepted, in (sentence × word) cells [20 million: 180 MB of ids and mask].</summary>
    public static long MaxBatchCells { get; set; } = 20_000_000;

    /// <summary>
    /// ids (N, T) int64 padded with &lt;pad&gt; and mask (N, T) bool (false on padding); T = the longest sentence, at
    /// least 1, so a batch of empty sentences is still a valid input (all masked).
    /// </summary>
    public static (Tensor Ids, Tensor Mask) Pad(IReadOnlyList<int[]> sentences, Device device)
    {
        int n = sentences.Count, t = Math.Max(1, sentences.Count == 0 ? 1 : sentences.Max(s => s.Length));
        // Estimate before allocating: ids (8 bytes) + mask (1) here, then about the same again per network layer in libtorch.
        long cells = (long)n * t;
        if (cells > MaxBatchCells)
            throw new InvalidDataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"a batch of {n} sentences padded to the longest, {t} words, needs {cells * 9 / 1e9:0.##} GB for its ids alone (the network's activations are more); " +
                $"cap the sentence length (VocabularyOptions.MaxLength, --max-words) or score fewer rows at once"));
        var ids = new long[n * t];
        var mask = new bool[n * t];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < sentences[i].Length; j++) { ids[i * t + j] = sentences[i][j]; mask[i * t + j] = true; }
        return (torch.tensor(ids, new long[] { n, t }, device: device), torch.tensor(mask, new long[] { n, t }, device: device));
    }
}
