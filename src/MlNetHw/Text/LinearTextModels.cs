using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms.Onnx;
using MlNetHw.Backbones;
using MlNetHw.MlNet;

namespace MlNetHw.Text;

/// <summary>One point of a regularisation grid: the L2 weight and the dev accuracy it reached.</summary>
public sealed record RegularizationTrial(float L2, double DevAccuracy);

/// <summary>
/// The models whose trained part is ML.NET's <c>LbfgsLogisticRegression</c> on a fixed featurizer — the bag of words
/// and the frozen sentence encoder. The featurizer is fitted once, the features of train and dev are cached, and the
/// L2 weight is chosen on the dev set from a small grid (ties go to the stronger regularisation).
/// </summary>
public static class LinearTextModels
{
    /// <summary>The default L2 grid of both models.</summary>
    public static readonly IReadOnlyList<float> DefaultL2Grid = new[] { 0.01f, 0.03f, 0.1f, 0.3f, 1f, 3f, 10f, 30f };

    /// <summary>
    /// L1 weight of the logistic regressions: 0 (with ML.NET's default of 1 the bag of words' training accuracy stayed
    /// at 0.91 even at the smallest L2: most of its few thousand sparse word weights were held at zero).
    /// </summary>
    public const float L1 = 0f;

    /// <summary>Feature column both featurizers write.</summary>
    public const string Features = "Features";

    /// <summary>
    /// Characters that separate punctuation tokens: letters, digits, white space, apostrophe and hyphen. Splitting the
    /// normalised text on them leaves the runs of everything else (<c>!</c>, <c>?</c>, <c>$</c>, <c>...</c>, <c>:)</c>),
    /// which the word tokenisation drops.
    /// </summary>
    public static readonly char[] PunctuationSeparators =
        "abcdefghijklmnopqrstuvwxyz0123456789 \t\r\n'-".ToCharArray();

    /// <summary>
    /// Bag-of-words featurizer, all ML.NET transforms: word tokens (<see cref="TextTokenization"/>) → keys →
    /// n-grams (1..<paramref name="ngramLength"/>) TF-IDF weighted (IDF from the training sentences), plus, when
    /// <paramref name="punctuation"/>, the counts of the punctuation tokens (normalised text split on
    /// <see cref="PunctuationSeparators"/>), concatenated in <see cref="Features"/>, each sentence's vector scaled to unit L2 norm
    /// (<c>NormalizeLpNorm</c>). Chosen on the dev set over raw counts, TF-IDF alone and counts + unit norm.
    /// </summary>
    public static IEstimator<ITransformer> BagOfWordsFeaturizer(MLContext ml, string textColumn, string tokensColumn, int ngramLength, bool punctuation)
    {
        if (ngramLength is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(ngramLength), ngramLength, "n-gram length 1, 2 or 3.");
        return CountFeaturizer(ml, textColumn, tokensColumn, ngramLength, punctuation).Append(ml.Transforms.NormalizeLpNorm(Features));
    }

    static IEstimator<ITransformer> CountFeaturizer(MLContext ml, string textColumn, string tokensColumn, int ngramLength, bool punctuation)
    {
        var weighting = Microsoft.ML.Transforms.Text.NgramExtractingEstimator.WeightingCriteria.TfIdf;
        const string keys = "TokenKeys", words = "WordCounts", punct = "PunctuationTokens", punctKeys = "PunctuationKeys", punctCounts = "PunctuationCounts";
        var chain = TextTokenization.Estimator(ml, tokensColumn, textColumn)
            .Append(ml.Transforms.Conversion.MapValueToKey(keys, tokensColumn))
            .Append(ml.Transforms.Text.ProduceNgrams(ngramLength == 1 ? Features : words, keys, ngramLength: ngramLength, useAllLengths: true, weighting: weighting));
        if (ngramLength == 1 && !punctuation) return chain;
        if (!punctuation) return chain.Append(ml.Transforms.CopyColumns(Features, words));
        return chain
            .Append(ml.Transforms.Text.NormalizeText(punct, textColumn, Microsoft.ML.Transforms.Text.TextNormalizingEstimator.CaseMode.Lower,
                keepDiacritics: false, keepPunctuations: true, keepNumbers: true))
            .Append(ml.Transforms.Text.TokenizeIntoWords(punct, punct, PunctuationSeparators))
            .Append(ml.Transforms.Conversion.MapValueToKey(punctKeys, punct))
            .Append(ml.Transforms.Text.ProduceNgrams(punctCounts, punctKeys, ngramLength: 1, useAllLengths: false))
            .Append(ml.Transforms.Concatenate(Features, ngramLength == 1 ? Features : words, punctCounts));
    }

    /// <summary>
    /// Frozen-encoder featurizer (fitted; nothing in it learns): WordPiece ids (<see cref="WordPieceTokenizerModel"/>)
    /// → the packaged all-MiniLM-L6-v2 through ML.NET's <c>ApplyOnnxModel</c>, with masked mean pooling in the graph
    /// (<see cref="PackagedMiniLm.PooledEncoderPath"/>) → the 384-d sentence vector in <see cref="Features"/>.
    /// </summary>
    public static TransformerChain<ITransformer> EncoderFeaturizer(MLContext ml, IDataView sample, string textColumn, int maxTokens, int? threads)
    {
        var tokenizer = TorchTransformer.Create(new WordPieceTokenizerModel(PackagedMiniLm.Vocabulary(), maxTokens, textColumn));
        var onnx = ml.Transforms.ApplyOnnxModel(new OnnxOptions
        {
            ModelFile = PackagedMiniLm.PooledEncoderPath,
            InputColumns = new[] { PackagedMiniLm.InputIds, PackagedMiniLm.AttentionMask, PackagedMiniLm.TokenTypeIds },
            OutputColumns = new[] { PackagedMiniLm.SentenceOutput },
            InterOpNumThreads = 1,
            IntraOpNumThreads = threads ?? 0,
        }).Fit(tokenizer.Transform(sample));
        var rename = ml.Transforms.CopyColumns(Features, PackagedMiniLm.SentenceOutput).Fit(onnx.Transform(tokenizer.Transform(sample)));
        return new TransformerChain<ITransformer>(tokenizer, onnx, rename);
    }

    /// <summary>
    /// Fits the logistic regression on the cached train features for each L2 of <paramref name="grid"/>, keeps the one
    /// with the best dev accuracy (ties: the larger L2), and returns it with every trial.
    /// </summary>
    public static (ITransformer Model, float L2, IReadOnlyList<RegularizationTrial> Trials) ChooseL2(MLContext ml, ITransformer featurizer,
        IDataView train, IDataView? dev, string labelColumn, IReadOnlyList<float> grid, TextWriter? log, string name)
    {
        if (grid.Count == 0) throw new ArgumentException("the L2 grid is empty.");
        var trainFeatures = ml.Data.Cache(featurizer.Transform(train), labelColumn, Features);
        var devFeatures = dev is null ? null : ml.Data.Cache(featurizer.Transform(dev), labelColumn, Features);
        ITransformer? best = null;
        float bestL2 = float.NaN;
        double bestAccuracy = double.NegativeInfinity;
        var trials = new List<RegularizationTrial>();
        foreach (float l2 in dev is null ? grid.Take(1) : grid)
        {
            var model = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
            {
                LabelColumnName = labelColumn, FeatureColumnName = Features, L2Regularization = l2, L1Regularization = L1,
            }).Fit(trainFeatures);
            double accuracy = devFeatures is null ? double.NaN : ml.BinaryClassification.Evaluate(model.Transform(devFeatures), labelColumn).Accuracy;
            trials.Add(new RegularizationTrial(l2, accuracy));
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name} L2 {l2,6}: dev accuracy {accuracy:0.0000}"));
            if (best is null || accuracy >= bestAccuracy) { best = model; bestL2 = l2; bestAccuracy = accuracy; }
        }
        return (best!, bestL2, trials);
    }
}
