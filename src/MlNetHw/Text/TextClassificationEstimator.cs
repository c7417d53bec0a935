using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace MlNetHw.Text;

/// <summary>The five sentence classifiers of the homework.</summary>
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
}


/// <summary>
/// One of the five sentence classifiers as a single ML.NET estimator, raw text in:
/// <c>mlContext.BinaryClassification.Trainers.TextClassification(TextModelKind.Lstm, …)</c>. It appends ML.NET's
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
    /// <summary>Network and training settings (TorchSharp models); its defaults are set per kind by <see cref="DefaultTrainerOptions"/>.</summary>
    public TextClassifierTrainerOptions Trainer { get; }
    /// <summary>Bag of words: L2 weight of the logistic regression. Default 1 (ML.NET's default).</summary>
    public float BagOfWordsL2 { get; set; } = 1f;
    /// <summary>Raw text column. Default <see cref="TextColumns.Text"/>.</summary>
    public string TextColumnName { get; set; } = TextColumns.Text;

    public TextClassificationEstimator(MLContext mlContext, TextModelKind kind, TextClassifierTrainerOptions? trainer = null,
        VocabularyOptions? vocabulary = null)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Kind = kind;
        Trainer = trainer ?? DefaultTrainerOptions(kind, null);
        Vocabulary = vocabulary ?? new VocabularyOptions();
        if (kind is TextModelKind.GloVe or TextModelKind.Rnn or TextModelKind.Lstm && Trainer.PretrainedVectors is null)
            throw new ArgumentException($"the {kind} model needs pretrained word vectors ({nameof(TextClassifierTrainerOptions)}.{nameof(TextClassifierTrainerOptions.PretrainedVectors)}, e.g. GloVe).");
        if (kind is TextModelKind.GloVe or TextModelKind.Rnn or TextModelKind.Lstm && Vocabulary.Keep is null)
        {
            // Words without a pretrained vector map to <unk>: a frozen or GloVe-initialised model has no vector to start them from.
            var vectors = Trainer.PretrainedVectors!;
            Vocabulary.Keep = vectors.Contains;
        }
    }

    /// <summary>The homework's settings for each kind (Adam 0.001, batch 100, best validation epoch) plus MlNetHw's network choices.</summary>
    public static TextClassifierTrainerOptions DefaultTrainerOptions(TextModelKind kind, PretrainedWordVectors? vectors) => kind switch
    {
        TextModelKind.BagOfWords => new TextClassifierTrainerOptions(),
        TextModelKind.Embeddings => new TextClassifierTrainerOptions { Network = TextNetworkKind.Averaged, EmbeddingDimension = 100, Epochs = 40 },
        TextModelKind.GloVe => new TextClassifierTrainerOptions
        { Network = TextNetworkKind.Averaged, PretrainedVectors = vectors, FreezeEmbeddings = true, AverageSkipsUnknown = true, Epochs = 100 },
        TextModelKind.Rnn => new TextClassifierTrainerOptions { Network = TextNetworkKind.Rnn, PretrainedVectors = vectors, HiddenSize = 64, Epochs = 15 },
        TextModelKind.Lstm => new TextClassifierTrainerOptions { Network = TextNetworkKind.Lstm, PretrainedVectors = vectors, HiddenSize = 64, Epochs = 15 },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown model kind"),
    };

    /// <summary>Fits without validation data.</summary>
    public TextClassificationModel Fit(IDataView input) => Fit(input, null);

    /// <summary>Fits on <paramref name="train"/>; TorchSharp models pick their epoch by accuracy on <paramref name="validation"/>.</summary>
    public TextClassificationModel Fit(IDataView train, IDataView? validation)
    {
        var tokenizer = TextTokenization.Estimator(_mlContext, Vocabulary.InputColumnName, TextColumnName);
        if (Kind == TextModelKind.BagOfWords)
        {
            const string keys = "TokenKeys", features = "Features";
            var bow = tokenizer
                .Append(_mlContext.Transforms.Conversion.MapValueToKey(keys, Vocabulary.InputColumnName))
                .Append(_mlContext.Transforms.Text.ProduceNgrams(features, keys, ngramLength: 1, useAllLengths: false))
                .Append(_mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
                {
                    LabelColumnName = Trainer.LabelColumnName, FeatureColumnName = features, L2Regularization = BagOfWordsL2,
                }));
            return new TextClassificationModel(_mlContext, Kind, bow.Fit(train), null, null, TextColumnName);
        }
        var tokens = tokenizer.Fit(train);
        var vocabulary = new VocabularyEstimator(_mlContext, Vocabulary).Fit(tokens.Transform(train));
        var trainer = new TextClassifierTrainer(_mlContext, vocabulary.Vocabulary, Trainer);
        var classifier = trainer.Fit(vocabulary.Transform(tokens.Transform(train)),
            validation is null ? null : vocabulary.Transform(tokens.Transform(validation)));
        return new TextClassificationModel(_mlContext, Kind, tokens, vocabulary, classifier, TextColumnName);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var col = inputSchema.FirstOrDefault(c => c.Name == TextColumnName);
        if (col.Name is null || col.ItemType is not TextDataViewType || col.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentException($"the data needs a text column '{TextColumnName}' with one sentence per row.");
        var tokenized = TextTokenization.Estimator(_mlContext, Vocabulary.InputColumnName, TextColumnName).GetOutputSchema(inputSchema);
        if (Kind == TextModelKind.BagOfWords)
            return _mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression().GetOutputSchema(
                _mlContext.Transforms.Text.ProduceNgrams("Features", "TokenKeys").GetOutputSchema(
                    _mlContext.Transforms.Conversion.MapValueToKey("TokenKeys", Vocabulary.InputColumnName).GetOutputSchema(tokenized)));
        var ids = VocabularyTransformer.OutputShapeFor(_mlContext, tokenized, Vocabulary.InputColumnName, Vocabulary.OutputColumnName);
        return TextClassifierTransformer.OutputShapeFor(_mlContext, ids, Trainer.TokenIdsColumnName);
    }
}
