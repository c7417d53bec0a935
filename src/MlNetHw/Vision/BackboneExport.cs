using MlNetHw.Onnx;

namespace MlNetHw.Vision;

/// <summary>
/// ONNX graphs around a user's backbone (<see cref="OnnxBackbone"/>), for ML.NET's <c>ApplyOnnxModel</c>:
/// input 'Pixels' (1, 3, R, R) RGB planes in 0..255 → (when R &gt; S) Slice, the centre S×S crop → the backbone's
/// normalisation (Gather for BGR, Mul, Add per channel) → the backbone graph up to the cut node → Flatten, then
/// either the trained head (Gemm → Softmax 'Score', ArgMax 'PredictedIndex', <see cref="Classifier"/>) or the
/// features themselves ('Features', <see cref="Features"/>, for 'freeze'). The backbone's own operator set is kept.
/// </summary>
public static class BackboneExport
{
    /// <summary>Name of the feature output of <see cref="Features"/> (1, F).</summary>
    public const string FeaturesName = "Features";

    /// <summary>The trained finetune network (trained backbone weights and BatchNorm statistics, new head) taking <paramref name="resize"/>² pixels.</summary>
    public static OnnxModel Classifier(BackboneNetwork model, int resize)
    {
        var backbone = model.Backbone.ToOnnxModel();
        var b = Begin(backbone, model.Source, resize, out string features);
        var g = b.Graph;
        g.Initializers.Add(OnnxModule.FromTorch("mlnethw_head_weight", model.Head.weight!));
        g.Initializers.Add(OnnxModule.FromTorch("mlnethw_head_bias", model.Head.bias!));
        b.Node("Gemm", new[] { features, "mlnethw_head_weight", "mlnethw_head_bias" }, new[] { "mlnethw_head_logits" }, OnnxAttribute.Int("transB", 1));
        b.Node("Softmax", new[] { "mlnethw_head_logits" }, new[] { FinetuneExport.ScoreName }, OnnxAttribute.Int("axis", 1));
        // ML.NET's OnnxTransformer reads tensors as vectors only (a 0-d output is taken for a map), so the index is (1).
        b.Node("ArgMax", new[] { "mlnethw_head_logits" }, new[] { FinetuneExport.IndexName }, OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 0));
        b.Output(FinetuneExport.ScoreName, OnnxDataType.Float, 1, model.ClassCount);
        b.Output(FinetuneExport.IndexName, OnnxDataType.Int64, 1);
        return Finish(b, backbone, $"{Path.GetFileName(model.Source.ModelPath)} cut at '{model.Source.CutAt}' + new head, finetuned by MlNetHw");
    }

    /// <summary>The backbone's features (1, F) of <paramref name="size"/>² pixels (no crop): the frozen featurizer of 'freeze'.</summary>
    public static OnnxModel Features(OnnxBackbone backbone, int size)
    {
        var b = Begin(backbone.CutModel, backbone, size, out string features);
        b.Node("Identity", new[] { features }, new[] { FeaturesName });
        b.Output(FeaturesName, OnnxDataType.Float, 1, backbone.FeatureCount);
        return Finish(b, backbone.CutModel, $"{Path.GetFileName(backbone.ModelPath)} cut at '{backbone.CutAt}' (features), by MlNetHw");
    }

    /// <summary>Input, crop, normalisation and the backbone's nodes; returns the builder and the flattened feature value.</summary>
    static OnnxGraphBuilder Begin(OnnxModel backbone, OnnxBackbone source, int resize, out string features)
    {
        int crop = source.InputSize;
        if (resize < crop) throw new ArgumentOutOfRangeException(nameof(resize), resize, $"must be at least the backbone's input size {crop}.");
        long opset = backbone.DefaultOpset;
        var b = new OnnxGraphBuilder("mlnethw_" + (backbone.Graph.Name.Length > 0 ? backbone.Graph.Name : "backbone"));
        b.Input(FinetuneExport.InputName, OnnxDataType.Float, 1, 3, resize, resize);
        string x = FinetuneExport.InputName;
        if (resize > crop)
        {
            int offset = (resize - crop) / 2;
            if (opset >= 10)
            {
                b.Int64s("mlnethw_crop_starts", new long[] { offset, offset }, 2);
                b.Int64s("mlnethw_crop_ends", new long[] { offset + crop, offset + crop }, 2);
                b.Int64s("mlnethw_crop_axes", new long[] { 2, 3 }, 2);
                x = b.Node("Slice", new[] { x, "mlnethw_crop_starts", "mlnethw_crop_ends", "mlnethw_crop_axes" }, new[] { "mlnethw_crop" });
            }
            else
                x = b.Node("Slice", new[] { x }, new[] { "mlnethw_crop" }, OnnxAttribute.IntList("axes", 2, 3),
                    OnnxAttribute.IntList("starts", offset, offset), OnnxAttribute.IntList("ends", offset + crop, offset + crop));
        }
        var (order, mul, add) = source.Normalization.PixelAffine();
        if (order[0] != 0)
        {
            b.Int64s("mlnethw_channel_order", order, 3);
            x = b.Node("Gather", new[] { x, "mlnethw_channel_order" }, new[] { "mlnethw_bgr" }, OnnxAttribute.Int("axis", 1));
        }
        b.Floats("mlnethw_pixel_mul", mul, 1, 3, 1, 1);
        b.Floats("mlnethw_pixel_add", add, 1, 3, 1, 1);
        x = b.Node("Mul", new[] { x, "mlnethw_pixel_mul" }, new[] { "mlnethw_scaled" });
        // The last preprocessing node writes the backbone's input value, so the backbone's nodes read it unchanged.
        string backboneInput = OnnxGraphCut.DataInput(backbone).Name;
        b.Node("Add", new[] { x, "mlnethw_pixel_add" }, new[] { backboneInput });
        var g = b.Graph;
        g.Nodes.AddRange(backbone.Graph.Nodes);
        g.Initializers.AddRange(backbone.Graph.Initializers);
        features = b.Node("Flatten", new[] { backbone.Graph.Outputs[0].Name }, new[] { "mlnethw_features" }, OnnxAttribute.Int("axis", 1));
        return b;
    }

    static OnnxModel Finish(OnnxGraphBuilder b, OnnxModel backbone, string doc)
    {
        // The builder names nodes "<op>_<n>", as older PyTorch exporters do: prefixed, they cannot clash with the backbone's.
        var own = backbone.Graph.Nodes.ToHashSet();
        foreach (var n in b.Graph.Nodes.Where(n => !own.Contains(n))) n.Name = "mlnethw_" + n.Name;
        var m = new OnnxModel
        {
            IrVersion = Math.Max(backbone.IrVersion, 4), ProducerName = "MlNetHw", ProducerVersion = "1", Graph = b.Graph, DocString = doc,
        };
        m.OpsetImports.AddRange(backbone.OpsetImports);
        if (!m.OpsetImports.Any(o => o.Domain is "" or "ai.onnx")) m.OpsetImports.Add(("", backbone.DefaultOpset));
        return m;
    }
}
