using SkiaSharp;

namespace MlNetHw.Tests.Vision;

/// <summary>Seeded synthetic pictures for vision tests: gradients, shapes, text and noise, so features vary.</summary>
static class TestImages
{
    /// <summary>Draws an image of <paramref name="width"/>×<paramref name="height"/> from <paramref name="seed"/>.</summary>
    public static SKBitmap Draw(int seed, int width = 224, int height = 224, int kind = -1)
    {
        var rng = new Random(seed);
        var bmp = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bmp);
        SKColor Rand() => new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height), new[] { Rand(), Rand() }, SKShaderTileMode.Clamp))
        using (var bg = new SKPaint { Shader = shader })
            canvas.DrawRect(0, 0, width, height, bg);
        if (kind < 0) kind = rng.Next(2);
        int shapes = 3 + rng.Next(5);
        for (int i = 0; i < shapes; i++)
        {
            using var p = new SKPaint { Color = Rand(), IsAntialias = true, Style = rng.Next(3) == 0 ? SKPaintStyle.Stroke : SKPaintStyle.Fill, StrokeWidth = 1 + rng.Next(8) };
            float x = rng.Next(width), y = rng.Next(height), r = 5 + rng.Next(Math.Max(6, width / 3));
            if (kind == 0) canvas.DrawCircle(x, y, r, p);
            else canvas.DrawRect(x - r, y - r / 2, r * 2, r, p);
        }
        // A little pixel noise, like a camera.
        for (int i = 0; i < width * height / 20; i++)
            bmp.SetPixel(rng.Next(width), rng.Next(height), Rand());
        return bmp;
    }

    /// <summary>RGB planes in 0..255, (3, H, W) flattened: the layout ML.NET's ExtractPixels produces.</summary>
    public static float[] Planes(SKBitmap bmp)
    {
        int w = bmp.Width, h = bmp.Height;
        var data = new float[3 * w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = bmp.GetPixel(x, y);
                data[y * w + x] = c.Red; data[w * h + y * w + x] = c.Green; data[2 * w * h + y * w + x] = c.Blue;
            }
        return data;
    }

    /// <summary>Writes <paramref name="bmp"/> as PNG (or JPEG when the name ends .jpg).</summary>
    public static void Save(SKBitmap bmp, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var format = path.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png;
        using var img = SKImage.FromBitmap(bmp);
        using var data = img.Encode(format, 95);
        using var f = File.Create(path);
        data.SaveTo(f);
    }
}
