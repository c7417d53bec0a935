namespace MlNetHw.Style;

/// <summary>
/// Layer choice and weights for the packaged CNTK ResNet18 (no VGG weights exist offline). Node names are the ONNX
/// outputs of <c>ResNet18.onnx</c>; the torchvision names in brackets say where they sit.
/// </summary>
public static class ResNet18StyleDefaults
{
    /// <summary>stem ReLU (conv1, 64 ch, 1/2), layer1 (64 ch, 1/4), layer2 (128 ch, 1/8), layer3.0 and layer3 (256 ch, 1/16).</summary>
    public static readonly IReadOnlyList<string> StyleLayers = new[]
    {
        "ReLU253_Output_0", "ReLU283_Output_0", "ReLU315_Output_0", "ReLU333_Output_0", "ReLU347_Output_0",
    };

    /// <summary>layer2 output (128 ch, 1/8 resolution): keeps shapes and edges, not exact pixels.</summary>
    public const string ContentLayer = "ReLU315_Output_0";

    /// <summary>Style weight for raw activations (chosen by the sweep in docs/style-transfer.md).</summary>
    public const double StyleWeightRaw = 1e4;

    /// <summary>Style weight for softmax-smoothed activations (chosen by the sweep in docs/style-transfer.md).</summary>
    public const double StyleWeightSoftmax = 1e6;

    /// <summary>The style weight that goes with <paramref name="smoothing"/>.</summary>
    public static double StyleWeightFor(ActivationSmoothing smoothing) =>
        smoothing == ActivationSmoothing.Softmax ? StyleWeightSoftmax : StyleWeightRaw;

    /// <summary>Total-variation weight.</summary>
    public const double TvWeight = 0;

    /// <summary>Activation smoothing (see <see cref="ActivationSmoothing.Softmax"/>).</summary>
    public const ActivationSmoothing Smoothing = ActivationSmoothing.Softmax;

    /// <summary>Photo from the "content-photos" catalog entry.</summary>
    public const string ContentPhoto = "astronaut.png";

    /// <summary>Painting from the "style-starry-night" catalog entry.</summary>
    public const string StylePainting = "starry_night.jpg";
}
