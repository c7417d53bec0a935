using MlNetHw.Data;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;
using MlNetHw.MlNet.Training;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Text;

/// <summary>
/// Trains a TorchSharp sentence classifier on a column of word ids
/// (<c>mlContext.BinaryClassification.Trainers.TextClassifier(vocabulary, options)</c>) with MlNetHw's training loop:
/// BCE with logits, Adam, mini-batches padded to their longest sentence with a mask, the best validation epoch kept.
/// The fitted transformer writes <c>Score</c>, <c>Probability</c> and <c>PredictedLabel</c>, so
/// <c>mlContext.BinaryClassification.Evaluate</c> works on its output.
/// </summary>
public sealed class TextClassifierTrainer : TorchEstimator<TextClassifierModel>
{
    /// <summary>Size of learned word vectors when none is given.</summary>
    public const int DefaultEmbeddingDimension = 100;

    readonly Vocabulary _vocabulary;
    readonly TextClassifierTrainerOptions _options;

    /// <param name="environment">The MLContext (or a catalog's environment).</param>
    /// <param name="vocabulary">The vocabulary the ids come from: its size sizes the word-vector table, its words pick the pretrained vectors.</param>
    /// <param name="options">Settings; null = defaults.</param>
    public TextClassifierTrainer(IHostEnvironment environment, Vocabulary vocabulary, TextClassifierTrainerOptions? options = null)
        : base(environment, "TextClassifier")
    {
        _vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        _options = options ?? new TextClassifierTrainerOptions();
        var o = _options;
        o.Training.Validate();
        if (o.HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(options), o.HiddenSize, "HiddenSize must be at least 1.");
        if (o.EmbeddingDimension is < 1) throw new ArgumentOutOfRangeException(nameof(options), o.EmbeddingDimension, "EmbeddingDimension must be at least 1.");
        if (o.PretrainedVectors is { } v && o.EmbeddingDimension is { } d && d != v.Dimension)
            throw new ArgumentException($"{v.Source} has {v.Dimension}-dimensional vectors but the model's EmbeddingDimension is {d}: " +
                                        "use vectors of the model's dimension, or leave EmbeddingDimension unset to take the vectors' dimension.");
        if (o.FreezeEmbeddings && o.PretrainedVectors is null)
            throw new ArgumentException("FreezeEmbeddings without PretrainedVectors would keep random word vectors fixed; give pretrained vectors or train the embeddings.");
    }

    /// <summary>The word-vector size this trainer builds.</summary>
    public int EmbeddingDimension => _options.PretrainedVectors?.Dimension ?? _options.EmbeddingDimension ?? DefaultEmbeddingDimension;

    /// <inheritdoc/>
    protected override IReadOnlyList<TorchColumn> TrainingColumns =>
        new[] { TextVocabularyModel.IdsColumn(_options.TokenIdsColumnName), TorchColumn.Boolean(_options.LabelColumnName) };

    /// <inheritdoc/>
    protected override IReadOnlyList<TorchColumn> OutputColumns => TorchMlpBinaryModel.BinaryOutputColumns;

    /// <inheritdoc/>
    protected override TextClassifierModel Train(IDataView trainData, IChannel channel)
    {
        var o = _options;
        var train = Read(trainData, "training data");
        if (train.Count == 0) throw new ArgumentException("the training data has no rows.");
        var validation = o.ValidationData is null ? null : Read(o.ValidationData, "validation data");
        if (validation is { Count: 0 }) validation = null;

        TorchRuntime.Seed(o.Training.Seed); // initial weights depend on the seed only
        var shape = new TextNetworkShape(o.Network, _vocabulary.Count, EmbeddingDimension, o.HiddenSize, o.AverageSkipsUnknown);
        var network = TextClassifierNetwork.Create(shape);
        var model = new TextClassifierModel(network, o.Kind, o.TokenIdsColumnName);
        try
        {
            if (o.PretrainedVectors is not null)
            {
                using var table = PretrainedTable(_vocabulary, o.PretrainedVectors, network.EmbeddingWeight, out int found);
                network.SetEmbeddings(table, trainable: !o.FreezeEmbeddings);
                channel.Info(MessageSensitivity.None, $"{found} of {_vocabulary.Count - 2} vocabulary words have a pretrained vector");
            }
            else network.SetEmbeddings(null, trainable: true);

            Func<IReadOnlyList<(int[] Ids, bool Label)>, Device, (Tensor Ids, Tensor Mask, Tensor Y)> collate = (rows, device) =>
            {
                var (ids, mask) = SentenceBatch.Pad(rows.Select(r => r.Ids).ToList(), device);
                return (ids, mask, torch.tensor(rows.Select(r => r.Label ? 1f : 0f).ToArray(), device: device));
            };
            var trainer = new TorchTrainer<(Tensor Ids, Tensor Mask, Tensor Y)>(network, o.Training, batch =>
            {
                var logits = network.forward(batch.Ids, batch.Mask);
                var loss = nn.functional.binary_cross_entropy_with_logits(logits, batch.Y);
                long correct = logits.ge(0).eq(batch.Y.gt(0.5)).sum().item<long>();
                return new BatchOutcome(loss, (int)batch.Y.shape[0], correct);
            }, channel)
            {
                Progress = o.Progress,
                ModelSettings = new KeyValuePair<string, string>[]
                {
                    new("network", o.Network.ToString()), new("kind", o.Kind.ToString()), new("vocabulary", _vocabulary.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new("embedding", EmbeddingDimension.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("hidden", o.HiddenSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new("frozen-embeddings", o.FreezeEmbeddings.ToString()), new("average-skips-unknown", o.AverageSkipsUnknown.ToString()),
                    new("pretrained", o.PretrainedVectors?.Source ?? "none"),
                },
            };
            if (o.EpochEnd is not null) trainer.EpochEnd += o.EpochEnd;
            model.Training = trainer.Fit(new ListBatchSource<(int[], bool), (Tensor, Tensor, Tensor)>(train, collate),
                validation is null ? null : new ListBatchSource<(int[], bool), (Tensor, Tensor, Tensor)>(validation, collate),
                o.CancellationToken);
            network.to(torch.CPU); // prediction runs on the CPU
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    List<(int[] Ids, bool Label)> Read(IDataView data, string what)
    {
        var table = ColumnTable.Read(data, TrainingColumns, $"{Name} ({what})");
        var ids = table.Get<int[]>(_options.TokenIdsColumnName);
        var labels = table.Get<bool>(_options.LabelColumnName);
        var rows = new List<(int[], bool)>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            foreach (var id in ids[i])
                if (id < 0 || id >= _vocabulary.Count)
                    throw new ArgumentException($"{what}, row {i + 1}: word id {id} is outside the vocabulary (size {_vocabulary.Count}); the ids come from another vocabulary.");
            rows.Add((ids[i], labels[i]));
        }
        return rows;
    }

    /// <summary>(V, D) table: pretrained rows where a word has one, the network's random rows elsewhere, zeros for &lt;pad&gt;/&lt;unk&gt;.</summary>
    static Tensor PretrainedTable(Vocabulary vocabulary, PretrainedWordVectors vectors, Tensor initial, out int found)
    {
        int v = vocabulary.Count, d = vectors.Dimension;
        var table = initial.detach().cpu().to_type(ScalarType.Float32).data<float>().ToArray();
        Array.Clear(table, 0, 2 * d);
        found = 0;
        for (int id = 2; id < v; id++)
            if (vectors.Find(vocabulary.Words[id]) is { } vec) { Array.Copy(vec, 0, table, id * d, d); found++; }
        return torch.tensor(table, new long[] { v, d });
    }
}
