namespace MlNetHw.Onnx;

// A minimal object model of the ONNX protobuf schema (onnx.proto, IR version 3+): only the fields MlNetHw reads and
// writes. Field numbers are those of onnx.proto; unknown fields are skipped on read and not written back.

/// <summary>ONNX tensor element types (TensorProto.DataType) that MlNetHw understands.</summary>
public enum OnnxDataType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, String = 8, Bool = 9, Double = 11,
}

/// <summary>ONNX AttributeProto.AttributeType.</summary>
public enum OnnxAttributeType
{
    Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, Floats = 6, Ints = 7, Strings = 8,
}

/// <summary>A constant tensor (TensorProto): an initializer or an attribute value. Data is held as float, long or double.</summary>
public sealed class OnnxTensor
{
    public string Name { get; set; } = "";
    public long[] Dims { get; set; } = Array.Empty<long>();
    public OnnxDataType DataType { get; set; } = OnnxDataType.Float;
    /// <summary>Values when <see cref="DataType"/> is Float.</summary>
    public float[]? FloatData { get; set; }
    /// <summary>Values when <see cref="DataType"/> is an integer or bool type (widened to long).</summary>
    public long[]? Int64Data { get; set; }
    /// <summary>Values when <see cref="DataType"/> is Double.</summary>
    public double[]? DoubleData { get; set; }

    /// <summary>Number of elements implied by <see cref="Dims"/>.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    public static OnnxTensor FromFloats(string name, float[] data, params long[] dims) =>
        new() { Name = name, DataType = OnnxDataType.Float, FloatData = data, Dims = dims };

    public static OnnxTensor FromInt64s(string name, long[] data, params long[] dims) =>
        new() { Name = name, DataType = OnnxDataType.Int64, Int64Data = data, Dims = dims };
}

/// <summary>A node attribute (AttributeProto).</summary>
public sealed class OnnxAttribute
{
    public string Name { get; set; } = "";
    public OnnxAttributeType Type { get; set; }
    public float F { get; set; }
    public long I { get; set; }
    public byte[] S { get; set; } = Array.Empty<byte>();
    public OnnxTensor? T { get; set; }
    public List<float> Floats { get; } = new();
    public List<long> Ints { get; } = new();
    public List<byte[]> Strings { get; } = new();

    public static OnnxAttribute Int(string name, long v) => new() { Name = name, Type = OnnxAttributeType.Int, I = v };
    public static OnnxAttribute Float(string name, float v) => new() { Name = name, Type = OnnxAttributeType.Float, F = v };
    public static OnnxAttribute String(string name, string v) =>
        new() { Name = name, Type = OnnxAttributeType.String, S = System.Text.Encoding.UTF8.GetBytes(v) };
    public static OnnxAttribute StringList(string name, IEnumerable<string> v)
    {
        var a = new OnnxAttribute { Name = name, Type = OnnxAttributeType.Strings };
        a.Strings.AddRange(v.Select(System.Text.Encoding.UTF8.GetBytes));
        return a;
    }
    public static OnnxAttribute IntList(string name, params long[] v)
    {
        var a = new OnnxAttribute { Name = name, Type = OnnxAttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }
}

/// <summary>One operator application (NodeProto).</summary>
public sealed class OnnxNode
{
    public string Name { get; set; } = "";
    public string OpType { get; set; } = "";
    public string Domain { get; set; } = "";
    public List<string> Inputs { get; } = new();
    public List<string> Outputs { get; } = new();
    public List<OnnxAttribute> Attributes { get; } = new();

    /// <summary>A readable id for messages: the name, or the op type and first output when the node is unnamed.</summary>
    public string DisplayName => Name.Length > 0 ? Name : $"<unnamed {OpType} -> {Outputs.FirstOrDefault()}>";

    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);
}

/// <summary>A graph input or output (ValueInfoProto) with its tensor type; a null dimension is symbolic.</summary>
public sealed class OnnxValueInfo
{
    public string Name { get; set; } = "";
    public OnnxDataType ElementType { get; set; } = OnnxDataType.Float;
    /// <summary>Dimensions; null for a symbolic dimension (e.g. "batch").</summary>
    public List<long?> Shape { get; } = new();
    /// <summary>Names of symbolic dimensions, parallel to <see cref="Shape"/> (null where the dimension is fixed).</summary>
    public List<string?> SymbolicNames { get; } = new();

    public static OnnxValueInfo Tensor(string name, params long?[] shape)
    {
        var v = new OnnxValueInfo { Name = name };
        foreach (var d in shape) { v.Shape.Add(d); v.SymbolicNames.Add(d is null ? "N" : null); }
        return v;
    }
}

/// <summary>A computation graph (GraphProto): nodes in topological order, constant initializers, inputs and outputs.</summary>
public sealed class OnnxGraph
{
    public string Name { get; set; } = "";
    public List<OnnxNode> Nodes { get; } = new();
    public List<OnnxTensor> Initializers { get; } = new();
    public List<OnnxValueInfo> Inputs { get; } = new();
    public List<OnnxValueInfo> Outputs { get; } = new();
}

/// <summary>A model file (ModelProto).</summary>
public sealed class OnnxModel
{
    public long IrVersion { get; set; } = 3;
    public string ProducerName { get; set; } = "MlNetHw";
    public string ProducerVersion { get; set; } = "";
    public string Domain { get; set; } = "";
    public long ModelVersion { get; set; }
    public string DocString { get; set; } = "";
    /// <summary>Operator sets used: (domain, version); the default domain is "".</summary>
    public List<(string Domain, long Version)> OpsetImports { get; } = new();
    public OnnxGraph Graph { get; set; } = new();

    /// <summary>The version of the default ("" or "ai.onnx") operator set, or 1 when none is declared.</summary>
    public long DefaultOpset =>
        OpsetImports.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();

    /// <summary>Reads an ONNX file; a missing, truncated or non-ONNX file throws <see cref="OnnxFormatException"/> naming it.</summary>
    public static OnnxModel Load(string path) => OnnxReader.ReadFile(path);

    /// <summary>Writes this model as an ONNX file (atomically).</summary>
    public void Save(string path) => OnnxWriter.WriteFile(this, path);
}

/// <summary>An ONNX file that cannot be read or a graph that MlNetHw cannot run; the message names the file/node.</summary>
public sealed class OnnxFormatException : Exception
{
    public OnnxFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
