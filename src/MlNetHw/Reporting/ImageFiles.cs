using SkiaSharp;

namespace MlNetHw.Reporting;

/// <summary>Writing images people look at: PNG files, written atomically so a crash never leaves half a file.</summary>
public static class ImageFiles
{
    /// <summary>Encodes the bitmap as PNG at <paramref name="path"/>, creating its folder.</summary>
    public static void SavePng(SKBitmap bitmap, string path)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"PNG encoding failed for {path}.");
        WriteAtomically(path, stream => data.SaveTo(stream));
    }

    /// <summary>Writes a file through a temporary name and a rename, so readers never see a partial file.</summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var stream = File.Create(tmp)) write(stream);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
