using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Text;

/// <summary>
/// Trains a TorchSharp sentence classifier on a column of word ids
/// (<c>mlContext.BinaryClassification.Trainers.TextClassifier(vocabulary, options)</c>): BCE with logits, Adam,
/// mini-batches padded to their longest sentence with a mask, the best validation epoch kept.
/// The fitted <see cref="TextClassifierTransformer"/> writes <c>Score</c>, <c>Probability</c> and <c>PredictedLabel</c>
/// like ML.NET's binary classifiers, so <c>mlContext.BinaryClassification.Evaluate</c> works on its output.
/// </summary>
public sealed class TextClassifierTrainer : IEstimator<TextClassifierTransformer>
{
    readonly MLContext _mlContext;
    readonly TextVocabulary _vocabulary;
    readonly TextClassifierTrainerOptions _options;

    /// <param name="mlContext">ML.NET context.</param>
    /// <param name="vocabulary">The vocabulary the ids come from (its size sizes the word-vector table; its words select pretrained vectors).</param>
    /// <param name="options">Settings; null = defaults.</param>
    public TextClassifierTrainer(MLContext mlContext, TextVocabulary vocabulary, TextClassifierTrainerOptions? options = null)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        _vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        _options = options ?? new TextClassifierTrainerOptions();
        Validate(_options);
    }

    static void Validate(TextClassifierTrainerOptions o)
    {
        if (o.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(o.Epochs), o.Epochs, "Epochs must be at least 1.");
        if (o.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(o.BatchSize), o.BatchSize, "BatchSize must be at least 1.");
        if (!(o.LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(o.LearningRate), o.LearningRate, "LearningRate must be positive.");
        if (o.HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(o.HiddenSize), o.HiddenSize, "HiddenSize must be at least 1.");
        if (o.PretrainedVectors is null && o.EmbeddingDimension < 1)
            throw new ArgumentOutOfRangeException(nameof(o.EmbeddingDimension), o.EmbeddingDimension, "EmbeddingDimension must be at least 1.");
        if (o.EarlyStoppingPatience < 0) throw new ArgumentOutOfRangeException(nameof(o.EarlyStoppingPatience), o.EarlyStoppingPatience, "EarlyStoppingPatience is 0 (off) or positive.");
    }

    /// <summary>Trains without validation data (the last epoch's weights are kept).</summary>
    public TextClassifierTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains on <paramref name="trainData"/>, choosing the epoch by accuracy on <paramref name="validationData"/>.</summary>
    public TextClassifierTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        var train = LabeledIds.Read(trainData, _options.TokenIdsColumnName, _options.LabelColumnName, _vocabulary.Count, "training data");
        if (train.Count == 0) throw new ArgumentException("the training data has no rows.");
        var valid = validationData is null ? null
            : LabeledIds.Read(validationData, _options.TokenIdsColumnName, _options.LabelColumnName, _vocabulary.Count, "validation data");
        if (valid is { Count: 0 }) valid = null;

        var o = _options;
        TorchRuntime.Seed(o.Seed);
        var device = TorchRuntime.ResolveDevice(o.Device);
        int dim = o.PretrainedVectors?.Dimension ?? o.EmbeddingDimension;
        var shape = new TextNetworkShape(o.Network, _vocabulary.Count, dim, o.HiddenSize, o.AverageSkipsUnknown);
        var network = TextClassifierNetwork.Create(shape);
        if (o.PretrainedVectors is not null)
        {
            using var vectors = PretrainedTable(_vocabulary, o.PretrainedVectors, network.EmbeddingWeight);
            network.SetEmbeddings(vectors, trainable: !o.FreezeEmbeddings);
        }
        else network.SetEmbeddings(null, trainable: !o.FreezeEmbeddings);
        network.to(device);

        var history = new List<TextEpochReport>();
        int bestEpoch = 0;
        double bestAccuracy = double.NegativeInfinity;
        Dictionary<string, Tensor>? bestState = null;
        var trainable = network.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = torch.optim.Adam(trainable, o.LearningRate);
        var random = new Random(o.Seed);
        int steps = (train.Count + o.BatchSize - 1) / o.BatchSize;
        try
        {
            for (int epoch = 1; epoch <= o.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                network.train();
                var order = Enumerable.Range(0, train.Count).ToArray();
                random.Shuffle(order);
                double lossSum = 0; long correct = 0;
                for (int step = 0; step < steps; step++)
                {
                    using var scope = torch.NewDisposeScope();
                    var rows = order.AsSpan(step * o.BatchSize, Math.Min(o.BatchSize, train.Count - step * o.BatchSize)).ToArray();
                    var (ids, mask, labels) = train.Batch(rows, device);
                    optimizer.zero_grad();
                    var logits = network.forward(ids, mask);
                    var loss = nn.functional.binary_cross_entropy_with_logits(logits, labels);
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>() * rows.Length;
                    correct += logits.gt(0).eq(labels.gt(0.5f)).sum().item<long>();
                    o.OnStep?.Invoke(epoch, step + 1, steps, lossSum / Math.Min(train.Count, (step + 1) * o.BatchSize));
                }
                double? vLoss = null, vAcc = null;
                if (valid is not null) (vLoss, vAcc) = Evaluate(network, valid, o.BatchSize, device);
                bool isBest = vAcc is { } a && a > bestAccuracy;
                if (isBest)
                {
                    bestAccuracy = vAcc!.Value;
                    bestEpoch = epoch;
                    if (o.KeepBestValidationEpoch) { DisposeState(bestState); bestState = CloneState(network); }
                }
                var report = new TextEpochReport(epoch, lossSum / train.Count, correct / (double)train.Count, vLoss, vAcc, clock.Elapsed, isBest);
                history.Add(report);
                o.OnEpoch?.Invoke(report);
                if (o.EarlyStoppingPatience > 0 && valid is not null && epoch - bestEpoch >= o.EarlyStoppingPatience) break;
            }
            if (bestState is not null) network.load_state_dict(bestState);
        }
        finally { DisposeState(bestState); }

        network.to(torch.CPU);
        network.eval();
        return new TextClassifierTransformer(_mlContext, network, _options.TokenIdsColumnName,
            history, valid is not null && o.KeepBestValidationEpoch ? bestEpoch : history.Count);
    }

    /// <summary>Mean BCE and accuracy of <paramref name="network"/> on the given rows (no gradients).</summary>
    internal static (double Loss, double Accuracy) Evaluate(TextClassifierNetwork network, LabeledIds data, int batchSize, Device device)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        double lossSum = 0; long correct = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            var rows = Enumerable.Range(start, Math.Min(batchSize, data.Count - start)).ToArray();
            var (ids, mask, labels) = data.Batch(rows, device);
            var logits = network.forward(ids, mask);
            lossSum += nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.gt(0).eq(labels.gt(0.5f)).sum().item<long>();
        }
        network.train();
        return (lossSum / data.Count, correct / (double)data.Count);
    }

    /// <summary>(V, D) table: pretrained rows where a word has one, the network's random rows elsewhere, zero for &lt;pad&gt;/&lt;unk&gt;.</summary>
    static Tensor PretrainedTable(TextVocabulary vocabulary, PretrainedWordVectors vectors, Tensor initial)
    {
        int v = vocabulary.Count, d = vectors.Dimension;
        var table = initial.detach().cpu().to_type(ScalarType.Float32).data<float>().ToArray();
        if (table.Length != v * d) throw new InvalidOperationException($"word-vector table has {table.Length} values, expected {v}×{d}.");
        Array.Clear(table, 0, 2 * d);
        for (int id = 2; id < v; id++)
            if (vectors.Find(vocabulary.Words[id]) is { } vec) Array.Copy(vec, 0, table, id * d, d);
        return torch.tensor(table, new long[] { v, d });
    }

    static Dictionary<string, Tensor> CloneState(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());

    static void DisposeState(Dictionary<string, Tensor>? state)
    {
        if (state is null) return;
        foreach (var t in state.Values) t.Dispose();
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        TextClassifierTransformer.OutputShapeFor(_mlContext, inputSchema, _options.TokenIdsColumnName);
}

/// <summary>Sentences as id arrays with 0/1 labels, read once from a data view, cut into padded batches.</summary>
internal sealed class LabeledIds
{
    public IReadOnlyList<int[]> Ids { get; }
    public float[] Labels { get; }
    public int Count => Labels.Length;

    LabeledIds(List<int[]> ids, float[] labels) { Ids = ids; Labels = labels; }

    public static LabeledIds Read(IDataView data, string idsColumn, string labelColumn, int vocabularySize, string what)
    {
        var ids = data.Schema.GetColumnOrNull(idsColumn)
            ?? throw new ArgumentException($"{what}: column '{idsColumn}' not found; map words to ids first (mlContext.Transforms.Text.MapWordsToVocabularyIds).");
        if (ids.Type is not VectorDataViewType { ItemType: var it } || it != NumberDataViewType.Int32)
            throw new ArgumentException($"{what}: column '{idsColumn}' has type {ids.Type}, expected a vector of Int32 word ids.");
        var label = data.Schema.GetColumnOrNull(labelColumn)
            ?? throw new ArgumentException($"{what}: label column '{labelColumn}' not found.");
        if (label.Type != BooleanDataViewType.Instance && label.Type != NumberDataViewType.Single)
            throw new ArgumentException($"{what}: label column '{labelColumn}' has type {label.Type}, expected Boolean (or Single 0/1).");

        var list = new List<int[]>();
        var labels = new List<float>();
        using var cursor = data.GetRowCursor(new[] { ids, label });
        var idsGetter = cursor.GetGetter<VBuffer<int>>(ids);
        ValueGetter<bool>? boolGetter = label.Type == BooleanDataViewType.Instance ? cursor.GetGetter<bool>(label) : null;
        ValueGetter<float>? floatGetter = boolGetter is null ? cursor.GetGetter<float>(label) : null;
        var buffer = default(VBuffer<int>);
        long row = 0;
        while (cursor.MoveNext())
        {
            row++;
            idsGetter(ref buffer);
            var arr = buffer.DenseValues().ToArray();
            foreach (var id in arr)
                if (id < 0 || id >= vocabularySize)
                    throw new ArgumentException($"{what}, row {row}: word id {id} is outside the vocabulary (size {vocabularySize}); the ids come from another vocabulary.");
            float y;
            if (boolGetter is not null) { bool b = false; boolGetter(ref b); y = b ? 1f : 0f; }
            else
            {
                float f = 0; floatGetter!(ref f);
                if (f is not (0f or 1f)) throw new ArgumentException($"{what}, row {row}: label {f} is not 0 or 1.");
                y = f;
            }
            list.Add(arr);
            labels.Add(y);
        }
        return new LabeledIds(list, labels.ToArray());
    }

    /// <summary>ids (N, T) int64 padded with &lt;pad&gt;, mask (N, T) bool, labels (N) float; T = longest sentence (at least 1).</summary>
    public (Tensor Ids, Tensor Mask, Tensor Labels) Batch(int[] rows, Device device)
    {
        var (ids, mask) = Pad(rows.Select(r => Ids[r]).ToList(), device);
        var labels = torch.tensor(rows.Select(r => Labels[r]).ToArray(), device: device);
        return (ids, mask, labels);
    }

    /// <summary>Pads id arrays into (N, T) ids and mask tensors.</summary>
    public static (Tensor Ids, Tensor Mask) Pad(IReadOnlyList<int[]> sentences, Device device)
    {
        int n = sentences.Count, t = Math.Max(1, sentences.Max(s => s.Length));
        var ids = new long[n * t];
        var mask = new bool[n * t];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < sentences[i].Length; j++) { ids[i * t + j] = sentences[i][j]; mask[i * t + j] = true; }
        return (torch.tensor(ids, new long[] { n, t }, device: device), torch.tensor(mask, new long[] { n, t }, device: device));
    }
}
