using MlNetHw.Data;
using Microsoft.ML;
using MlNetHw.MlNet;

namespace MlNetHw.Text;

/// <summary>Catalog entry points of the text components (<c>mlContext.Transforms.Text…</c>, <c>mlContext.BinaryClassification.Trainers…</c>).</summary>
public static class TextCatalogExtensions
{
    /// <summary>
    /// MlNetHw's tokenisation (ML.NET <c>NormalizeText</c> + <c>TokenizeIntoWords</c>, see <see cref="TextTokenization"/>):
    /// sentence in <paramref name="inputColumnName"/> → words in <paramref name="outputColumnName"/>.
    /// </summary>
    public static IEstimator<ITransformer> TokenizeForClassification(this TransformsCatalog.TextTransforms catalog,
        string outputColumnName = TextColumns.Tokens, string inputColumnName = TextColumns.Text) =>
        TextTokenization.Estimator(catalog, outputColumnName, inputColumnName);

    /// <summary>Builds a vocabulary on the training words and maps words to ids (&lt;pad&gt; = 0, &lt;unk&gt; = 1).</summary>
    public static VocabularyEstimator MapWordsToVocabularyIds(this TransformsCatalog.TextTransforms catalog, VocabularyOptions? options = null) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>A TorchSharp sentence classifier (averaged vectors, RNN or LSTM) on word ids of <paramref name="vocabulary"/>.</summary>
    public static TextClassifierTrainer TextClassifier(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        Vocabulary vocabulary, TextClassifierTrainerOptions? options = null) =>
        new(CatalogEnvironment.Of(catalog), vocabulary, options);

    /// <summary>
    /// One of the homework's five sentence classifiers as one estimator on raw text (tokenisation, vocabulary and
    /// network, or ML.NET's bag of words + logistic regression). <paramref name="vectors"/> (GloVe) are needed by
    /// <see cref="TextModelKind.GloVe"/>, <see cref="TextModelKind.Rnn"/> and <see cref="TextModelKind.Lstm"/>.
    /// </summary>
    public static TextClassificationEstimator TextClassification(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        TextModelKind kind, PretrainedWordVectors? vectors = null, TextClassifierTrainerOptions? options = null, VocabularyOptions? vocabulary = null) =>
        new(MlContextOf(catalog, options), kind, vectors, options, vocabulary);

    // The combined estimator needs a whole MLContext (transforms, trainers, data), which a trainers catalog does not
    // expose. Nothing it builds depends on the context's seed (tokenisation and L-BFGS are deterministic; the networks
    // use the options' seed), so a context of its own gives the same model. Construct TextClassificationEstimator with
    // your MLContext to have its log.
    static MLContext MlContextOf(object catalog, TextClassifierTrainerOptions? options) =>
        CatalogEnvironment.Of(catalog) as MLContext ?? new MLContext(seed: options?.Training.Seed ?? 1);
}
