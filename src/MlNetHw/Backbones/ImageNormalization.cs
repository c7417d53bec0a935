using static TorchSharp.torch;

namespace MlNetHw.Backbones;

/// <summary>
/// How a network expects its input pixels: channel order, scale, and per-channel mean and standard deviation.
/// Style transfer optimises an RGB image in [0, 1] and the image experiments feed RGB planes in 0..255 (ML.NET's
/// ExtractPixels); this maps either to the network's input space (differentiably), and gives the per-channel affine
/// map that an exported ONNX graph applies itself (<see cref="PixelAffine"/>).
/// </summary>
/// <param name="Name">Short name used on the command line (<c>--normalize</c>).</param>
/// <param name="Bgr">Reverse the channels to BGR before scaling (CNTK / Caffe models).</param>
/// <param name="Scale">Multiplier applied to [0, 1] pixels (255 for models trained on 0..255 pixels).</param>
/// <param name="Mean">Per-channel mean subtracted after scaling, in the network's channel order.</param>
/// <param name="Std">Per-channel divisor applied after the mean.</param>
public sealed record ImageNormalization(string Name, bool Bgr, float Scale, float[] Mean, float[] Std)
{
    /// <summary>
    /// The packaged CNTK ResNet18: BGR, 0..255, minus the per-channel average of the 224×224 mean image of
    /// <c>ResNetPreprocess.onnx</c> (103.06, 115.90, 123.15). The per-pixel mean image only exists at 224², so any
    /// other size uses its channel averages (the image varies by ±10 grey levels around them).
    /// </summary>
    public static ImageNormalization CntkResNet18 =>
        new("cntk-bgr", Bgr: true, Scale: 255f, Mean: PackagedMeans.Value, Std: new[] { 1f, 1f, 1f });

    /// <summary>torchvision's ImageNet normalisation (PyTorch-exported VGG/ResNet): RGB, [0, 1], mean/std per channel.</summary>
    public static ImageNormalization ImageNet =>
        new("imagenet", Bgr: false, Scale: 1f, Mean: new[] { 0.485f, 0.456f, 0.406f }, Std: new[] { 0.229f, 0.224f, 0.225f });

    /// <summary>No change: the network takes RGB in [0, 1].</summary>
    public static ImageNormalization Identity => new("none", Bgr: false, Scale: 1f, Mean: new[] { 0f, 0f, 0f }, Std: new[] { 1f, 1f, 1f });

    /// <summary>
    /// RGB planes in 0..255, nothing else: for graphs that carry their own preprocessing, such as the ONNX files the
    /// finetune export writes (input 'Pixels').
    /// </summary>
    public static ImageNormalization Pixels => new("pixels", Bgr: false, Scale: 255f, Mean: new[] { 0f, 0f, 0f }, Std: new[] { 1f, 1f, 1f });

    /// <summary>Names accepted by <see cref="FromName"/>.</summary>
    public static readonly string[] Names = { "cntk-bgr", "imagenet", "none", "pixels" };

    /// <summary>One of <see cref="Names"/>.</summary>
    public static ImageNormalization FromName(string name) => name switch
    {
        "cntk-bgr" => CntkResNet18,
        "imagenet" => ImageNet,
        "none" => Identity,
        "pixels" => Pixels,
        _ => throw new ArgumentException($"unknown normalisation '{name}'; valid: {string.Join(", ", Names)}."),
    };

    /// <summary>
    /// RGB input in [0, 1] minus <paramref name="mean"/>, divided by <paramref name="std"/> (three values each, RGB
    /// order, in [0, 1] units as torchvision writes them).
    /// </summary>
    public static ImageNormalization FromMeanStd(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (mean.Count != 3 || std.Count != 3)
            throw new ArgumentException($"--mean and --std take three values each (R,G,B); got {mean.Count} and {std.Count}.");
        if (std.Any(s => !(s > 0)))
            throw new ArgumentException($"--std values must be positive (got {string.Join(",", std)}).");
        return new ImageNormalization("custom", Bgr: false, Scale: 1f, Mean: mean.ToArray(), Std: std.ToArray());
    }

    /// <summary>
    /// The map from RGB planes in 0..255 to the network's input as one per-channel affine step: channels reordered by
    /// <c>Order</c> (network channel c reads RGB channel Order[c]), then x·Mul[c] + Add[c].
    /// </summary>
    public (long[] Order, float[] Mul, float[] Add) PixelAffine()
    {
        var order = Bgr ? new long[] { 2, 1, 0 } : new long[] { 0, 1, 2 };
        var mul = Enumerable.Range(0, 3).Select(c => Scale / 255f / Std[c]).ToArray();
        var add = Enumerable.Range(0, 3).Select(c => -Mean[c] / Std[c]).ToArray();
        return (order, mul, add);
    }

    /// <summary>(N, 3, H, W) RGB planes in 0..255 → the network's input (N, 3, H, W), by <see cref="PixelAffine"/>.</summary>
    public Tensor ApplyToPixels(Tensor rgb255)
    {
        using var scope = NewDisposeScope();
        var (_, mul, add) = PixelAffine();
        var x = Bgr ? rgb255.flip(1) : rgb255;
        var m = tensor(mul, new long[] { 1, 3, 1, 1 }, device: rgb255.device);
        var a = tensor(add, new long[] { 1, 3, 1, 1 }, device: rgb255.device);
        return (x * m + a).MoveToOuterDisposeScope();
    }

    static readonly Lazy<float[]> PackagedMeans = new(() =>
    {
        var mean = PackagedResNet18.MeanImage;
        int plane = mean.Length / 3;
        return Enumerable.Range(0, 3).Select(c => (float)mean.Skip(c * plane).Take(plane).Average(v => (double)v)).ToArray();
    });

    /// <summary>(N, 3, H, W) RGB in [0, 1] → the network's input (N, 3, H, W).</summary>
    public Tensor Apply(Tensor rgb01)
    {
        using var scope = NewDisposeScope();
        var x = Bgr ? rgb01.flip(1) : rgb01;
        if (Scale != 1f) x = x * Scale;
        var mean = tensor(Mean, new long[] { 1, 3, 1, 1 }, device: rgb01.device);
        var std = tensor(Std, new long[] { 1, 3, 1, 1 }, device: rgb01.device);
        return ((x - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>The name, channel order, scale, mean and std, as printed in the settings.</summary>
    public override string ToString() =>
        $"{Name} ({(Bgr ? "BGR" : "RGB")}, x{Scale:0.###}, mean [{string.Join(", ", Mean.Select(m => m.ToString("0.###")))}], std [{string.Join(", ", Std.Select(s => s.ToString("0.###")))}])";
}
