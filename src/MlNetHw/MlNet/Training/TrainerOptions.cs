using System.Text.Json.Serialization;

namespace MlNetHw.MlNet.Training;

/// <summary>Optimizer choice.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (betas 0.9, 0.999).</summary>
    Adam,
    /// <summary>SGD with <see cref="TrainerOptions.Momentum"/>.</summary>
    Sgd,
    /// <summary>AdamW: Adam with decoupled weight decay (<see cref="TrainerOptions.WeightDecay"/> shrinks the weights, not the gradient).</summary>
    AdamW,
}

/// <summary>How the learning rate changes from epoch to epoch.</summary>
public enum LearningRateSchedule
{
    /// <summary>Constant.</summary>
    Constant,
    /// <summary>PyTorch <c>StepLR</c>: multiplied by <see cref="TrainerOptions.Gamma"/> every <see cref="TrainerOptions.StepSize"/> epochs.</summary>
    Step,
    /// <summary>Multiplied by <see cref="TrainerOptions.Gamma"/> after every epoch (the homework's per-epoch decay).</summary>
    Exponential,
    /// <summary>
    /// Per step, as for fine-tuning transformers: linear warm-up from 0 to the learning rate over the first
    /// <see cref="TrainerOptions.WarmupFraction"/> of all steps, then linear decay to 0 at the last step.
    /// </summary>
    WarmupLinear,
}

/// <summary>Which validation figure picks the best epoch and drives early stopping.</summary>
public enum ValidationMetric
{
    /// <summary>Higher is better; needs a loss function that reports correct counts.</summary>
    Accuracy,
    /// <summary>Mean validation loss; lower is better.</summary>
    Loss,
}

/// <summary>Settings of <see cref="TorchTrainer{TBatch}"/>. Defaults in brackets.</summary>
public sealed class TrainerOptions
{
    /// <summary>Passes over the training data [10].</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Examples per mini-batch [64]; the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// When an epoch would end with a batch of a single example, add it to the batch before instead (one batch of
    /// <see cref="BatchSize"/> + 1) [false]. BatchNorm in training mode given one example with a 1×1 feature map
    /// updates its running variance with the unbiased variance of one value, 0/0 = NaN (libtorch does not refuse it as
    /// PyTorch's Python layer does), so every eval-mode output afterwards is NaN; and one example gives BatchNorm noisy
    /// statistics at any size. The image finetuner turns this on. Validation batches are unaffected.
    /// </summary>
    public bool MergeLastBatchOfOne { get; set; }

    /// <summary>Training steps of one epoch over <paramref name="count"/> examples (see <see cref="MergeLastBatchOfOne"/>).</summary>
    public int StepsPerEpoch(int count)
    {
        int steps = (count + BatchSize - 1) / BatchSize;
        return MergeLastBatchOfOne && BatchSize > 1 && steps > 1 && count % BatchSize == 1 ? steps - 1 : steps;
    }

    /// <summary>Optimizer [Adam].</summary>
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adam;

    /// <summary>Initial learning rate [1e-3].</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>SGD momentum [0.9]; ignored by Adam.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>L2 weight decay [0].</summary>
    public double WeightDecay { get; set; }

    /// <summary>
    /// Apply <see cref="WeightDecay"/> only to parameters of two or more dimensions (weight matrices, convolution
    /// kernels, embedding tables), none to biases and normalisation scales and shifts: the BERT / Hugging Face recipe
    /// [false: every trainable parameter decays]. The finetuned sentence encoder turns it on.
    /// </summary>
    public bool ExcludeVectorsFromWeightDecay { get; set; }

    /// <summary>Learning-rate schedule [Constant].</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>Epochs between decays for <see cref="LearningRateSchedule.Step"/> [1].</summary>
    public int StepSize { get; set; } = 1;

    /// <summary>Decay factor for Step and Exponential schedules [0.1].</summary>
    public double Gamma { get; set; } = 0.1;
    /// <summary>Share of all steps spent warming up under <see cref="LearningRateSchedule.WarmupLinear"/> [0.1].</summary>
    public double WarmupFraction { get; set; } = 0.1;

    /// <summary>Clip the gradients' global L2 norm to this value; null = no clipping [null].</summary>
    public double? GradientClipNorm { get; set; }

    /// <summary>Validation figure for best-epoch selection and early stopping [Accuracy].</summary>
    public ValidationMetric Metric { get; set; } = ValidationMetric.Accuracy;

    /// <summary>Restore the weights of the best validation epoch at the end [true]; needs a validation set.</summary>
    public bool KeepBestWeights { get; set; } = true;

    /// <summary>Stop after this many epochs without validation improvement; null = never [null].</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>Seed of the shuffling order and of libtorch's generator (dropout) for each epoch [1].</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Shuffle the training examples every epoch [true].</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>
    /// File written atomically at each epoch end (weights, optimizer state, epoch, best-so-far); null = none [null].
    /// When it exists at start and matches these options, training resumes after its epoch.
    /// </summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Device name: auto, cpu, cuda[:N] ["auto"].</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Batches between two log lines in the ML.NET log [50] (epoch ends are always logged).</summary>
    public int LogEveryBatches { get; set; } = 50;

    /// <summary>Learning rate in effect during (0-based) <paramref name="epoch"/>.</summary>
    public double LearningRateAt(int epoch) => Schedule switch
    {
        LearningRateSchedule.Step => LearningRate * Math.Pow(Gamma, epoch / Math.Max(1, StepSize)),
        LearningRateSchedule.Exponential => LearningRate * Math.Pow(Gamma, epoch),
        _ => LearningRate,
    };

    /// <summary>
    /// Learning rate of (0-based) <paramref name="step"/> of <paramref name="totalSteps"/> under
    /// <see cref="LearningRateSchedule.WarmupLinear"/>: η·(s+1)/W for s &lt; W = ⌈fraction·total⌉, then
    /// η·(total − s)/(total − W) — the rate of the first step is η/W, of the last η/(total − W). Other schedules:
    /// <see cref="LearningRateAt"/> of the step's epoch.
    /// </summary>
    public double LearningRateAtStep(long step, long totalSteps, int epoch)
    {
        if (Schedule != LearningRateSchedule.WarmupLinear) return LearningRateAt(epoch);
        long warmup = Math.Min(totalSteps, (long)Math.Ceiling(WarmupFraction * totalSteps));
        if (step < warmup) return LearningRate * (step + 1) / warmup;
        return LearningRate * Math.Max(0, totalSteps - step) / Math.Max(1, totalSteps - warmup);
    }


    /// <summary>Checks the values, naming the bad one.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive");
        if (Momentum is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum must be in [0, 1)");
        if (!(Gamma > 0)) throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "Gamma must be positive");
        if (StepSize < 1) throw new ArgumentOutOfRangeException(nameof(StepSize), StepSize, "StepSize must be at least 1");
        if (EarlyStoppingPatience is < 1) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "EarlyStoppingPatience must be at least 1");
        if (WarmupFraction is < 0 or > 1 || double.IsNaN(WarmupFraction)) throw new ArgumentOutOfRangeException(nameof(WarmupFraction), WarmupFraction, "WarmupFraction must be in [0, 1]");
        if (GradientClipNorm is <= 0) throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), GradientClipNorm, "GradientClipNorm must be positive");
    }

    /// <summary>The settings that must match for a checkpoint to be resumed (everything that changes the trajectory).</summary>
    [JsonIgnore]
    internal IEnumerable<KeyValuePair<string, string>> Fingerprint
    {
        get
        {
            static KeyValuePair<string, string> S(string k, object? v) =>
                new(k, v switch { null => "none", double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture), _ => v.ToString()! });
            yield return S("epochs", Epochs); yield return S("batch", BatchSize); yield return S("optimizer", Optimizer);
            yield return S("lr", LearningRate); yield return S("momentum", Momentum); yield return S("weight-decay", WeightDecay);
            yield return S("schedule", Schedule); yield return S("step", StepSize); yield return S("gamma", Gamma);
            yield return S("clip", GradientClipNorm); yield return S("metric", Metric); yield return S("keep-best", KeepBestWeights);
            yield return S("patience", EarlyStoppingPatience); yield return S("seed", Seed); yield return S("shuffle", Shuffle);
            if (Schedule == LearningRateSchedule.WarmupLinear) yield return S("warmup", WarmupFraction);
            if (MergeLastBatchOfOne) yield return S("merge-last-batch-of-one", true);
            if (ExcludeVectorsFromWeightDecay) yield return S("no-decay-on-vectors", true);
        }
    }

    /// <summary>A copy (estimators copy their options so a later change by the caller does not leak into a fit).</summary>
    public TrainerOptions Clone() => (TrainerOptions)MemberwiseClone();
}
