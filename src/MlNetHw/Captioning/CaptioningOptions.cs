using MlNetHw.MlNet.Training;
using MlNetHw.Runs;

namespace MlNetHw.Captioning;

/// <summary>
/// Settings of <see cref="CaptioningExperiment.Run"/>. Null numeric settings take the experiment's default
/// (listed per property as overfit / train / --quick train).
/// </summary>
public sealed class CaptioningOptions
{
    /// <summary>
    /// "overfit": the homework's check (50 training captions, cs231n settings; train captions must be reproduced,
    /// val captions are poor). "train": the whole training split, BLEU on held-out val scenes. Default "overfit".
    /// </summary>
    public string Experiment { get; set; } = "overfit";

    /// <summary>"rnn", "lstm" or "both" (both cells on the same features, for comparison). Default "both".</summary>
    public string Cell { get; set; } = "both";

    /// <summary>
    /// "generated" (default: the shape scenes rendered by <see cref="ShapeScenes"/>), a COCO captions JSON file
    /// (images next to it or under its <c>images/</c> folder), or a cs231n HDF5 folder.
    /// </summary>
    public string Data { get; set; } = "generated";

    /// <summary>
    /// The shared loop's settings (seed and device come from <see cref="Run"/>). Null (default): the experiment's,
    /// <see cref="CaptioningExperiment.DefaultTraining"/> — overfit: 50 epochs of 25 captions, Adam 5e-3, decay 0.995
    /// (cs231n); train: 20 epochs (6 with quick) of 50, Adam 2e-3, decay 0.95.
    /// </summary>
    public TrainerOptions? Training { get; set; }
    /// <summary>
    /// The captioner's own settings (hidden size H 512, word vectors W 256, minimum word count 1, at most 16 words,
    /// features centred, greedy decoding: cs231n's), used as they are for each cell; the experiment sets its cell, and
    /// its loop settings come from <see cref="Training"/>.
    /// </summary>
    public CaptionerTrainerOptions Captioner { get; set; } = new();
    /// <summary>Training captions of the overfit experiment (cs231n's small data). Default 50.</summary>
    public int OverfitExamples { get; set; } = 50;
    /// <summary>Generated training scenes of the train experiment. Default 1200 (300 with --quick).</summary>
    public int? TrainScenes { get; set; }
    /// <summary>
    /// Generated validation scenes. Default 200 (50 with --quick; the overfit experiment uses 50). The overfit
    /// experiment also evaluates at most this many validation images of other data.
    /// </summary>
    public int? ValScenes { get; set; }
    /// <summary>Samples per split shown in the sheet. Default 10.</summary>
    public int SheetSamples { get; set; } = 10;
    /// <summary>
    /// Seed (default 0: scenes, initial weights, batch order), device, threads, output folder (default
    /// out/image-captioning-&lt;experiment&gt;), quick (fewer scenes and epochs) and log.
    /// </summary>
    public RunOptions Run { get; set; } = new() { Seed = 0 };

    internal bool IsOverfit => Experiment == "overfit";
    internal int TrainScenesOrDefault => TrainScenes ?? (IsOverfit ? OverfitExamples : Run.Quick ? 300 : 1200);
    internal int ValScenesOrDefault => ValScenes ?? (IsOverfit || Run.Quick ? 50 : 200);
    internal string OutOrDefault => Run.OutputDirectory ?? Path.Combine("out", $"image-captioning-{Experiment}");

    internal IReadOnlyList<CaptionCell> Cells => Cell.ToLowerInvariant() switch
    {
        "rnn" => new[] { CaptionCell.Rnn },
        "lstm" => new[] { CaptionCell.Lstm },
        "both" => new[] { CaptionCell.Rnn, CaptionCell.Lstm },
        _ => throw new ArgumentException($"Cell must be rnn, lstm or both (got '{Cell}')."),
    };

    /// <summary>Checks the values, naming the bad one.</summary>
    public void Validate()
    {
        if (Experiment is not ("overfit" or "train")) throw new ArgumentException($"Experiment must be overfit or train (got '{Experiment}').");
        _ = Cells;
        if (Training is { } t) t.Validate();
        CaptionerTrainer.Validate(Captioner);
        Run.Validate();
        if (OverfitExamples < 1) throw new ArgumentException($"OverfitExamples must be at least 1 (got {OverfitExamples}).");
    }
}

/// <summary>The numbers and files of one trained cell.</summary>
public sealed class CaptioningCellResult
{
    /// <summary>Which recurrent cell this model uses.</summary>
    public CaptionCell Cell { get; init; }
    /// <summary>Loss of the last Adam step (cs231n scale: summed over time, divided by batch size).</summary>
    public double FinalLoss { get; init; }
    /// <summary>Loss of every Adam step, in order (plotted in the loss chart).</summary>
    public IReadOnlyList<double> BatchLosses { get; init; } = Array.Empty<double>();
    /// <summary>Mean batch loss of each epoch.</summary>
    public IReadOnlyList<double> EpochLosses { get; init; } = Array.Empty<double>();
    /// <summary>Training time of this cell [s].</summary>
    public double TrainSeconds { get; init; }
    /// <summary>BLEU of the generated captions on the training images shown/evaluated.</summary>
    public BleuScore TrainBleu { get; init; } = null!;
    /// <summary>BLEU on the validation images.</summary>
    public BleuScore ValBleu { get; init; } = null!;
    /// <summary>Fraction of evaluated training images whose generated caption equals one of its references.</summary>
    public double TrainExactMatch { get; init; }
    /// <summary>Fraction of validation images whose generated caption equals one of its references.</summary>
    public double ValExactMatch { get; init; }
    /// <summary>Every evaluated training image with its generated and reference captions (the sheet shows the first <see cref="CaptioningOptions.SheetSamples"/>).</summary>
    public IReadOnlyList<CaptionSample> TrainSamples { get; init; } = Array.Empty<CaptionSample>();
    /// <summary>Every validation image with its generated and reference captions (the sheet shows the first <see cref="CaptioningOptions.SheetSamples"/>).</summary>
    public IReadOnlyList<CaptionSample> ValSamples { get; init; } = Array.Empty<CaptionSample>();
    /// <summary>The saved image → caption model (.zip).</summary>
    public string ModelPath { get; init; } = "";
}

/// <summary>What <see cref="CaptioningExperiment.Run"/> measured and wrote.</summary>
public sealed class CaptioningResult
{
    /// <summary>"overfit" or "train" (<see cref="CaptioningOptions.Experiment"/>).</summary>
    public string Experiment { get; init; } = "";
    /// <summary>Name of the data set the captions came from.</summary>
    public string DataName { get; init; } = "";
    /// <summary>The seed the run used.</summary>
    public int Seed { get; init; }
    /// <summary>Words in the vocabulary, special tokens included.</summary>
    public int VocabularySize { get; init; }
    /// <summary>Training captions encoded for training.</summary>
    public int TrainCaptions { get; init; }
    /// <summary>Training images.</summary>
    public int TrainImages { get; init; }
    /// <summary>Validation images evaluated.</summary>
    public int ValImages { get; init; }
    /// <summary>How the training captions encoded: encoded, skipped, truncated and unknown-word counts.</summary>
    public CaptionEncodingStats Encoding { get; init; } = new(0, 0, 0, 0);
    /// <summary>Images that could not be loaded, each message naming the path; they were left out.</summary>
    public IReadOnlyList<string> FailedImages { get; init; } = Array.Empty<string>();
    /// <summary>One result per trained cell, in <see cref="CaptioningOptions.Cell"/> order.</summary>
    public IReadOnlyList<CaptioningCellResult> Cells { get; init; } = Array.Empty<CaptioningCellResult>();
    /// <summary>The folder all files were written to.</summary>
    public string OutputDirectory { get; init; } = "";
    /// <summary>The caption sheet (captions.md): sample images with generated and reference captions.</summary>
    public string SheetPath { get; init; } = "";
    /// <summary>The training-loss chart (loss.png), one line per cell.</summary>
    public string LossCurvePath { get; init; } = "";
    /// <summary>The metrics as JSON (metrics.json).</summary>
    public string MetricsJsonPath { get; init; } = "";
    /// <summary>The metrics as a Markdown table (metrics.md).</summary>
    public string MetricsMarkdownPath { get; init; } = "";
}
