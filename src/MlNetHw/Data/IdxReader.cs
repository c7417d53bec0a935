using MlNetHw.IO;
using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.Data;

/// <summary>Element types of the IDX format (the byte after the two zero bytes of the magic number).</summary>
public enum IdxDataType : byte
{
    /// <summary>Unsigned byte (0x08): MNIST images and labels.</summary>
    UByte = 0x08,
    /// <summary>Signed byte (0x09).</summary>
    SByte = 0x09,
    /// <summary>Big-endian 16-bit integer (0x0B).</summary>
    Int16 = 0x0B,
    /// <summary>Big-endian 32-bit integer (0x0C).</summary>
    Int32 = 0x0C,
    /// <summary>Big-endian 32-bit float (0x0D).</summary>
    Single = 0x0D,
    /// <summary>Big-endian 64-bit float (0x0E).</summary>
    Double = 0x0E,
}

/// <summary>An n-dimensional array read from an IDX file: its shape and its values (big-endian on disk, decoded here).</summary>
public sealed class IdxArray
{
    /// <summary>Size of each dimension, outermost first, e.g. (60000, 28, 28) for MNIST training images.</summary>
    public required int[] Shape { get; init; }
    /// <summary>Element type on disk.</summary>
    public required IdxDataType Type { get; init; }
    /// <summary>The values when <see cref="Type"/> is UByte (MNIST images and labels); otherwise null.</summary>
    public byte[]? Bytes { get; init; }
    /// <summary>The values for every other type, as double.</summary>
    public double[]? Values { get; init; }

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public long Length => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Element <paramref name="i"/> of the flattened array as a double.</summary>
    public double this[long i] => Bytes is not null ? Bytes[i] : Values![i];
}

/// <summary>
/// Reader of the IDX format of MNIST and Fashion-MNIST (<c>train-images-idx3-ubyte</c>, …): magic
/// <c>00 00 TYPE NDIM</c>, NDIM big-endian int32 sizes, then the values in row-major order. Gzipped files
/// (<c>.gz</c>, as distributed) are read transparently. A file shorter than its header says fails with the file name
/// and the numbers.
/// </summary>
public static class IdxReader
{
    /// <summary>Reads an IDX file (gzipped or not); a truncated or malformed file throws <see cref="InvalidDataException"/> naming it.</summary>
    public static IdxArray Read(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> magic = stackalloc byte[4];
        if (buffered.ReadAtLeast(magic, 4, throwOnEndOfStream: false) != 4 || magic[0] != 0 || magic[1] != 0)
            throw new InvalidDataException($"{path}: not an IDX file (the magic number must start with two zero bytes).");
        var type = (IdxDataType)magic[2];
        if (!Enum.IsDefined(type)) throw new InvalidDataException($"{path}: unknown IDX element type 0x{magic[2]:X2}.");
        int ndim = magic[3];
        if (ndim == 0) throw new InvalidDataException($"{path}: IDX file with zero dimensions.");
        var shape = new int[ndim];
        Span<byte> four = stackalloc byte[4];
        for (int d = 0; d < ndim; d++)
        {
            if (buffered.ReadAtLeast(four, 4, throwOnEndOfStream: false) != 4)
                throw new InvalidDataException($"{path}: header ends before dimension {d}.");
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(four);
            if (shape[d] < 0) throw new InvalidDataException($"{path}: negative size {shape[d]} in dimension {d}.");
        }
        long length = shape.Aggregate(1L, (a, b) => a * b);
        int width = type switch { IdxDataType.UByte or IdxDataType.SByte => 1, IdxDataType.Int16 => 2, IdxDataType.Int32 or IdxDataType.Single => 4, _ => 8 };
        if (length * width > Array.MaxLength) throw new InvalidDataException($"{path}: {length} elements do not fit in memory.");
        var raw = new byte[length * width];
        int got = buffered.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        if (got != raw.Length)
            throw new InvalidDataException($"{path}: truncated: header [{string.Join("x", shape)}] needs {raw.Length} bytes of data, found {got}.");
        if (type == IdxDataType.UByte) return new IdxArray { Shape = shape, Type = type, Bytes = raw };
        var values = new double[length];
        for (long i = 0; i < length; i++)
        {
            var s = raw.AsSpan((int)(i * width), width);
            values[i] = type switch
            {
                IdxDataType.SByte => (sbyte)s[0],
                IdxDataType.Int16 => BinaryPrimitives.ReadInt16BigEndian(s),
                IdxDataType.Int32 => BinaryPrimitives.ReadInt32BigEndian(s),
                IdxDataType.Single => BinaryPrimitives.ReadSingleBigEndian(s),
                _ => BinaryPrimitives.ReadDoubleBigEndian(s),
            };
        }
        return new IdxArray { Shape = shape, Type = type, Values = values };
    }

    /// <summary>Writes a UByte IDX file (uncompressed), atomically. Used for tests and for cutting subsets.</summary>
    public static void WriteBytes(string path, int[] shape, byte[] values)
    {
        long length = shape.Aggregate(1L, (a, b) => a * b);
        if (length != values.Length) throw new ArgumentException($"shape [{string.Join("x", shape)}] holds {length} values, got {values.Length}.");
        MlNetHw.IO.AtomicFile.Write(path, stream =>
        {
            stream.Write([0, 0, (byte)IdxDataType.UByte, (byte)shape.Length]);
            Span<byte> four = stackalloc byte[4];
            foreach (int d in shape) { BinaryPrimitives.WriteInt32BigEndian(four, d); stream.Write(four); }
            stream.Write(values);
        });
    }

    /// <summary>Reads an image file (N, H, W) and its label file (N), checking they agree.</summary>
    public static IdxImages ReadImages(string imagesPath, string labelsPath)
    {
        var images = Read(imagesPath);
        var labels = Read(labelsPath);
        if (images.Type != IdxDataType.UByte || images.Shape.Length != 3)
            throw new InvalidDataException($"{imagesPath}: expected unsigned bytes of shape (N, H, W), got {images.Type} [{string.Join("x", images.Shape)}].");
        if (labels.Type != IdxDataType.UByte || labels.Shape.Length != 1)
            throw new InvalidDataException($"{labelsPath}: expected unsigned bytes of shape (N), got {labels.Type} [{string.Join("x", labels.Shape)}].");
        if (images.Shape[0] != labels.Shape[0])
            throw new InvalidDataException($"{imagesPath} holds {images.Shape[0]} images but {labelsPath} holds {labels.Shape[0]} labels.");
        return new IdxImages(images.Shape[0], images.Shape[1], images.Shape[2], images.Bytes!, labels.Bytes!);
    }

    /// <summary>An IDX image/label pair as an ML.NET <see cref="IDataView"/>: <c>Label</c> (uint, the class index) and
    /// <c>Features</c> (vector of H·W floats scaled to [0, 1]).</summary>
    public static IDataView Load(MLContext mlContext, string imagesPath, string labelsPath) => Load(mlContext.Data, imagesPath, labelsPath);

    /// <inheritdoc cref="Load(MLContext, string, string)"/>
    public static IDataView Load(DataOperationsCatalog data, string imagesPath, string labelsPath)
    {
        var set = ReadImages(imagesPath, labelsPath);
        int size = set.Height * set.Width;
        var rows = Enumerable.Range(0, set.Count).Select(i => new IdxRow
        {
            Label = set.Labels[i],
            Features = set.Pixels.AsSpan(i * size, size).ToArray().Select(b => b / 255f).ToArray(),
        });
        var schema = SchemaDefinition.Create(typeof(IdxRow));
        schema[nameof(IdxRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return data.LoadFromEnumerable(rows, schema);
    }

    static bool IsGzip(FileStream file)
    {
        int b0 = file.ReadByte(), b1 = file.ReadByte();
        file.Position = 0;
        return b0 == 0x1F && b1 == 0x8B;
    }

    sealed class IdxRow
    {
        public uint Label { get; set; }
        public float[] Features { get; set; } = [];
    }
}

/// <summary>Images (N, H, W) of unsigned bytes with their labels, as read from an IDX pair.</summary>
public sealed record IdxImages(int Count, int Height, int Width, byte[] Pixels, byte[] Labels)
{
    /// <summary>The pixels of image <paramref name="index"/> (H·W bytes, row-major).</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Height * Width, Height * Width);
}
