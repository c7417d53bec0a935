using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Style;

/// <summary>How feature maps are transformed before the Gram matrices and the content comparison.</summary>
public enum ActivationSmoothing
{
    /// <summary>Raw activations (Gatys et al. 2016, the PyTorch tutorial).</summary>
    None,
    /// <summary>
    /// SWAG (Wang, Li &amp; Vasconcelos, CVPR 2021, "Rethinking and Improving the Robustness of Image Style Transfer"):
    /// a softmax over all C·H·W activations of a layer, which raises the entropy of the peaky feature maps that
    /// residual networks produce. Two adaptations, both measured in docs/style-transfer.md: the activations are
    /// divided by a per-layer temperature τ (the painting's largest activation at that layer), because the CNTK
    /// ResNet18's activations peak above 20 and a plain softmax turns them nearly one-hot (initial style loss 1e6
    /// instead of 1e-3); and the result is multiplied by C·H·W so it has mean 1 (a constant factor).
    /// </summary>
    Softmax,
}

/// <summary>
/// The Gatys losses, written as TorchSharp expressions (autograd provides the backward pass to the image).
/// Shapes: a feature map is (1, C, H, W); a Gram matrix is (C, C).
/// </summary>
public static class StyleLosses
{
    /// <summary>
    /// Normalised Gram matrix G = F·Fᵀ / (C·H·W) of <paramref name="features"/> (1, C, H, W), with F the (C, H·W)
    /// reshaping: the channel co-activation statistics that describe texture, independent of where things are.
    /// </summary>
    public static Tensor Gram(Tensor features)
    {
        if (features.dim() != 4 || features.shape[0] != 1)
            throw new ArgumentException($"Gram expects one feature map (1, C, H, W), got [{string.Join(", ", features.shape)}].");
        long c = features.shape[1], n = features.shape[2] * features.shape[3];
        using var f = features.reshape(c, n);
        using var ft = f.t();
        using var g = f.mm(ft);
        return g.div(c * n);
    }

    /// <summary>
    /// Applies <paramref name="smoothing"/> to a feature map (1, C, H, W), softmax(F / <paramref name="temperature"/>)
    /// · C·H·W over the whole layer; returns a new tensor either way.
    /// </summary>
    public static Tensor Smooth(Tensor features, ActivationSmoothing smoothing, double temperature = 1)
    {
        if (smoothing == ActivationSmoothing.None) return features.alias();
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"softmax temperature must be positive (got {temperature}).");
        long count = features.numel();
        using var flat = features.reshape(features.shape[0], -1);
        using var tempered = temperature == 1 ? flat.alias() : flat.div(temperature);
        using var soft = tempered.softmax(1);
        using var scaled = soft.mul(count / features.shape[0]);
        return scaled.reshape(features.shape);
    }

    /// <summary>Content loss: mean squared error between feature maps (1, C, H, W) of the image and of the content photo.</summary>
    public static Tensor Content(Tensor features, Tensor target) => nn.functional.mse_loss(features, target);

    /// <summary>Style loss of one layer: mean squared error between the Gram matrix of <paramref name="features"/> and a target Gram (C, C).</summary>
    public static Tensor Style(Tensor features, Tensor targetGram)
    {
        using var g = Gram(features);
        return nn.functional.mse_loss(g, targetGram);
    }

    /// <summary>
    /// Total variation of an image (1, 3, H, W): mean absolute difference between vertical and between horizontal
    /// neighbours. Penalises pixel noise that the style loss alone can leave behind.
    /// </summary>
    public static Tensor TotalVariation(Tensor image)
    {
        long h = image.shape[2], w = image.shape[3];
        using var dy = image.narrow(2, 1, h - 1) - image.narrow(2, 0, h - 1);
        using var dx = image.narrow(3, 1, w - 1) - image.narrow(3, 0, w - 1);
        using var ay = dy.abs().mean();
        using var ax = dx.abs().mean();
        return ay + ax;
    }
}
