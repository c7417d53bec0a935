using MlNetHw.IO;
using SkiaSharp;

namespace MlNetHw.Reporting;

/// <summary>Writing images people look at: PNG files, written atomically (<see cref="AtomicFile"/>).</summary>
public static class ImageFiles
{
    /// <summary>Encodes the bitmap as PNG at <paramref name="path"/>, creating its folder.</summary>
    public static void SavePng(SKBitmap bitmap, string path)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"PNG encoding failed for {path}.");
        AtomicFile.Write(path, stream => data.SaveTo(stream));
    }
}
