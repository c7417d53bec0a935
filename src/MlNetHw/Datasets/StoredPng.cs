using System.Buffers.Binary;
using System.Text;

namespace MlNetHw.Datasets;

/// <summary>
/// Writes 8-bit grayscale PNGs whose bytes depend only on the pixels: the image data is zlib-wrapped with
/// <em>stored</em> (uncompressed) deflate blocks, so no compressor version or platform can change the output. That
/// keeps the sha256 values pinned in the manifests of generated image datasets valid on every machine (a 28×28 image is
/// 0.9 KB instead of 0.5 KB). Any PNG decoder reads them.
/// </summary>
public static class StoredPng
{
    /// <summary>The PNG file bytes of a <paramref name="width"/>×<paramref name="height"/> grayscale image (row-major pixels).</summary>
    public static byte[] EncodeGray8(ReadOnlySpan<byte> pixels, int width, int height)
    {
        if (width <= 0 || height <= 0 || pixels.Length != width * height)
            throw new ArgumentException($"{width}x{height} grayscale needs {width * height} pixels, got {pixels.Length}.");
        // Scanlines with filter type 0 (None).
        var raw = new byte[height * (width + 1)];
        for (int y = 0; y < height; y++) pixels.Slice(y * width, width).CopyTo(raw.AsSpan(y * (width + 1) + 1));

        using var zlib = new MemoryStream();
        zlib.WriteByte(0x78); zlib.WriteByte(0x01); // deflate, 32K window, no dictionary, "fastest" level bits.
        for (int offset = 0; offset < raw.Length || offset == 0; offset += 65535)
        {
            int n = Math.Min(65535, raw.Length - offset);
            bool last = offset + n >= raw.Length;
            zlib.WriteByte(last ? (byte)1 : (byte)0); // BFINAL, BTYPE=00 (stored)
            zlib.WriteByte((byte)n); zlib.WriteByte((byte)(n >> 8));
            zlib.WriteByte((byte)~n); zlib.WriteByte((byte)(~n >> 8));
            zlib.Write(raw, offset, n);
            if (last) break;
        }
        Span<byte> adler = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(adler, Adler32(raw));
        zlib.Write(adler);

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 0; // colour type: grayscale
        // compression 0, filter 0, interlace 0
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", zlib.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        output.Write(four);
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        uint crc = Crc32(Crc32(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(four, crc);
        output.Write(four);
    }

    static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    static uint Crc32(uint crc, byte[] data)
    {
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (byte x in data) { a = (a + x) % 65521; b = (b + a) % 65521; }
        return (b << 16) | a;
    }
}
