namespace MlNetHw.Onnx;

// A minimal object model of the ONNX protobuf schema (onnx.proto, IR version 3+): only the fields MlNetHw reads and
// writes. Field numbers are those of onnx.proto; unknown fields are skipped on read and not written back.

/// <summary>ONNX tensor element types (TensorProto.DataType) that MlNetHw understands.</summary>
public enum OnnxDataType
{
    /// <summary>No type set (0).</summary>
    Undefined = 0,
    /// <summary>32-bit float (1).</summary>
    Float = 1,
    /// <summary>Unsigned 8-bit integer (2).</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer (3).</summary>
    Int8 = 3,
    /// <summary>Signed 32-bit integer (6).</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer (7).</summary>
    Int64 = 7,
    /// <summary>UTF-8 string (8).</summary>
    String = 8,
    /// <summary>Boolean, one byte per element (9).</summary>
    Bool = 9,
    /// <summary>64-bit float (11).</summary>
    Double = 11,
}

/// <summary>ONNX AttributeProto.AttributeType.</summary>
public enum OnnxAttributeType
{
    /// <summary>No type set (0).</summary>
    Undefined = 0,
    /// <summary>A single float, in <see cref="OnnxAttribute.F"/> (1).</summary>
    Float = 1,
    /// <summary>A single integer, in <see cref="OnnxAttribute.I"/> (2).</summary>
    Int = 2,
    /// <summary>A byte string, in <see cref="OnnxAttribute.S"/> (3).</summary>
    String = 3,
    /// <summary>A constant tensor, in <see cref="OnnxAttribute.T"/> (4).</summary>
    Tensor = 4,
    /// <summary>A subgraph (5); its value is not kept by this object model.</summary>
    Graph = 5,
    /// <summary>A list of floats, in <see cref="OnnxAttribute.Floats"/> (6).</summary>
    Floats = 6,
    /// <summary>A list of integers, in <see cref="OnnxAttribute.Ints"/> (7).</summary>
    Ints = 7,
    /// <summary>A list of byte strings, in <see cref="OnnxAttribute.Strings"/> (8).</summary>
    Strings = 8,
}

/// <summary>A constant tensor (TensorProto): an initializer or an attribute value. Data is held as float, long or double.</summary>
public sealed class OnnxTensor
{
    /// <summary>Tensor name; initializers are referenced by it from node inputs.</summary>
    public string Name { get; set; } = "";
    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public long[] Dims { get; set; } = Array.Empty<long>();
    /// <summary>Element type, which says which of the data arrays holds the values [Float].</summary>
    public OnnxDataType DataType { get; set; } = OnnxDataType.Float;
    /// <summary>Values when <see cref="DataType"/> is Float.</summary>
    public float[]? FloatData { get; set; }
    /// <summary>Values when <see cref="DataType"/> is an integer or bool type (widened to long).</summary>
    public long[]? Int64Data { get; set; }
    /// <summary>Values when <see cref="DataType"/> is Double.</summary>
    public double[]? DoubleData { get; set; }

    /// <summary>Number of elements implied by <see cref="Dims"/>.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>A float tensor named <paramref name="name"/> with the given data (row-major) and dimensions.</summary>
    public static OnnxTensor FromFloats(string name, float[] data, params long[] dims) =>
        new() { Name = name, DataType = OnnxDataType.Float, FloatData = data, Dims = dims };

    /// <summary>An int64 tensor named <paramref name="name"/> with the given data (row-major) and dimensions.</summary>
    public static OnnxTensor FromInt64s(string name, long[] data, params long[] dims) =>
        new() { Name = name, DataType = OnnxDataType.Int64, Int64Data = data, Dims = dims };
}

/// <summary>A node attribute (AttributeProto).</summary>
public sealed class OnnxAttribute
{
    /// <summary>Attribute name, e.g. "kernel_shape".</summary>
    public string Name { get; set; } = "";
    /// <summary>Which of the value fields below holds the value.</summary>
    public OnnxAttributeType Type { get; set; }
    /// <summary>Value of a <see cref="OnnxAttributeType.Float"/> attribute.</summary>
    public float F { get; set; }
    /// <summary>Value of an <see cref="OnnxAttributeType.Int"/> attribute.</summary>
    public long I { get; set; }
    /// <summary>Value of a <see cref="OnnxAttributeType.String"/> attribute (raw bytes, UTF-8 by convention).</summary>
    public byte[] S { get; set; } = Array.Empty<byte>();
    /// <summary>Value of a <see cref="OnnxAttributeType.Tensor"/> attribute.</summary>
    public OnnxTensor? T { get; set; }
    /// <summary>Values of a <see cref="OnnxAttributeType.Floats"/> attribute.</summary>
    public List<float> Floats { get; } = new();
    /// <summary>Values of an <see cref="OnnxAttributeType.Ints"/> attribute.</summary>
    public List<long> Ints { get; } = new();
    /// <summary>Values of a <see cref="OnnxAttributeType.Strings"/> attribute (raw bytes each).</summary>
    public List<byte[]> Strings { get; } = new();

    /// <summary>An integer attribute.</summary>
    public static OnnxAttribute Int(string name, long v) => new() { Name = name, Type = OnnxAttributeType.Int, I = v };
    /// <summary>A float attribute.</summary>
    public static OnnxAttribute Float(string name, float v) => new() { Name = name, Type = OnnxAttributeType.Float, F = v };
    /// <summary>A string attribute, stored as UTF-8 bytes.</summary>
    public static OnnxAttribute String(string name, string v) =>
        new() { Name = name, Type = OnnxAttributeType.String, S = System.Text.Encoding.UTF8.GetBytes(v) };
    /// <summary>A string-list attribute (UTF-8), e.g. the separators of a tokenizer node.</summary>
    public static OnnxAttribute StringList(string name, IEnumerable<string> v)
    {
        var a = new OnnxAttribute { Name = name, Type = OnnxAttributeType.Strings };
        a.Strings.AddRange(v.Select(System.Text.Encoding.UTF8.GetBytes));
        return a;
    }

    /// <summary>An integer-list attribute, e.g. pads or strides.</summary>
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
    /// <summary>Node name; may be empty (see <see cref="DisplayName"/>).</summary>
    public string Name { get; set; } = "";
    /// <summary>Operator name, e.g. "Conv" or "Gemm".</summary>
    public string OpType { get; set; } = "";
    /// <summary>Operator set domain; "" is the default ONNX domain.</summary>
    public string Domain { get; set; } = "";
    /// <summary>Names of the input values, in operator order; "" marks an omitted optional input.</summary>
    public List<string> Inputs { get; } = new();
    /// <summary>Names of the output values, in operator order.</summary>
    public List<string> Outputs { get; } = new();
    /// <summary>The node's attributes.</summary>
    public List<OnnxAttribute> Attributes { get; } = new();

    /// <summary>A readable id for messages: the name, or the op type and first output when the node is unnamed.</summary>
    public string DisplayName => Name.Length > 0 ? Name : $"<unnamed {OpType} -> {Outputs.FirstOrDefault()}>";

    /// <summary>The attribute named <paramref name="name"/>, or null when the node does not have it.</summary>
    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);
}

/// <summary>A graph input or output (ValueInfoProto) with its tensor type; a null dimension is symbolic.</summary>
public sealed class OnnxValueInfo
{
    /// <summary>Value name, as used by node inputs and outputs.</summary>
    public string Name { get; set; } = "";
    /// <summary>Tensor element type [Float].</summary>
    public OnnxDataType ElementType { get; set; } = OnnxDataType.Float;
    /// <summary>Dimensions; null for a symbolic dimension (e.g. "batch").</summary>
    public List<long?> Shape { get; } = new();
    /// <summary>Names of symbolic dimensions, parallel to <see cref="Shape"/> (null where the dimension is fixed).</summary>
    public List<string?> SymbolicNames { get; } = new();

    /// <summary>A tensor value info with the given shape; each null dimension becomes the symbolic dimension "N".</summary>
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
    /// <summary>Graph name.</summary>
    public string Name { get; set; } = "";
    /// <summary>Operator nodes in topological order.</summary>
    public List<OnnxNode> Nodes { get; } = new();
    /// <summary>Constant tensors (weights), referenced by name from node inputs.</summary>
    public List<OnnxTensor> Initializers { get; } = new();
    /// <summary>Graph inputs; these may include initializers in models with IR version below 4.</summary>
    public List<OnnxValueInfo> Inputs { get; } = new();
    /// <summary>Graph outputs.</summary>
    public List<OnnxValueInfo> Outputs { get; } = new();
}

/// <summary>A model file (ModelProto).</summary>
public sealed class OnnxModel
{
    /// <summary>ONNX IR version of the file [3].</summary>
    public long IrVersion { get; set; } = 3;
    /// <summary>Name of the tool that wrote the model ["MlNetHw"].</summary>
    public string ProducerName { get; set; } = "MlNetHw";
    /// <summary>Version of the tool that wrote the model.</summary>
    public string ProducerVersion { get; set; } = "";
    /// <summary>Model namespace (reverse-DNS by convention); may be empty.</summary>
    public string Domain { get; set; } = "";
    /// <summary>Model version number set by the producer.</summary>
    public long ModelVersion { get; set; }
    /// <summary>Free-text description of the model.</summary>
    public string DocString { get; set; } = "";
    /// <summary>Operator sets used: (domain, version); the default domain is "".</summary>
    public List<(string Domain, long Version)> OpsetImports { get; } = new();
    /// <summary>The model's main graph.</summary>
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
    /// <summary>Creates the exception with a message that names the file or node, and the underlying error if any.</summary>
    public OnnxFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
