using MlNetHw.Backbones;
using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Style;

/// <summary>
/// Feature maps from an ONNX graph imported into TorchSharp (<see cref="OnnxModule"/>): layers are named by ONNX node
/// outputs, evaluation stops at the deepest requested layer, the network is in eval mode with frozen weights.
/// </summary>
public sealed class OnnxFeatureExtractor : IFeatureExtractor
{
    readonly OnnxModule _module;
    readonly ImageNormalization _normalization;

    OnnxFeatureExtractor(OnnxModule module, ImageNormalization normalization, string description)
    {
        _module = module;
        _normalization = normalization;
        Description = description;
        _module.eval();
        _module.SetTrainable(false);
    }

    /// <summary>The packaged CNTK ResNet18 (<see cref="PackagedResNet18"/>) with its BGR/mean preprocessing.</summary>
    public static OnnxFeatureExtractor PackagedResNet18Extractor(Device device, ImageNormalization? normalization = null)
    {
        normalization ??= ImageNormalization.CntkResNet18;
        var m = PackagedResNet18.LoadBackbone();
        m.to(device);
        return new OnnxFeatureExtractor(m, normalization, $"ResNet18.onnx (packaged CNTK export), input {normalization}");
    }

    /// <summary>A user ONNX file (e.g. VGG19 exported from PyTorch); throws a clear error when missing or not loadable.</summary>
    public static OnnxFeatureExtractor FromFile(string path, ImageNormalization normalization, Device device)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--model: ONNX file '{path}' does not exist.", path);
        OnnxModule m;
        try { m = OnnxModule.Load(path); }
        catch (Exception e) when (e is OnnxFormatException or InvalidDataException or IOException)
        {
            throw new InvalidDataException($"--model: '{path}' could not be read as an ONNX model: {e.Message}", e);
        }
        m.to(device);
        return new OnnxFeatureExtractor(m, normalization, $"{Path.GetFileName(path)}, input {normalization}");
    }

    /// <inheritdoc/>
    public string Description { get; }
    /// <inheritdoc/>
    public IReadOnlyList<string> LayerNames => _module.NodeOutputNames;
    /// <inheritdoc/>
    public Device Device => _module.Device;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> Extract(Tensor image, IReadOnlyCollection<string> layers)
    {
        using var input = _normalization.Apply(image);
        return _module.Run(input, layers);
    }

    /// <summary>Disposes the ONNX module.</summary>
    public void Dispose() => _module.Dispose();
}
