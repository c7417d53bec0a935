using MlNetHw.Backbones;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Image;
using MlNetHw.Data;
using MlNetHw.Onnx;
using TorchSharp;

namespace MlNetHw.Vision;

/// <summary>
/// Writes a finetuned <see cref="FinetuneNetwork"/> back to ONNX and wraps it in a standard ML.NET model.
/// A user backbone (<see cref="BackboneNetwork"/>) is written by <see cref="BackboneExport.Classifier"/>, with the same
/// input and outputs. The packaged ResNet18's ONNX graph: input 'Pixels' (1, 3, R, R) RGB 0..255 → Slice (centre crop 224) → the packaged preprocessing
/// (Split/Concat to BGR, Sub mean image) → the original ResNet18 graph with the trained initializers and BatchNorm
/// statistics → Flatten → Gemm (the new head) → Softmax 'Score' (1, C) and ArgMax 'PredictedIndex'.
/// The ML.NET chain: LoadImages → ResizeImages(R, IsoCrop) → ExtractPixels → ApplyOnnxModel → Hash (the one-element
/// index vector to a scalar) → MapValue (→ class name). Only ML.NET's own transforms are used, so a plain
/// <c>mlContext.Model.Load</c> reads the <c>.zip</c>.
/// </summary>
public static class FinetuneExport
{
    /// <summary>Name of the ONNX model's pixel input.</summary>
    public const string InputName = "Pixels";
    /// <summary>Name of the ONNX model's softmax output (1, C).</summary>
    public const string ScoreName = "Score";
    /// <summary>Name of the ONNX model's argmax output (the predicted class index).</summary>
    public const string IndexName = "PredictedIndex";

    /// <summary>
    /// The trained network as one ONNX model taking <paramref name="resize"/>² RGB pixels (the packaged ResNet18: opset
    /// 8, like the packaged file; a user backbone: its own operator set).
    /// </summary>
    public static OnnxModel ToOnnx(FinetuneNetwork model, int resize = 256) => model switch
    {
        ResNet18Network r => ToOnnx(r, resize),
        BackboneNetwork b => BackboneExport.Classifier(b, resize),
        _ => throw new ArgumentException($"no ONNX export for {model.GetType().Name}.", nameof(model)),
    };

    static OnnxModel ToOnnx(ResNet18Network model, int resize)
    {
        int crop = PackagedResNet18.ImageSize;
        if (resize < crop) throw new ArgumentOutOfRangeException(nameof(resize), resize, $"must be at least {crop}.");
        var backbone = model.Backbone.ToOnnxModel();
        var prep = OnnxModel.Load(PackagedResNet18.PreprocessPath);
        var g = new OnnxGraph { Name = "mlnethw_resnet18_finetuned" };
        g.Inputs.Add(OnnxValueInfo.Tensor(InputName, 1, 3, resize, resize));

        int offset = (resize - crop) / 2;
        var slice = new OnnxNode { Name = "centre_crop", OpType = "Slice" };
        slice.Inputs.Add(InputName); slice.Outputs.Add("prep_crop");
        slice.Attributes.Add(OnnxAttribute.IntList("axes", 2, 3));
        slice.Attributes.Add(OnnxAttribute.IntList("starts", offset, offset));
        slice.Attributes.Add(OnnxAttribute.IntList("ends", offset + crop, offset + crop));
        g.Nodes.Add(slice);

        // The packaged preprocessing, its values renamed into this graph: input → crop, output → backbone input.
        string prepIn = prep.Graph.Inputs.Single(i => prep.Graph.Initializers.All(t => t.Name != i.Name)).Name;
        string prepOut = prep.Graph.Outputs.Single().Name;
        string Rename(string n) => n == prepIn ? "prep_crop" : n == prepOut ? model.Backbone.InputName : n.Length == 0 ? n : "prep_" + n;
        foreach (var n in prep.Graph.Nodes)
        {
            var c = new OnnxNode { Name = "prep_" + (n.Name.Length > 0 ? n.Name : n.OpType), OpType = n.OpType, Domain = n.Domain };
            c.Inputs.AddRange(n.Inputs.Select(Rename)); c.Outputs.AddRange(n.Outputs.Select(Rename)); c.Attributes.AddRange(n.Attributes);
            g.Nodes.Add(c);
        }
        foreach (var t in prep.Graph.Initializers)
            g.Initializers.Add(new OnnxTensor { Name = Rename(t.Name), Dims = t.Dims, DataType = t.DataType, FloatData = t.FloatData, Int64Data = t.Int64Data });

        g.Nodes.AddRange(backbone.Graph.Nodes);
        g.Initializers.AddRange(backbone.Graph.Initializers);

        string features = model.Backbone.OutputNames[0];
        int classes = model.ClassCount;
        g.Initializers.Add(OnnxModule.FromTorch("head_weight", model.Head.weight!));
        g.Initializers.Add(OnnxModule.FromTorch("head_bias", model.Head.bias!));
        AddNode(g, "head_flatten", "Flatten", new[] { features }, new[] { "head_features" }, OnnxAttribute.Int("axis", 1));
        AddNode(g, "head_gemm", "Gemm", new[] { "head_features", "head_weight", "head_bias" }, new[] { "head_logits" }, OnnxAttribute.Int("transB", 1));
        AddNode(g, "head_softmax", "Softmax", new[] { "head_logits" }, new[] { ScoreName }, OnnxAttribute.Int("axis", 1));
        // ML.NET's OnnxTransformer reads tensors as vectors only (a 0-d output is taken for a map), so the index is (1).
        AddNode(g, "head_argmax", "ArgMax", new[] { "head_logits" }, new[] { IndexName }, OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 0));
        g.Outputs.Add(OnnxValueInfo.Tensor(ScoreName, 1, classes));
        var index = OnnxValueInfo.Tensor(IndexName, 1);
        index.ElementType = OnnxDataType.Int64;
        g.Outputs.Add(index);

        var m = new OnnxModel { IrVersion = 3, ProducerName = "MlNetHw", ProducerVersion = "1", Graph = g, DocString = "ResNet18 finetuned by MlNetHw" };
        m.OpsetImports.Add(("", 8));
        return m;
    }

    static void AddNode(OnnxGraph g, string name, string op, string[] inputs, string[] outputs, params OnnxAttribute[] attrs)
    {
        var n = new OnnxNode { Name = name, OpType = op };
        n.Inputs.AddRange(inputs); n.Outputs.AddRange(outputs); n.Attributes.AddRange(attrs);
        g.Nodes.Add(n);
    }

    /// <summary>
    /// The ML.NET chain around an exported ONNX file: input <see cref="ImageRow"/>, output <see cref="ImagePrediction"/>
    /// ('Score', the probability per class, and 'PredictedLabel', the class name as a plain string).
    /// </summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext ml, string onnxPath, IReadOnlyList<string> classes, int resize = 256,
        string imagePathColumn = nameof(ImageRow.ImagePath)) =>
        ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: imagePathColumn)
            .Append(ml.Transforms.ResizeImages("Image", resize, resize, resizing: ImageResizingEstimator.ResizingKind.IsoCrop))
            .Append(ml.Transforms.ExtractPixels(InputName, "Image"))
            .Append(ml.Transforms.ApplyOnnxModel(new[] { ScoreName, IndexName }, new[] { InputName }, onnxPath))
            // ML.NET's OnnxTransformer yields vectors only, so the index arrives as a one-element vector. The stock hashing
            // transform with Combine folds a vector into one scalar key; MapValue turns that key into the class name. So
            // PredictedLabel is a plain string, and the chain stays stock ML.NET (no custom transform to register at load).
            .Append(ml.Transforms.Conversion.Hash(new[] { IndexHashColumn() }))
            .Append(ml.Transforms.Conversion.MapValue(nameof(ImagePrediction.PredictedLabel), ClassNamesByIndexHash(ml, classes), IndexHashName))
            .Append(ml.Transforms.DropColumns("Image", InputName, IndexName, IndexHashName));

    const string IndexHashName = "PredictedIndexHash";

    static HashingEstimator.ColumnOptions IndexHashColumn() => new(IndexHashName, IndexName, numberOfBits: 31, combine: true);

    /// <summary>Class name by the hash the chain computes for each class index (checked to be distinct).</summary>
    static IEnumerable<KeyValuePair<uint, string>> ClassNamesByIndexHash(MLContext ml, IReadOnlyList<string> classes)
    {
        var indices = ml.Data.LoadFromEnumerable(classes.Select((_, i) => new IndexRow { PredictedIndex = new long[] { i } }).ToList());
        var hashes = ml.Transforms.Conversion.Hash(new[] { IndexHashColumn() }).Fit(indices).Transform(indices)
            .GetColumn<uint>(IndexHashName).ToList();
        if (hashes.Distinct().Count() != hashes.Count)
            throw new InvalidOperationException($"two of the {classes.Count} class indices hash to the same value; the ML.NET chain could not name the predicted class.");
        return hashes.Select((h, i) => new KeyValuePair<uint, string>(h, classes[i])).ToList();
    }

    /// <summary>The ONNX model's ArgMax output as ML.NET types it: a one-element Int64 vector.</summary>
    sealed class IndexRow
    {
        [VectorType(1)] public long[] PredictedIndex { get; set; } = Array.Empty<long>();
    }

    /// <summary>
    /// Exports <paramref name="model"/> to <paramref name="onnxPath"/>, builds the ML.NET chain around it and saves it
    /// to <paramref name="zipPath"/> (the ONNX bytes are stored inside the zip). Returns the fitted ML.NET model.
    /// </summary>
    public static ITransformer Save(MLContext ml, FinetuneNetwork model, IReadOnlyList<string> classes, string onnxPath, string zipPath, int resize = 256)
    {
        ToOnnx(model, resize).Save(onnxPath);
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<ImageRow>());
        var fitted = BuildPipeline(ml, onnxPath, classes, resize).Fit(empty);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(zipPath))!);
        string tmp = zipPath + ".tmp";
        ml.Model.Save(fitted, empty.Schema, tmp);
        File.Move(tmp, zipPath, overwrite: true);
        return fitted;
    }
}
