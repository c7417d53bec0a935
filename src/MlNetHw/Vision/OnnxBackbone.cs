using MlNetHw.Backbones;
using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Vision;

/// <summary>Bring your own backbone: which ONNX classification graph to use instead of the packaged ResNet18, and how.</summary>
public sealed class BackboneOptions
{
    /// <summary>The ONNX file (a classification CNN such as a torchvision export). Null: the packaged ResNet18.</summary>
    public string? ModelPath { get; set; }
    /// <summary>
    /// The node output whose tensor feeds the new head. Null: detected (<see cref="OnnxGraphCut.DetectFeatureOutput"/>,
    /// the input of the last Gemm/MatMul classifier, i.e. the pooled features).
    /// </summary>
    public string? CutAt { get; set; }
    /// <summary>Input normalisation by name (<see cref="ImageNormalization.Names"/>). Null: imagenet. Ignored when <see cref="Mean"/>/<see cref="Std"/> are set.</summary>
    public string? Normalization { get; set; }
    /// <summary>Per-channel mean (R, G, B in [0, 1] units); with <see cref="Std"/> it replaces <see cref="Normalization"/>.</summary>
    public IReadOnlyList<float>? Mean { get; set; }
    /// <summary>Per-channel standard deviation (R, G, B in [0, 1] units).</summary>
    public IReadOnlyList<float>? Std { get; set; }
    /// <summary>Side of the square input. Null: the graph's fixed input size when it declares one, else 224.</summary>
    public int? InputSize { get; set; }
}

/// <summary>
/// A user's ONNX classification graph prepared as a backbone: read, cut at the feature node (the old classifier
/// dropped), probed once at its input size to learn the feature shape. Immutable; <see cref="CreateNetwork"/> makes a
/// trainable <see cref="BackboneNetwork"/> from it, <see cref="BackboneExport"/> writes ONNX graphs around it.
/// Every problem with the file is an <see cref="ArgumentException"/> or <see cref="OnnxFormatException"/> naming the
/// file and, where there is one, the node.
/// </summary>
public sealed class OnnxBackbone
{
    /// <summary>The ONNX file (full path).</summary>
    public required string ModelPath { get; init; }
    /// <summary>The graph cut at <see cref="CutAt"/>: its only output is the feature value.</summary>
    public required OnnxModel CutModel { get; init; }
    /// <summary>The node output the features come from.</summary>
    public required string CutAt { get; init; }
    /// <summary>How <see cref="CutAt"/> was chosen ("given with --cut-at", "input of the last Gemm ...").</summary>
    public required string CutReason { get; init; }
    /// <summary>Shape of the feature value for one image, e.g. [1, 512, 1, 1].</summary>
    public required IReadOnlyList<long> FeatureShape { get; init; }
    /// <summary>Length of the flattened features (the head's inputs).</summary>
    public int FeatureCount => (int)FeatureShape.Skip(1).Aggregate(1L, (a, b) => a * b);
    /// <summary>Side of the square input images.</summary>
    public required int InputSize { get; init; }
    /// <summary>Where <see cref="InputSize"/> came from ("the graph's fixed input", "--input-size", "default").</summary>
    public required string InputSizeReason { get; init; }
    /// <summary>How RGB pixels are mapped to the graph's input.</summary>
    public required ImageNormalization Normalization { get; init; }

    /// <summary>One line for run logs: file, cut point and why, feature size, input size, normalisation.</summary>
    public string Describe() =>
        $"{Path.GetFileName(ModelPath)}: features from '{CutAt}' ({CutReason}), shape [{string.Join(", ", FeatureShape)}] = {FeatureCount} features; " +
        $"input {InputSize}x{InputSize} ({InputSizeReason}); normalisation {Normalization}";

    /// <summary>A fresh trainable network: the cut graph (eval mode) and a new head for <paramref name="classCount"/> classes.</summary>
    public BackboneNetwork CreateNetwork(int classCount, double? batchNormMomentum = 0.1) => new(this, classCount, batchNormMomentum);

    /// <summary>The cut graph as a module (eval mode), named after the file.</summary>
    public OnnxModule CreateModule()
    {
        var m = new OnnxModule(CutModel, Path.GetFileNameWithoutExtension(ModelPath));
        m.eval();
        return m;
    }

    /// <summary>Reads, cuts and probes the graph of <paramref name="options"/> (<see cref="BackboneOptions.ModelPath"/> must be set).</summary>
    public static OnnxBackbone Load(BackboneOptions options)
    {
        string path = options.ModelPath ?? throw new ArgumentException("--model: no ONNX file given.");
        string file = Path.GetFileName(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"--model: ONNX file '{path}' does not exist.", path);
        path = Path.GetFullPath(path);
        OnnxModel model;
        try { model = OnnxModel.Load(path); }
        catch (OnnxFormatException e) { throw new OnnxFormatException($"--model: {e.Message}", e); }
        OnnxValueInfo input;
        try { input = OnnxGraphCut.DataInput(model); }
        catch (OnnxFormatException e) { throw new OnnxFormatException($"--model {file}: {e.Message}", e); }

        var normalization = options.Mean is not null || options.Std is not null
            ? ImageNormalization.FromMeanStd(options.Mean ?? Array.Empty<float>(), options.Std ?? Array.Empty<float>())
            : ImageNormalization.FromName(options.Normalization ?? "imagenet");

        int size; string sizeReason;
        var fixedSize = OnnxGraphCut.FixedImageSize(model);
        if (options.InputSize is { } given)
        {
            if (given < 8) throw new ArgumentOutOfRangeException("--input-size", given, "must be at least 8.");
            size = given; sizeReason = "--input-size";
        }
        else if (fixedSize is { } f && f.Height == f.Width) { size = f.Height; sizeReason = $"the fixed input size of '{input.Name}'"; }
        else { size = 224; sizeReason = fixedSize is null ? "default; the graph's input size is not fixed" : "default; the graph's input is not square"; }

        OnnxCutPoint cut;
        if (options.CutAt is { } name)
        {
            if (!OnnxGraphCut.IsNodeOutput(model, name))
                throw new ArgumentException($"--cut-at '{name}' is not a node output of {file}; node outputs near the end of the graph: " +
                                            string.Join(", ", OnnxGraphCut.CandidatesNearEnd(model)) + ".");
            cut = new OnnxCutPoint(name, "given with --cut-at");
        }
        else cut = OnnxGraphCut.DetectFeatureOutput(model);

        var cutModel = OnnxGraphCut.Cut(model, cut.Name);
        OnnxModule module;
        try { module = new OnnxModule(cutModel, Path.GetFileNameWithoutExtension(path)); }
        catch (OnnxFormatException e) { throw new OnnxFormatException($"--model {file}: {e.Message}", e); }
        long[] shape;
        using (module)
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
        {
            module.eval();
            var probe = normalization.ApplyToPixels(torch.full(new long[] { 1, 3, size, size }, 128f));
            try { shape = module.forward(probe).shape; }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException($"--model {file} does not run at {size}x{size} up to '{cut.Name}' ({e.Message}); " +
                                            (fixedSize is { } f2 ? $"its input '{input.Name}' is declared {f2.Height}x{f2.Width}" : "try another --input-size") + ".", e);
            }
        }
        if (shape.Length is not (2 or 4))
            throw new ArgumentException($"--cut-at '{cut.Name}' of {file}: its output has shape [{string.Join(", ", shape)}] ({shape.Length}-D); " +
                                        "the features must be (N, C) vectors or (N, C, H, W) maps. Node outputs near the end of the graph: " +
                                        string.Join(", ", OnnxGraphCut.CandidatesNearEnd(model)) + ".");
        if (shape[0] != 1)
            throw new ArgumentException($"--cut-at '{cut.Name}' of {file}: one image gives shape [{string.Join(", ", shape)}]; the first dimension must be the batch.");
        // The cut graph declares its output shape (batch symbolic), so ML.NET's ONNX transformer knows the vector size.
        cutModel.Graph.Outputs[0] = OnnxValueInfo.Tensor(cut.Name, shape.Select((d, i) => i == 0 ? (long?)null : d).ToArray());
        return new OnnxBackbone
        {
            ModelPath = path, CutModel = cutModel, CutAt = cut.Name, CutReason = cut.Reason, FeatureShape = shape,
            InputSize = size, InputSizeReason = sizeReason, Normalization = normalization,
        };
    }
}

/// <summary>
/// The finetune network for a user's graph (<see cref="OnnxBackbone"/>): RGB 0..255 → the backbone's normalisation
/// (channel order, per-channel scale and shift) → the graph cut at the feature node (trainable) → flatten → a new
/// Linear(features, classes) head.
/// </summary>
public sealed class BackboneNetwork : FinetuneNetwork
{
    readonly Tensor pixel_mul, pixel_add;
    readonly bool _bgr;

    /// <summary>The backbone this network was built from.</summary>
    public OnnxBackbone Source { get; }

    internal BackboneNetwork(OnnxBackbone source, int classCount, double? batchNormMomentum)
        : base(nameof(BackboneNetwork), source.CreateModule(), source.FeatureCount, classCount, batchNormMomentum)
    {
        Source = source;
        var (order, mul, add) = source.Normalization.PixelAffine();
        _bgr = order[0] == 2;
        pixel_mul = torch.tensor(mul, new long[] { 1, 3, 1, 1 });
        pixel_add = torch.tensor(add, new long[] { 1, 3, 1, 1 });
        register_buffer(nameof(pixel_mul), pixel_mul, persistent: false);
        register_buffer(nameof(pixel_add), pixel_add, persistent: false);
    }

    /// <summary>The normalisation as x·mul + add per channel (after BGR reordering when the backbone wants it).</summary>
    protected override Tensor Preprocess(Tensor rgb) =>
        (_bgr ? rgb.flip(1) : rgb) * get_buffer(nameof(pixel_mul))! + get_buffer(nameof(pixel_add))!;
}
