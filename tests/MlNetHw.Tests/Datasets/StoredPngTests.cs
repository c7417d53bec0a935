using MlNetHw.IO;
using MlNetHw.Reporting;
using MlNetHw.Datasets;
using SkiaSharp;

namespace MlNetHw.Tests.Datasets;

/// <summary>The platform-independent PNG writer behind the pinned image checksums, and the byte progress line.</summary>
[TestClass]
[TestCategory("Datasets")]
public sealed class StoredPngTests
{
    [TestMethod]
    [DataRow(28, 28)]
    [DataRow(1, 1)]
    [DataRow(300, 260)] // more than one 64 KB stored block
    public void EncodedGrayscaleDecodesToTheSamePixels(int width, int height)
    {
        var pixels = new byte[width * height];
        new Random(width * 31 + height).NextBytes(pixels);
        byte[] png = StoredPng.EncodeGray8(pixels, width, height);

        using var bitmap = SKBitmap.Decode(png);
        Assert.IsNotNull(bitmap, "SkiaSharp decodes it");
        Assert.AreEqual(width, bitmap.Width);
        Assert.AreEqual(height, bitmap.Height);
        for (int y = 0; y < height; y += Math.Max(1, height / 7))
            for (int x = 0; x < width; x += Math.Max(1, width / 7))
                Assert.AreEqual(pixels[y * width + x], bitmap.GetPixel(x, y).Red, $"pixel ({x}, {y})");
        CollectionAssert.AreEqual(png, StoredPng.EncodeGray8(pixels, width, height), "same pixels, same bytes");
        Assert.ThrowsExactly<ArgumentException>(() => StoredPng.EncodeGray8(pixels, width + 1, height));
    }

    [TestMethod]
    public void ByteProgressToARedirectedWriterPrintsPlainLinesWithARate()
    {
        var output = new StringWriter();
        var progress = new TextProgressBar("file.bin", 3_000_000, output) { Unit = "B" };
        progress.Report(1_000_000);
        progress.Report(2_000_000); // within the plain-line interval: not printed
        progress.Report(3_000_000);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(2, lines.Length, output.ToString());
        StringAssert.Contains(lines[0], "1000000/3000000");
        StringAssert.Contains(lines[1], "/s");
        StringAssert.Contains(lines[1], "B/s");
    }
}
