using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Onnx;

/// <summary>
/// Each operator of <see cref="OnnxOperators"/> beyond the CNN core, as a one-node graph: forward against ONNX Runtime
/// on random inputs (float32), backward (where differentiable) against central differences in float64.
/// </summary>
[TestClass]
[TestCategory("Vision")]
public sealed class OnnxOperatorTests
{
    /// <summary>One operator case: inputs are made from a seeded generator; Grad lists the inputs to differentiate.</summary>
    public sealed record Case(string Name, string Op, long Opset, OnnxAttribute[] Attrs, (string Name, Func<Tensor> Make)[] Inputs, int[] Grad)
    {
        public override string ToString() => Name;
    }

    static Func<Tensor> Randn(params long[] s) => () => torch.randn(s);
    static Func<Tensor> Positive(params long[] s) => () => torch.rand(s) + 0.2;
    static Func<Tensor> Away(params long[] s) => () => { var r = torch.randn(s); return r + r.sign() * 0.3; }; // away from 0
    static Func<Tensor> Ints(long lo, long hi, params long[] s) => () => torch.randint(lo, hi, s, ScalarType.Int64);
    static Func<Tensor> Bools(params long[] s) => () => torch.rand(s) > 0.5;
    static Func<Tensor> Longs(params long[] v) => () => torch.tensor(v, ScalarType.Int64);
    static Func<Tensor> Scalar(float v) => () => torch.tensor(v);
    static Func<Tensor> Floats(params float[] v) => () => torch.tensor(v);
    static (string, Func<Tensor>)[] In(params Func<Tensor>[] makers) => makers.Select((m, i) => ($"in{i}", m)).ToArray();
    static OnnxAttribute I(string n, long v) => OnnxAttribute.Int(n, v);
    static OnnxAttribute Fl(string n, float v) => OnnxAttribute.Float(n, v);
    static OnnxAttribute S(string n, string v) => OnnxAttribute.String(n, v);
    static OnnxAttribute Is(string n, params long[] v) => OnnxAttribute.IntList(n, v);
    static OnnxAttribute T(string n, OnnxTensor t) => new() { Name = n, Type = OnnxAttributeType.Tensor, T = t };
    static readonly int[] G0 = { 0 }, None = Array.Empty<int>(), G01 = { 0, 1 };

    static Case C(string name, string op, long opset, OnnxAttribute[] attrs, (string, Func<Tensor>)[] inputs, int[] grad) => new(name, op, opset, attrs, inputs, grad);
    static Case U(string op, Func<Tensor> input, bool grad = true, long opset = 13) => C(op, op, opset, Array.Empty<OnnxAttribute>(), In(input), grad ? G0 : None);

    public static IEnumerable<Case> Cases()
    {
        var x = Randn(2, 3, 4);
        yield return U("Abs", Away(2, 3, 4));
        yield return U("Neg", x);
        yield return U("Exp", x);
        yield return U("Log", Positive(2, 3, 4));
        yield return U("Sqrt", Positive(2, 3, 4));
        yield return U("Reciprocal", Away(2, 3, 4));
        yield return U("Floor", x, grad: false);
        yield return U("Ceil", x, grad: false);
        yield return U("Round", () => torch.randn(2, 3, 4) * 3, grad: false);
        yield return U("Erf", x);
        yield return U("Sin", x);
        yield return U("Cos", x);
        yield return U("Sign", x, grad: false);
        yield return U("Softplus", x);
        yield return U("Softsign", x);
        yield return U("HardSwish", () => torch.randn(2, 3, 4) * 4, opset: 14);
        yield return U("HardSigmoid", () => torch.randn(2, 3, 4) * 4);
        yield return C("HardSigmoid_mobilenet", "HardSigmoid", 13, new[] { Fl("alpha", 1 / 6f), Fl("beta", 0.5f) }, In(() => torch.randn(2, 3, 4) * 4), G0);
        yield return C("Elu", "Elu", 13, new[] { Fl("alpha", 0.7f) }, In(x), G0);
        yield return U("Selu", x);
        yield return C("Gelu", "Gelu", 20, Array.Empty<OnnxAttribute>(), In(x), G0);
        yield return C("Gelu_tanh", "Gelu", 20, new[] { S("approximate", "tanh") }, In(x), G0);
        yield return C("PRelu", "PRelu", 13, Array.Empty<OnnxAttribute>(), In(Away(2, 3, 4, 4), Randn(3, 1, 1)), G01);
        yield return C("LogSoftmax_op13", "LogSoftmax", 13, new[] { I("axis", 1) }, In(x), G0);
        yield return C("LogSoftmax_op11_coerced", "LogSoftmax", 11, new[] { I("axis", 1) }, In(x), G0);
        yield return C("Softmax_op11_coerced", "Softmax", 11, new[] { I("axis", 1) }, In(x), G0);
        yield return C("Softmax_op13_axis1", "Softmax", 13, new[] { I("axis", 1) }, In(x), G0);

        yield return C("Clip_op11_inputs", "Clip", 11, Array.Empty<OnnxAttribute>(), In(x, Scalar(-0.5f), Scalar(0.7f)), G0);
        yield return C("Clip_op13_relu6", "Clip", 13, Array.Empty<OnnxAttribute>(), In(() => torch.randn(2, 3, 4) * 5, Scalar(0), Scalar(6)), G0);
        yield return C("Clip_op6_attrs", "Clip", 6, new[] { Fl("min", -0.3f), Fl("max", 0.4f) }, In(x), G0);
        yield return C("Clip_op11_min_only", "Clip", 11, Array.Empty<OnnxAttribute>(), In(x, Scalar(-0.2f)), G0);

        yield return C("Pow", "Pow", 13, Array.Empty<OnnxAttribute>(), In(Positive(2, 3, 4), Randn(3, 4)), G01);
        yield return C("Pow_scalar_square", "Pow", 13, Array.Empty<OnnxAttribute>(), In(x, Scalar(2)), G0);
        yield return C("Pow_scalar_cube", "Pow", 13, Array.Empty<OnnxAttribute>(), In(x, Scalar(3)), G0);
        yield return C("Mod_int", "Mod", 13, Array.Empty<OnnxAttribute>(), In(Ints(-20, 20, 3, 4), () => torch.tensor(new long[] { 3, -4, 7, 5 })), None);
        yield return C("Mod_fmod", "Mod", 13, new[] { I("fmod", 1) }, In(() => torch.randn(3, 4) * 5, () => torch.tensor(new[] { 1.5f, -2f, 3f, 0.7f })), G0);
        yield return C("Div_int_truncates", "Div", 13, Array.Empty<OnnxAttribute>(), In(Ints(-20, 20, 3, 4), () => torch.tensor(new long[] { 3, -4, 7, 5 })), None);
        yield return C("Max", "Max", 13, Array.Empty<OnnxAttribute>(), In(Randn(2, 3, 4), Randn(3, 4), Randn(4)), new[] { 0, 1, 2 });
        yield return C("Min", "Min", 13, Array.Empty<OnnxAttribute>(), In(Randn(2, 3, 4), Randn(3, 4), Randn(4)), new[] { 0, 1, 2 });
        yield return C("Sum", "Sum", 13, Array.Empty<OnnxAttribute>(), In(Randn(2, 3, 4), Randn(3, 4), Randn(4)), new[] { 0, 1, 2 });
        yield return C("Mean", "Mean", 13, Array.Empty<OnnxAttribute>(), In(Randn(2, 3, 4), Randn(3, 4)), G01);

        yield return C("LayerNormalization_last", "LayerNormalization", 17, new[] { Fl("epsilon", 1e-5f) }, In(Randn(2, 5, 8), Randn(8), Randn(8)), new[] { 0, 1, 2 });
        yield return C("LayerNormalization_axis1", "LayerNormalization", 17, new[] { I("axis", 1) }, In(Randn(2, 3, 4), Randn(3, 4), Randn(3, 4)), new[] { 0, 1, 2 });
        yield return C("LayerNormalization_noBias", "LayerNormalization", 17, new[] { I("axis", -1) }, In(Randn(2, 3, 4), Randn(4)), G01);
        yield return C("InstanceNormalization", "InstanceNormalization", 13, Array.Empty<OnnxAttribute>(), In(Randn(2, 3, 5, 5), Randn(3), Randn(3)), new[] { 0, 1, 2 });

        yield return C("ReduceMean_op13_attr", "ReduceMean", 13, new[] { Is("axes", 2, 3), I("keepdims", 1) }, In(Randn(2, 3, 4, 5)), G0);
        yield return C("ReduceMean_op11_negative_nokeep", "ReduceMean", 11, new[] { Is("axes", -1), I("keepdims", 0) }, In(x), G0);
        yield return C("ReduceMean_op18_input", "ReduceMean", 18, Array.Empty<OnnxAttribute>(), In(x, Longs(1)), G0);
        yield return C("ReduceMean_all", "ReduceMean", 13, new[] { I("keepdims", 0) }, In(x), G0);
        yield return C("ReduceSum_op13_input", "ReduceSum", 13, new[] { I("keepdims", 0) }, In(x, Longs(0, 2)), G0);
        yield return C("ReduceSum_op11_attr", "ReduceSum", 11, new[] { Is("axes", 1) }, In(x), G0);
        yield return C("ReduceMax", "ReduceMax", 13, new[] { Is("axes", 1) }, In(x), G0);
        yield return C("ReduceMin", "ReduceMin", 13, new[] { Is("axes", 0, 2), I("keepdims", 0) }, In(x), G0);
        yield return C("ReduceProd", "ReduceProd", 13, new[] { Is("axes", 1, 2) }, In(Away(2, 3, 2)), G0);
        yield return C("ReduceL1", "ReduceL1", 13, new[] { Is("axes", 2) }, In(Away(2, 3, 4)), G0);
        yield return C("ReduceL2", "ReduceL2", 13, new[] { Is("axes", 2) }, In(x), G0);
        yield return C("ReduceSumSquare", "ReduceSumSquare", 13, new[] { Is("axes", 1) }, In(x), G0);
        yield return C("ReduceLogSumExp", "ReduceLogSumExp", 13, new[] { Is("axes", 1, 2) }, In(x), G0);
        yield return C("ArgMin", "ArgMin", 13, new[] { I("axis", 1), I("keepdims", 0) }, In(x), None);

        yield return C("Equal_int", "Equal", 13, Array.Empty<OnnxAttribute>(), In(Ints(0, 3, 3, 4), Ints(0, 3, 4)), None);
        yield return C("Less", "Less", 13, Array.Empty<OnnxAttribute>(), In(x, Randn(4)), None);
        yield return C("Greater", "Greater", 13, Array.Empty<OnnxAttribute>(), In(x, Randn(4)), None);
        yield return C("LessOrEqual", "LessOrEqual", 16, Array.Empty<OnnxAttribute>(), In(Ints(0, 3, 3, 4), Ints(0, 3, 4)), None);
        yield return C("GreaterOrEqual", "GreaterOrEqual", 16, Array.Empty<OnnxAttribute>(), In(Ints(0, 3, 3, 4), Ints(0, 3, 4)), None);
        yield return C("And", "And", 13, Array.Empty<OnnxAttribute>(), In(Bools(3, 4), Bools(4)), None);
        yield return C("Or", "Or", 13, Array.Empty<OnnxAttribute>(), In(Bools(3, 4), Bools(4)), None);
        yield return C("Xor", "Xor", 13, Array.Empty<OnnxAttribute>(), In(Bools(3, 4), Bools(4)), None);
        yield return C("Not", "Not", 13, Array.Empty<OnnxAttribute>(), In(Bools(3, 4)), None);
        yield return C("Where", "Where", 16, Array.Empty<OnnxAttribute>(), In(Bools(3, 4), Randn(2, 3, 4), Randn(4)), new[] { 1, 2 });

        yield return C("Shape", "Shape", 13, Array.Empty<OnnxAttribute>(), In(x), None);
        yield return C("Shape_op15_slice", "Shape", 15, new[] { I("start", 1), I("end", -1) }, In(Randn(2, 3, 4, 5)), None);
        yield return C("Size", "Size", 13, Array.Empty<OnnxAttribute>(), In(x), None);
        yield return C("Gather_embedding", "Gather", 13, Array.Empty<OnnxAttribute>(), In(Randn(10, 4), () => torch.tensor(new long[] { 1, 9, -1, 0, 3, 3 }).reshape(2, 3)), G0);
        yield return C("Gather_scalar_axis1", "Gather", 13, new[] { I("axis", 1) }, In(x, () => torch.tensor(2L)), G0);
        yield return C("Gather_shape", "Gather", 13, Array.Empty<OnnxAttribute>(), In(Longs(2, 3, 4, 5), () => torch.tensor(-2L)), None);
        yield return C("GatherElements", "GatherElements", 13, new[] { I("axis", 1) }, In(x, Ints(0, 3, 2, 2, 4)), G0);
        yield return C("Cast_float_to_int64", "Cast", 13, new[] { I("to", 7) }, In(() => torch.randn(3, 4) * 5), None);
        yield return C("Cast_int64_to_float", "Cast", 13, new[] { I("to", 1) }, In(Ints(-5, 5, 3, 4)), None);
        yield return C("Cast_float_to_double", "Cast", 13, new[] { I("to", 11) }, In(x), G0);
        yield return C("Cast_bool_to_float", "Cast", 13, new[] { I("to", 1) }, In(Bools(3, 4)), None);
        yield return C("CastLike", "CastLike", 15, Array.Empty<OnnxAttribute>(), In(Ints(-5, 5, 3, 4), Randn(1)), None);
        yield return C("ConstantOfShape_int64", "ConstantOfShape", 13, new[] { T("value", OnnxTensor.FromInt64s("", new long[] { 7 }, 1)) }, In(Longs(2, 3)), None);
        yield return C("ConstantOfShape_default", "ConstantOfShape", 13, Array.Empty<OnnxAttribute>(), In(Longs(4)), None);
        yield return C("Expand", "Expand", 13, Array.Empty<OnnxAttribute>(), In(Randn(3, 1), Longs(2, 1, 4)), G0);
        yield return C("Expand_bidirectional", "Expand", 13, Array.Empty<OnnxAttribute>(), In(Randn(2, 3, 4), Longs(1, 4)), G0);
        yield return C("Range_int", "Range", 13, Array.Empty<OnnxAttribute>(), In(() => torch.tensor(2L), () => torch.tensor(11L), () => torch.tensor(3L)), None);
        yield return C("Range_float", "Range", 13, Array.Empty<OnnxAttribute>(), In(Scalar(1), Scalar(-2.5f), Scalar(-0.5f)), None);
        yield return C("Tile", "Tile", 13, Array.Empty<OnnxAttribute>(), In(Randn(2, 3), Longs(2, 1)), G0);
        yield return C("ScatterND", "ScatterND", 13, Array.Empty<OnnxAttribute>(), In(Randn(4, 3, 2), () => torch.tensor(new long[] { 0, 2, 3, 1 }).reshape(2, 2), Randn(2, 2)), new[] { 0, 2 });
        yield return C("ScatterND_rows", "ScatterND", 16, new[] { S("reduction", "add") }, In(Randn(4, 3), () => torch.tensor(new long[] { 1, 3 }).reshape(2, 1), Randn(2, 3)), new[] { 0, 2 });
        yield return C("Pad_constant_op11", "Pad", 11, Array.Empty<OnnxAttribute>(), In(Randn(1, 2, 3, 4), Longs(0, 0, 1, 2, 0, 0, 2, 1), Scalar(0.5f)), G0);
        yield return C("Pad_constant_op2_attr", "Pad", 2, new[] { Is("pads", 0, 1, 0, 2), Fl("value", -1f) }, In(Randn(3, 4)), G0);
        yield return C("Pad_negative_crop", "Pad", 13, Array.Empty<OnnxAttribute>(), In(Randn(1, 2, 5, 6), Longs(0, 0, -1, 1, 0, 0, 1, -2)), G0);
        yield return C("Pad_reflect", "Pad", 13, new[] { S("mode", "reflect") }, In(Randn(1, 2, 4, 5), Longs(0, 0, 1, 2, 0, 0, 2, 1)), G0);
        yield return C("Pad_edge", "Pad", 13, new[] { S("mode", "edge") }, In(Randn(1, 2, 4, 5), Longs(0, 0, 2, 1, 0, 0, 0, 3)), G0);
        yield return C("Pad_op18_axes", "Pad", 18, Array.Empty<OnnxAttribute>(), In(Randn(2, 3, 4), Longs(1, 2, 0, 1), Scalar(0f), Longs(1, 2)), G0);
        // Asymmetric padding (CNTK's ResNet18: pads 1,1,0,0 at stride 2, 3,3,2,2 on the first convolution): more at the
        // start runs as symmetric padding with the extra output row/column dropped; more at the end pads a copy.
        yield return C("Conv_pads_more_at_start_stride2", "Conv", 13, new[] { Is("kernel_shape", 3, 3), Is("strides", 2, 2), Is("pads", 1, 1, 0, 0) }, In(Randn(2, 3, 9, 8), Randn(4, 3, 3, 3)), G01);
        yield return C("Conv_pads_7x7_3_3_2_2", "Conv", 13, new[] { Is("kernel_shape", 7, 7), Is("strides", 2, 2), Is("pads", 3, 3, 2, 2) }, In(Randn(1, 3, 12, 11), Randn(2, 3, 7, 7)), G01);
        yield return C("Conv_pads_more_at_end", "Conv", 13, new[] { Is("kernel_shape", 3, 3), Is("strides", 2, 2), Is("pads", 0, 0, 1, 1) }, In(Randn(1, 3, 8, 9), Randn(2, 3, 3, 3)), G01);
        yield return C("MaxPool_pads_more_at_start", "MaxPool", 13, new[] { Is("kernel_shape", 3, 3), Is("strides", 2, 2), Is("pads", 1, 1, 0, 0) }, In(Randn(2, 2, 9, 8)), G0);
        yield return C("Einsum", "Einsum", 13, new[] { S("equation", "bij,bjk->bik") }, In(Randn(2, 3, 4), Randn(2, 4, 5)), G01);
        yield return C("Slice_step2", "Slice", 13, Array.Empty<OnnxAttribute>(), In(Randn(5, 6), Longs(1), Longs(6), Longs(1), Longs(2)), G0);
        yield return C("Slice_negative_step", "Slice", 13, Array.Empty<OnnxAttribute>(), In(Randn(5, 6), Longs(-1), Longs(long.MinValue), Longs(0), Longs(-1)), G0);
        yield return C("Constant_value_floats", "Constant", 13, new[] { new OnnxAttribute { Name = "value_floats", Type = OnnxAttributeType.Floats, Floats = { 1.5f, -2f } } }, In(), None);
    }

    public static IEnumerable<object[]> CaseRows() => Cases().Select(c => new object[] { c.Name });

    static OnnxModule? _host;
    /// <summary>A module to hand to kernels (they read its device and train/eval mode).</summary>
    static OnnxModule Host()
    {
        if (_host is not null) return _host;
        var g = new OnnxGraph { Name = "host" };
        g.Inputs.Add(OnnxValueInfo.Tensor("x", 1));
        var n = new OnnxNode { Name = "id", OpType = "Identity" }; n.Inputs.Add("x"); n.Outputs.Add("y");
        g.Nodes.Add(n); g.Outputs.Add(OnnxValueInfo.Tensor("y", 1));
        var m = new OnnxModel { IrVersion = 8, Graph = g }; m.OpsetImports.Add(("", 13));
        return _host = new OnnxModule(m);
    }

    static OnnxDataType TypeOf(Tensor t) => t.dtype switch
    {
        ScalarType.Float32 => OnnxDataType.Float, ScalarType.Float64 => OnnxDataType.Double,
        ScalarType.Int64 => OnnxDataType.Int64, ScalarType.Int32 => OnnxDataType.Int32, ScalarType.Bool => OnnxDataType.Bool,
        var d => throw new NotSupportedException(d.ToString()),
    };

    static OnnxValueInfo Info(string name, Tensor t)
    {
        var v = new OnnxValueInfo { Name = name, ElementType = TypeOf(t) };
        foreach (var d in t.shape) { v.Shape.Add(d); v.SymbolicNames.Add(null); }
        return v;
    }

    [TestMethod]
    [DynamicData(nameof(CaseRows))]
    public void OperatorMatchesOnnxRuntimeAndNumericGradients(string name)
    {
        var c = Cases().Single(k => k.Name == name);
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(17);
        var inputs = c.Inputs.Select(i => (i.Name, Value: i.Make())).ToArray();
        var node = new OnnxNode { Name = c.Name, OpType = c.Op };
        node.Inputs.AddRange(inputs.Select(i => i.Name));
        node.Outputs.Add("y");
        node.Attributes.AddRange(c.Attrs);
        var kernel = OnnxOperators.Compile(node, c.Opset);

        // Forward, float32, against ONNX Runtime.
        Tensor ours;
        using (torch.no_grad()) ours = kernel(Host(), inputs.Select(i => (Tensor?)i.Value).ToArray())[0];
        var g = new OnnxGraph { Name = c.Name };
        g.Nodes.Add(node);
        foreach (var (n, v) in inputs) g.Inputs.Add(Info(n, v));
        g.Outputs.Add(Info("y", ours));
        var model = new OnnxModel { IrVersion = 8, Graph = g };
        model.OpsetImports.Add(("", c.Opset));
        using var ort = new OrtRunner(OnnxWriter.Write(model));
        var expected = ort.Run(inputs.ToDictionary(i => i.Name, i => i.Value), "y")["y"];
        CollectionAssert.AreEqual(expected.shape, ours.shape, $"{c.Name}: shape [{string.Join(",", ours.shape)}] vs ONNX Runtime [{string.Join(",", expected.shape)}]");
        Assert.AreEqual(expected.dtype, ours.dtype, $"{c.Name}: element type");
        if (torch.is_floating_point(expected))
        {
            double scale = Math.Max(1, expected.numel() == 0 ? 0 : expected.abs().max().to_type(ScalarType.Float64).item<double>());
            double diff = expected.numel() == 0 ? 0 : (expected - ours).abs().max().to_type(ScalarType.Float64).item<double>();
            Console.WriteLine($"{c.Name}: forward max abs diff {diff:E2} (scale {scale:F2})");
            Assert.IsTrue(diff <= 1e-5 * scale, $"{c.Name}: forward max abs diff {diff} > {1e-5 * scale}");
        }
        else
            Assert.IsTrue(expected.eq(ours).all().item<bool>(), $"{c.Name}: values differ from ONNX Runtime");

        if (c.Grad.Length == 0) return;
        // Backward, float64: autograd of L = sum(y * r) against central differences.
        var x64 = inputs.Select((i, k) => c.Grad.Contains(k) ? i.Value.to_type(ScalarType.Float64).detach().requires_grad_(true) : i.Value).ToArray();
        var y = kernel(Host(), x64.Select(t => (Tensor?)t).ToArray())[0];
        var r = torch.randn_like(y);
        (y * r).sum().backward();
        var rng = new Random(5);
        double worst = 0;
        foreach (int k in c.Grad)
        {
            var grad = x64[k].grad ?? throw new AssertFailedException($"{c.Name}: no gradient for input {k}");
            var flat = x64[k].detach().clone();
            for (int probe = 0; probe < Math.Min(12, flat.numel()); probe++)
            {
                long e = rng.NextInt64(flat.numel());
                double Loss(double delta)
                {
                    using var noGrad = torch.no_grad();
                    var p = flat.clone().view(-1); p[e] = p[e] + delta;
                    var args = x64.Select((t, j) => (Tensor?)(j == k ? p.view(flat.shape) : t.detach())).ToArray();
                    return (kernel(Host(), args)[0] * r).sum().item<double>();
                }
                const double h = 1e-6;
                double numeric = (Loss(h) - Loss(-h)) / (2 * h);
                double analytic = grad.view(-1)[e].item<double>();
                double err = Math.Abs(numeric - analytic);
                worst = Math.Max(worst, err);
                Assert.IsTrue(err <= 1e-6 + 1e-4 * Math.Abs(numeric), $"{c.Name}: d/d input{k}[{e}] autograd {analytic} vs numeric {numeric}");
            }
        }
        Console.WriteLine($"{c.Name}: worst gradient error {worst:E2}");
    }
}
