using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Text;

/// <summary>
/// A trained TorchSharp sentence classifier as an ML.NET transformer: reads word ids and writes
/// <c>Score</c> (logit), <c>Probability</c> (sigmoid of the score) and <c>PredictedLabel</c> (probability ≥ 0.5).
/// Prediction runs on the CPU, one sentence at a time, so results do not depend on how rows are batched.
/// </summary>
public sealed class TextClassifierTransformer : RowMappingTransformer<TextClassifierTransformer.IdsRow, TextClassifierTransformer.PredictionRow>
{
    readonly object _gate = new();

    /// <summary>The network (on the CPU, in evaluation mode).</summary>
    public TextClassifierNetwork Network { get; }
    /// <summary>Input column of word ids.</summary>
    public string TokenIdsColumnName { get; }
    /// <summary>Per-epoch losses and accuracies of the training run (empty for a loaded model).</summary>
    public IReadOnlyList<TextEpochReport> History { get; }
    /// <summary>The epoch whose weights the model holds (1-based; 0 when unknown).</summary>
    public int SelectedEpoch { get; }

    internal TextClassifierTransformer(MLContext mlContext, TextClassifierNetwork network, string tokenIdsColumnName,
        IReadOnlyList<TextEpochReport> history, int selectedEpoch)
        : base(mlContext, InColumns(tokenIdsColumnName), OutColumns)
    {
        Network = network;
        Network.eval();
        TokenIdsColumnName = tokenIdsColumnName;
        History = history;
        SelectedEpoch = selectedEpoch;
    }

    static Dictionary<string, string> InColumns(string ids) => new() { [nameof(IdsRow.Ids)] = ids };
    static readonly Dictionary<string, string> OutColumns = new()
    {
        [nameof(PredictionRow.Score)] = TextColumns.Score,
        [nameof(PredictionRow.Probability)] = TextColumns.Probability,
        [nameof(PredictionRow.PredictedLabel)] = TextColumns.PredictedLabel,
    };

    internal static SchemaShape OutputShapeFor(MLContext mlContext, SchemaShape input, string idsColumn)
    {
        var col = input.FirstOrDefault(c => c.Name == idsColumn);
        if (col.Name is null)
            throw new ArgumentException($"input column '{idsColumn}' not found; map words to ids first (mlContext.Transforms.Text.MapWordsToVocabularyIds).");
        if (col.Kind == SchemaShape.Column.VectorKind.Scalar || col.ItemType != NumberDataViewType.Int32)
            throw new ArgumentException($"input column '{idsColumn}' must be a vector of Int32 word ids (got {col.Kind} of {col.ItemType}).");
        return OutputShape(mlContext, input, InColumns(idsColumn), OutColumns);
    }

    /// <inheritdoc/>
    protected override void CheckInputSchema(DataViewSchema inputSchema) =>
        RequireColumn(inputSchema, TokenIdsColumnName, t => t is VectorDataViewType { ItemType: var it } && it == NumberDataViewType.Int32,
            "a vector of Int32 word ids", "Map words to ids first (mlContext.Transforms.Text.MapWordsToVocabularyIds).");

    /// <summary>The logit of one sentence given as word ids (an empty sentence gives the bias).</summary>
    public float ScoreIds(IReadOnlyList<int> ids)
    {
        long vocabulary = Network.Shape.VocabularySize;
        foreach (var id in ids)
            if (id < 0 || id >= vocabulary)
                throw new ArgumentException($"word id {id} is outside this model's vocabulary (size {vocabulary}).");
        lock (_gate)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var (idsT, mask) = LabeledIds.Pad(new[] { ids.ToArray() }, torch.CPU);
            return Network.forward(idsT, mask).item<float>();
        }
    }

    /// <inheritdoc/>
    protected override void Map(IdsRow source, PredictionRow destination)
    {
        float score = ScoreIds(source.Ids ?? Array.Empty<int>());
        destination.Score = score;
        destination.Probability = 1f / (1f + MathF.Exp(-score));
        destination.PredictedLabel = destination.Probability >= 0.5f;
    }

    /// <summary>Writes the network's shape and weights (the word vectors included).</summary>
    public void SaveNetwork(Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(JsonSerializer.Serialize(new NetworkHeader(Network.Shape, TokenIdsColumnName, SelectedEpoch)));
        lock (_gate) Network.save(writer);
    }

    /// <summary>Reads a network written by <see cref="SaveNetwork"/>.</summary>
    public static TextClassifierTransformer LoadNetwork(MLContext mlContext, Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var header = JsonSerializer.Deserialize<NetworkHeader>(reader.ReadString())
            ?? throw new InvalidDataException("the network header of the model is empty.");
        var network = TextClassifierNetwork.Create(header.Shape);
        network.load(reader);
        network.EmbeddingWeight.requires_grad_(false);
        return new TextClassifierTransformer(mlContext, network, header.TokenIdsColumnName, Array.Empty<TextEpochReport>(), header.SelectedEpoch);
    }

    sealed record NetworkHeader(TextNetworkShape Shape, string TokenIdsColumnName, int SelectedEpoch);

    /// <summary>Input row of the mapping (public for ML.NET's reflection).</summary>
    public sealed class IdsRow { [VectorType] public int[]? Ids { get; set; } }
    /// <summary>Output row of the mapping (public for ML.NET's reflection).</summary>
    public sealed class PredictionRow
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }
}
