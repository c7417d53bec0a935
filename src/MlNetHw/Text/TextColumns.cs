namespace MlNetHw.Text;

/// <summary>Default column names of the text pipelines (every estimator lets you choose others).</summary>
public static class TextColumns
{
    /// <summary>Boolean label (true = positive).</summary>
    public const string Label = "Label";
    /// <summary>The raw sentence.</summary>
    public const string Text = "Text";
    /// <summary>The sentence as words (variable-length text vector), from <see cref="TextTokenization"/>.</summary>
    public const string Tokens = "Tokens";
    /// <summary>The words as vocabulary ids (variable-length int vector), from the vocabulary transformer.</summary>
    public const string TokenIds = "TokenIds";
    /// <summary>Raw classifier output (logit), as ML.NET binary classifiers name it.</summary>
    public const string Score = "Score";
    /// <summary>Sigmoid of the score.</summary>
    public const string Probability = "Probability";
    /// <summary>Probability ≥ threshold.</summary>
    public const string PredictedLabel = "PredictedLabel";
}
