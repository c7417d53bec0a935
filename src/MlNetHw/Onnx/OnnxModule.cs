using System.Text.RegularExpressions;
using MlNetHw.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Onnx;

/// <summary>
/// An ONNX graph run by TorchSharp as a trainable <see cref="nn.Module"/>: float initializers become
/// <see cref="Parameter"/>s, BatchNormalization running statistics (and integer constants) become buffers, and
/// <c>train()</c>/<c>eval()</c> switch BatchNormalization between batch and running statistics and Dropout on/off.
/// Any node output can be read by name (<see cref="ForwardCollect"/>), and evaluation stops as soon as every
/// requested value is known, so reading early layers costs only the early layers.
/// </summary>
public sealed partial class OnnxModule : nn.Module<Tensor, Tensor>
{
    sealed record CompiledNode(OnnxNode Node, OnnxKernel Kernel, int[] LastUseOf);

    readonly OnnxModel _model;
    readonly List<CompiledNode> _nodes = new();
    readonly Dictionary<string, (string Registered, bool IsParameter)> _constants = new();
    readonly Dictionary<string, int> _producer = new();
    readonly HashSet<string> _graphOutputs;
    /// <summary>Conv node index -> the BatchNormalization node index that alone reads its output (foldable in eval).</summary>
    readonly Dictionary<int, int> _convToBn = new();
    readonly HashSet<int> _foldedBn = new();

    /// <summary>The graph's first non-initializer input, e.g. "Input247" for the packaged ResNet18 (its only one).</summary>
    public string InputName { get; }
    /// <summary>
    /// Every non-initializer input of the graph, in the graph's order (one for most graphs; a BERT encoder has
    /// <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>). A graph of several inputs runs through
    /// <see cref="Run(IReadOnlyDictionary{string, Tensor}, IEnumerable{string})"/>.
    /// </summary>
    public IReadOnlyList<string> InputNames { get; }
    /// <summary>The graph's declared outputs.</summary>
    public IReadOnlyList<string> OutputNames { get; }
    /// <summary>Every node output, in evaluation order: the names <see cref="ForwardCollect"/> accepts.</summary>
    public IReadOnlyList<string> NodeOutputNames { get; }
    /// <summary>The graph's nodes in evaluation order.</summary>
    public IReadOnlyList<OnnxNode> Nodes => _model.Graph.Nodes;
    /// <summary>The ONNX operator-set version the graph was compiled for.</summary>
    public long Opset => _model.DefaultOpset;
    /// <summary>
    /// BatchNormalization momentum in PyTorch's convention (weight of the new batch) used in train mode; null uses
    /// 1 - the file's ONNX momentum (e.g. 0.0117 for the CNTK ResNet18, whose statistics then barely move).
    /// </summary>
    public double? BatchNormMomentum { get; set; }
    /// <summary>
    /// In eval mode, run each Conv followed only by a BatchNormalization as one Conv with the statistics folded into
    /// its weight and bias (recomputed from the current weights on every call, so training and loading stay exact);
    /// default on. Folding is skipped for a call that asks for the Conv's own output by name.
    /// </summary>
    public bool FoldBatchNormInEval { get; set; } = true;
    /// <summary>
    /// Without gradient tracking, let Relu and Add overwrite an input that nothing reads afterwards instead of
    /// allocating a new tensor (only inputs that own their storage: Conv, Gemm, arithmetic outputs); default on.
    /// </summary>
    public bool InPlaceWhenNoGrad { get; set; } = true;
    /// <summary>
    /// With gradient tracking too (training), run Relu and Add in place as <see cref="InPlaceWhenNoGrad"/> does, where
    /// autograd allows it: the overwritten value has this node as its only reader and comes from a Conv,
    /// BatchNormalization or Add, whose backward passes do not read their own output (what torchvision's
    /// <c>ReLU(inplace=True)</c> and <c>out += identity</c> do); default on. Saves one activation-sized allocation per
    /// Relu and Add in each training step, forward and backward.
    /// </summary>
    public bool InPlaceWithGrad { get; set; } = true;

    /// <summary>How many Relu/Add nodes the last <see cref="Run(IReadOnlyDictionary{string, Tensor}, IEnumerable{string})"/> ran in place (for tests).</summary>
    internal int LastRunInPlaceCount { get; private set; }
    /// <summary>The device the module's parameters live on.</summary>
    public Device Device { get; private set; } = torch.CPU;

    /// <summary>Reads an ONNX file and builds the module (on the CPU; call <c>to(device)</c> to move it).</summary>
    public static OnnxModule Load(string path)
    {
        var model = OnnxModel.Load(path);
        try { return new OnnxModule(model, Path.GetFileNameWithoutExtension(path)); }
        catch (OnnxFormatException e) { throw new OnnxFormatException($"{path}: {e.Message}", e); }
    }

    /// <summary>Builds the module from a parsed model. Throws <see cref="OnnxFormatException"/> naming the first node it cannot run.</summary>
    public OnnxModule(OnnxModel model, string name = "onnx") : base(name)
    {
        TorchRuntime.EnsureLoaded();
        _model = model = SplitSharedInitializers(model);
        var g = model.Graph;
        var initNames = g.Initializers.Select(t => t.Name).ToHashSet();
        var inputs = g.Inputs.Where(i => !initNames.Contains(i.Name)).ToList();
        if (inputs.Count == 0)
            throw new OnnxFormatException($"graph '{g.Name}' has no non-constant input.");
        InputNames = inputs.Select(i => i.Name).ToList();
        InputName = inputs[0].Name;
        OutputNames = g.Outputs.Select(o => o.Name).ToList();
        _graphOutputs = OutputNames.ToHashSet();

        // BatchNormalization mean/var inputs are statistics (buffers), everything else float is a weight.
        var statistics = g.Nodes.Where(n => n.OpType == "BatchNormalization").SelectMany(n => n.Inputs.Skip(3).Take(2)).ToHashSet();
        var used = new HashSet<string>();
        foreach (var t in g.Initializers)
        {
            string reg = UniqueName(t.Name, used);
            using var value = ToTorch(t);
            bool isParam = t.DataType == OnnxDataType.Float && !statistics.Contains(t.Name);
            if (isParam) register_parameter(reg, new Parameter(value.clone(), requires_grad: true));
            else register_buffer(reg, value.clone());
            _constants[t.Name] = (reg, isParam);
        }

        var known = new HashSet<string>(initNames);
        known.UnionWith(InputNames);
        var outputs = new List<string>();
        for (int i = 0; i < g.Nodes.Count; i++)
        {
            var node = g.Nodes[i];
            foreach (var input in node.Inputs.Where(s => s.Length > 0))
                if (!known.Contains(input))
                    throw new OnnxFormatException($"node '{node.DisplayName}' (op {node.OpType}) reads '{input}', which no earlier node, initializer or input defines (the graph must be in topological order).");
            var kernel = OnnxOperators.Compile(node, model.DefaultOpset);
            foreach (var o in node.Outputs.Where(s => s.Length > 0)) { known.Add(o); _producer[o] = i; outputs.Add(o); }
            _nodes.Add(new CompiledNode(node, kernel, Array.Empty<int>()));
        }
        foreach (var o in OutputNames)
            if (!known.Contains(o)) throw new OnnxFormatException($"graph output '{o}' is not produced by any node.");
        NodeOutputNames = outputs;
        FindFoldableBatchNorms();
    }

    /// <summary>
    /// PyTorch's exporter stores equal initializers once and fans them out through Identity nodes, so one tensor can
    /// feed both a BatchNormalization weight (trainable) and another layer's running variance (a statistic). Each
    /// Identity of an initializer becomes an initializer of its own (a copy), so every weight and statistic trains
    /// or updates independently, as in the original model; initializers only read through such Identities are dropped.
    /// </summary>
    static OnnxModel SplitSharedInitializers(OnnxModel model)
    {
        var g = model.Graph;
        var inits = g.Initializers.ToDictionary(t => t.Name);
        var folded = new HashSet<OnnxNode>();
        foreach (var n in g.Nodes)
            if (n.OpType == "Identity" && (n.Domain is "" or "ai.onnx") && n.Inputs.Count == 1 && n.Outputs.Count == 1
                && inits.TryGetValue(n.Inputs[0], out var src) && !inits.ContainsKey(n.Outputs[0]))
            {
                inits[n.Outputs[0]] = new OnnxTensor
                {
                    Name = n.Outputs[0], Dims = src.Dims, DataType = src.DataType,
                    FloatData = src.FloatData, Int64Data = src.Int64Data, DoubleData = src.DoubleData,
                };
                folded.Add(n);
            }
        if (folded.Count == 0) return model;
        var read = g.Nodes.Where(n => !folded.Contains(n)).SelectMany(n => n.Inputs).Concat(g.Outputs.Select(o => o.Name)).ToHashSet();
        var keep = inits.Values.Where(t => read.Contains(t.Name)).Select(t => t.Name).ToHashSet();
        var ng = new OnnxGraph { Name = g.Name };
        ng.Nodes.AddRange(g.Nodes.Where(n => !folded.Contains(n)));
        ng.Initializers.AddRange(g.Initializers.Where(t => keep.Contains(t.Name)));
        ng.Initializers.AddRange(folded.Select(n => inits[n.Outputs[0]]).Where(t => keep.Contains(t.Name)));
        ng.Inputs.AddRange(g.Inputs.Where(i => !inits.ContainsKey(i.Name) || keep.Contains(i.Name)));
        ng.Outputs.AddRange(g.Outputs);
        var m = new OnnxModel
        {
            IrVersion = model.IrVersion, ProducerName = model.ProducerName, ProducerVersion = model.ProducerVersion,
            Domain = model.Domain, ModelVersion = model.ModelVersion, DocString = model.DocString, Graph = ng,
        };
        m.OpsetImports.AddRange(model.OpsetImports);
        return m;
    }

    static string UniqueName(string onnxName, HashSet<string> used)
    {
        string s = SafeName().Replace(onnxName, "_");
        if (s.Length == 0 || char.IsDigit(s[0])) s = "p_" + s;
        string r = s;
        for (int k = 2; !used.Add(r); k++) r = $"{s}_{k}";
        return r;
    }

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex SafeName();

    void FindFoldableBatchNorms()
    {
        var readers = new Dictionary<string, int>();
        foreach (var c in _nodes) foreach (var n in c.Node.Inputs) readers[n] = readers.GetValueOrDefault(n) + 1;
        for (int i = 0; i < _nodes.Count; i++)
        {
            var conv = _nodes[i].Node;
            if (conv.OpType != "Conv" || conv.Outputs.Count != 1 || !_constants.ContainsKey(conv.Inputs[1])) continue;
            if (conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 && !_constants.ContainsKey(conv.Inputs[2])) continue;
            string o = conv.Outputs[0];
            if (readers.GetValueOrDefault(o) != 1 || _graphOutputs.Contains(o)) continue;
            int j = _nodes.FindIndex(i + 1, c => c.Node.Inputs.Contains(o));
            var bn = _nodes[j].Node;
            if (bn.OpType != "BatchNormalization" || bn.Inputs[0] != o || bn.Outputs.Skip(1).Any(s => s.Length > 0)) continue;
            if (!bn.Inputs.Skip(1).All(_constants.ContainsKey)) continue;
            _convToBn[i] = j;
            _foldedBn.Add(j);
        }
    }

    /// <summary>Conv weight and bias with BatchNormalization (eval statistics) folded in: w*s, (b-mean)*s+beta, s = gamma/sqrt(var+eps).</summary>
    (Tensor W, Tensor B) FoldedConv(OnnxNode conv, OnnxNode bn)
    {
        double eps = bn.Attribute("epsilon")?.F ?? 1e-5f;
        var w = Constant(conv.Inputs[1]);
        using var epsScalar = eps.ToScalar(); // held (HeldScalars): no temporary scalar in a native call
        using var std = Constant(bn.Inputs[4]).add(epsScalar, HeldScalars.One);
        std.rsqrt_();
        using var scale = Constant(bn.Inputs[1]) * std;
        var shape = new long[w.dim()]; Array.Fill(shape, 1L); shape[0] = -1;
        using var s4 = scale.view(shape);
        var fw = w * s4;
        using var centered = conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0
            ? Constant(conv.Inputs[2]) - Constant(bn.Inputs[3]) : Constant(bn.Inputs[3]).neg();
        var fb = centered * scale;
        fb.add_(Constant(bn.Inputs[2]), HeldScalars.One);
        return (fw, fb);
    }

    // Ops whose outputs own fresh storage (never a view of an input), so a later in-place op may overwrite them.
    static readonly HashSet<string> FreshOutputOps = new()
    {
        "Conv", "BatchNormalization", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Concat", "MaxPool", "AveragePool",
        "GlobalAveragePool", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Relu",
    };

    /// <summary>The graph's first output for <paramref name="input"/>.</summary>
    public override Tensor forward(Tensor input) => Run(input, new[] { OutputNames[0] })[OutputNames[0]];

    /// <summary>
    /// Evaluates the graph until every name in <paramref name="outputs"/> (graph outputs or any node output) is known
    /// and returns those tensors. Intermediate values nobody asked for are released as soon as their last reader ran.
    /// </summary>
    public Dictionary<string, Tensor> Run(Tensor input, IEnumerable<string> outputs)
    {
        if (InputNames.Count != 1)
            throw new ArgumentException($"this graph has {InputNames.Count} inputs ({string.Join(", ", InputNames)}); pass them by name to Run(IReadOnlyDictionary<string, Tensor>, outputs).");
        return Run(new Dictionary<string, Tensor> { [InputName] = input }, outputs);
    }

    /// <summary>
    /// Evaluates a graph of one or several inputs, given by name (every one of <see cref="InputNames"/>), until every
    /// name in <paramref name="outputs"/> is known; otherwise as <see cref="Run(Tensor, IEnumerable{string})"/>.
    /// </summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IEnumerable<string> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var name in InputNames)
            if (!inputs.ContainsKey(name))
                throw new ArgumentException($"input '{name}' is missing (the graph's inputs: {string.Join(", ", InputNames)}).");
        foreach (var name in inputs.Keys)
            if (!InputNames.Contains(name))
                throw new ArgumentException($"'{name}' is not an input of this graph (its inputs: {string.Join(", ", InputNames)}).");
        var wanted = outputs.ToHashSet();
        foreach (var w in wanted)
            if (!_producer.ContainsKey(w) && !_constants.ContainsKey(w) && !inputs.ContainsKey(w))
                throw new ArgumentException($"'{w}' is not a value of this graph; see {nameof(NodeOutputNames)}.");
        int stop = wanted.Select(w => _producer.TryGetValue(w, out int i) ? i : -1).DefaultIfEmpty(-1).Max();

        // Last node (up to `stop`) that reads each value, so a value can be dropped right after it.
        var lastUse = new Dictionary<string, int>();
        var readers = new Dictionary<string, int>();
        for (int i = 0; i <= stop; i++)
            foreach (var n in _nodes[i].Node.Inputs)
            {
                lastUse[n] = i;
                readers[n] = readers.GetValueOrDefault(n) + 1;
            }

        bool fold = FoldBatchNormInEval && !training && _convToBn.Count > 0
            && !_convToBn.Keys.Any(c => wanted.Contains(_nodes[c].Node.Outputs[0]));
        bool grad = torch.is_grad_enabled();
        bool inPlace = grad ? InPlaceWithGrad : InPlaceWhenNoGrad;
        var fed = LayoutInputs(inputs, out var laidOut);
        bool converted = laidOut.Count > 0;
        int inPlaceCount = 0;
        var exclusive = new HashSet<string>(); // values that own their storage (safe to overwrite at their last use)
        var values = new Dictionary<string, Tensor>();
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, value) in inputs) if (wanted.Contains(name)) result[name] = value.alias();
        foreach (var w in wanted.Where(_constants.ContainsKey)) result[w] = Constant(w).alias();
        try
        {
            for (int i = 0; i <= stop; i++)
            {
                var node = _nodes[i].Node;
                var args = new Tensor?[node.Inputs.Count];
                for (int k = 0; k < args.Length; k++)
                {
                    string n = node.Inputs[k];
                    args[k] = n.Length == 0 ? null : fed.TryGetValue(n, out var given) ? given : _constants.ContainsKey(n) ? Constant(n) : values[n];
                }
                Tensor[] produced;
                Tensor? foldW = null, foldB = null;
                try
                {
                    if (fold && _convToBn.TryGetValue(i, out int bnIndex))
                    {
                        (foldW, foldB) = FoldedConv(node, _nodes[bnIndex].Node);
                        var foldedArgs = new Tensor?[] { args[0], foldW, foldB };
                        produced = _nodes[i].Kernel(this, foldedArgs);
                    }
                    else if (fold && _foldedBn.Contains(i))
                        produced = new[] { values.Remove(node.Inputs[0], out var convOut) ? convOut : args[0]!.alias() };
                    else if (inPlace && (!grad || GradAllowsInPlace(node, readers)) && InPlace(node, values, exclusive, wanted, lastUse, i) is { } overwritten)
                    {
                        produced = new[] { overwritten };
                        inPlaceCount++;
                    }
                    else
                        produced = _nodes[i].Kernel(this, args);
                }
                catch (Exception e) when (e is not OnnxFormatException)
                {
                    string shapes = string.Join(", ", args.Select(a => a is null ? "-" : "[" + string.Join(",", a.shape) + "]"));
                    throw new InvalidOperationException($"node '{node.DisplayName}' (op {node.OpType}) failed on inputs {shapes}: {e.Message}", e);
                }
                finally { foldW?.Dispose(); foldB?.Dispose(); }
                if (FreshOutputOps.Contains(node.OpType)) exclusive.Add(node.Outputs[0]);
                else foreach (var n in node.Inputs) exclusive.Remove(n); // outputs may be views of these inputs
                for (int k = 0; k < node.Outputs.Count && k < produced.Length; k++)
                {
                    string o = node.Outputs[k];
                    if (o.Length == 0) { produced[k].Dispose(); continue; }
                    if (wanted.Contains(o)) result[o] = produced[k];
                    if (lastUse.ContainsKey(o)) values[o] = produced[k];
                    else if (!wanted.Contains(o)) produced[k].Dispose();
                }
                for (int k = produced.Length; k < node.Outputs.Count; k++)
                    if (node.Outputs[k].Length > 0 && lastUse.ContainsKey(node.Outputs[k]))
                        throw new OnnxFormatException($"node '{node.DisplayName}' (op {node.OpType}): output {k} ('{node.Outputs[k]}') is read later but is not supported.");
                foreach (var n in node.Inputs)
                    if (n.Length > 0 && lastUse.TryGetValue(n, out int last) && last == i && values.Remove(n, out var dead) && !wanted.Contains(n))
                        dead.Dispose();
            }
        }
        finally
        {
            foreach (var (n, v) in values) if (!result.ContainsKey(n)) v.Dispose();
            foreach (var t in laidOut) t.Dispose();
            LastRunInPlaceCount = inPlaceCount;
        }
        if (converted)
            foreach (var k in result.Keys.ToList()) result[k] = LayoutOutput(result[k]);
        return result;
    }

    // Ops whose backward reads their inputs (or nothing) but never their own output, so autograd lets a later op
    // overwrite that output in place (the version-counter check would refuse it otherwise, at backward time).
    static readonly HashSet<string> OutputNotSavedForBackwardOps = new() { "Conv", "BatchNormalization", "Add" };

    /// <summary>
    /// Under autograd, whether <paramref name="node"/>'s first input may be overwritten: this node is its only reader
    /// (no earlier reader saved it for its backward) and its producer does not read its own output in backward.
    /// </summary>
    bool GradAllowsInPlace(OnnxNode node, Dictionary<string, int> readers)
    {
        string n = node.Inputs.Count > 0 ? node.Inputs[0] : "";
        return readers.GetValueOrDefault(n) == 1 && _producer.TryGetValue(n, out int p)
            && OutputNotSavedForBackwardOps.Contains(_nodes[p].Node.OpType);
    }

    /// <summary>
    /// Relu(x) as x.relu_() and Add(x, y) as x.add_(y) when x owns its storage, is read by nobody later, is not a
    /// requested output and already has the result's shape and type. Returns x (removed from the live values), or null.
    /// </summary>
    static Tensor? InPlace(OnnxNode node, Dictionary<string, Tensor> values, HashSet<string> exclusive, HashSet<string> wanted,
        Dictionary<string, int> lastUse, int i)
    {
        if (node.OpType is not ("Relu" or "Add") || node.Outputs.Count != 1) return null;
        string n = node.Inputs[0];
        if (!exclusive.Contains(n) || wanted.Contains(n) || lastUse[n] != i || !values.TryGetValue(n, out var x)) return null;
        if (node.OpType == "Relu") { x.relu_(); values.Remove(n); return x; }
        if (node.Inputs.Count != 2 || node.Inputs[1] == n) return null;
        var other = values.TryGetValue(node.Inputs[1], out var v) ? v : null;
        if (other is null || other.dtype != x.dtype || other.dim() > x.dim()) return null;
        for (int k = 1; k <= other.dim(); k++)
            if (other.shape[^k] != x.shape[^k] && other.shape[^k] != 1) return null;
        x.add_(other, HeldScalars.One);
        values.Remove(n);
        return x;
    }

    /// <summary>The values of the named nodes (style transfer's feature maps); same as <see cref="Run(Tensor, IEnumerable{string})"/>.</summary>
    public Dictionary<string, Tensor> ForwardCollect(Tensor input, IEnumerable<string> names) => Run(input, names);

    /// <summary>The current value of an initializer (weight or statistic) by its ONNX name.</summary>
    public Tensor Constant(string onnxName)
    {
        var (reg, isParam) = _constants.TryGetValue(onnxName, out var c) ? c
            : throw new ArgumentException($"'{onnxName}' is not an initializer of this graph.");
        return (isParam ? get_parameter(reg) : get_buffer(reg))!;
    }

    /// <summary>ONNX names of the trainable initializers (those exposed through <c>parameters()</c>).</summary>
    public IEnumerable<string> ParameterNames => _constants.Where(kv => kv.Value.IsParameter).Select(kv => kv.Key);

    /// <summary>Turns gradient tracking of every weight on or off (off = a frozen feature extractor).</summary>
    public void SetTrainable(bool trainable)
    {
        foreach (var p in parameters()) p.requires_grad = trainable;
    }

    /// <summary>Moves the module and records the new <see cref="Device"/>.</summary>
    protected override nn.Module _to(Device device, ScalarType dtype, bool non_blocking)
    {
        Device = device;
        return base._to(device, dtype, non_blocking);
    }

    /// <summary>Moves the module and records the new <see cref="Device"/>.</summary>
    protected override nn.Module _to(DeviceType deviceType, int deviceIndex, bool non_blocking)
    {
        Device = torch.device(deviceType, deviceIndex);
        return base._to(deviceType, deviceIndex, non_blocking);
    }

    /// <summary>
    /// The model this module was built from, with every initializer replaced by the module's current value (trained
    /// weights, updated BatchNormalization statistics). The returned model shares no mutable state with the module.
    /// </summary>
    public OnnxModel ToOnnxModel()
    {
        var g = new OnnxGraph { Name = _model.Graph.Name };
        g.Nodes.AddRange(_model.Graph.Nodes);
        g.Inputs.AddRange(_model.Graph.Inputs);
        g.Outputs.AddRange(_model.Graph.Outputs);
        foreach (var t in _model.Graph.Initializers) g.Initializers.Add(FromTorch(t.Name, Constant(t.Name), t.DataType));
        var m = new OnnxModel
        {
            IrVersion = _model.IrVersion, ProducerName = _model.ProducerName, ProducerVersion = _model.ProducerVersion,
            Domain = _model.Domain, ModelVersion = _model.ModelVersion, DocString = _model.DocString, Graph = g,
        };
        m.OpsetImports.AddRange(_model.OpsetImports);
        return m;
    }

    /// <summary>An ONNX constant as a TorchSharp tensor on the CPU (float stays float32, integers become int64).</summary>
    public static Tensor ToTorch(OnnxTensor t) => t.DataType switch
    {
        OnnxDataType.Float => torch.tensor(t.FloatData!, t.Dims),
        OnnxDataType.Double => torch.tensor(t.DoubleData!, t.Dims),
        OnnxDataType.Bool => torch.tensor(t.Int64Data!, t.Dims).to_type(ScalarType.Bool),
        _ => torch.tensor(t.Int64Data!, t.Dims),
    };

    /// <summary>A TorchSharp tensor as an ONNX constant of the given type.</summary>
    public static OnnxTensor FromTorch(string name, Tensor value, OnnxDataType type = OnnxDataType.Float)
    {
        using var c = value.detach().cpu().contiguous();
        var t = new OnnxTensor { Name = name, DataType = type, Dims = c.shape.ToArray() };
        switch (type)
        {
            case OnnxDataType.Float: { using var f = c.to_type(ScalarType.Float32); t.FloatData = f.data<float>().ToArray(); break; }
            case OnnxDataType.Double: { using var f = c.to_type(ScalarType.Float64); t.DoubleData = f.data<double>().ToArray(); break; }
            default: { using var f = c.to_type(ScalarType.Int64); t.Int64Data = f.data<long>().ToArray(); break; }
        }
        return t;
    }
}
