using MlNetHw.Reporting;
using SkiaSharp;
using static TorchSharp.torch;

namespace MlNetHw.Style;

/// <summary>Reading photos and paintings into (1, 3, H, W) tensors in [0, 1] and writing results back as PNG.</summary>
public static class StyleImages
{
    /// <summary>Decodes an image file; a missing or undecodable file gets an error naming it and the option it came from.</summary>
    public static SKBitmap Load(string path, string role)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"--{role}: no image file given.");
        if (!File.Exists(path)) throw new FileNotFoundException($"--{role}: image file '{path}' does not exist.", path);
        // The shared check: a truncated or corrupt file (valid header, missing pixels) is refused, not painted black.
        return MlNetHw.Data.ImageFile.Decode(path, $"--{role}");
    }

    /// <summary>
    /// Output size (H, W) for a photo whose longer side becomes about <paramref name="size"/>, aspect ratio kept, with
    /// both sides rounded to a multiple of <paramref name="multiple"/> (at least one multiple). The packaged CNTK
    /// ResNet18 needs 16: its stride-2 convolutions pad asymmetrically, so an odd-sized stage input gives the main
    /// path and the 1×1 shortcut different sizes and the residual Add fails.
    /// </summary>
    public static (int Height, int Width) FitLongSide(int width, int height, int size, int multiple = SizeMultiple)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), $"--size must be positive (got {size}).");
        double s = size / (double)Math.Max(width, height);
        int Round(double v) => (int)Math.Max(multiple, Math.Round(v / multiple) * multiple);
        return (Round(height * s), Round(width * s));
    }

    /// <summary>Image sides are multiples of this (see <see cref="FitLongSide"/>).</summary>
    public const int SizeMultiple = 16;

    /// <summary>
    /// <paramref name="bitmap"/> scaled to cover <paramref name="height"/>×<paramref name="width"/> and centre-cropped
    /// (the painting fills the frame without distortion), as a (1, 3, H, W) RGB tensor in [0, 1].
    /// </summary>
    public static Tensor ToTensor(SKBitmap bitmap, int height, int width)
    {
        using var resized = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(resized))
        using (var paint = new SKPaint { FilterQuality = SKFilterQuality.High, IsAntialias = true })
        {
            float scale = Math.Max(width / (float)bitmap.Width, height / (float)bitmap.Height);
            float w = bitmap.Width * scale, h = bitmap.Height * scale;
            canvas.Clear(SKColors.Black);
            canvas.DrawBitmap(bitmap, SKRect.Create((width - w) / 2, (height - h) / 2, w, h), paint);
        }
        var bytes = resized.Bytes; // RGBA, row-major
        int plane = width * height;
        var data = new float[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            data[i] = bytes[4 * i] / 255f;
            data[plane + i] = bytes[4 * i + 1] / 255f;
            data[2 * plane + i] = bytes[4 * i + 2] / 255f;
        }
        return tensor(data, new long[] { 1, 3, height, width });
    }

    /// <summary>A (1, 3, H, W) or (3, H, W) tensor in [0, 1] (clamped) as an opaque bitmap (rounded to 8 bits).</summary>
    public static SKBitmap ToBitmap(Tensor image)
    {
        using var cpu = image.detach().to(CPU).to_type(ScalarType.Float32).reshape(3, image.shape[^2], image.shape[^1]).clamp(0, 1).contiguous();
        int h = (int)cpu.shape[1], w = (int)cpu.shape[2], plane = h * w;
        var v = cpu.data<float>().ToArray();
        var pixels = new byte[4 * plane];
        for (int i = 0; i < plane; i++)
        {
            pixels[4 * i] = ToByte(v[i]);
            pixels[4 * i + 1] = ToByte(v[plane + i]);
            pixels[4 * i + 2] = ToByte(v[2 * plane + i]);
            pixels[4 * i + 3] = 255;
        }
        var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bmp.GetPixels(), pixels.Length);
        return bmp;
    }

    static byte ToByte(float v) => (byte)Math.Clamp((int)MathF.Round(v * 255f), 0, 255);

    /// <summary>Writes a (1, 3, H, W) tensor in [0, 1] as a PNG (atomically).</summary>
    public static void SavePng(Tensor image, string path)
    {
        using var bmp = ToBitmap(image);
        ImageFiles.SavePng(bmp, path);
    }
}
