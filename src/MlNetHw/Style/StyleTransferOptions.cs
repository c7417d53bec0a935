using MlNetHw.Backbones;
using MlNetHw.Runs;

namespace MlNetHw.Style;

/// <summary>
/// Settings of <see cref="StyleTransferExperiment.Run"/>. Defaults are tuned for the packaged ResNet18 (the only
/// pretrained CNN available offline) on a 256-pixel photo; see docs/style-transfer.md for how they were chosen.
/// </summary>
public sealed class StyleTransferOptions
{
    /// <summary>The photo whose structure is kept. Null: <see cref="ResNet18StyleDefaults.ContentPhoto"/> from the dataset catalog.</summary>
    public string? ContentPath { get; set; }
    /// <summary>The painting whose style is transferred. Null: <c>starry_night.jpg</c> from the dataset catalog.</summary>
    public string? StylePath { get; set; }
    /// <summary>An ONNX file to take features from. Null: the packaged ResNet18 with <see cref="ResNet18StyleDefaults"/>.</summary>
    public string? ModelPath { get; set; }
    /// <summary>Input normalisation of the network (<see cref="ImageNormalization.Names"/>). Null: cntk-bgr for the packaged ResNet18, imagenet for a user model.</summary>
    public string? Normalization { get; set; }
    /// <summary>ONNX node outputs whose Gram matrices are matched. Null: <see cref="ResNet18StyleDefaults.StyleLayers"/> (required with a user model).</summary>
    public IReadOnlyList<string>? StyleLayers { get; set; }
    /// <summary>ONNX node output used for the content loss. Null: <see cref="ResNet18StyleDefaults.ContentLayer"/> (required with a user model).</summary>
    public string? ContentLayer { get; set; }
    /// <summary>Longer side of the optimised image in pixels (aspect ratio of the photo kept). Default 256.</summary>
    public int Size { get; set; } = 256;
    /// <summary>Loss evaluations (forward + backward) to spend; default 300 as in the PyTorch tutorial.</summary>
    public int Steps { get; set; } = 300;
    /// <summary>Weight of the summed style losses. Null: <see cref="ResNet18StyleDefaults.StyleWeightFor"/> the smoothing (1e6, the tutorial's value, for a user model).</summary>
    public double? StyleWeight { get; set; }
    /// <summary>Weight of the content loss. Default 1.</summary>
    public double ContentWeight { get; set; } = 1;
    /// <summary>Weight of the total-variation loss; null: <see cref="ResNet18StyleDefaults.TvWeight"/> (0 for a user model).</summary>
    public double? TvWeight { get; set; }
    /// <summary>Activation smoothing before the losses; null: <see cref="ResNet18StyleDefaults.Smoothing"/> (none for a user model).</summary>
    public ActivationSmoothing? Smoothing { get; set; }
    /// <summary>L-BFGS (default) or Adam.</summary>
    public StyleOptimizer Optimizer { get; set; } = StyleOptimizer.Lbfgs;
    /// <summary>Null: 1 for L-BFGS, 0.02 for Adam.</summary>
    public double? LearningRate { get; set; }
    /// <summary>Start from the photo (default, as the tutorial) or from uniform noise.</summary>
    public bool InitFromNoise { get; set; }
    /// <summary>
    /// Seed (default 0: noise initialisation, libtorch's generators), device, threads (on a machine shared with other
    /// busy processes, 1 can be several times faster: libtorch's worker threads wait for each other at every operator),
    /// output folder (default out/style-transfer) and log.
    /// </summary>
    public RunOptions Run { get; set; } = new() { Seed = 0 };
    /// <summary>When set, one extra run per style weight and a sheet with all results (style-sweep.png).</summary>
    public IReadOnlyList<double>? SweepStyleWeights { get; set; }
    /// <summary>Also run with the other activation smoothing and write a comparison sheet and statistics.</summary>
    public bool CompareSmoothing { get; set; }
    /// <summary>Memory the run may use, in bytes; null: what the OS reports available (CPU).</summary>
    public long? MemoryLimitBytes { get; set; }
    /// <summary>Remembered L-BFGS steps (default 100, PyTorch's).</summary>
    public int LbfgsHistory { get; set; } = 100;
}
