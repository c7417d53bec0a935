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

    /// <summary>Name of the pixel input of the graphs MlNetHw's image exports write (RGB planes 0..255, preprocessing inside the graph).</summary>
    public const string ExportedPixelInput = "Pixels";

    OnnxFeatureExtractor(OnnxModule module, ImageNormalization normalization, string description, (int Height, int Width)? fixedSize = null)
    {
        _module = module;
        FixedInputSize = fixedSize;
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
        var model = ReadModel(path);
        OnnxModule m;
        try { m = new OnnxModule(model, Path.GetFileNameWithoutExtension(path)); }
        catch (OnnxFormatException e)
        {
            throw new InvalidDataException($"--model: '{path}' could not be read as an ONNX model: {path}: {e.Message}", e);
        }
        m.to(device);
        return new OnnxFeatureExtractor(m, normalization, $"{Path.GetFileName(path)}, input {normalization}", OnnxGraphCut.FixedImageSize(model));
    }

    /// <summary>
    /// The normalisation a user graph takes when none is given: <see cref="ImageNormalization.Pixels"/> for a graph
    /// MlNetHw exported with its preprocessing inside (input <see cref="ExportedPixelInput"/>, e.g. finetune.onnx),
    /// else imagenet (torchvision exports). Returns the name and why.
    /// </summary>
    public static (string Name, string Reason) DefaultNormalization(string path)
    {
        var model = ReadModel(path);
        var input = OnnxGraphCut.DataInput(model);
        return model.ProducerName == "MlNetHw" && input.Name == ExportedPixelInput
            ? ("pixels", $"the graph carries its own preprocessing (an MlNetHw export, input '{input.Name}': RGB 0..255)")
            : ("imagenet", "the default for a user model");
    }

    static OnnxModel ReadModel(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--model: ONNX file '{path}' does not exist.", path);
        try { return OnnxModel.Load(path); }
        catch (Exception e) when (e is OnnxFormatException or InvalidDataException or IOException)
        {
            throw new InvalidDataException($"--model: '{path}' could not be read as an ONNX model: {e.Message}", e);
        }
    }

    /// <summary>(height, width) the graph's input declares when both are fixed, else null.</summary>
    public (int Height, int Width)? FixedInputSize { get; }

    /// <summary>
    /// When set, every image is resized (bilinear, differentiably) to this size before the normalisation and the
    /// network: for graphs that only run at their fixed input size (see <see cref="FitInput"/>). Null: images go in as they are.
    /// </summary>
    public (int Height, int Width)? ResizeTo { get; private set; }

    /// <summary>
    /// Makes the network accept <paramref name="height"/>×<paramref name="width"/> images up to <paramref name="layers"/>:
    /// probes one forward pass (no gradients) at that size; when it fails and the graph declares another fixed input
    /// size (a graph with built-in preprocessing, such as a finetune export with its 224×224 mean image), images are
    /// resized to that size from now on and the returned note says so; null when nothing changed. A graph that runs
    /// at neither size fails with an <see cref="ArgumentException"/> naming the node and the size it needs.
    /// </summary>
    public string? FitInput(int height, int width, IReadOnlyCollection<string> layers)
    {
        ResizeTo = null;
        string? Probe(int h, int w)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            try { Extract(full(new long[] { 1, 3, h, w }, 0.5f, device: Device), layers); return null; }
            catch (InvalidOperationException e) { return e.Message; }
        }
        if (Probe(height, width) is not { } failure) return null;
        string file = Description.Split(',')[0];
        if (FixedInputSize is { } f && f != (height, width))
        {
            ResizeTo = f;
            if (Probe(f.Height, f.Width) is not { } again)
                return $"{file} only runs at its fixed {f.Width}x{f.Height} input (at {width}x{height}: {failure.Split(':')[0]}): " +
                       $"images are resized to {f.Width}x{f.Height} before the network";
            ResizeTo = null;
            throw new ArgumentException($"--model {file} runs neither at {width}x{height} ({failure}) nor at its declared {f.Width}x{f.Height} input ({again}).");
        }
        throw new ArgumentException($"--model {file} does not run on a {width}x{height} image: {failure}" +
                                    (FixedInputSize is { } g ? $" (its input is declared {g.Width}x{g.Height})." : " Try another --size."));
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
        if (ResizeTo is { } r && (image.shape[2] != r.Height || image.shape[3] != r.Width))
        {
            using var resized = nn.functional.interpolate(image, new long[] { r.Height, r.Width }, mode: InterpolationMode.Bilinear, align_corners: false);
            using var normalized = _normalization.Apply(resized);
            return _module.Run(normalized, layers);
        }
        using var input = _normalization.Apply(image);
        return _module.Run(input, layers);
    }

    /// <summary>Disposes the ONNX module.</summary>
    public void Dispose() => _module.Dispose();
}
