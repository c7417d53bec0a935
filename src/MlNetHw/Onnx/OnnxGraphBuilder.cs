namespace MlNetHw.Onnx;

/// <summary>
/// A small helper for writing ONNX graphs by hand (the exporters of the text classifiers, the MLP and the captioner):
/// adds nodes with unique names, float/int64 initializers, typed inputs and outputs, and wraps the graph in a model
/// with its operator sets.
/// </summary>
public sealed class OnnxGraphBuilder
{
    int _next;

    /// <summary>The graph being built (nodes, initializers, inputs, outputs).</summary>
    public OnnxGraph Graph { get; }

    /// <summary>Starts an empty graph called <paramref name="name"/>.</summary>
    public OnnxGraphBuilder(string name) => Graph = new OnnxGraph { Name = name };

    /// <summary>A fresh value name with <paramref name="prefix"/>.</summary>
    public string Fresh(string prefix) => $"{prefix}_{_next++}";

    /// <summary>Adds a node; returns its first output's name.</summary>
    public string Node(string op, string[] inputs, string[] outputs, params OnnxAttribute[] attributes) => DomainNode("", op, inputs, outputs, attributes);

    /// <summary>Adds a node of operator set <paramref name="domain"/>; returns its first output's name.</summary>
    public string DomainNode(string domain, string op, string[] inputs, string[] outputs, params OnnxAttribute[] attributes)
    {
        var n = new OnnxNode { Name = $"{op}_{_next++}", OpType = op, Domain = domain };
        n.Inputs.AddRange(inputs); n.Outputs.AddRange(outputs); n.Attributes.AddRange(attributes);
        Graph.Nodes.Add(n);
        return outputs[0];
    }

    /// <summary>Adds a node with one fresh output; returns it.</summary>
    public string Op(string op, params string[] inputs) => Node(op, inputs, new[] { Fresh(op.ToLowerInvariant()) });

    /// <summary>Adds a node with attributes and one fresh output; returns it.</summary>
    public string Op(string op, string[] inputs, params OnnxAttribute[] attributes) => Node(op, inputs, new[] { Fresh(op.ToLowerInvariant()) }, attributes);

    /// <summary>A float initializer; returns its name.</summary>
    public string Floats(string name, float[] data, params long[] dims)
    {
        Graph.Initializers.Add(OnnxTensor.FromFloats(name, data, dims));
        return name;
    }

    /// <summary>An int64 initializer; returns its name.</summary>
    public string Int64s(string name, long[] data, params long[] dims)
    {
        Graph.Initializers.Add(OnnxTensor.FromInt64s(name, data, dims));
        return name;
    }

    /// <summary>A graph input of <paramref name="type"/>.</summary>
    public string Input(string name, OnnxDataType type, params long?[] shape)
    {
        var v = OnnxValueInfo.Tensor(name, shape); v.ElementType = type;
        Graph.Inputs.Add(v);
        return name;
    }

    /// <summary>A graph output of <paramref name="type"/>.</summary>
    public void Output(string name, OnnxDataType type, params long?[] shape)
    {
        var v = OnnxValueInfo.Tensor(name, shape); v.ElementType = type;
        Graph.Outputs.Add(v);
    }

    /// <summary>The model: IR 7, default operator set <paramref name="opset"/> plus any (domain, version) given.</summary>
    public OnnxModel Model(string doc, long opset = 12, params (string Domain, long Version)[] more)
    {
        var m = new OnnxModel { IrVersion = 7, ProducerName = "MlNetHw", ProducerVersion = "1", Graph = Graph, DocString = doc };
        m.OpsetImports.Add(("", opset));
        foreach (var d in more) m.OpsetImports.Add(d);
        return m;
    }
}
