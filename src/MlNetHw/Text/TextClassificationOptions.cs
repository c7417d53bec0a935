using MlNetHw.MlNet.Training;
using MlNetHw.Runs;

namespace MlNetHw.Text;

/// <summary>Settings of <see cref="TextClassificationExperiment.Run"/> (the homework's part 6).</summary>
public sealed class TextClassificationOptions
{
    /// <summary>Models to train, in order. Default: all seven.</summary>
    public IReadOnlyList<TextModelKind> Models { get; set; } = Enum.GetValues<TextModelKind>();
    /// <summary>
    /// Folder with <c>train.txt dev.txt test.txt</c> and optionally <c>unlabelled.txt</c>, lines <c>LABEL sentence</c>
    /// (label 0 or 1). Null (default) = the dataset catalog's <c>sentiment-uci</c>.
    /// </summary>
    public string? DataFolder { get; set; }
    /// <summary>GloVe text file (<c>word v1 … vD</c>, any D). Null (default) = the catalog's <c>glove-100d</c>.</summary>
    public string? GloVePath { get; set; }
    /// <summary>
    /// The shared training loop's settings of each TorchSharp model, used as they are (seed and device come from
    /// <see cref="Run"/>). Default <see cref="TextClassificationExperiment.DefaultTraining"/>: the homework's Adam 0.001,
    /// batch 100, best dev epoch kept, with each model's epochs. <see cref="RunOptions.Quick"/> caps the epochs at 3
    /// (20 for GloVe).
    /// </summary>
    public IReadOnlyDictionary<TextModelKind, TrainerOptions> Training { get; set; } = TextClassificationExperiment.DefaultTraining();
    /// <summary>RNN/LSTM hidden size. Default 64.</summary>
    public int HiddenSize { get; set; } = 64;
    /// <summary>
    /// Word-vector size of every model. Default null: 100 for the learned embeddings, the GloVe file's dimension for the
    /// others. When set, a GloVe file of another dimension is rejected before any training, with a message naming it.
    /// </summary>
    public int? EmbeddingDimension { get; set; }
    /// <summary>Bag of words: n-grams of 1..N words. Default 1 (unigrams; chosen on dev over 1–2).</summary>
    public int BagOfWordsNgramLength { get; set; } = 1;
    /// <summary>Bag of words: also count punctuation tokens (<c>!</c>, <c>?</c>, <c>$</c>, ...). Default true.</summary>
    public bool BagOfWordsPunctuation { get; set; } = true;
    /// <summary>
    /// Bag of words and frozen encoder: L2 weights of the logistic regression tried, the best on the dev set kept.
    /// Default <see cref="LinearTextModels.DefaultL2Grid"/>.
    /// </summary>
    public IReadOnlyList<float> L2Grid { get; set; } = LinearTextModels.DefaultL2Grid;
    /// <summary>Frozen encoder: most WordPiece tokens per sentence ([CLS] and [SEP] included). Default 128.</summary>
    public int EncoderMaxTokens { get; set; } = 128;
    /// <summary>Finetuned encoder: most WordPiece tokens per sentence ([CLS] and [SEP] included). Default 64 (the sentences are short; the run logs how many are cut).</summary>
    public int FinetuneMaxTokens { get; set; } = 64;
    /// <summary>Finetuned encoder: sentence pooling. Default mean (the encoder's own pooling).</summary>
    public EncoderPooling FinetunePooling { get; set; } = EncoderPooling.Mean;
    /// <summary>Minimum training count for a word to enter the vocabulary. Default 1.</summary>
    public int MinCount { get; set; } = 1;
    /// <summary>
    /// Sentences longer than this many words are cut (their first words kept) by the TorchSharp models; the number cut
    /// is logged and reported. 0 = never cut (a single very long line can then exhaust memory). Default 256.
    /// </summary>
    public int MaxWords { get; set; } = VocabularyOptions.DefaultMaxLength;
    /// <summary>
    /// The frozen-GloVe model's vocabulary also gets the first this many words of the GloVe file (the most frequent),
    /// so words never seen in training still contribute their fixed vectors; their vectors are stored in the model
    /// (N × D floats). Default 0: training words only (the setting of the reported runs).
    /// </summary>
    public int GloVeExtraWords { get; set; }
    /// <summary>Seed (default 1), device (default cpu), threads, output folder (default out/text-classification), quick and log.</summary>
    public RunOptions Run { get; set; } = new() { Seed = 1, Device = "cpu" };
    /// <summary>Reload every saved <c>.zip</c> in a fresh MLContext and check it reproduces the test predictions. Default true.</summary>
    public bool VerifyReload { get; set; } = true;
}
