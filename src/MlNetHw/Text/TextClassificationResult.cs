using MlNetHw.MlNet.Training;

namespace MlNetHw.Text;

/// <summary>What one model of the experiment achieved and wrote.</summary>
public sealed record TextModelResult(
    TextModelKind Kind,
    double TestAccuracy,
    double TestAuc,
    double TestF1,
    double? BestValidationAccuracy,
    int SelectedEpoch,
    IReadOnlyList<EpochRecord> History,
    double ReferenceAccuracy,
    TimeSpan TrainingTime,
    int VocabularySize,
    string ModelPath,
    string? PredictionsPath,
    bool? ReloadReproducesPredictions,
    float L2 = float.NaN,
    IReadOnlyList<RegularizationTrial>? L2Trials = null)
{
    /// <summary>Accuracy on the training sentences (the logistic-regression models; null for the others).</summary>
    public double? TrainAccuracy { get; init; }
}

/// <summary>Result of <see cref="TextClassificationExperiment.Run"/>.</summary>
public sealed record TextClassificationResult(
    IReadOnlyList<TextModelResult> Models,
    string DataFolder,
    string? GloVePath,
    int GloVeDimension,
    int TrainCount, int ValidationCount, int TestCount, int UnlabelledCount,
    string ResultsMarkdownPath,
    string? DevAccuracyChartPath,
    TimeSpan WallTime)
{
    /// <summary>Sentences (train, dev, test, unlabelled) longer than the word cap, cut to their first words.</summary>
    public int TruncatedSentences { get; init; }

    /// <summary>The word cap (0 = none).</summary>
    public int MaxWords { get; init; }

    /// <summary>The model with the highest test accuracy.</summary>
    public TextModelResult Best => Models.MaxBy(m => m.TestAccuracy)!;
}
