namespace MlNetHw.Text;

/// <summary>
/// Settings of <see cref="TextClassifierTrainer"/>. Defaults are the homework's: BCE on a sigmoid output, Adam with
/// learning rate 0.001, batch 100, the weights of the epoch with the best validation accuracy kept.
/// </summary>
public sealed class TextClassifierTrainerOptions
{
    /// <summary>Which network: averaged word vectors, RNN or LSTM. Default <see cref="TextNetworkKind.Averaged"/>.</summary>
    public TextNetworkKind Network { get; set; } = TextNetworkKind.Averaged;
    /// <summary>Column of word ids (from <see cref="VocabularyTransformer"/>). Default <see cref="TextColumns.TokenIds"/>.</summary>
    public string TokenIdsColumnName { get; set; } = TextColumns.TokenIds;
    /// <summary>Boolean (or 0/1 float) label column. Default <see cref="TextColumns.Label"/>.</summary>
    public string LabelColumnName { get; set; } = TextColumns.Label;
    /// <summary>Size of learned word vectors (ignored when <see cref="PretrainedVectors"/> is set: their dimension is used). Default 100.</summary>
    public int EmbeddingDimension { get; set; } = 100;
    /// <summary>Hidden state size of the RNN/LSTM. Default 64.</summary>
    public int HiddenSize { get; set; } = 64;
    /// <summary>
    /// Pretrained vectors (e.g. GloVe) for the vocabulary's words: the rows they have are copied into the word-vector
    /// table, which is then saved with the model (no file path is kept). Null (default) = random initial vectors.
    /// </summary>
    public PretrainedWordVectors? PretrainedVectors { get; set; }
    /// <summary>Keep the word vectors fixed (the frozen-GloVe model). Default false.</summary>
    public bool FreezeEmbeddings { get; set; }
    /// <summary>Averaged network only: leave &lt;unk&gt; out of the average (useful with frozen pretrained vectors). Default false.</summary>
    public bool AverageSkipsUnknown { get; set; }
    /// <summary>Passes over the training data. Default 20.</summary>
    public int Epochs { get; set; } = 20;
    /// <summary>Sentences per step. Default 100.</summary>
    public int BatchSize { get; set; } = 100;
    /// <summary>Adam learning rate. Default 0.001.</summary>
    public double LearningRate { get; set; } = 1e-3;
    /// <summary>Restore the weights of the epoch with the best validation accuracy at the end (needs validation data). Default true.</summary>
    public bool KeepBestValidationEpoch { get; set; } = true;
    /// <summary>Stop when validation accuracy has not improved for this many epochs; 0 (default) = never stop early.</summary>
    public int EarlyStoppingPatience { get; set; }
    /// <summary>Seed of weight initialisation and batch shuffling. Default 1.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Training device: auto, cpu or cuda. Prediction always runs on the CPU. Default "cpu".</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>Called after every epoch with its losses and accuracies.</summary>
    public Action<TextEpochReport>? OnEpoch { get; set; }
    /// <summary>Called after every training step with (epoch, step, steps per epoch, running mean loss).</summary>
    public Action<int, int, int, double>? OnStep { get; set; }
}

/// <summary>One epoch of training: mean BCE loss and accuracy on the training and validation sentences.</summary>
public sealed record TextEpochReport(int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss,
    double? ValidationAccuracy, TimeSpan Elapsed, bool IsBest);

/// <summary>
/// Word vectors for a text model: their <see cref="Dimension"/> and a lookup that returns a word's vector or null.
/// Build one from any source (MlNetHw's GloVe reader, a dictionary).
/// </summary>
public sealed class PretrainedWordVectors
{
    /// <summary>Length of every vector.</summary>
    public int Dimension { get; }
    readonly Func<string, float[]?> _lookup;

    public PretrainedWordVectors(int dimension, Func<string, float[]?> lookup)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "word vectors have at least one dimension.");
        Dimension = dimension;
        _lookup = lookup ?? throw new ArgumentNullException(nameof(lookup));
    }

    /// <summary>From a dictionary word → vector (every vector must have <paramref name="dimension"/> values).</summary>
    public static PretrainedWordVectors FromDictionary(IReadOnlyDictionary<string, float[]> vectors, int dimension) =>
        new(dimension, w => vectors.TryGetValue(w, out var v) ? v : null);

    /// <summary>The word's vector, or null when there is none.</summary>
    public float[]? Find(string word)
    {
        var v = _lookup(word);
        if (v is not null && v.Length != Dimension)
            throw new InvalidDataException($"the vector of '{word}' has {v.Length} values, expected {Dimension}.");
        return v;
    }

    /// <summary>True when the word has a vector.</summary>
    public bool Contains(string word) => _lookup(word) is not null;
}
