using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MlNetHw.Onnx;

// Operators beyond the CNN core: elementwise math and activations, comparisons and logic, reductions, layer
// normalisation, and the shape arithmetic that exporters emit for data-dependent reshapes (Shape, Gather, Range,
// Expand, ConstantOfShape, ScatterND, ...). Shape-valued tensors are small int64 tensors read back with Longs().
public static partial class OnnxOperators
{
    static string[] MoreSupported => new[]
    {
        "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Erf", "Sin", "Cos", "Sign",
        "Pow", "Mod", "Max", "Min", "Sum", "Mean", "Clip", "HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus",
        "Softsign", "PRelu", "Gelu", "LogSoftmax", "LayerNormalization", "InstanceNormalization",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare",
        "ReduceLogSumExp", "ArgMin",
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not", "Where",
        "Shape", "Size", "Gather", "GatherElements", "Cast", "CastLike", "ConstantOfShape", "Expand", "Range", "Tile",
        "ScatterND", "Pad", "Einsum",
    };

    static OnnxKernel? CompileMore(OnnxNode node, Attrs a, long opset) => node.OpType switch
    {
        "Abs" => One((_, x) => x[0]!.abs()),
        "Neg" => One((_, x) => x[0]!.neg()),
        "Exp" => One((_, x) => x[0]!.exp()),
        "Log" => One((_, x) => x[0]!.log()),
        "Sqrt" => One((_, x) => x[0]!.sqrt()),
        "Reciprocal" => One((_, x) => x[0]!.reciprocal()),
        "Floor" => One((_, x) => x[0]!.floor()),
        "Ceil" => One((_, x) => x[0]!.ceil()),
        "Round" => One((_, x) => x[0]!.round()), // half to even, like ONNX
        "Erf" => One((_, x) => x[0]!.erf()),
        "Sin" => One((_, x) => x[0]!.sin()),
        "Cos" => One((_, x) => x[0]!.cos()),
        "Sign" => One((_, x) => x[0]!.sign()),
        "Pow" => One((_, x) => Pow(x[0]!, x[1]!)),
        "Mod" => Mod(a),
        "Max" => Variadic((p, q) => torch.maximum(p, q)),
        "Min" => Variadic((p, q) => torch.minimum(p, q)),
        "Sum" => Variadic((p, q) => p + q),
        "Mean" => One((_, x) => { var s = Variadic((p, q) => p + q)(null!, x)[0]; using (s) return s / x.Length; }),
        "Clip" => Clip(a, opset),
        "HardSigmoid" => HardSigmoid(a),
        "HardSwish" => One((_, x) => F.hardswish(x[0]!)),
        "Elu" => Elu(a),
        "Selu" => Selu(a),
        "Softplus" => One((_, x) => F.softplus(x[0]!)),
        "Softsign" => One((_, x) => { using var d = x[0]!.abs().add_(1); return x[0]! / d; }),
        "PRelu" => One((_, x) => PRelu(x[0]!, x[1]!)),
        "Gelu" => Gelu(node, a),
        "LogSoftmax" => LogSoftmax(a, opset),
        "LayerNormalization" => LayerNorm(node, a),
        "InstanceNormalization" => InstanceNorm(a),
        "ReduceMean" => Reduce(node, a, opset, 18, (x, d, k) => x.mean(d, k)),
        "ReduceSum" => Reduce(node, a, opset, 13, (x, d, k) => x.sum(d, k)),
        "ReduceMax" => Reduce(node, a, opset, 18, (x, d, k) => x.amax(d, k)),
        "ReduceMin" => Reduce(node, a, opset, 18, (x, d, k) => x.amin(d, k)),
        "ReduceProd" => Reduce(node, a, opset, 18, Prod),
        "ReduceL1" => Reduce(node, a, opset, 18, (x, d, k) => { using var ab = x.abs(); return ab.sum(d, k); }),
        "ReduceL2" => Reduce(node, a, opset, 18, (x, d, k) => { using var sq = x.square(); using var s = sq.sum(d, k); return s.sqrt(); }),
        "ReduceSumSquare" => Reduce(node, a, opset, 18, (x, d, k) => { using var sq = x.square(); return sq.sum(d, k); }),
        "ReduceLogSumExp" => Reduce(node, a, opset, 18, LogSumExp),
        "ArgMin" => ArgMin(node, a),
        "Equal" => One((_, x) => x[0]!.eq(x[1]!)),
        "Less" => One((_, x) => x[0]!.lt(x[1]!)),
        "Greater" => One((_, x) => x[0]!.gt(x[1]!)),
        "LessOrEqual" => One((_, x) => x[0]!.le(x[1]!)),
        "GreaterOrEqual" => One((_, x) => x[0]!.ge(x[1]!)),
        "And" => One((_, x) => x[0]!.logical_and(x[1]!)),
        "Or" => One((_, x) => x[0]!.logical_or(x[1]!)),
        "Xor" => One((_, x) => x[0]!.logical_xor(x[1]!)),
        "Not" => One((_, x) => x[0]!.logical_not()),
        "Where" => One((_, x) => { using var c = x[0]!.to_type(ScalarType.Bool); return torch.where(c, x[1]!, x[2]!); }),
        "Shape" => ShapeOp(a),
        "Size" => One((_, x) => torch.tensor(x[0]!.numel(), ScalarType.Int64)),
        "Gather" => Gather(a),
        "GatherElements" => GatherElements(a),
        "Cast" => Cast(node, a),
        "CastLike" => One((_, x) => x[0]!.to_type(x[1]!.dtype)),
        "ConstantOfShape" => ConstantOfShape(node, a),
        "Expand" => One((_, x) => Expand(x[0]!, Longs(x[1]!))),
        "Range" => One((_, x) => Range(x[0]!, x[1]!, x[2]!)),
        "Tile" => One((_, x) => x[0]!.repeat(Longs(x[1]!))),
        "ScatterND" => ScatterND(node, a),
        "Pad" => Pad(node, a, opset),
        "Einsum" => Einsum(a),
        _ => null,
    };

    static OnnxKernel Variadic(Func<Tensor, Tensor, Tensor> f) => One((_, x) =>
    {
        var acc = x[0]!.alias();
        for (int i = 1; i < x.Length; i++) { var next = f(acc, x[i]!); acc.Dispose(); acc = next; }
        return acc;
    });

    // ---------------------------------------------------------------- elementwise math and activations

    /// <summary>Pow: a single-valued exponent (x^2 of variance/L2 norms) uses the scalar overload.</summary>
    static Tensor Pow(Tensor x, Tensor y)
    {
        // A one-element exponent that does not widen x's shape: the scalar overload (and square for 2).
        if (y.numel() == 1 && y.dim() <= x.dim())
        {
            double e = ScalarOf(y)!.Value;
            return e == 2 ? x.square() : x.pow(e);
        }
        var p = x.pow(y);
        if (p.dtype == x.dtype) return p;
        using (p) return p.to_type(x.dtype);
    }

    /// <summary>Mod: fmod=0 takes the divisor's sign (Python %), fmod=1 the dividend's (C fmod).</summary>
    static OnnxKernel Mod(Attrs a)
    {
        bool fmod = a.Int("fmod", 0) != 0;
        return One((_, x) => fmod ? x[0]!.fmod(x[1]!) : x[0]!.remainder(x[1]!));
    }

    static double? ScalarOf(Tensor? t) => t is null ? null : t.to_type(ScalarType.Float64).item<double>();

    /// <summary>Clip: bounds are attributes before opset 11, optional scalar inputs from 11.</summary>
    static OnnxKernel Clip(Attrs a, long opset)
    {
        double? attrMin = opset < 11 && a.Has("min") ? a.Float("min", float.MinValue) : null;
        double? attrMax = opset < 11 && a.Has("max") ? a.Float("max", float.MaxValue) : null;
        return One((_, x) =>
        {
            var input = x[0]!;
            double? lo = opset >= 11 ? ScalarOf(x.Length > 1 ? x[1] : null) : attrMin;
            double? hi = opset >= 11 ? ScalarOf(x.Length > 2 ? x[2] : null) : attrMax;
            if (lo == 0 && hi == 6) return F.relu6(input);
            if (lo is null && hi is null) return input.alias();
            if (lo is null) return input.clamp_max(hi!.Value);
            if (hi is null) return input.clamp_min(lo.Value);
            return input.clamp(lo.Value, hi.Value);
        });
    }

    /// <summary>HardSigmoid: max(0, min(1, alpha x + beta)), alpha 0.2 and beta 0.5 by default.</summary>
    static OnnxKernel HardSigmoid(Attrs a)
    {
        double alpha = a.Float("alpha", 0.2f), beta = a.Float("beta", 0.5f);
        return One((_, x) =>
        {
            if (Math.Abs(alpha - 1.0 / 6) < 1e-7 && beta == 0.5) return F.hardsigmoid(x[0]!);
            var y = x[0]! * alpha;
            return y.add_(beta).clamp_(0, 1);
        });
    }

    static OnnxKernel Elu(Attrs a)
    {
        double alpha = a.Float("alpha", 1f);
        return One((_, x) => F.elu(x[0]!, alpha));
    }

    static OnnxKernel Selu(Attrs a)
    {
        double alpha = a.Float("alpha", 1.67326319217681884765625f), gamma = a.Float("gamma", 1.05070102214813232421875f);
        return One((_, x) => { using var e = F.elu(x[0]!, alpha); return e * gamma; });
    }

    /// <summary>PRelu: slope broadcast onto x (ONNX broadcasts unidirectionally; torch's prelu wants (C)).</summary>
    static Tensor PRelu(Tensor x, Tensor slope)
    {
        using var neg = x * slope;
        using var pos = x.gt(0);
        return torch.where(pos, x, neg);
    }

    static OnnxKernel Gelu(OnnxNode node, Attrs a)
    {
        string approx = a.String("approximate", "none");
        if (approx is not ("none" or "tanh")) throw Unsupported(node, $"approximate='{approx}' is not supported");
        return One((_, x) => x[0]!.gelu(approx == "tanh" ? TorchSharp.Modules.GELU.Approximate.tanh : TorchSharp.Modules.GELU.Approximate.none));
    }

    static OnnxKernel LogSoftmax(Attrs a, long opset)
    {
        long axis = a.Int("axis", opset >= 13 ? -1 : 1);
        return One((_, x) =>
        {
            var input = x[0]!;
            long ax = axis < 0 ? axis + input.dim() : axis;
            if (opset >= 13 || ax == input.dim() - 1) return input.log_softmax(ax);
            var shape = input.shape;
            long rows = shape.Take((int)ax).Aggregate(1L, (p, d) => p * d);
            using var flat = input.reshape(rows, -1);
            using var s = flat.log_softmax(1);
            return s.reshape(shape);
        });
    }

    /// <summary>LayerNormalization (opset 17): normalise over axes [axis, rank), then scale and bias. Only output Y.</summary>
    static OnnxKernel LayerNorm(OnnxNode node, Attrs a)
    {
        long axis = a.Int("axis", -1);
        double eps = a.Float("epsilon", 1e-5f);
        long stash = a.Int("stash_type", 1);
        if (stash != 1) throw Unsupported(node, $"stash_type={stash} is not supported");
        return One((_, x) =>
        {
            var input = x[0]!;
            long ax = axis < 0 ? axis + input.dim() : axis;
            var normShape = input.shape.Skip((int)ax).ToArray();
            var scale = x[1]!; var bias = x.Length > 2 ? x[2] : null;
            bool exact = scale.shape.SequenceEqual(normShape) && (bias is null || bias.shape.SequenceEqual(normShape));
            if (exact) return F.layer_norm(input, normShape, scale, bias, eps);
            using var n = F.layer_norm(input, normShape, null, null, eps);
            var y = n * scale;
            return bias is null ? y : y.add_(bias);
        });
    }

    /// <summary>InstanceNormalization: per-sample, per-channel normalisation over the spatial axes, then scale and bias.</summary>
    static OnnxKernel InstanceNorm(Attrs a)
    {
        double eps = a.Float("epsilon", 1e-5f);
        return One((_, x) => F.instance_norm(x[0]!, null, null, x[1], x[2], true, 0.1, eps));
    }

    // ---------------------------------------------------------------- reductions

    static Tensor LogSumExp(Tensor x, long[] dims, bool keep)
    {
        var y = x.alias();
        foreach (var d in dims.OrderByDescending(v => v)) { var next = y.logsumexp(d, keep); y.Dispose(); y = next; }
        return y;
    }

    static Tensor Prod(Tensor x, long[] dims, bool keep)
    {
        var y = x.alias();
        foreach (var d in dims.OrderByDescending(v => v)) { var next = y.prod(d, keep); y.Dispose(); y = next; }
        return y;
    }

    /// <summary>
    /// Reduce*: axes come from the attribute before <paramref name="axesInputFrom"/> (13 for ReduceSum, 18 for the
    /// others) and from the optional second input after; no axes reduce everything unless noop_with_empty_axes.
    /// </summary>
    static OnnxKernel Reduce(OnnxNode node, Attrs a, long opset, long axesInputFrom, Func<Tensor, long[], bool, Tensor> f)
    {
        var attrAxes = a.Ints("axes");
        bool keep = a.Int("keepdims", 1) != 0;
        bool noop = a.Int("noop_with_empty_axes", 0) != 0;
        if (opset >= axesInputFrom && attrAxes is not null) throw Unsupported(node, $"the axes attribute is not allowed from opset {axesInputFrom}");
        return One((_, x) =>
        {
            var input = x[0]!;
            long[]? axes = opset >= axesInputFrom ? (x.Length > 1 && x[1] is { } t ? Longs(t) : null) : attrAxes;
            if (axes is null || axes.Length == 0)
            {
                if (noop) return input.alias();
                axes = Enumerable.Range(0, (int)input.dim()).Select(i => (long)i).ToArray();
            }
            axes = axes.Select(v => v < 0 ? v + input.dim() : v).Distinct().Order().ToArray();
            if (input.dim() == 0) return input.alias();
            return f(input, axes, keep);
        });
    }

    static OnnxKernel ArgMin(OnnxNode node, Attrs a)
    {
        long axis = a.Int("axis", 0);
        bool keep = a.Int("keepdims", 1) != 0;
        if (a.Int("select_last_index", 0) != 0) throw Unsupported(node, "select_last_index=1 is not supported");
        return One((_, x) => x[0]!.argmin(axis, keep));
    }

    // ---------------------------------------------------------------- shape arithmetic and indexing

    /// <summary>Shape: the input's dimensions as int64, optionally sliced [start, end) (opset 15).</summary>
    static OnnxKernel ShapeOp(Attrs a)
    {
        long start = a.Int("start", 0), end = a.Int("end", long.MaxValue);
        return One((_, x) =>
        {
            var s = x[0]!.shape; long r = s.Length;
            long b = Math.Clamp(start < 0 ? start + r : start, 0, r);
            long e = Math.Clamp(end < 0 ? end + r : end, 0, r);
            return torch.tensor(s.Skip((int)b).Take((int)Math.Max(0, e - b)).ToArray(), ScalarType.Int64);
        });
    }

    /// <summary>
    /// Gather: out = data.shape[:axis] + indices.shape + data.shape[axis+1:], negative indices counted from the
    /// end. Differentiable with respect to data (an embedding lookup is Gather on axis 0).
    /// </summary>
    static OnnxKernel Gather(Attrs a)
    {
        long axis = a.Int("axis", 0);
        return One((_, x) =>
        {
            var data = x[0]!; var idx = x[1]!;
            long ax = axis < 0 ? axis + data.dim() : axis;
            using var flat = NormalizeIndices(idx, data.shape[ax]).flatten();
            if (idx.dim() == 0) return data.select(ax, flat.item<long>());
            using var picked = data.index_select(ax, flat);
            var shape = data.shape[..(int)ax].Concat(idx.shape).Concat(data.shape[((int)ax + 1)..]).ToArray();
            return picked.reshape(shape);
        });
    }

    static Tensor NormalizeIndices(Tensor idx, long size)
    {
        var i = idx.to_type(ScalarType.Int64);
        using var neg = i.lt(0);
        if (!neg.any().item<bool>()) return i;
        using (i) return torch.where(neg, i + size, i);
    }

    static OnnxKernel GatherElements(Attrs a)
    {
        long axis = a.Int("axis", 0);
        return One((_, x) =>
        {
            long ax = axis < 0 ? axis + x[0]!.dim() : axis;
            using var idx = NormalizeIndices(x[1]!, x[0]!.shape[ax]);
            return x[0]!.gather(ax, idx);
        });
    }

    /// <summary>The TorchSharp element type of an ONNX TensorProto.DataType code.</summary>
    public static ScalarType TorchType(long onnxType) => onnxType switch
    {
        1 => ScalarType.Float32, 2 => ScalarType.Byte, 3 => ScalarType.Int8, 5 => ScalarType.Int16,
        6 => ScalarType.Int32, 7 => ScalarType.Int64, 9 => ScalarType.Bool, 10 => ScalarType.Float16,
        11 => ScalarType.Float64, 16 => ScalarType.BFloat16,
        _ => throw new NotSupportedException($"ONNX data type {onnxType} is not supported"),
    };

    static OnnxKernel Cast(OnnxNode node, Attrs a)
    {
        long to = a.Int("to", 0);
        a.Int("saturate", 1);
        ScalarType type;
        try { type = TorchType(to); }
        catch (NotSupportedException e) { throw Unsupported(node, e.Message); }
        return One((_, x) =>
        {
            var input = x[0]!;
            if (input.dtype == type) return input.alias();
            // ONNX float -> integer casts truncate toward zero, as torch does.
            return input.to_type(type);
        });
    }

    static OnnxKernel ConstantOfShape(OnnxNode node, Attrs a)
    {
        var value = a.TensorValue("value");
        if (value is not null && value.ElementCount != 1) throw Unsupported(node, "value must hold exactly one element");
        ScalarType type = value is null ? ScalarType.Float32 : TorchType((long)value.DataType);
        double v = value is null ? 0 : value.FloatData?[0] ?? value.DoubleData?[0] ?? value.Int64Data![0];
        return One((m, x) => torch.full(Longs(x[0]!), v, type, device: m.Device));
    }

    /// <summary>Expand: bidirectional broadcast of the input against the requested shape.</summary>
    static Tensor Expand(Tensor input, long[] shape)
    {
        int rank = Math.Max(shape.Length, (int)input.dim());
        var target = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long a = i - (rank - (int)input.dim()) is var ia && ia >= 0 ? input.shape[ia] : 1;
            long b = i - (rank - shape.Length) is var ib && ib >= 0 ? shape[ib] : 1;
            target[i] = a == 1 ? b : b == 1 ? a : a == b ? a
                : throw new InvalidOperationException($"cannot expand [{string.Join(",", input.shape)}] to [{string.Join(",", shape)}]");
        }
        return input.expand(target);
    }

    static Tensor Range(Tensor start, Tensor limit, Tensor delta)
    {
        if (torch.is_integral(start.dtype))
            return torch.arange(start.to_type(ScalarType.Int64).item<long>(), limit.to_type(ScalarType.Int64).item<long>(),
                delta.to_type(ScalarType.Int64).item<long>(), start.dtype, start.device);
        double s = ScalarOf(start)!.Value, l = ScalarOf(limit)!.Value, d = ScalarOf(delta)!.Value;
        // ONNX: n = max(ceil((limit - start) / delta), 0) elements start + i * delta.
        long n = Math.Max((long)Math.Ceiling((l - s) / d), 0);
        using var i = torch.arange(n, ScalarType.Float64, start.device);
        using var v = i * d;
        using var w = v.add_(s);
        return w.to_type(start.dtype);
    }

    /// <summary>ScatterND: a copy of data with data[indices[..., :k]] = updates (reduction none/add/mul).</summary>
    static OnnxKernel ScatterND(OnnxNode node, Attrs a)
    {
        string reduction = a.String("reduction", "none");
        if (reduction is not ("none" or "add" or "mul")) throw Unsupported(node, $"reduction '{reduction}' is not supported");
        return One((_, x) =>
        {
            var data = x[0]!; var updates = x[2]!;
            using var idx = x[1]!.to_type(ScalarType.Int64);
            long k = idx.shape[^1];
            var parts = new Tensor[k];
            for (int j = 0; j < k; j++) parts[j] = NormalizeIndices(idx.select(-1, j), data.shape[j]);
            try
            {
                var y = data.clone();
                if (reduction == "mul")
                {
                    using var cur = y.index(parts);
                    using var prod = cur * updates;
                    return y.index_put_(prod, parts);
                }
                return y.index_put_(updates, parts, accumulate: reduction == "add");
            }
            finally { foreach (var p in parts) p.Dispose(); }
        });
    }

    /// <summary>
    /// Pad: pads [b_1..b_n, e_1..e_n] (attribute before opset 11, input after; axes input from 18), modes constant,
    /// reflect and edge. Negative pads crop.
    /// </summary>
    static OnnxKernel Pad(OnnxNode node, Attrs a, long opset)
    {
        string mode = a.String("mode", "constant");
        var attrPads = a.Ints("pads");
        double attrValue = a.Float("value", 0f);
        if (mode is not ("constant" or "reflect" or "edge" or "wrap")) throw Unsupported(node, $"mode '{mode}' is not supported");
        return One((_, x) =>
        {
            var input = x[0]!; int rank = (int)input.dim();
            long[] pads = opset >= 11 ? Longs(x[1]!) : attrPads ?? throw Unsupported(node, "pads is required");
            double value = opset >= 11 ? ScalarOf(x.Length > 2 ? x[2] : null) ?? 0 : attrValue;
            long[] axes = opset >= 18 && x.Length > 3 && x[3] is { } ax
                ? Longs(ax).Select(v => v < 0 ? v + rank : v).ToArray()
                : Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
            if (pads.Length != 2 * axes.Length) throw Unsupported(node, $"pads has {pads.Length} values for {axes.Length} axes");
            var begin = new long[rank]; var end = new long[rank];
            for (int i = 0; i < axes.Length; i++) { begin[axes[i]] = pads[i]; end[axes[i]] = pads[axes.Length + i]; }
            int first = Enumerable.Range(0, rank).FirstOrDefault(i => begin[i] != 0 || end[i] != 0, rank);
            if (first == rank) return input.alias();
            // Torch's order: last axis first, only down to the first padded axis.
            var p = new List<long>();
            for (int i = rank - 1; i >= first; i--) { p.Add(begin[i]); p.Add(end[i]); }
            var torchMode = mode switch
            {
                "reflect" => PaddingModes.Reflect, "edge" => PaddingModes.Replicate, "wrap" => PaddingModes.Circular,
                _ => PaddingModes.Constant,
            };
            if (torchMode != PaddingModes.Constant && rank - first > 3)
                throw Unsupported(node, $"mode '{mode}' pads only the last three axes");
            return F.pad(input, p.ToArray(), torchMode, value);
        });
    }

    static OnnxKernel Einsum(Attrs a)
    {
        string eq = a.String("equation", "");
        return One((_, x) => torch.einsum(eq, x.Select(t => t!).ToArray()));
    }
}
