using MlNetHw.Backbones;
using MlNetHw.MlNet.Training;

namespace MlNetHw.Vision;

/// <summary>
/// Settings of 'finetune' (ResNet18 trained end to end with a new head): the shared loop's <see cref="Training"/>
/// settings plus what is particular to images (crops, flips, BatchNorm). Defaults are the PyTorch transfer-learning
/// tutorial's recipe; every one can be overridden.
/// </summary>
public sealed class FinetuneOptions
{
    /// <summary>
    /// The shared training loop's settings (<see cref="TrainerOptions"/>), used as they are. Default
    /// <see cref="TutorialRecipe"/>: 25 epochs of batch 4, SGD lr 0.001 momentum 0.9, StepLR(7, 0.1), the best
    /// validation epoch's weights kept. Its <see cref="TrainerOptions.Seed"/> also seeds the head's initial weights,
    /// the subsets and every epoch's crops.
    /// </summary>
    public TrainerOptions Training { get; set; } = TutorialRecipe();

    /// <summary>The PyTorch transfer-learning tutorial's loop settings (see <see cref="Training"/>).</summary>
    public static TrainerOptions TutorialRecipe() => new()
    {
        Epochs = 25, BatchSize = 4, Optimizer = OptimizerKind.Sgd, LearningRate = 0.001, Momentum = 0.9, WeightDecay = 0,
        Schedule = LearningRateSchedule.Step, StepSize = 7, Gamma = 0.1, Metric = ValidationMetric.Accuracy,
        KeepBestWeights = true, Seed = 0, Shuffle = true, Device = "auto",
    };

    /// <summary>
    /// The network to finetune: a user's graph cut at its feature node (<see cref="OnnxBackbone.Load"/>). Null (the
    /// default): the packaged ResNet18. With a backbone, <see cref="CropSize"/> must be its <see cref="OnnxBackbone.InputSize"/>.
    /// </summary>
    public OnnxBackbone? Backbone { get; set; }

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
    /// <summary>Use at most this many training images (0 = all), for quick runs.</summary>
    public int MaxTrainImages { get; set; }
    /// <summary>Use at most this many validation images (0 = all).</summary>
    public int MaxValImages { get; set; }

    /// <summary>
    /// Uses <paramref name="backbone"/> (null: the packaged ResNet18) with crops of its input size and validation
    /// resizes in the tutorial's 256:224 ratio (e.g. 73 for 64-pixel crops).
    /// </summary>
    public FinetuneOptions UseBackbone(OnnxBackbone? backbone)
    {
        Backbone = backbone;
        CropSize = backbone?.InputSize ?? PackagedResNet18.ImageSize;
        ResizeSize = (int)Math.Round(CropSize * 256.0 / 224);
        return this;
    }

    /// <summary>A copy whose <see cref="Training"/> is a copy too, for changing settings of one run only.</summary>
    public FinetuneOptions Clone()
    {
        var copy = (FinetuneOptions)MemberwiseClone();
        copy.Training = Training.Clone();
        return copy;
    }

    /// <summary>Checks the settings; throws naming the first bad one.</summary>
    public void Validate()
    {
        var t = Training ?? throw new ArgumentNullException(nameof(Training));
        if (t.Epochs < 1) throw new ArgumentOutOfRangeException("Epochs", t.Epochs, "must be at least 1.");
        if (t.BatchSize < 1) throw new ArgumentOutOfRangeException("BatchSize", t.BatchSize, "must be at least 1.");
        if (t.LearningRate <= 0) throw new ArgumentOutOfRangeException("LearningRate", t.LearningRate, "must be positive.");
        if (t.StepSize < 1) throw new ArgumentOutOfRangeException("StepSize", t.StepSize, "must be at least 1.");
        if (Backbone is { } b)
        {
            if (CropSize != b.InputSize)
                throw new ArgumentOutOfRangeException(nameof(CropSize), CropSize, $"the backbone {Path.GetFileName(b.ModelPath)} is set up for {b.InputSize}x{b.InputSize} input.");
        }
        else if (CropSize != PackagedResNet18.ImageSize)
            throw new ArgumentOutOfRangeException(nameof(CropSize), CropSize, $"the packaged ResNet18 preprocessing needs {PackagedResNet18.ImageSize}.");
        if (ResizeSize < CropSize) throw new ArgumentOutOfRangeException(nameof(ResizeSize), ResizeSize, "must be at least CropSize.");
        if (MinCropScale is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(MinCropScale), MinCropScale, "must be in (0, 1].");
    }
}

/// <summary>Metrics of one finetune epoch.</summary>
public sealed record FinetuneEpoch(int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy,
    double ValLoss, double ValAccuracy, double Seconds);
