namespace MlNetHw.Style;

/// <summary>Colour and texture similarity of an image to the painting (see <see cref="ImageStatistics"/>).</summary>
/// <param name="ColourOverlap">RGB histogram overlap with the painting, 0..1.</param>
/// <param name="TextureOverlap">Gradient-magnitude histogram overlap with the painting, 0..1.</param>
public sealed record PaintingSimilarity(double ColourOverlap, double TextureOverlap);

/// <summary>One optimisation's numbers.</summary>
/// <param name="Label">What varied ("style weight 1e6", "softmax smoothing").</param>
/// <param name="StyleWeight">Style weight used.</param>
/// <param name="Smoothing">Activation smoothing used.</param>
/// <param name="Samples">Losses per evaluation.</param>
/// <param name="Seconds">Wall time.</param>
/// <param name="Similarity">Result vs painting.</param>
/// <param name="ImagePath">PNG of the result.</param>
/// <param name="PaintingContentLoss">Content loss of the painting itself against the photo (same layer and smoothing).</param>
public sealed record StyleRunSummary(string Label, double StyleWeight, ActivationSmoothing Smoothing,
    IReadOnlyList<StyleLossSample> Samples, double Seconds, PaintingSimilarity Similarity, string ImagePath, double PaintingContentLoss)
{
    /// <summary>
    /// Final content loss as a fraction of the painting's: the documented bound on the defaults is ≤ 0.5 (the result
    /// is at most half as far from the photo's features as the painting is).
    /// </summary>
    public double ContentLossFraction => PaintingContentLoss > 0 ? FinalContentLoss / PaintingContentLoss : double.NaN;

    /// <summary>The evaluation whose image was kept (lowest weighted total; usually one of the last).</summary>
    public StyleLossSample Kept => Samples.MinBy(s => s.Total)!;
    /// <summary>Style loss of the first evaluation (the starting image).</summary>
    public double InitialStyleLoss => Samples[0].Style;
    /// <summary>Style loss of the kept image.</summary>
    public double FinalStyleLoss => Kept.Style;
    /// <summary>Content loss of the first evaluation (the starting image).</summary>
    public double InitialContentLoss => Samples[0].Content;
    /// <summary>Content loss of the kept image.</summary>
    public double FinalContentLoss => Kept.Content;
    /// <summary>Initial / final style loss (≥ 10 is the acceptance bar on the defaults).</summary>
    public double StyleReduction => FinalStyleLoss > 0 ? InitialStyleLoss / FinalStyleLoss : double.PositiveInfinity;
    /// <summary>Mean wall time of one loss evaluation [s].</summary>
    public double SecondsPerEvaluation => Seconds / Math.Max(1, Samples.Count);
}

/// <summary>What <see cref="StyleTransferExperiment.Run"/> produced.</summary>
public sealed class StyleTransferResult
{
    /// <summary>The main run (the options' style weight and smoothing).</summary>
    public required StyleRunSummary Main { get; init; }
    /// <summary>The photo's own similarity to the painting: the baseline the result should beat.</summary>
    public required PaintingSimilarity ContentBaseline { get; init; }
    /// <summary>Runs of the style-weight sweep (empty without one).</summary>
    public IReadOnlyList<StyleRunSummary> Sweep { get; init; } = Array.Empty<StyleRunSummary>();
    /// <summary>The run with the other activation smoothing (null unless requested).</summary>
    public StyleRunSummary? SmoothingComparison { get; init; }
    /// <summary>Optimised image size.</summary>
    public int Height { get; init; }
    /// <summary>Optimised image width [px].</summary>
    public int Width { get; init; }
    /// <summary>Estimated peak memory of one run, checked before allocating.</summary>
    public long EstimatedBytes { get; init; }
    /// <summary>The main run's result image (result.png).</summary>
    public required string ResultPng { get; init; }
    /// <summary>content | style | result.</summary>
    public required string SheetPng { get; init; }
    /// <summary>The main run's loss curves (loss-curve.png).</summary>
    public required string LossCurvePng { get; init; }
    /// <summary>Sheet of the style-weight sweep's results (style-sweep.png); null without a sweep.</summary>
    public string? SweepSheetPng { get; init; }
    /// <summary>Sheet comparing the two activation smoothings (smoothing-comparison.png); null unless requested.</summary>
    public string? SmoothingSheetPng { get; init; }
    /// <summary>Markdown summary of settings and numbers.</summary>
    public required string SummaryMarkdown { get; init; }
    /// <summary>
    /// Set when the network only runs at its fixed input size and images were resized to it before the network
    /// (<see cref="OnnxFeatureExtractor.FitInput"/>); null otherwise.
    /// </summary>
    public string? ModelInputNote { get; init; }
    /// <summary>The settings, one line, as printed at the start.</summary>
    public required string Settings { get; init; }
}
