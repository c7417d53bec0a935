using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.MlNet;

/// <summary>
/// Named tensors in a small, documented binary format (all little-endian):
/// <c>"MLNHWTS1"</c>, int32 count, then per tensor: name (length-prefixed UTF-8), int32 dtype (libtorch
/// <c>ScalarType</c>), int32 rank, int64 dims..., int64 byte count, raw bytes (C-contiguous). Values round-trip bit for bit.
/// </summary>
/// <remarks>
/// Kept instead of TorchSharp 0.107's <c>Module.save</c>/<c>load</c> format, which has no magic or version and no reader of
/// a whole state dict without an already-built module (its count uses an internal LEB128 codec): <c>Module.load</c> fails
/// with "Mismatched tensor shape while loading" without naming the tensor or its shapes (which <see cref="LoadInto"/>
/// reports and the archive tests assert), and <c>save(Stream)</c> closes the stream, so a checkpoint could not hold two
/// state dicts back to back. Archives already written in this format must stay readable, so this reader stays in any case.
/// </remarks>
public sealed class TensorFile
{
    const string Magic = "MLNHWTS1";

    /// <summary>One tensor as stored.</summary>
    public sealed record Entry(ScalarType DType, long[] Shape, byte[] Data);

    /// <summary>The tensors by name, in state-dict order.</summary>
    public List<KeyValuePair<string, Entry>> Tensors { get; } = new();

    /// <summary>The state dict (parameters and buffers) of <paramref name="module"/>, copied to host memory.</summary>
    public static TensorFile FromModule(nn.Module module)
    {
        var file = new TensorFile();
        foreach (var (name, tensor) in module.state_dict())
        {
            using var cpu = tensor.detach().cpu().contiguous();
            file.Tensors.Add(new(name, new Entry(cpu.dtype, cpu.shape, cpu.bytes.ToArray())));
        }
        return file;
    }

    /// <summary>
    /// Copies every tensor into the same-named entry of <paramref name="module"/>'s state dict. Strict: a missing,
    /// extra, differently shaped or differently typed tensor is an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public void LoadInto(nn.Module module, string owner)
    {
        var target = module.state_dict();
        var saved = Tensors.ToDictionary(t => t.Key, t => t.Value);
        var missing = target.Keys.Where(k => !saved.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{owner}: weights lack tensor(s) {string.Join(", ", missing)}");
        var extra = saved.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (extra.Count > 0) throw new InvalidDataException($"{owner}: weights hold unknown tensor(s) {string.Join(", ", extra)}");
        using var noGrad = torch.no_grad();
        foreach (var (name, dst) in target)
        {
            var e = saved[name];
            if (!dst.shape.SequenceEqual(e.Shape))
                throw new InvalidDataException($"{owner}: tensor '{name}' has shape [{string.Join(", ", e.Shape)}] in the file, the model expects [{string.Join(", ", dst.shape)}]");
            if (dst.dtype != e.DType)
                throw new InvalidDataException($"{owner}: tensor '{name}' has dtype {e.DType} in the file, the model expects {dst.dtype}");
            using var src = torch.empty(e.Shape, e.DType);
            if (src.bytes.Length != e.Data.Length)
                throw new InvalidDataException($"{owner}: tensor '{name}' holds {e.Data.Length} bytes, expected {src.bytes.Length}");
            src.bytes = e.Data;
            dst.copy_(src);
        }
    }

    /// <summary>Writes the file to <paramref name="stream"/>.</summary>
    public void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Encoding.ASCII.GetBytes(Magic));
        w.Write(Tensors.Count);
        foreach (var (name, e) in Tensors)
        {
            w.Write(name);
            w.Write((int)e.DType);
            w.Write(e.Shape.Length);
            foreach (var d in e.Shape) w.Write(d);
            w.Write((long)e.Data.Length);
            w.Write(e.Data);
        }
    }

    /// <summary>Reads a file written by <see cref="Write"/>; <paramref name="source"/> names it in error messages.</summary>
    public static TensorFile Read(Stream stream, string source)
    {
        var file = new TensorFile();
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = Encoding.ASCII.GetString(r.ReadBytes(Magic.Length));
            if (magic != Magic) throw new InvalidDataException($"{source}: not an MlNetHw tensor file (header '{magic}')");
            int count = r.ReadInt32();
            if (count < 0) throw new InvalidDataException($"{source}: negative tensor count {count}");
            for (int i = 0; i < count; i++)
            {
                string name = r.ReadString();
                var dtype = (ScalarType)r.ReadInt32();
                int rank = r.ReadInt32();
                if (rank is < 0 or > 16) throw new InvalidDataException($"{source}: tensor '{name}' has rank {rank}");
                var shape = new long[rank];
                for (int d = 0; d < rank; d++) shape[d] = r.ReadInt64();
                long bytes = r.ReadInt64();
                if (bytes < 0 || bytes > int.MaxValue) throw new InvalidDataException($"{source}: tensor '{name}' claims {bytes} bytes");
                var data = r.ReadBytes((int)bytes);
                if (data.Length != bytes) throw new InvalidDataException($"{source}: tensor '{name}' is truncated ({data.Length} of {bytes} bytes)");
                file.Tensors.Add(new(name, new Entry(dtype, shape, data)));
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{source}: the tensor file is truncated", e);
        }
        return file;
    }
}
