using MlNetHw.Torch;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MlNetHw.Onnx;

/// <summary>Runs one compiled node: its inputs (null for an omitted optional input) to its outputs.</summary>
public delegate Tensor[] OnnxKernel(OnnxModule module, Tensor?[] inputs);

/// <summary>
/// Turns ONNX nodes into TorchSharp kernels. Attributes are read and checked once at import, so an unsupported
/// operator or attribute fails when the model is loaded (naming the node), not in the middle of training.
/// </summary>
public static partial class OnnxOperators
{
    /// <summary>The operator types the importer can run.</summary>
    public static IReadOnlyCollection<string> Supported { get; } = new[]
    {
        "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "MaxPool", "AveragePool",
        "GlobalAveragePool", "GlobalMaxPool", "Add", "Sub", "Mul", "Div", "Gemm", "MatMul", "Flatten", "Reshape",
        "Concat", "Split", "Slice", "Dropout", "Identity", "Constant", "Transpose", "Unsqueeze", "Squeeze", "ArgMax",
    }.Concat(MoreSupported).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Compiles <paramref name="node"/> for operator set <paramref name="opset"/>; throws naming the node when it cannot.</summary>
    public static OnnxKernel Compile(OnnxNode node, long opset)
    {
        if (node.Domain is not ("" or "ai.onnx"))
            throw Unsupported(node, $"operator domain '{node.Domain}' is not supported");
        var a = new Attrs(node);
        OnnxKernel kernel = node.OpType switch
        {
            "Conv" => Conv(node, a),
            "BatchNormalization" => BatchNorm(node, a),
            "Relu" => One((_, x) => F.relu(x[0]!)),
            "LeakyRelu" => LeakyRelu(a),
            "Sigmoid" => One((_, x) => torch.sigmoid(x[0]!)),
            "Tanh" => One((_, x) => torch.tanh(x[0]!)),
            "Softmax" => Softmax(a, opset),
            "MaxPool" => MaxPool(node, a),
            "AveragePool" => AveragePool(node, a),
            "GlobalAveragePool" => One((_, x) => x[0]!.mean(Enumerable.Range(2, (int)x[0]!.dim() - 2).Select(i => (long)i).ToArray(), keepdim: true)),
            "GlobalMaxPool" => One((_, x) => x[0]!.amax(Enumerable.Range(2, (int)x[0]!.dim() - 2).Select(i => (long)i).ToArray(), keepdim: true)),
            "Add" => Binary(node, a, opset, (x, y) => x.add(y, HeldScalars.One)),
            "Sub" => Binary(node, a, opset, (x, y) => x - y),
            "Mul" => Binary(node, a, opset, (x, y) => x * y),
            "Div" => Binary(node, a, opset, (x, y) => torch.is_integral(x.dtype) && torch.is_integral(y.dtype) ? x.div(y, RoundingMode.trunc) : x / y),
            "Gemm" => Gemm(a),
            "MatMul" => One((_, x) => torch.matmul(x[0]!, x[1]!)),
            "Flatten" => Flatten(a),
            "Reshape" => Reshape(node, a, opset),
            "Concat" => Concat(node, a),
            "Split" => Split(node, a, opset),
            "Slice" => Slice(node, a, opset),
            "Dropout" => Dropout(a, opset),
            "Identity" => One((_, x) => x[0]!.alias()),
            "Constant" => Constant(node, a),
            "Transpose" => Transpose(a),
            "Unsqueeze" => Unsqueeze(a, opset),
            "Squeeze" => Squeeze(a, opset),
            "ArgMax" => ArgMax(node, a),
            _ when CompileMore(node, a, opset) is { } more => more,
            _ => throw Unsupported(node, $"operator '{node.OpType}' is not supported (supported: {string.Join(", ", Supported)})"),
        };
        a.CheckAllRead();
        return kernel;
    }

    static OnnxFormatException Unsupported(OnnxNode node, string why) =>
        new($"node '{node.DisplayName}' (op {node.OpType}): {why}.");

    static OnnxKernel One(Func<OnnxModule, Tensor?[], Tensor> f) => (m, x) => new[] { f(m, x) };

    // ---------------------------------------------------------------- convolution and pooling

    /// <summary>Conv: x (N, C, *spatial), w (M, C/group, *kernel), optional b (M) -> (N, M, *out).</summary>
    static OnnxKernel Conv(OnnxNode node, Attrs a)
    {
        var kernel = a.Ints("kernel_shape");
        var strides = a.Ints("strides");
        var dilations = a.Ints("dilations");
        var pads = a.Ints("pads");
        string autoPad = a.String("auto_pad", "NOTSET");
        long group = a.Int("group", 1);
        return One((_, x) =>
        {
            var input = x[0]!; var w = x[1]!; var b = x.Length > 2 ? x[2] : null;
            int rank = (int)w.dim() - 2;
            if (rank is not (1 or 2))
                throw Unsupported(node, $"{rank}-D convolution is not supported (1-D and 2-D are)");
            var k = kernel ?? w.shape.Skip(2).ToArray();
            var s = strides ?? Ones(rank); var d = dilations ?? Ones(rank);
            var (begin, end) = ResolvePads(node, input, k, s, d, pads, autoPad);
            // More padding at the start than at the end (CNTK's stride-2 convolutions: pads 1,1,0,0): pad both sides
            // by the start's amount inside the convolution and drop the extra last row/column, instead of copying the
            // input into a padded tensor (the windows kept are the same ones; see TrimmedOutput).
            var trim = rank == 2 ? TrimmedOutput(input, k, s, d, begin, end) : null;
            bool symmetric = begin.SequenceEqual(end) || trim is not null;
            var padded = symmetric ? input : F.pad(input, TorchPadOrder(begin, end));
            var p = symmetric ? begin : new long[rank];
            // A channels-last input (OnnxModule.ChannelsLast) gets a channels-last weight too, or oneDNN reorders both.
            using var wLaidOut = rank == 2 && OnnxModule.IsChannelsLast(padded) && w.shape[1] > 1 && !OnnxModule.IsChannelsLast(w)
                ? OnnxModule.ToChannelsLast(w) : null;
            if (wLaidOut is not null) w = wLaidOut;
            var y = rank == 2
                ? F.conv2d(padded, w, b, strides: s, padding: p, dilation: d, groups: group)
                : F.conv1d(padded, w, b, stride: s[0], padding: p[0], dilation: d[0], groups: group);
            if (!symmetric) padded.Dispose();
            return trim is null ? y : Trim(y, trim);
        });
    }

    static OnnxKernel MaxPool(OnnxNode node, Attrs a)
    {
        var kernel = a.Ints("kernel_shape") ?? throw Unsupported(node, "kernel_shape is required");
        var strides = a.Ints("strides") ?? Ones(kernel.Length);
        var dilations = a.Ints("dilations") ?? Ones(kernel.Length);
        var pads = a.Ints("pads");
        string autoPad = a.String("auto_pad", "NOTSET");
        bool ceil = a.Int("ceil_mode", 0) != 0;
        if (a.Int("storage_order", 0) != 0) throw Unsupported(node, "storage_order=1 is not supported");
        if (kernel.Length != 2) throw Unsupported(node, "only 2-D max pooling is supported");
        if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0) throw Unsupported(node, "the Indices output is not supported");
        return One((_, x) =>
        {
            var (begin, end) = ResolvePads(node, x[0]!, kernel, strides, dilations, pads, autoPad);
            if (begin.SequenceEqual(end) && begin.Zip(kernel).All(t => t.First * 2 <= t.Second))
                return F.max_pool2d(x[0]!, kernel, strides, begin, dilations, ceil);
            if (!ceil && begin.Zip(kernel).All(t => t.First * 2 <= t.Second) && TrimmedOutput(x[0]!, kernel, strides, dilations, begin, end) is { } trim)
                return Trim(F.max_pool2d(x[0]!, kernel, strides, begin, dilations, false), trim);
            // Asymmetric (or over-wide) padding: pad with -inf so padded cells never win, then pool unpadded.
            using var padded = F.pad(x[0]!, TorchPadOrder(begin, end), value: double.NegativeInfinity);
            return F.max_pool2d(padded, kernel, strides, new long[] { 0, 0 }, dilations, ceil);
        });
    }

    static OnnxKernel AveragePool(OnnxNode node, Attrs a)
    {
        var kernel = a.Ints("kernel_shape") ?? throw Unsupported(node, "kernel_shape is required");
        var strides = a.Ints("strides") ?? Ones(kernel.Length);
        var pads = a.Ints("pads");
        string autoPad = a.String("auto_pad", "NOTSET");
        bool ceil = a.Int("ceil_mode", 0) != 0;
        bool includePad = a.Int("count_include_pad", 0) != 0;
        if (kernel.Length != 2) throw Unsupported(node, "only 2-D average pooling is supported");
        return One((_, x) =>
        {
            var (begin, end) = ResolvePads(node, x[0]!, kernel, strides, Ones(2), pads, autoPad);
            if (begin.SequenceEqual(end) && begin.Zip(kernel).All(t => t.First * 2 <= t.Second))
                return F.avg_pool2d(x[0]!, kernel, strides, begin, ceil, includePad);
            using var padded = F.pad(x[0]!, TorchPadOrder(begin, end));
            var sum = F.avg_pool2d(padded, kernel, strides, new long[] { 0, 0 }, ceil, true);
            if (includePad) return sum;
            // Exclude padded cells from the divisor: divide by the pooled fraction of real cells.
            using var ones = torch.ones_like(x[0]!);
            using var onesPadded = F.pad(ones, TorchPadOrder(begin, end));
            using var frac = F.avg_pool2d(onesPadded, kernel, strides, new long[] { 0, 0 }, ceil, true);
            using (sum) return sum / frac;
        });
    }

    static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();

    /// <summary>
    /// When every axis pads at least as much at the start as at the end, the output sizes of the asymmetric padding
    /// (floor mode). Padding the end by the start's amount too only adds windows after the last one kept: window i
    /// starts at i·stride − begin either way, and a kept window never reaches past the real end padding, so the kept
    /// outputs are the same values (zeros for Conv, −∞ for MaxPool in both). Null when some axis pads more at the end.
    /// </summary>
    static long[]? TrimmedOutput(Tensor input, long[] kernel, long[] strides, long[] dilations, long[] begin, long[] end)
    {
        var sizes = new long[kernel.Length];
        for (int i = 0; i < kernel.Length; i++)
        {
            if (begin[i] < end[i]) return null;
            sizes[i] = (input.shape[2 + i] + begin[i] + end[i] - dilations[i] * (kernel[i] - 1) - 1) / strides[i] + 1;
            if (sizes[i] < 1) return null;
        }
        return sizes;
    }

    /// <summary>The first <paramref name="sizes"/> rows/columns of a pooled or convolved output (a view; <paramref name="y"/> is released).</summary>
    static Tensor Trim(Tensor y, long[] sizes)
    {
        var t = y.alias();
        for (int i = 0; i < sizes.Length; i++)
            if (t.shape[2 + i] != sizes[i])
            {
                var n = t.narrow(2 + i, 0, sizes[i]);
                t.Dispose();
                t = n;
            }
        y.Dispose();
        return t;
    }

    /// <summary>ONNX pads [b1..bn, e1..en] (or auto_pad) to per-axis begin/end pads for this input.</summary>
    static (long[] Begin, long[] End) ResolvePads(OnnxNode node, Tensor input, long[] kernel, long[] strides, long[] dilations,
        long[]? pads, string autoPad)
    {
        int rank = kernel.Length;
        switch (autoPad)
        {
            case "NOTSET" or "":
                pads ??= new long[2 * rank];
                if (pads.Length != 2 * rank) throw Unsupported(node, $"pads has {pads.Length} values, expected {2 * rank}");
                return (pads[..rank], pads[rank..]);
            case "VALID":
                return (new long[rank], new long[rank]);
            case "SAME_UPPER" or "SAME_LOWER":
                var begin = new long[rank]; var end = new long[rank];
                for (int i = 0; i < rank; i++)
                {
                    long size = input.shape[2 + i];
                    long outSize = (size + strides[i] - 1) / strides[i];
                    long total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
                    long small = total / 2, large = total - small;
                    (begin[i], end[i]) = autoPad == "SAME_UPPER" ? (small, large) : (large, small);
                }
                return (begin, end);
            default:
                throw Unsupported(node, $"auto_pad '{autoPad}' is not supported");
        }
    }

    /// <summary>Torch's F.pad order: last axis first, (begin, end) pairs.</summary>
    static long[] TorchPadOrder(long[] begin, long[] end)
    {
        var p = new long[begin.Length * 2];
        for (int i = 0; i < begin.Length; i++)
        {
            int axis = begin.Length - 1 - i;
            p[2 * i] = begin[axis]; p[2 * i + 1] = end[axis];
        }
        return p;
    }

    // ---------------------------------------------------------------- normalization and activations

    /// <summary>
    /// BatchNormalization: x (N, C, *), scale/bias/mean/var (C). Eval mode uses the running statistics; train mode
    /// uses the batch statistics and updates the running ones in place (ONNX momentum m means
    /// running = m*running + (1-m)*batch, i.e. PyTorch momentum 1-m, unless the module overrides it).
    /// </summary>
    static OnnxKernel BatchNorm(OnnxNode node, Attrs a)
    {
        double eps = a.Float("epsilon", 1e-5f);
        double onnxMomentum = a.Float("momentum", 0.9f);
        if (a.Int("spatial", 1) != 1) throw Unsupported(node, "spatial=0 is not supported");
        a.Int("is_test", 0); // opset < 7 flag; the module's train/eval mode decides instead
        a.Int("training_mode", 0); // opset 14+ flag, likewise (PyTorch writes 0 for an eval-mode export)
        if (node.Inputs.Count != 5) throw Unsupported(node, $"expected 5 inputs (X, scale, B, mean, var), got {node.Inputs.Count}");
        return One((m, x) =>
        {
            double momentum = m.BatchNormMomentum ?? 1.0 - onnxMomentum;
            return F.batch_norm(x[0]!, x[3]!, x[4]!, x[1], x[2], m.training, momentum, eps);
        });
    }

    static OnnxKernel LeakyRelu(Attrs a)
    {
        double alpha = a.Float("alpha", 0.01f);
        return One((_, x) => F.leaky_relu(x[0]!, alpha));
    }

    static OnnxKernel Softmax(Attrs a, long opset)
    {
        long axis = a.Int("axis", opset >= 13 ? -1 : 1);
        return One((_, x) =>
        {
            var input = x[0]!;
            long ax = axis < 0 ? axis + input.dim() : axis;
            if (opset >= 13 || ax == input.dim() - 1) return input.softmax(ax);
            // Opset < 13: softmax over the input coerced to 2-D at `axis`.
            var shape = input.shape;
            long rows = shape.Take((int)ax).Aggregate(1L, (p, d) => p * d);
            using var flat = input.reshape(rows, -1);
            using var s = flat.softmax(1);
            return s.reshape(shape);
        });
    }

    static OnnxKernel Dropout(Attrs a, long opset)
    {
        double ratio = a.Float("ratio", 0.5f);
        a.Int("is_test", 0);
        a.Int("seed", 0);
        return One((m, x) =>
        {
            double r = opset >= 12 && x.Length > 1 && x[1] is { } rt ? rt.cpu().item<float>() : ratio;
            return m.training && r > 0 ? F.dropout(x[0]!, r, true) : x[0]!.alias();
        });
    }

    // ---------------------------------------------------------------- arithmetic

    static OnnxKernel Binary(OnnxNode node, Attrs a, long opset, Func<Tensor, Tensor, Tensor> f)
    {
        if (opset < 7 && a.Int("broadcast", 0) != 0 && a.Has("axis"))
            throw Unsupported(node, "legacy broadcast with an axis (opset < 7) is not supported");
        return One((_, x) => f(x[0]!, x[1]!));
    }

    /// <summary>Gemm: Y = alpha * A' B' + beta * C, A' = transA ? A^T : A (M, K), B' (K, N), C broadcast to (M, N).</summary>
    static OnnxKernel Gemm(Attrs a)
    {
        double alpha = a.Float("alpha", 1f), beta = a.Float("beta", 1f);
        bool ta = a.Int("transA", 0) != 0, tb = a.Int("transB", 0) != 0;
        a.Int("broadcast", 0);
        return One((_, x) =>
        {
            var A = ta ? x[0]!.t() : x[0]!;
            var B = tb ? x[1]!.t() : x[1]!;
            var y = torch.matmul(A, B);
            if (alpha != 1)
            {
                using var alphaScalar = alpha.ToScalar();
                y = y.mul_(alphaScalar);
            }
            if (x.Length > 2 && x[2] is { } c)
            {
                using var betaScalar = beta == 1 ? null : beta.ToScalar();
                y = y.add_(c, betaScalar ?? HeldScalars.One);
            }
            return y;
        });
    }

    // ---------------------------------------------------------------- shapes

    static OnnxKernel Flatten(Attrs a)
    {
        long axis = a.Int("axis", 1);
        return One((_, x) =>
        {
            var shape = x[0]!.shape;
            long ax = axis < 0 ? axis + shape.Length : axis;
            long rows = shape.Take((int)ax).Aggregate(1L, (p, d) => p * d);
            return x[0]!.reshape(rows, -1);
        });
    }

    static OnnxKernel Reshape(OnnxNode node, Attrs a, long opset)
    {
        var attrShape = a.Ints("shape");
        bool allowZero = a.Int("allowzero", 0) != 0;
        if (opset < 5 && attrShape is null) throw Unsupported(node, "the shape attribute is required before opset 5");
        return One((_, x) =>
        {
            var input = x[0]!;
            long[] target = opset >= 5 ? Longs(x[1] ?? throw Unsupported(node, "the shape input is missing")) : attrShape!;
            target = (long[])target.Clone();
            if (!allowZero)
                for (int i = 0; i < target.Length; i++)
                    if (target[i] == 0) target[i] = input.shape[i];
            return input.reshape(target);
        });
    }

    static OnnxKernel Concat(OnnxNode node, Attrs a)
    {
        long axis = a.Int("axis", long.MinValue);
        if (axis == long.MinValue) throw Unsupported(node, "the axis attribute is required");
        return One((_, x) => torch.cat(x.Select(t => t!).ToList(), axis));
    }

    static OnnxKernel Split(OnnxNode node, Attrs a, long opset)
    {
        long axis = a.Int("axis", 0);
        var sizes = a.Ints("split");
        int outputs = node.Outputs.Count;
        return (_, x) =>
        {
            var input = x[0]!;
            long ax = axis < 0 ? axis + input.dim() : axis;
            long[] s = opset >= 13 && x.Length > 1 && x[1] is { } st ? Longs(st) : sizes
                ?? Enumerable.Repeat(input.shape[ax] / outputs, outputs).ToArray();
            if (s.Length != outputs || s.Sum() != input.shape[ax])
                throw Unsupported(node, $"split sizes [{string.Join(",", s)}] do not match {outputs} outputs / axis size {input.shape[ax]}");
            return input.split(s, ax);
        };
    }

    static OnnxKernel Slice(OnnxNode node, Attrs a, long opset)
    {
        var attrStarts = a.Ints("starts"); var attrEnds = a.Ints("ends"); var attrAxes = a.Ints("axes");
        if (opset < 10 && (attrStarts is null || attrEnds is null)) throw Unsupported(node, "starts and ends are required");
        return One((_, x) =>
        {
            var input = x[0]!;
            long[] starts = opset >= 10 ? Longs(x[1]!) : attrStarts!;
            long[] ends = opset >= 10 ? Longs(x[2]!) : attrEnds!;
            long[] axes = opset >= 10 && x.Length > 3 && x[3] is { } ax ? Longs(ax)
                : attrAxes ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            long[] steps = opset >= 10 && x.Length > 4 && x[4] is { } st ? Longs(st) : Ones(starts.Length);
            var y = input.alias();
            for (int i = 0; i < axes.Length; i++)
            {
                long axis = axes[i] < 0 ? axes[i] + input.dim() : axes[i];
                long size = input.shape[axis];
                long step = steps[i];
                if (step == 0) throw Unsupported(node, "a slice step of 0 is not allowed");
                Tensor next;
                if (step > 0)
                {
                    long s = Math.Clamp(starts[i] < 0 ? starts[i] + size : starts[i], 0, size);
                    long e = Math.Clamp(ends[i] < 0 ? ends[i] + size : ends[i], 0, size);
                    next = step == 1 ? y.narrow(axis, s, Math.Max(0, e - s)) : y.slice(axis, s, Math.Max(s, e), step);
                }
                else
                {
                    // Negative step: start clamped to [0, size-1], end to [-1, size-1], walking down.
                    long s = Math.Clamp(starts[i] < 0 ? starts[i] + size : starts[i], 0, size - 1);
                    long e = Math.Clamp(ends[i] < 0 && ends[i] > long.MinValue / 2 ? ends[i] + size : ends[i], -1, size - 1);
                    var idx = new List<long>();
                    for (long k = s; k > e; k += step) idx.Add(k);
                    using var it = torch.tensor(idx.ToArray(), ScalarType.Int64, y.device);
                    next = y.index_select(axis, it);
                }
                y.Dispose();
                y = next;
            }
            return y;
        });
    }

    static OnnxKernel Transpose(Attrs a)
    {
        var perm = a.Ints("perm");
        return One((_, x) => x[0]!.permute(perm ?? Enumerable.Range(0, (int)x[0]!.dim()).Reverse().Select(i => (long)i).ToArray()));
    }

    static OnnxKernel Unsqueeze(Attrs a, long opset)
    {
        var attrAxes = a.Ints("axes");
        return One((_, x) =>
        {
            long[] axes = opset >= 13 ? Longs(x[1]!) : attrAxes!;
            long outRank = x[0]!.dim() + axes.Length;
            var y = x[0]!.alias();
            foreach (var ax in axes.Select(v => v < 0 ? v + outRank : v).OrderBy(v => v))
            {
                var next = y.unsqueeze(ax); y.Dispose(); y = next;
            }
            return y;
        });
    }

    static OnnxKernel Squeeze(Attrs a, long opset)
    {
        var attrAxes = a.Ints("axes");
        return One((_, x) =>
        {
            long[]? axes = opset >= 13 ? (x.Length > 1 && x[1] is { } t ? Longs(t) : null) : attrAxes;
            if (axes is null) return x[0]!.squeeze();
            var y = x[0]!.alias();
            foreach (var ax in axes.Select(v => v < 0 ? v + x[0]!.dim() : v).OrderByDescending(v => v))
            {
                var next = y.squeeze(ax); y.Dispose(); y = next;
            }
            return y;
        });
    }

    static OnnxKernel ArgMax(OnnxNode node, Attrs a)
    {
        long axis = a.Int("axis", 0);
        bool keep = a.Int("keepdims", 1) != 0;
        if (a.Int("select_last_index", 0) != 0) throw Unsupported(node, "select_last_index=1 is not supported");
        return One((_, x) => x[0]!.argmax(axis, keep));
    }

    /// <summary>Constant: value (a tensor) or value_float(s) / value_int(s); converted once per device and shared.</summary>
    static OnnxKernel Constant(OnnxNode node, Attrs a)
    {
        var t = a.TensorValue("value");
        if (t is null && a.Has("value_float")) t = OnnxTensor.FromFloats("", new[] { a.Float("value_float", 0) });
        if (t is null && a.Has("value_floats")) t = OnnxTensor.FromFloats("", a.FloatList("value_floats")!, a.FloatList("value_floats")!.Length);
        if (t is null && a.Has("value_int")) t = OnnxTensor.FromInt64s("", new[] { a.Int("value_int", 0) });
        if (t is null && a.Has("value_ints")) t = OnnxTensor.FromInt64s("", a.Ints("value_ints")!, a.Ints("value_ints")!.Length);
        if (t is null) throw Unsupported(node, "only the value, value_float(s) and value_int(s) forms of Constant are supported");
        Tensor? cached = null;
        return One((m, _) =>
        {
            if (cached is null || cached.device != m.Device)
            {
                using var cpu = OnnxModule.ToTorch(t);
                var moved = cpu.to(m.Device).detach();
                moved.DetachFromDisposeScope();
                cached = moved;
            }
            return cached.alias();
        });
    }

    static long[] Longs(Tensor t)
    {
        using var c = t.cpu().to_type(ScalarType.Int64);
        return c.data<long>().ToArray();
    }

    /// <summary>Attribute access that remembers what was read, so unknown attributes can be reported.</summary>
    sealed class Attrs
    {
        readonly OnnxNode _node;
        readonly HashSet<string> _read = new();
        public Attrs(OnnxNode node) => _node = node;

        OnnxAttribute? Get(string name) { _read.Add(name); return _node.Attribute(name); }
        public bool Has(string name) => Get(name) is not null;
        public long Int(string name, long fallback) => Get(name) is { } a ? a.I : fallback;
        public float Float(string name, float fallback) => Get(name) is { } a ? a.F : fallback;
        public string String(string name, string fallback) => Get(name) is { } a ? Encoding.UTF8.GetString(a.S) : fallback;
        public long[]? Ints(string name) => Get(name) is { } a ? a.Ints.ToArray() : null;
        public float[]? FloatList(string name) => Get(name) is { } a ? a.Floats.ToArray() : null;
        public OnnxTensor? TensorValue(string name) => Get(name)?.T;

        public void CheckAllRead()
        {
            var unknown = _node.Attributes.Select(a => a.Name).Where(n => !_read.Contains(n)).ToList();
            if (unknown.Count > 0)
                throw Unsupported(_node, $"attribute(s) {string.Join(", ", unknown)} are not supported");
        }
    }
}
