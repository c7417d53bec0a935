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

    /// <summary>Name of the backbone's input (the preprocessed image).</summary>
    public const string BackboneInput = "Input247";

    /// <summary>
    /// The two packaged graphs as one: the preprocessing (RGB planes 0..255 → BGR → minus the mean image), its output
    /// wired into the backbone, so ONNX Runtime runs one session and one call per image instead of two. Input
    /// <paramref name="inputName"/> Float [1, 3, 224, 224] (what ML.NET's ExtractPixels gives), output
    /// <paramref name="outputName"/> Float [1, 512, 1, 1]; with <paramref name="symbolicBatch"/> the first dimension of
    /// both is the symbolic N instead of 1 (ML.NET's <c>ApplyOnnxModel</c> feeds one row at a time and wants the fixed 1).
    /// The nodes and weights are those of the packaged files, unchanged (the preprocessing nodes' names get a
    /// <c>prep_</c> prefix), so the features are the packaged pair's.
    /// </summary>
    public static OnnxModel MergedModel(string inputName, string outputName, bool symbolicBatch = false)
    {
        var prep = OnnxModel.Load(PreprocessPath);
        var net = OnnxModel.Load(BackbonePath);
        if (prep.Graph.Inputs.Count != 1 || prep.Graph.Outputs.Count != 1)
            throw new OnnxFormatException($"{PreprocessPath}: expected one input and one output.");
        if (net.Graph.Inputs.Count(i => !net.Graph.Initializers.Any(t => t.Name == i.Name)) != 1 || net.Graph.Inputs.All(i => i.Name != BackboneInput)
            || net.Graph.Outputs.All(o => o.Name != FeatureOutput))
            throw new OnnxFormatException($"{BackbonePath}: expected the one input '{BackboneInput}' and the output '{FeatureOutput}'.");
        string prepIn = prep.Graph.Inputs[0].Name, prepOut = prep.Graph.Outputs[0].Name;
        // Value names of the merged graph: preprocessing names prefixed, its output becomes the backbone input,
        // the graph input and output take the requested names.
        string PrepName(string n) => n == prepIn ? inputName : n == prepOut ? BackboneInput : "prep_" + n;
        string NetName(string n) => n == FeatureOutput ? outputName : n;
        var g = new OnnxGraph { Name = "packaged_resnet18_with_preprocessing" };
        foreach (var n in prep.Graph.Nodes) g.Nodes.Add(Renamed(n, PrepName, "prep_"));
        foreach (var n in net.Graph.Nodes) g.Nodes.Add(Renamed(n, NetName, ""));
        foreach (var t in prep.Graph.Initializers) { t.Name = PrepName(t.Name); g.Initializers.Add(t); }
        g.Initializers.AddRange(net.Graph.Initializers);
        var names = g.Nodes.SelectMany(n => n.Outputs).Concat(g.Initializers.Select(t => t.Name)).ToList();
        if (names.Distinct().Count() != names.Count)
            throw new OnnxFormatException("the packaged preprocessing and backbone graphs share value names; they cannot be merged.");
        long? batch = symbolicBatch ? null : 1;
        g.Inputs.Add(OnnxValueInfo.Tensor(inputName, batch, 3, ImageSize, ImageSize));
        // Backbone inputs that are initializers (IR 3 lists them as inputs too) stay declared.
        foreach (var i in net.Graph.Inputs.Where(i => i.Name != BackboneInput)) g.Inputs.Add(i);
        g.Outputs.Add(OnnxValueInfo.Tensor(outputName, batch, FeatureCount, 1, 1));
        var model = new OnnxModel { IrVersion = net.IrVersion, ProducerName = "MlNetHw", ProducerVersion = "1", Graph = g,
            DocString = "The packaged ResNet18 (Microsoft.ML.DnnImageFeaturizer.ResNet18) with its preprocessing graph merged in front." };
        foreach (var (domain, version) in net.OpsetImports) model.OpsetImports.Add((domain, Math.Max(version, prep.OpsetImports.FirstOrDefault(o => o.Domain == domain).Version)));
        return model;
    }

    /// <summary>
    /// <see cref="MergedModel"/> with batch 1, written once to the model cache (<c>$MLNETHW_MODELS</c>, else
    /// <c>$XDG_CACHE_HOME/mlnethw/models</c>, else <c>~/.cache/mlnethw/models</c>; sub-folder <c>resnet18</c>) and
    /// checked by SHA-256 on every call. One file per pair of names: ML.NET's <c>ApplyOnnxModel</c> reads the graph
    /// input from the column of the same name and writes the output to the column of the output's name.
    /// </summary>
    public static string MergedModelPath(string inputName, string outputName)
    {
        // The file name carries the names (hashed: column names may hold any character) and the packaged files' sizes,
        // so another package version or other names never reuse a stale graph.
        string key = $"{inputName}\n{outputName}\n{new FileInfo(PreprocessPath).Length}\n{new FileInfo(BackbonePath).Length}\nv1";
        string id = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant();
        return ModelCache.File(Path.Combine(ModelCache.Root, "resnet18"), $"resnet18-with-preprocessing-{id}.onnx",
            () => OnnxWriter.Write(MergedModel(inputName, outputName)));
    }

    static OnnxNode Renamed(OnnxNode n, Func<string, string> rename, string prefix)
    {
        var r = new OnnxNode { Name = n.Name.Length > 0 ? prefix + n.Name : "", OpType = n.OpType, Domain = n.Domain };
        r.Inputs.AddRange(n.Inputs.Select(i => i.Length == 0 ? i : rename(i)));
        r.Outputs.AddRange(n.Outputs.Select(rename));
        r.Attributes.AddRange(n.Attributes);
        return r;
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
