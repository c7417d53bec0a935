using MlNetHw.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Vision;

/// <summary>
/// The default finetune network: packaged preprocessing (RGB 0..255 → BGR minus mean image) → the imported ResNet18
/// backbone (trainable, BatchNorm buffers) → flatten → a new linear head (512 → classes).
/// Input (N, 3, 224, 224) RGB planes in 0..255; output (N, classes) logits.
/// </summary>
public sealed class ResNet18Network : FinetuneNetwork
{
    readonly Tensor mean_image;

    /// <summary>Loads the packaged ResNet18 and adds a head for <paramref name="classCount"/> classes (PyTorch's default Linear init, from the current torch seed).</summary>
    public ResNet18Network(int classCount, double? batchNormMomentum = 0.1)
        : base(nameof(ResNet18Network), PackagedResNet18.LoadBackbone(), PackagedResNet18.FeatureCount, classCount, batchNormMomentum)
    {
        mean_image = torch.tensor(PackagedResNet18.MeanImage, new long[] { 1, 3, PackagedResNet18.ImageSize, PackagedResNet18.ImageSize });
        register_buffer(nameof(mean_image), mean_image, persistent: false);
    }

    /// <summary>RGB → BGR minus the packaged 224×224 mean image.</summary>
    protected override Tensor Preprocess(Tensor rgb) => rgb.flip(1) - get_buffer(nameof(mean_image))!;
}
