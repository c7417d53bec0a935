using System.Runtime.InteropServices;
using Google.Protobuf;

namespace MlNetHw.Onnx;

/// <summary>
/// Parses the ONNX protobuf wire format into <see cref="OnnxModel"/> with Google.Protobuf's
/// <see cref="CodedInputStream"/> (no generated classes: only the fields MlNetHw uses, by their onnx.proto numbers).
/// </summary>
public static class OnnxReader
{
    /// <summary>Reads and validates an ONNX file.</summary>
    public static OnnxModel ReadFile(string path)
    {
        if (!File.Exists(path)) throw new OnnxFormatException($"ONNX file not found: {path}");
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Read(bytes, Path.GetDirectoryName(Path.GetFullPath(path)));
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or OnnxFormatException or ArgumentException
                                      or InvalidOperationException or IndexOutOfRangeException or OverflowException)
        {
            throw new OnnxFormatException($"{path} is not a readable ONNX model ({bytes.Length} bytes): {e.Message}", e);
        }
    }

    /// <summary>
    /// Parses a serialized ModelProto. Tensors stored as external data (PyTorch's exporter writes models over 2 GB that
    /// way: each weight in a file beside the model) are read from <paramref name="externalDataDirectory"/>, the model
    /// file's folder; without it such a model is refused.
    /// </summary>
    public static OnnxModel Read(byte[] bytes, string? externalDataDirectory = null)
    {
        var model = new OnnxModel { ProducerName = "", IrVersion = 0 };
        bool hasGraph = false;
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: model.IrVersion = input.ReadInt64(); break;
                case 2: model.ProducerName = input.ReadString(); break;
                case 3: model.ProducerVersion = input.ReadString(); break;
                case 4: model.Domain = input.ReadString(); break;
                case 5: model.ModelVersion = input.ReadInt64(); break;
                case 6: model.DocString = input.ReadString(); break;
                case 7: model.Graph = ReadGraph(input.ReadBytes(), externalDataDirectory); hasGraph = true; break;
                case 8: model.OpsetImports.Add(ReadOpset(input.ReadBytes())); break;
                default: input.SkipLastField(); break;
            }
        }
        if (!hasGraph || model.IrVersion <= 0)
            throw new OnnxFormatException($"no ModelProto found (ir_version={model.IrVersion}, graph {(hasGraph ? "present" : "missing")}).");
        return model;
    }

    static (string, long) ReadOpset(ByteString data)
    {
        var input = data.CreateCodedInput();
        string domain = ""; long version = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: domain = input.ReadString(); break;
                case 2: version = input.ReadInt64(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (domain, version);
    }

    static OnnxGraph ReadGraph(ByteString data, string? dir)
    {
        var g = new OnnxGraph();
        var input = data.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: g.Nodes.Add(ReadNode(input.ReadBytes(), dir)); break;
                case 2: g.Name = input.ReadString(); break;
                case 5: g.Initializers.Add(ReadTensor(input.ReadBytes(), dir)); break;
                case 11: g.Inputs.Add(ReadValueInfo(input.ReadBytes())); break;
                case 12: g.Outputs.Add(ReadValueInfo(input.ReadBytes())); break;
                case 15: throw new OnnxFormatException("sparse initializers are not supported.");
                default: input.SkipLastField(); break;
            }
        }
        return g;
    }

    static OnnxNode ReadNode(ByteString data, string? dir)
    {
        var n = new OnnxNode();
        var input = data.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: n.Inputs.Add(input.ReadString()); break;
                case 2: n.Outputs.Add(input.ReadString()); break;
                case 3: n.Name = input.ReadString(); break;
                case 4: n.OpType = input.ReadString(); break;
                case 5: n.Attributes.Add(ReadAttribute(input.ReadBytes(), dir)); break;
                case 7: n.Domain = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return n;
    }

    static OnnxAttribute ReadAttribute(ByteString data, string? dir)
    {
        var a = new OnnxAttribute();
        var input = data.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            bool packed = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
            switch (field)
            {
                case 1: a.Name = input.ReadString(); break;
                case 2: a.F = input.ReadFloat(); break;
                case 3: a.I = input.ReadInt64(); break;
                case 4: a.S = input.ReadBytes().ToByteArray(); break;
                case 5: a.T = ReadTensor(input.ReadBytes(), dir); break;
                case 6: throw new OnnxFormatException($"attribute '{a.Name}': graph attributes (control flow) are not supported.");
                case 7:
                    if (packed) a.Floats.AddRange(MemoryMarshal.Cast<byte, float>(input.ReadBytes().Span).ToArray());
                    else a.Floats.Add(input.ReadFloat());
                    break;
                case 8:
                    if (packed) ReadPackedVarints(input.ReadBytes(), a.Ints);
                    else a.Ints.Add(input.ReadInt64());
                    break;
                case 9: a.Strings.Add(input.ReadBytes().ToByteArray()); break;
                case 20: a.Type = (OnnxAttributeType)input.ReadInt32(); break;
                default: input.SkipLastField(); break;
            }
        }
        if (a.Type == OnnxAttributeType.Undefined)
            a.Type = a.Ints.Count > 0 ? OnnxAttributeType.Ints : a.Floats.Count > 0 ? OnnxAttributeType.Floats
                : a.T is not null ? OnnxAttributeType.Tensor : a.S.Length > 0 ? OnnxAttributeType.String : OnnxAttributeType.Undefined;
        return a;
    }

    static void ReadPackedVarints(ByteString data, List<long> into)
    {
        var input = data.CreateCodedInput();
        while (!input.IsAtEnd) into.Add(input.ReadInt64());
    }

    static OnnxTensor ReadTensor(ByteString data, string? dir)
    {
        var t = new OnnxTensor { DataType = OnnxDataType.Undefined };
        var input = data.CreateCodedInput();
        var dims = new List<long>();
        var floats = new List<float>(); var longs = new List<long>(); var doubles = new List<double>();
        ByteString? raw = null;
        var external = new Dictionary<string, string>();
        bool isExternal = false;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            bool packed = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
            switch (field)
            {
                case 1: if (packed) ReadPackedVarints(input.ReadBytes(), dims); else dims.Add(input.ReadInt64()); break;
                case 2: t.DataType = (OnnxDataType)input.ReadInt32(); break;
                case 4:
                    if (packed) floats.AddRange(MemoryMarshal.Cast<byte, float>(input.ReadBytes().Span).ToArray());
                    else floats.Add(input.ReadFloat());
                    break;
                case 5: // int32_data (also holds uint8/int8/bool/float16 values)
                    if (packed) ReadPackedVarints(input.ReadBytes(), longs); else longs.Add(input.ReadInt32());
                    break;
                case 7: if (packed) ReadPackedVarints(input.ReadBytes(), longs); else longs.Add(input.ReadInt64()); break;
                case 8: t.Name = input.ReadString(); break;
                case 9: raw = input.ReadBytes(); break;
                case 10:
                    if (packed) doubles.AddRange(MemoryMarshal.Cast<byte, double>(input.ReadBytes().Span).ToArray());
                    else doubles.Add(input.ReadDouble());
                    break;
                case 13: { var (k, v) = ReadStringPair(input.ReadBytes()); external[k] = v; break; }
                case 14: isExternal = input.ReadInt32() == 1; break;
                default: input.SkipLastField(); break;
            }
        }
        t.Dims = dims.ToArray();
        long count = t.ElementCount;
        if (isExternal) raw = ReadExternal(t, external, dir);
        switch (t.DataType)
        {
            case OnnxDataType.Float:
                t.FloatData = raw is not null ? MemoryMarshal.Cast<byte, float>(raw.Span).ToArray() : floats.ToArray();
                CheckCount(t, t.FloatData.Length, count);
                break;
            case OnnxDataType.Double:
                t.DoubleData = raw is not null ? MemoryMarshal.Cast<byte, double>(raw.Span).ToArray() : doubles.ToArray();
                CheckCount(t, t.DoubleData.Length, count);
                break;
            case OnnxDataType.Int64:
                t.Int64Data = raw is not null ? MemoryMarshal.Cast<byte, long>(raw.Span).ToArray() : longs.ToArray();
                CheckCount(t, t.Int64Data.Length, count);
                break;
            case OnnxDataType.Int32:
                t.Int64Data = raw is not null ? MemoryMarshal.Cast<byte, int>(raw.Span).ToArray().Select(v => (long)v).ToArray() : longs.ToArray();
                CheckCount(t, t.Int64Data.Length, count);
                break;
            case OnnxDataType.UInt8: case OnnxDataType.Bool:
                t.Int64Data = raw is not null ? raw.Span.ToArray().Select(v => (long)v).ToArray() : longs.ToArray();
                CheckCount(t, t.Int64Data.Length, count);
                break;
            case OnnxDataType.Int8:
                t.Int64Data = raw is not null ? MemoryMarshal.Cast<byte, sbyte>(raw.Span).ToArray().Select(v => (long)v).ToArray() : longs.ToArray();
                CheckCount(t, t.Int64Data.Length, count);
                break;
            default:
                throw new OnnxFormatException($"tensor '{t.Name}' has data type {(int)t.DataType}, which is not supported (float, double, int8/32/64, uint8, bool are).");
        }
        return t;
    }

    /// <summary>A StringStringEntryProto (key 1, value 2).</summary>
    static (string Key, string Value) ReadStringPair(ByteString data)
    {
        var input = data.CreateCodedInput();
        string key = "", value = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = input.ReadString(); break;
                case 2: value = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (key, value);
    }

    /// <summary>
    /// The bytes of an external-data tensor: <c>location</c> (a file relative to the model's folder, which it may not
    /// leave), <c>offset</c> (default 0) and <c>length</c> (default: to the end of the file).
    /// </summary>
    static ByteString ReadExternal(OnnxTensor t, Dictionary<string, string> entries, string? dir)
    {
        if (dir is null)
            throw new OnnxFormatException($"tensor '{t.Name}' is stored as external data; load the model from its file so the data beside it can be found.");
        if (!entries.TryGetValue("location", out var location) || location.Length == 0)
            throw new OnnxFormatException($"tensor '{t.Name}' is stored as external data but names no location.");
        string root = Path.GetFullPath(dir);
        string file = Path.GetFullPath(Path.Combine(root, location));
        if (!file.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new OnnxFormatException($"tensor '{t.Name}': external data location '{location}' is outside the model's folder {root}.");
        if (!File.Exists(file))
            throw new OnnxFormatException($"tensor '{t.Name}': external data file not found: {file}.");
        long offset = entries.TryGetValue("offset", out var o) ? long.Parse(o, System.Globalization.CultureInfo.InvariantCulture) : 0;
        using var stream = File.OpenRead(file);
        long length = entries.TryGetValue("length", out var l) ? long.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : stream.Length - offset;
        if (offset < 0 || length < 0 || offset + length > stream.Length || length > int.MaxValue)
            throw new OnnxFormatException($"tensor '{t.Name}': external data range {offset}+{length} does not fit {file} ({stream.Length} bytes).");
        var bytes = new byte[length];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    static void CheckCount(OnnxTensor t, long actual, long expected)
    {
        if (actual != expected)
            throw new OnnxFormatException($"tensor '{t.Name}' has {actual} values but its shape [{string.Join(",", t.Dims)}] needs {expected}.");
    }

    static OnnxValueInfo ReadValueInfo(ByteString data)
    {
        var v = new OnnxValueInfo();
        var input = data.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: v.Name = input.ReadString(); break;
                case 2: ReadTypeProto(input.ReadBytes(), v); break;
                default: input.SkipLastField(); break;
            }
        }
        return v;
    }

    static void ReadTypeProto(ByteString data, OnnxValueInfo v)
    {
        var input = data.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1) { input.SkipLastField(); continue; }
            var tensorType = input.ReadBytes().CreateCodedInput();
            uint t2;
            while ((t2 = tensorType.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(t2))
                {
                    case 1: v.ElementType = (OnnxDataType)tensorType.ReadInt32(); break;
                    case 2:
                        var shape = tensorType.ReadBytes().CreateCodedInput();
                        uint t3;
                        while ((t3 = shape.ReadTag()) != 0)
                        {
                            if (WireFormat.GetTagFieldNumber(t3) != 1) { shape.SkipLastField(); continue; }
                            var dim = shape.ReadBytes().CreateCodedInput();
                            long? value = null; string? symbol = null;
                            uint t4;
                            while ((t4 = dim.ReadTag()) != 0)
                            {
                                switch (WireFormat.GetTagFieldNumber(t4))
                                {
                                    case 1: value = dim.ReadInt64(); break;
                                    case 2: symbol = dim.ReadString(); break;
                                    default: dim.SkipLastField(); break;
                                }
                            }
                            v.Shape.Add(value);
                            v.SymbolicNames.Add(value is null ? symbol ?? "?" : null);
                        }
                        break;
                    default: tensorType.SkipLastField(); break;
                }
            }
        }
    }
}
