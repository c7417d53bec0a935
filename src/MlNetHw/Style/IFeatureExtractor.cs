using static TorchSharp.torch;

namespace MlNetHw.Style;

/// <summary>
/// A frozen CNN seen as a function from an image to named feature maps: what style transfer optimises against.
/// Implementations: <see cref="OnnxFeatureExtractor"/> (any ONNX file, including the packaged ResNet18) and
/// <see cref="DelegateFeatureExtractor"/> (any TorchSharp code, e.g. a small conv net in tests).
/// </summary>
public interface IFeatureExtractor : IDisposable
{
    /// <summary>What the network is, for printed settings ("ResNet18.onnx (packaged)").</summary>
    string Description { get; }

    /// <summary>
    /// Every layer name <see cref="Extract"/> accepts, in evaluation order (earlier layers first), so the caller can
    /// validate names up front and estimate memory from the layers up to the deepest one requested.
    /// </summary>
    IReadOnlyList<string> LayerNames { get; }

    /// <summary>The device the network's weights live on; images are moved there before <see cref="Extract"/>.</summary>
    Device Device { get; }

    /// <summary>
    /// Feature maps of <paramref name="image"/> (1, 3, H, W), RGB in [0, 1] (the extractor applies its own
    /// normalisation), for each name in <paramref name="layers"/>: each (1, C_l, H_l, W_l). Gradients flow back to
    /// <paramref name="image"/>; the network's own weights are frozen. The caller disposes the returned tensors.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Extract(Tensor image, IReadOnlyCollection<string> layers);
}

/// <summary>A feature extractor from a delegate: wraps a TorchSharp model (the network must already be frozen).</summary>
public sealed class DelegateFeatureExtractor : IFeatureExtractor
{
    readonly Func<Tensor, IReadOnlyCollection<string>, IReadOnlyDictionary<string, Tensor>> _extract;
    readonly IDisposable? _owned;

    /// <param name="description">Printed name of the network.</param>
    /// <param name="layerNames">Valid layer names, in evaluation order.</param>
    /// <param name="extract">(image (1,3,H,W) RGB in [0,1], names) → feature maps.</param>
    /// <param name="device">Where the network lives.</param>
    /// <param name="owned">Disposed with the extractor (the model), or null.</param>
    public DelegateFeatureExtractor(string description, IReadOnlyList<string> layerNames,
        Func<Tensor, IReadOnlyCollection<string>, IReadOnlyDictionary<string, Tensor>> extract, Device? device = null, IDisposable? owned = null)
    {
        Description = description;
        LayerNames = layerNames;
        _extract = extract;
        Device = device ?? CPU;
        _owned = owned;
    }

    /// <inheritdoc/>
    public string Description { get; }
    /// <inheritdoc/>
    public IReadOnlyList<string> LayerNames { get; }
    /// <inheritdoc/>
    public Device Device { get; }
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> Extract(Tensor image, IReadOnlyCollection<string> layers) => _extract(image, layers);
    /// <summary>Disposes the owned model, if one was given.</summary>
    public void Dispose() => _owned?.Dispose();
}
