using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Backbones;

/// <summary>
/// The pretrained ResNet18 that ships offline in NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>: a CNTK export
/// with no fc layer (input 'Input247' 1×3×224×224, output 'Pooling395_Output_0' 1×512×1×1) plus a separate
/// preprocessing graph (RGB planes 0..255 → BGR → minus a 224×224 mean image). The package copies both files to
/// <c>DnnImageModels/</c> beside the application.
/// </summary>
public static class PackagedResNet18
{
    /// <summary>Side of the square input both graphs expect.</summary>
    public const int ImageSize = 224;
    /// <summary>Length of the feature vector (channels of the last pooling).</summary>
    public const int FeatureCount = 512;
    /// <summary>Name of the backbone's feature output.</summary>
    public const string FeatureOutput = "Pooling395_Output_0";

    /// <summary>The folder with the model files: <c>DnnImageModels</c> under the application folder.</summary>
    public static string ModelDirectory
    {
        get
        {
            string dir = Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
            if (!Directory.Exists(dir))
                throw new FileNotFoundException(
                    $"The packaged ResNet18 files are missing ({dir}). They come with the package MlNetHw.Cpu (or MlNetHw), through its " +
                    "dependency Microsoft.ML.DnnImageFeaturizer.ResNet18, whose build step copies the DnnImageModels folder to the output: " +
                    "reference the package from the application project (not only from a library it uses), then rebuild.");
            return dir;
        }
    }

    /// <summary>The packaged ResNet18 graph (<c>ResNet18Onnx/ResNet18.onnx</c>): preprocessed (N, 3, 224, 224) → pooled 512-channel features.</summary>
    public static string BackbonePath => Path.Combine(ModelDirectory, "ResNet18Onnx", "ResNet18.onnx");
    /// <summary>The packaged preprocessing graph (<c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>): RGB pixels → BGR minus the mean image.</summary>
    public static string PreprocessPath => Path.Combine(ModelDirectory, "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>The backbone as a trainable TorchSharp module (eval mode; call <c>train()</c> to fine-tune).</summary>
    public static OnnxModule LoadBackbone()
    {
        var m = OnnxModule.Load(BackbonePath);
        m.eval();
        return m;
    }

    /// <summary>The preprocessing graph imported as a module (no trainable weights).</summary>
    public static OnnxModule LoadPreprocessGraph()
    {
        var m = OnnxModule.Load(PreprocessPath);
        m.eval();
        m.SetTrainable(false);
        return m;
    }

    static float[]? _meanImage;

    /// <summary>The 3×224×224 mean image (BGR planes) that the preprocessing subtracts, read from the packaged file.</summary>
    public static float[] MeanImage
    {
        get
        {
            if (_meanImage is null)
            {
                var model = OnnxModel.Load(PreprocessPath);
                _meanImage = model.Graph.Initializers.SingleOrDefault(t => t.Name == "MeanImage")?.FloatData
                    ?? throw new OnnxFormatException($"{PreprocessPath}: the 'MeanImage' initializer is missing.");
            }
            return _meanImage;
        }
    }

    /// <summary>
    /// The packaged preprocessing, written out: <paramref name="rgb"/> (N, 3, 224, 224) RGB planes in 0..255 (what
    /// ML.NET's ExtractPixels gives) → channels reversed to BGR → minus the mean image. Returns (N, 3, 224, 224).
    /// </summary>
    public static Tensor Preprocess(Tensor rgb)
    {
        if (rgb.dim() != 4 || rgb.shape[1] != 3 || rgb.shape[2] != ImageSize || rgb.shape[3] != ImageSize)
            throw new ArgumentException($"expected (N, 3, {ImageSize}, {ImageSize}) RGB pixels, got [{string.Join(",", rgb.shape)}].");
        using var mean = torch.tensor(MeanImage, new long[] { 1, 3, ImageSize, ImageSize }, device: rgb.device);
        using var bgr = rgb.flip(1);
        return bgr - mean;
    }
}
