using MlNetHw.IO;
using System.Runtime.InteropServices;
using Google.Protobuf;
using MlNetHw.Reporting;

namespace MlNetHw.Onnx;

/// <summary>Serializes <see cref="OnnxModel"/> to the ONNX protobuf wire format (tensor data as raw little-endian bytes).</summary>
public static class OnnxWriter
{
    /// <summary>Writes the model to <paramref name="path"/> through a temporary file, so a crash never leaves half a model.</summary>
    public static void WriteFile(OnnxModel model, string path)
    {
        byte[] bytes = Write(model);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>The serialized ModelProto.</summary>
    public static byte[] Write(OnnxModel model) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(model.IrVersion);
        WriteString(o, 2, model.ProducerName);
        WriteString(o, 3, model.ProducerVersion);
        WriteString(o, 4, model.Domain);
        if (model.ModelVersion != 0) { o.WriteTag(5, WireFormat.WireType.Varint); o.WriteInt64(model.ModelVersion); }
        WriteString(o, 6, model.DocString);
        WriteMessage(o, 7, Graph(model.Graph));
        foreach (var (domain, version) in model.OpsetImports)
            WriteMessage(o, 8, Message(m =>
            {
                WriteString(m, 1, domain);
                m.WriteTag(2, WireFormat.WireType.Varint); m.WriteInt64(version);
            }));
    });

    static byte[] Graph(OnnxGraph g) => Message(o =>
    {
        foreach (var n in g.Nodes) WriteMessage(o, 1, Node(n));
        WriteString(o, 2, g.Name);
        foreach (var t in g.Initializers) WriteMessage(o, 5, Tensor(t));
        foreach (var v in g.Inputs) WriteMessage(o, 11, ValueInfo(v));
        foreach (var v in g.Outputs) WriteMessage(o, 12, ValueInfo(v));
    });

    static byte[] Node(OnnxNode n) => Message(o =>
    {
        foreach (var i in n.Inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
        foreach (var i in n.Outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
        WriteString(o, 3, n.Name);
        WriteString(o, 4, n.OpType);
        foreach (var a in n.Attributes) WriteMessage(o, 5, Attribute(a));
        WriteString(o, 7, n.Domain);
    });

    static byte[] Attribute(OnnxAttribute a) => Message(o =>
    {
        WriteString(o, 1, a.Name);
        switch (a.Type)
        {
            case OnnxAttributeType.Float: o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(a.F); break;
            case OnnxAttributeType.Int: o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(a.I); break;
            case OnnxAttributeType.String: o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(a.S)); break;
            case OnnxAttributeType.Tensor: WriteMessage(o, 5, Tensor(a.T ?? throw new OnnxFormatException($"attribute '{a.Name}' has no tensor."))); break;
            case OnnxAttributeType.Floats: foreach (var f in a.Floats) { o.WriteTag(7, WireFormat.WireType.Fixed32); o.WriteFloat(f); } break;
            case OnnxAttributeType.Ints: foreach (var i in a.Ints) { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(i); } break;
            case OnnxAttributeType.Strings: foreach (var s in a.Strings) { o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(s)); } break;
            default: throw new OnnxFormatException($"attribute '{a.Name}' of type {a.Type} cannot be written.");
        }
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32((int)a.Type);
    });

    static byte[] Tensor(OnnxTensor t) => Message(o =>
    {
        foreach (var d in t.Dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32((int)t.DataType);
        WriteString(o, 8, t.Name);
        byte[] raw = t.DataType switch
        {
            OnnxDataType.Float => MemoryMarshal.AsBytes((t.FloatData ?? Array.Empty<float>()).AsSpan()).ToArray(),
            OnnxDataType.Double => MemoryMarshal.AsBytes((t.DoubleData ?? Array.Empty<double>()).AsSpan()).ToArray(),
            OnnxDataType.Int64 => MemoryMarshal.AsBytes((t.Int64Data ?? Array.Empty<long>()).AsSpan()).ToArray(),
            OnnxDataType.Int32 => MemoryMarshal.AsBytes((t.Int64Data ?? Array.Empty<long>()).Select(v => (int)v).ToArray().AsSpan()).ToArray(),
            OnnxDataType.UInt8 or OnnxDataType.Bool => (t.Int64Data ?? Array.Empty<long>()).Select(v => (byte)v).ToArray(),
            OnnxDataType.Int8 => (t.Int64Data ?? Array.Empty<long>()).Select(v => unchecked((byte)(sbyte)v)).ToArray(),
            _ => throw new OnnxFormatException($"tensor '{t.Name}' of type {t.DataType} cannot be written."),
        };
        o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
    });

    static byte[] ValueInfo(OnnxValueInfo v) => Message(o =>
    {
        WriteString(o, 1, v.Name);
        byte[] shape = Message(s =>
        {
            for (int i = 0; i < v.Shape.Count; i++)
                WriteMessage(s, 1, Message(d =>
                {
                    if (v.Shape[i] is { } value) { d.WriteTag(1, WireFormat.WireType.Varint); d.WriteInt64(value); }
                    else WriteString(d, 2, v.SymbolicNames.ElementAtOrDefault(i) ?? "N");
                }));
        });
        byte[] tensorType = Message(tt =>
        {
            tt.WriteTag(1, WireFormat.WireType.Varint); tt.WriteInt32((int)v.ElementType);
            WriteMessage(tt, 2, shape);
        });
        WriteMessage(o, 2, Message(tp => WriteMessage(tp, 1, tensorType)));
    });

    static void WriteString(CodedOutputStream o, int field, string value)
    {
        if (string.IsNullOrEmpty(value)) return;
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    static void WriteMessage(CodedOutputStream o, int field, byte[] message)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(message));
    }

    static byte[] Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        using (var o = new CodedOutputStream(ms, leaveOpen: true)) { write(o); o.Flush(); }
        return ms.ToArray();
    }
}
