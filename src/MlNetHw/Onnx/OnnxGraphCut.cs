namespace MlNetHw.Onnx;

/// <summary>Where a classification graph's features were taken from, and why (see <see cref="OnnxGraphCut.DetectFeatureOutput"/>).</summary>
/// <param name="Name">The ONNX value (a node output) whose tensor feeds the new head.</param>
/// <param name="Reason">How it was chosen, for the run log ("input of the last Gemm 'fc' (after Flatten)").</param>
public sealed record OnnxCutPoint(string Name, string Reason);

/// <summary>
/// Inspecting and cutting ONNX classification graphs (bring your own backbone): the value that feeds the classifier,
/// the nodes near the end of a graph, the graph's fixed input size, and a copy of the graph that stops at a chosen
/// node output. Works on the parsed <see cref="OnnxModel"/>; nothing here runs the graph.
/// </summary>
public static class OnnxGraphCut
{
    /// <summary>Ops that only reshape or pass a tensor through between the pooled features and the classifier.</summary>
    static readonly HashSet<string> PassThrough = new() { "Flatten", "Reshape", "Squeeze", "Dropout", "Identity" };
    /// <summary>Ops that compute shapes or constants: not useful as cut points in a list of candidates.</summary>
    static readonly HashSet<string> ShapeOps = new()
    {
        "Constant", "Shape", "Gather", "Unsqueeze", "Concat", "Cast", "Size", "ConstantOfShape", "Range", "Slice", "Squeeze",
    };

    /// <summary>
    /// The value the classifier reads: the data input of the last Gemm or MatMul on the way to the first graph output,
    /// followed back through Flatten/Reshape/Squeeze/Dropout/Identity (so for a torchvision ResNet the pooled
    /// (N, 512, 1, 1) map, for MobileNetV2 the pooled (N, 1280, 1, 1)). A graph without such a classifier (a feature
    /// extractor already, like the packaged CNTK ResNet18) gives its first output.
    /// </summary>
    public static OnnxCutPoint DetectFeatureOutput(OnnxModel model)
    {
        var g = model.Graph;
        if (g.Outputs.Count == 0) throw new OnnxFormatException($"graph '{g.Name}' declares no output.");
        string output = g.Outputs[0].Name;
        var needed = Ancestors(g, output);
        var inits = g.Initializers.Select(t => t.Name).ToHashSet();
        var producer = Producers(g);
        var classifier = g.Nodes.LastOrDefault(n => n.OpType is "Gemm" or "MatMul" && needed.Contains(n)
            && n.Inputs.Count >= 2 && !inits.Contains(n.Inputs[0]));
        if (classifier is null)
            return new OnnxCutPoint(output, $"no Gemm/MatMul classifier found: the graph output '{output}' itself");
        string value = classifier.Inputs[0];
        var skipped = new List<string>();
        while (producer.TryGetValue(value, out var p) && PassThrough.Contains(p.OpType) && p.Inputs.Count > 0 && !inits.Contains(p.Inputs[0]))
        {
            skipped.Add(p.OpType);
            value = p.Inputs[0];
        }
        string after = skipped.Count == 0 ? "" : $" (before {string.Join(" → ", Enumerable.Reverse(skipped))})";
        return new OnnxCutPoint(value, $"input of the last {classifier.OpType} '{classifier.DisplayName}'{after}");
    }

    /// <summary>
    /// The last <paramref name="count"/> node outputs that carry data (not shape arithmetic or constants), latest last,
    /// each as "name (op)": what an error about an unknown cut point suggests.
    /// </summary>
    public static IReadOnlyList<string> CandidatesNearEnd(OnnxModel model, int count = 8) =>
        model.Graph.Nodes.Where(n => !ShapeOps.Contains(n.OpType))
            .SelectMany(n => n.Outputs.Where(o => o.Length > 0).Take(1).Select(o => $"{o} ({n.OpType})"))
            .TakeLast(count).ToList();

    /// <summary>True when <paramref name="name"/> is a node output of the graph.</summary>
    public static bool IsNodeOutput(OnnxModel model, string name) => model.Graph.Nodes.Any(n => n.Outputs.Contains(name));

    /// <summary>The single non-initializer input of the graph; throws naming the inputs otherwise.</summary>
    public static OnnxValueInfo DataInput(OnnxModel model)
    {
        var inits = model.Graph.Initializers.Select(t => t.Name).ToHashSet();
        var inputs = model.Graph.Inputs.Where(i => !inits.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new OnnxFormatException($"graph '{model.Graph.Name}' has {inputs.Count} non-constant inputs ({string.Join(", ", inputs.Select(i => i.Name))}); an image model has exactly one.");
        return inputs[0];
    }

    /// <summary>(height, width) of the image input when both are fixed in the graph's declared input shape (N, C, H, W), else null.</summary>
    public static (int Height, int Width)? FixedImageSize(OnnxModel model)
    {
        var input = DataInput(model);
        if (input.Shape.Count != 4 || input.Shape[2] is not { } h || input.Shape[3] is not { } w || h <= 0 || w <= 0) return null;
        return ((int)h, (int)w);
    }

    /// <summary>
    /// A copy of <paramref name="model"/> whose only output is <paramref name="output"/>: the nodes, initializers and
    /// inputs that value needs, nothing after it (the old classifier is gone). The output's declared shape is
    /// <paramref name="outputShape"/> when given (null dimensions stay symbolic), else unknown.
    /// </summary>
    public static OnnxModel Cut(OnnxModel model, string output, IReadOnlyList<long?>? outputShape = null)
    {
        var g = model.Graph;
        if (!IsNodeOutput(model, output))
            throw new ArgumentException($"'{output}' is not a node output of graph '{g.Name}'.", nameof(output));
        var needed = Ancestors(g, output);
        var read = needed.SelectMany(n => n.Inputs).ToHashSet();
        var ng = new OnnxGraph { Name = g.Name };
        ng.Nodes.AddRange(g.Nodes.Where(needed.Contains));
        ng.Initializers.AddRange(g.Initializers.Where(t => read.Contains(t.Name)));
        var initNames = g.Initializers.Select(t => t.Name).ToHashSet();
        ng.Inputs.AddRange(g.Inputs.Where(i => !initNames.Contains(i.Name) || read.Contains(i.Name)));
        var o = outputShape is null ? new OnnxValueInfo { Name = output } : OnnxValueInfo.Tensor(output, outputShape.ToArray());
        ng.Outputs.Add(o);
        var m = new OnnxModel
        {
            IrVersion = model.IrVersion, ProducerName = model.ProducerName, ProducerVersion = model.ProducerVersion,
            Domain = model.Domain, ModelVersion = model.ModelVersion, DocString = model.DocString, Graph = ng,
        };
        m.OpsetImports.AddRange(model.OpsetImports);
        return m;
    }

    static Dictionary<string, OnnxNode> Producers(OnnxGraph g)
    {
        var producer = new Dictionary<string, OnnxNode>();
        foreach (var n in g.Nodes) foreach (var o in n.Outputs.Where(o => o.Length > 0)) producer[o] = n;
        return producer;
    }

    /// <summary>The nodes <paramref name="output"/> depends on (including its producer).</summary>
    static HashSet<OnnxNode> Ancestors(OnnxGraph g, string output)
    {
        var producer = Producers(g);
        var needed = new HashSet<OnnxNode>();
        var stack = new Stack<string>();
        stack.Push(output);
        while (stack.Count > 0)
        {
            string v = stack.Pop();
            if (!producer.TryGetValue(v, out var n) || !needed.Add(n)) continue;
            foreach (var i in n.Inputs.Where(i => i.Length > 0)) stack.Push(i);
        }
        return needed;
    }
}
