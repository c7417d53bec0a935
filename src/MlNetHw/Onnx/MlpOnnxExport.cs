using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Onnx;

/// <summary>
/// The TorchSharp MLP binary classifier (<see cref="TorchMlpBinaryModel"/>) as ONNX — input = its feature column
/// (1, D) float, Gemm → Relu per hidden layer (dropout is the identity when scoring), Gemm → <c>Logit</c> (1) — and as
/// a plain ML.NET chain: the fitted ML.NET featurizer in front, <c>ApplyOnnxModel</c>, then ML.NET's binary head
/// (<see cref="PlainModel.BinaryHead"/>: Score, Probability, PredictedLabel).
/// </summary>
public static class MlpOnnxExport
{
    /// <summary>The network as an ONNX model (opset 12).</summary>
    public static OnnxModel ToOnnx(TorchMlpBinaryModel model)
    {
        var g = new OnnxGraphBuilder("mlnethw_mlp_binary");
        string x = g.Input(model.FeatureColumn, OnnxDataType.Float, 1, model.FeatureSize);
        var linears = model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        var weights = linears.Where(p => p.name.EndsWith(".weight", StringComparison.Ordinal)).ToList();
        var biases = linears.Where(p => p.name.EndsWith(".bias", StringComparison.Ordinal)).ToList();
        if (weights.Count != biases.Count || weights.Count != model.HiddenSizes.Length + 1)
            throw new InvalidOperationException($"unexpected MLP parameters: {string.Join(", ", linears.Select(p => p.name))}.");
        for (int i = 0; i < weights.Count; i++)
        {
            var w = weights[i].parameter;
            x = g.Op("Gemm", new[] { x, g.Floats($"W{i}", Floats(w), w.shape[0], w.shape[1]), g.Floats($"b{i}", Floats(biases[i].parameter), w.shape[0]) },
                OnnxAttribute.Int("transB", 1));
            if (i < weights.Count - 1) x = g.Op("Relu", x);
        }
        g.Node("Reshape", new[] { x, g.Int64s("shape_1", new long[] { 1 }, 1) }, new[] { PlainModel.LogitColumn });
        g.Output(PlainModel.LogitColumn, OnnxDataType.Float, 1);
        return g.Model("MlNetHw TorchMlp binary classifier");
    }

    static float[] Floats(Tensor t)
    {
        using var c = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return c.data<float>().ToArray();
    }

    /// <summary>
    /// Exports <paramref name="mlp"/> to <paramref name="onnxPath"/> and saves <paramref name="featurizer"/> → ONNX →
    /// binary head as a plain zip at <paramref name="zipPath"/> with <paramref name="input"/>'s schema. Returns the chain.
    /// </summary>
    public static ITransformer Save(MLContext ml, ITransformer featurizer, TorchMlpBinaryModel mlp, IDataView input, string onnxPath, string zipPath)
    {
        ToOnnx(mlp).Save(onnxPath);
        var empty = ml.Data.TakeRows(input, 1); // (only the schema matters: nothing here learns from data)
        var onnx = ml.Transforms.ApplyOnnxModel(new[] { PlainModel.LogitColumn }, new[] { mlp.FeatureColumn }, onnxPath).Fit(featurizer.Transform(empty));
        var head = PlainModel.BinaryHead(ml);
        var drop = ml.Transforms.DropColumns(PlainModel.LogitColumn).Fit(head.Transform(onnx.Transform(featurizer.Transform(empty))));
        var chain = new TransformerChain<ITransformer>(ModelArchive.Flatten(featurizer).Append(onnx).Append(head).Append(drop).ToArray());
        PlainModel.Save(ml, chain, input.Schema, zipPath, new PlainModelInfo("torch-mlp-binary",
            "binary classifier: the ML.NET featurizer, the MLP in ONNX; Score (logit), Probability (sigmoid), PredictedLabel (Score > 0)",
            new Dictionary<string, string> { ["features"] = $"{mlp.FeatureSize} floats in '{mlp.FeatureColumn}' after the featurizer" }));
        return chain;
    }
}
