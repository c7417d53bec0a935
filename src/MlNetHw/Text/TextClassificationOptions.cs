namespace MlNetHw.Text;

/// <summary>Settings of <see cref="TextClassificationExperiment.Run"/> (the homework's part 6).</summary>
public sealed class TextClassificationOptions
{
    /// <summary>Models to train, in order. Default: all five.</summary>
    public IReadOnlyList<TextModelKind> Models { get; set; } = Enum.GetValues<TextModelKind>();
    /// <summary>
    /// Folder with <c>train.txt dev.txt test.txt</c> and optionally <c>unlabelled.txt</c>, lines <c>LABEL sentence</c>
    /// (label 0 or 1). Null (default) = the dataset catalog's <c>sentiment-uci</c>.
    /// </summary>
    public string? DataFolder { get; set; }
    /// <summary>GloVe text file (<c>word v1 … vD</c>, any D). Null (default) = the catalog's <c>glove-100d</c>.</summary>
    public string? GloVePath { get; set; }
    /// <summary>Epochs for every TorchSharp model; null (default) = each model's own default (see <see cref="TextClassificationEstimator.DefaultTrainerOptions"/>).</summary>
    public int? Epochs { get; set; }
    /// <summary>Sentences per step. Default 100 (homework).</summary>
    public int BatchSize { get; set; } = 100;
    /// <summary>Adam learning rate. Default 0.001 (homework).</summary>
    public double LearningRate { get; set; } = 1e-3;
    /// <summary>RNN/LSTM hidden size. Default 64.</summary>
    public int HiddenSize { get; set; } = 64;
    /// <summary>
    /// Word-vector size of every model. Default null: 100 for the learned embeddings, the GloVe file's dimension for the
    /// others. When set, a GloVe file of another dimension is rejected before any training, with a message naming it.
    /// </summary>
    public int? EmbeddingDimension { get; set; }
    /// <summary>Minimum training count for a word to enter the vocabulary. Default 1.</summary>
    public int MinCount { get; set; } = 1;
    /// <summary>
    /// The frozen-GloVe model's vocabulary also gets the first this many words of the GloVe file (the most frequent),
    /// so words never seen in training still contribute their fixed vectors; their vectors are stored in the model
    /// (N × D floats). Default 0: training words only (the setting of the reported runs).
    /// </summary>
    public int GloVeExtraWords { get; set; }
    /// <summary>Keep the best validation epoch's weights. Default true (homework).</summary>
    public bool KeepBestValidationEpoch { get; set; } = true;
    /// <summary>Seed of everything random. Default 1.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Few epochs (a smoke run, not for reporting). Default false.</summary>
    public bool Quick { get; set; }
    /// <summary>Training device: auto, cpu or cuda. Default cpu.</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>Where results go. Default <c>out/text-classification</c>.</summary>
    public string OutputDirectory { get; set; } = Path.Combine("out", "text-classification");
    /// <summary>Reload every saved <c>.zip</c> in a fresh MLContext and check it reproduces the test predictions. Default true.</summary>
    public bool VerifyReload { get; set; } = true;
    /// <summary>Where progress is printed. Default: nowhere (the command line passes stderr).</summary>
    public TextWriter? Log { get; set; }
}
