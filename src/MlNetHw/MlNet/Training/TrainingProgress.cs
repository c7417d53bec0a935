namespace MlNetHw.MlNet.Training;

/// <summary>Where training stands, sent after every batch and at every epoch end.</summary>
public sealed record TrainingProgress
{
    /// <summary>True for the report sent at an epoch end (with validation figures), false after a batch.</summary>
    public bool EpochEnd { get; init; }
    /// <summary>1-based epoch.</summary>
    public int Epoch { get; init; }
    /// <summary>Epochs planned.</summary>
    public int Epochs { get; init; }
    /// <summary>1-based batch within the epoch.</summary>
    public int Step { get; init; }
    /// <summary>Batches per epoch.</summary>
    public int StepsPerEpoch { get; init; }
    /// <summary>Batches done since the start of training (including epochs done before a resume).</summary>
    public long GlobalStep { get; init; }
    /// <summary>Batches planned in all.</summary>
    public long TotalSteps { get; init; }
    /// <summary>Loss of the last batch.</summary>
    public double Loss { get; init; }
    /// <summary>Mean training loss over the epoch so far.</summary>
    public double EpochLoss { get; init; }
    /// <summary>Training accuracy over the epoch so far (null when the model reports none).</summary>
    public double? TrainAccuracy { get; init; }
    /// <summary>Validation loss at an epoch end (null without a validation set or mid-epoch).</summary>
    public double? ValidationLoss { get; init; }
    /// <summary>Validation accuracy at an epoch end (null without one).</summary>
    public double? ValidationAccuracy { get; init; }
    /// <summary>Learning rate in effect.</summary>
    public double LearningRate { get; init; }
    /// <summary>Time since this run (not the resumed one) started.</summary>
    public TimeSpan Elapsed { get; init; }
    /// <summary>Estimated time to finish all epochs, from this run's pace.</summary>
    public TimeSpan? Eta { get; init; }

    /// <summary>"epoch 2/10 step 30/50 loss 0.412 lr 1e-3 ETA 01:12" (and validation figures at epoch ends).</summary>
    public override string ToString() => Describe(withEta: true);

    /// <summary>As <see cref="ToString"/>; without the ETA where a progress bar already shows its own.</summary>
    public string Describe(bool withEta)
    {
        string s = $"epoch {Epoch}/{Epochs} step {Step}/{StepsPerEpoch} loss {EpochLoss:0.0000}";
        if (TrainAccuracy is { } ta) s += $" train_acc {ta:0.0000}";
        if (ValidationLoss is { } vl) s += $" val_loss {vl:0.0000}";
        if (ValidationAccuracy is { } va) s += $" val_acc {va:0.0000}";
        s += $" lr {LearningRate:0.###e+0}";
        if (withEta && Eta is { } eta) s += $" ETA {MlNetHw.IO.TextProgressBar.FormatTime(eta)}";
        return s;
    }
}

/// <summary>One epoch's figures, kept in <see cref="TrainingResult.History"/> and in checkpoints.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double? TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy, double LearningRate);

/// <summary>The outcome of <see cref="TorchTrainer{TBatch}.Fit"/>.</summary>
public sealed record TrainingResult
{
    /// <summary>Per-epoch figures, in order (including epochs run before a resume).</summary>
    public required IReadOnlyList<EpochRecord> History { get; init; }
    /// <summary>1-based epoch whose weights the module holds at the end (the best validation epoch, or the last).</summary>
    public required int BestEpoch { get; init; }
    /// <summary>The validation figure of <see cref="BestEpoch"/> (null without validation).</summary>
    public double? BestMetric { get; init; }
    /// <summary>True when early stopping ended training before the planned epochs.</summary>
    public bool StoppedEarly { get; init; }
    /// <summary>1-based epoch this run resumed after (0 = fresh start).</summary>
    public int ResumedAfterEpoch { get; init; }
}
