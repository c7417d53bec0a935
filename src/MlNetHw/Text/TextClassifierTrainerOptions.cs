using MlNetHw.MlNet.Training;

namespace MlNetHw.Text;

/// <summary>
/// Settings of <see cref="TextClassifierTrainer"/>. Defaults in brackets; the training defaults are the homework's:
/// BCE on a sigmoid output, Adam with learning rate 0.001, batch 100, the best validation epoch's weights kept.
/// </summary>
public sealed class TextClassifierTrainerOptions
{
    /// <summary>Which of the homework's models this is; sets nothing by itself, it is recorded in the model [Embeddings].</summary>
    public TextModelKind Kind { get; set; } = TextModelKind.Embeddings;
    /// <summary>Which network: averaged word vectors, RNN or LSTM [Averaged].</summary>
    public TextNetworkKind Network { get; set; } = TextNetworkKind.Averaged;
    /// <summary>Column of word ids (from <see cref="VocabularyEstimator"/>) [<see cref="TextColumns.TokenIds"/>].</summary>
    public string TokenIdsColumnName { get; set; } = TextColumns.TokenIds;
    /// <summary>Boolean label column [<see cref="TextColumns.Label"/>].</summary>
    public string LabelColumnName { get; set; } = TextColumns.Label;
    /// <summary>
    /// Size of the word vectors [null: 100 for learned vectors, the pretrained vectors' dimension otherwise]. Setting it
    /// to another size than <see cref="PretrainedVectors"/> have is an error that names both.
    /// </summary>
    public int? EmbeddingDimension { get; set; }
    /// <summary>Hidden state size of the RNN/LSTM [64].</summary>
    public int HiddenSize { get; set; } = 64;
    /// <summary>
    /// Pretrained vectors (e.g. GloVe) for the vocabulary's words: their rows are copied into the word-vector table,
    /// which is saved with the model (no file path is kept) [null: random initial vectors].
    /// </summary>
    public PretrainedWordVectors? PretrainedVectors { get; set; }
    /// <summary>Keep the word vectors fixed (the frozen-GloVe model) [false].</summary>
    public bool FreezeEmbeddings { get; set; }
    /// <summary>Averaged network only: leave &lt;unk&gt; out of the average (useful with frozen pretrained vectors) [false].</summary>
    public bool AverageSkipsUnknown { get; set; }
    /// <summary>
    /// Sentences (already through the same tokenisation and vocabulary) that pick the epoch to keep and drive early
    /// stopping [null: no validation, the last epoch is kept]. <see cref="TextClassificationEstimator"/> fills it.
    /// </summary>
    public Microsoft.ML.IDataView? ValidationData { get; set; }
    /// <summary>The training loop [Epochs 20, BatchSize 100, Adam, LearningRate 0.001, KeepBestWeights, Seed 1, Device cpu].</summary>
    public TrainerOptions Training { get; set; } = new() { Epochs = 20, BatchSize = 100, LearningRate = 1e-3, KeepBestWeights = true, Device = "cpu" };
    /// <summary>Progress receiver (e.g. <see cref="MlNetHw.IO.TextTrainingProgress"/>) [null].</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
    /// <summary>Called after every epoch (validation done) [null].</summary>
    public Action<TrainingProgress>? EpochEnd { get; set; }
    /// <summary>Cancels training [none].</summary>
    public CancellationToken CancellationToken { get; set; }
}

/// <summary>
/// Word vectors for a text model: their <see cref="Dimension"/> and a lookup that returns a word's vector or null.
/// Build one from any source (MlNetHw's GloVe reader, a dictionary).
/// </summary>
public sealed class PretrainedWordVectors
{
    /// <summary>Length of every vector.</summary>
    public int Dimension { get; }
    /// <summary>Where the vectors came from (a file name), for messages.</summary>
    public string Source { get; }
    readonly Func<string, float[]?> _lookup;

    /// <summary>Vectors of length <paramref name="dimension"/> looked up by <paramref name="lookup"/> (null for an unknown word); <paramref name="source"/> names them in messages.</summary>
    public PretrainedWordVectors(int dimension, Func<string, float[]?> lookup, string source = "word vectors")
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "word vectors have at least one dimension.");
        Dimension = dimension;
        Source = source;
        _lookup = lookup ?? throw new ArgumentNullException(nameof(lookup));
    }

    /// <summary>From a dictionary word → vector (every vector must have <paramref name="dimension"/> values).</summary>
    public static PretrainedWordVectors FromDictionary(IReadOnlyDictionary<string, float[]> vectors, int dimension, string source = "word vectors") =>
        new(dimension, w => vectors.TryGetValue(w, out var v) ? v : null, source);

    /// <summary>The word's vector, or null when there is none.</summary>
    public float[]? Find(string word)
    {
        var v = _lookup(word);
        if (v is not null && v.Length != Dimension)
            throw new InvalidDataException($"{Source}: the vector of '{word}' has {v.Length} values, expected {Dimension}.");
        return v;
    }

    /// <summary>True when the word has a vector.</summary>
    public bool Contains(string word) => _lookup(word) is not null;
}
