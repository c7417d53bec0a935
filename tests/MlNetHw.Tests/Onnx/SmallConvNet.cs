using MlNetHw.Onnx;

namespace MlNetHw.Tests.Onnx;

/// <summary>
/// A small conv net written as ONNX (opset 11) with seeded random weights, using most supported operators:
/// asymmetric padding, Conv with and without bias, BatchNorm, pools, Split/Concat, Gemm, MatMul, Reshape, Softmax.
/// Input 'x' (N, 3, 20, 20) pixels in 0..255, output 'out' (N, 3) probabilities, intermediate 'r1' (N, 8, 20, 20).
/// </summary>
static class SmallConvNet
{
    public static OnnxModel Build(int seed)
    {
        var rng = new Random(seed);
        float[] Rand(int n, double scale, double offset = 0) => Enumerable.Range(0, n).Select(_ => (float)(offset + scale * (rng.NextDouble() * 2 - 1))).ToArray();
        var g = new OnnxGraph { Name = "small" };
        void Init(string name, float[] data, params long[] dims) => g.Initializers.Add(OnnxTensor.FromFloats(name, data, dims));
        int k = 0;
        OnnxNode Node(string op, string[] inputs, string[] outputs, params OnnxAttribute[] attrs)
        {
            var n = new OnnxNode { Name = $"{op}_{k++}", OpType = op };
            n.Inputs.AddRange(inputs); n.Outputs.AddRange(outputs); n.Attributes.AddRange(attrs);
            g.Nodes.Add(n);
            return n;
        }

        g.Inputs.Add(OnnxValueInfo.Tensor("x", null, 3, 20, 20));
        Init("mean", new[] { 120f, 110f, 100f }, 1, 3, 1, 1);
        Init("invstd", new[] { 1 / 60f, 1 / 61f, 1 / 62f }, 1, 3, 1, 1);
        Node("Sub", new[] { "x", "mean" }, new[] { "s" });
        Node("Mul", new[] { "s", "invstd" }, new[] { "m" });
        Init("w1", Rand(8 * 3 * 3 * 3, 0.3), 8, 3, 3, 3); Init("b1", Rand(8, 0.1), 8);
        Node("Conv", new[] { "m", "w1", "b1" }, new[] { "c1" }, OnnxAttribute.IntList("kernel_shape", 3, 3), OnnxAttribute.IntList("pads", 1, 1, 1, 1));
        Init("bn1_scale", Rand(8, 0.2, 1), 8); Init("bn1_bias", Rand(8, 0.1), 8);
        Init("bn1_mean", Rand(8, 0.2), 8); Init("bn1_var", Rand(8, 0.3, 1), 8);
        Node("BatchNormalization", new[] { "c1", "bn1_scale", "bn1_bias", "bn1_mean", "bn1_var" }, new[] { "b1n" },
            OnnxAttribute.Float("epsilon", 1e-5f), OnnxAttribute.Float("momentum", 0.9f));
        Node("Relu", new[] { "b1n" }, new[] { "r1" });
        Init("w2", Rand(8 * 8 * 3 * 3, 0.15), 8, 8, 3, 3);
        Node("Conv", new[] { "r1", "w2" }, new[] { "c2" }, OnnxAttribute.IntList("kernel_shape", 3, 3),
            OnnxAttribute.IntList("strides", 2, 2), OnnxAttribute.IntList("pads", 1, 1, 0, 0));
        Node("MaxPool", new[] { "r1" }, new[] { "mp" }, OnnxAttribute.IntList("kernel_shape", 3, 3),
            OnnxAttribute.IntList("strides", 2, 2), OnnxAttribute.IntList("pads", 1, 1, 0, 0));
        Node("Add", new[] { "c2", "mp" }, new[] { "a" });
        Node("Split", new[] { "a" }, new[] { "s1", "s2" }, OnnxAttribute.Int("axis", 1), OnnxAttribute.IntList("split", 3, 5));
        Node("Concat", new[] { "s2", "s1" }, new[] { "cc" }, OnnxAttribute.Int("axis", 1));
        Node("AveragePool", new[] { "cc" }, new[] { "ap" }, OnnxAttribute.IntList("kernel_shape", 3, 3),
            OnnxAttribute.IntList("pads", 1, 1, 1, 1), OnnxAttribute.Int("count_include_pad", 0));
        Node("Relu", new[] { "ap" }, new[] { "r2" });
        Node("GlobalAveragePool", new[] { "r2" }, new[] { "gp" });
        Node("Flatten", new[] { "gp" }, new[] { "f" }, OnnxAttribute.Int("axis", 1));
        Init("wfc", Rand(4 * 8, 0.8), 4, 8); Init("bfc", Rand(4, 0.2), 4);
        Node("Gemm", new[] { "f", "wfc", "bfc" }, new[] { "fc" }, OnnxAttribute.Int("transB", 1));
        Node("Dropout", new[] { "fc" }, new[] { "d" }, OnnxAttribute.Float("ratio", 0.3f));
        Init("wm", Rand(4 * 3, 1.0), 4, 3);
        Node("MatMul", new[] { "d", "wm" }, new[] { "mm" });
        g.Initializers.Add(OnnxTensor.FromInt64s("shape", new long[] { 0, -1 }, 2));
        Node("Reshape", new[] { "mm", "shape" }, new[] { "rs" });
        Node("Softmax", new[] { "rs" }, new[] { "out" }, OnnxAttribute.Int("axis", 1));
        g.Outputs.Add(OnnxValueInfo.Tensor("out", null, 3));

        var model = new OnnxModel { IrVersion = 6, ProducerName = "MlNetHw.Tests", Graph = g };
        model.OpsetImports.Add(("", 11));
        return model;
    }
}
