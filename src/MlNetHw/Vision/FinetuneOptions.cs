using MlNetHw.Backbones;

namespace MlNetHw.Vision;

/// <summary>
/// Settings of 'finetune' (ResNet18 trained end to end with a new head). Defaults are the PyTorch transfer-learning
/// tutorial's recipe; every one can be overridden.
/// </summary>
public sealed class FinetuneOptions
{
    /// <summary>Training epochs. Default 25.</summary>
    public int Epochs { get; set; } = 25;
    /// <summary>Mini-batch size. Default 4.</summary>
    public int BatchSize { get; set; } = 4;
    /// <summary>SGD learning rate. Default 0.001.</summary>
    public double LearningRate { get; set; } = 0.001;
    /// <summary>SGD momentum. Default 0.9.</summary>
    public double Momentum { get; set; } = 0.9;
    /// <summary>SGD weight decay. Default 0.</summary>
    public double WeightDecay { get; set; }
    /// <summary>StepLR: multiply the learning rate by <see cref="LrGamma"/> every this many epochs. Default 7.</summary>
    public int LrStepEpochs { get; set; } = 7;
    /// <summary>StepLR factor. Default 0.1.</summary>
    public double LrGamma { get; set; } = 0.1;
    /// <summary>Side of the training crops and validation centre crops. Default 224 (what the packaged ResNet18 takes).</summary>
    public int CropSize { get; set; } = 224;
    /// <summary>Validation images are resized (shorter side) to this before the centre crop. Default 256.</summary>
    public int ResizeSize { get; set; } = 256;
    /// <summary>RandomResizedCrop area range, lower bound. Default 0.08.</summary>
    public double MinCropScale { get; set; } = 0.08;
    /// <summary>Random horizontal flips of training images. Default true.</summary>
    public bool HorizontalFlip { get; set; } = true;
    /// <summary>
    /// BatchNorm momentum (PyTorch convention) used while training. Default 0.1 (torchvision's); null keeps the
    /// CNTK file's 0.0117.
    /// </summary>
    public double? BatchNormMomentum { get; set; } = 0.1;
    /// <summary>Train only the new head (the backbone stays fixed, BatchNorm in eval mode). Default false.</summary>
    public bool FreezeBackbone { get; set; }
    /// <summary>Keep the weights of the epoch with the best validation accuracy (first best on ties). Default true.</summary>
    public bool KeepBestWeights { get; set; } = true;
    /// <summary>Seed of shuffling, augmentation and head initialisation. Default 0.</summary>
    public int Seed { get; set; }
    /// <summary>Device: auto, cpu or cuda[:N]. Default auto.</summary>
    public string Device { get; set; } = "auto";
    /// <summary>Use at most this many training images (0 = all), for quick runs.</summary>
    public int MaxTrainImages { get; set; }
    /// <summary>Use at most this many validation images (0 = all).</summary>
    public int MaxValImages { get; set; }

    /// <summary>The settings of the shared training loop (<see cref="MlNet.Training.TorchTrainer{TBatch}"/>) this recipe trains with.</summary>
    public MlNet.Training.TrainerOptions ToTrainerOptions() => new()
    {
        Epochs = Epochs, BatchSize = BatchSize, Optimizer = MlNet.Training.OptimizerKind.Sgd, LearningRate = LearningRate,
        Momentum = Momentum, WeightDecay = WeightDecay, Schedule = MlNet.Training.LearningRateSchedule.Step, StepSize = LrStepEpochs,
        Gamma = LrGamma, Metric = MlNet.Training.ValidationMetric.Accuracy, KeepBestWeights = KeepBestWeights, Seed = Seed,
        Shuffle = true, Device = Device,
    };

    /// <summary>Checks the settings; throws naming the first bad one.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be at least 1.");
        if (LearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be positive.");
        if (LrStepEpochs < 1) throw new ArgumentOutOfRangeException(nameof(LrStepEpochs), LrStepEpochs, "must be at least 1.");
        if (CropSize != PackagedResNet18.ImageSize)
            throw new ArgumentOutOfRangeException(nameof(CropSize), CropSize, $"the packaged ResNet18 preprocessing needs {PackagedResNet18.ImageSize}.");
        if (ResizeSize < CropSize) throw new ArgumentOutOfRangeException(nameof(ResizeSize), ResizeSize, "must be at least CropSize.");
        if (MinCropScale is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(MinCropScale), MinCropScale, "must be in (0, 1].");
    }
}

/// <summary>Metrics of one finetune epoch.</summary>
public sealed record FinetuneEpoch(int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy,
    double ValLoss, double ValAccuracy, double Seconds);
