using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;

namespace MlNetHw.Text;

/// <summary>
/// The one tokenisation every text model of MlNetHw uses, built from ML.NET's own text transforms so it is saved
/// with the model: lower-case (<c>NormalizeText</c>, diacritics removed, punctuation and digits kept) and split on
/// white space and sentence punctuation (<c>TokenizeIntoWords</c>); apostrophes and hyphens stay inside words
/// ("don't", "well-made").
/// </summary>
public static class TextTokenization
{
    /// <summary>Characters that separate tokens (and are dropped).</summary>
    public static readonly char[] Separators =
        { ' ', '\t', ',', '.', '!', '?', ';', ':', '"', '(', ')', '[', ']', '{', '}', '/', '\\', '*', '&', '~', '|', '<', '>', '=', '+', '_' };

    /// <summary>
    /// <c>NormalizeText</c> → <c>TokenizeIntoWords</c>: text column <paramref name="inputColumnName"/> to a
    /// variable-length vector of words in <paramref name="outputColumnName"/>.
    /// </summary>
    public static EstimatorChain<WordTokenizingTransformer> Estimator(MLContext mlContext,
        string outputColumnName = TextColumns.Tokens, string inputColumnName = TextColumns.Text) =>
        Estimator(mlContext.Transforms.Text, outputColumnName, inputColumnName);

    /// <summary>The same, built on a text-transforms catalog (what <c>mlContext.Transforms.Text</c> returns).</summary>
    public static EstimatorChain<WordTokenizingTransformer> Estimator(TransformsCatalog.TextTransforms catalog,
        string outputColumnName = TextColumns.Tokens, string inputColumnName = TextColumns.Text) =>
        Normalizer(catalog, outputColumnName, inputColumnName)
            .Append(catalog.TokenizeIntoWords(outputColumnName, outputColumnName, Separators));

    /// <summary>The normalisation step alone (lower case, no diacritics, punctuation and digits kept): text to text.</summary>
    public static TextNormalizingEstimator Normalizer(TransformsCatalog.TextTransforms catalog, string outputColumnName, string inputColumnName) =>
        catalog.NormalizeText(outputColumnName, inputColumnName,
            TextNormalizingEstimator.CaseMode.Lower, keepDiacritics: false, keepPunctuations: true, keepNumbers: true);

    /// <summary>
    /// The same tokenisation for code outside a pipeline (building a vocabulary, tests): runs the ML.NET transforms
    /// on the given sentences, so the words are exactly those a fitted pipeline sees.
    /// </summary>
    public static List<string[]> Tokenize(MLContext mlContext, IEnumerable<string> sentences)
    {
        var data = mlContext.Data.LoadFromEnumerable(sentences.Select(s => new SentenceRow { Text = s }));
        var tokens = Estimator(mlContext).Fit(data).Transform(data);
        return mlContext.Data.CreateEnumerable<TokensRow>(tokens, reuseRowObject: false).Select(r => r.Tokens ?? Array.Empty<string>()).ToList();
    }

    /// <summary>Row of one sentence (public for ML.NET's reflection).</summary>
    public sealed class SentenceRow
    {
        /// <summary>The raw sentence.</summary>
        public string Text { get; set; } = "";
    }
    /// <summary>Row of one tokenised sentence (public for ML.NET's reflection).</summary>
    public sealed class TokensRow
    {
        /// <summary>The sentence's words, in order.</summary>
        [VectorType] public string[]? Tokens { get; set; }
    }
}
