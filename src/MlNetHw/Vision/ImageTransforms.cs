using SkiaSharp;

namespace MlNetHw.Vision;

/// <summary>
/// torchvision-style image transforms on SkiaSharp bitmaps, producing RGB planes in 0..255 (the layout of ML.NET's
/// ExtractPixels, which the packaged ResNet18 preprocessing expects). Randomness comes from the caller's
/// <see cref="Random"/>, so a seeded run is reproducible.
/// </summary>
public static class ImageTransforms
{
    /// <summary>Decodes an image file; a file SkiaSharp cannot decode fails with its path.</summary>
    public static SKBitmap Decode(string path)
    {
        try { return MlNetHw.Data.ImageFile.Decode(path); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path} could not be decoded as an image (corrupted or not an image file).", e); }
    }

    /// <summary>
    /// RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3)) as torchvision samples it (10 tries, then a centre
    /// crop), then an optional horizontal flip with probability 0.5. Returns 3×size×size RGB planes.
    /// </summary>
    public static float[] RandomResizedCrop(SKBitmap src, int size, Random rng, bool flip = true,
        double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3)
    {
        int W = src.Width, H = src.Height;
        double area = W * (double)H;
        SKRectI? rect = null;
        for (int attempt = 0; attempt < 10 && rect is null; attempt++)
        {
            double target = area * (minScale + rng.NextDouble() * (maxScale - minScale));
            double logRatio = Math.Log(minRatio) + rng.NextDouble() * (Math.Log(maxRatio) - Math.Log(minRatio));
            double ratio = Math.Exp(logRatio);
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= W && h <= H)
            {
                int top = rng.Next(H - h + 1), left = rng.Next(W - w + 1);
                rect = SKRectI.Create(left, top, w, h);
            }
        }
        if (rect is null)
        {
            // Fallback: the largest centred crop whose aspect ratio is within bounds.
            double inRatio = W / (double)H;
            int w = W, h = H;
            if (inRatio < minRatio) h = (int)Math.Round(w / minRatio);
            else if (inRatio > maxRatio) w = (int)Math.Round(h * maxRatio);
            rect = SKRectI.Create((W - w) / 2, (H - h) / 2, w, h);
        }
        bool mirror = flip && rng.NextDouble() < 0.5;
        return Render(src, rect.Value, size, size, mirror);
    }

    /// <summary>Resize(resize) (shorter side to <paramref name="resize"/>, aspect kept) then CenterCrop(crop).</summary>
    public static float[] ResizeCenterCrop(SKBitmap src, int resize = 256, int crop = 224)
    {
        double scale = resize / (double)Math.Min(src.Width, src.Height);
        // The crop window in source pixels: crop/scale wide, centred.
        double cw = Math.Min(src.Width, crop / scale), ch = Math.Min(src.Height, crop / scale);
        var rect = SKRect.Create((float)((src.Width - cw) / 2), (float)((src.Height - ch) / 2), (float)cw, (float)ch);
        return Render(src, rect, crop, crop, false);
    }

    /// <summary>Resizes the whole image to width×height (no crop): for the pixel baseline and thumbnails.</summary>
    public static float[] Resize(SKBitmap src, int width, int height) =>
        Render(src, SKRect.Create(0, 0, src.Width, src.Height), width, height, false);

    /// <summary>Draws <paramref name="source"/> of <paramref name="src"/> into width×height and returns RGB planes.</summary>
    public static float[] Render(SKBitmap src, SKRect source, int width, int height, bool mirror)
    {
        using var dst = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(dst))
        using (var paint = new SKPaint { FilterQuality = SKFilterQuality.Medium, IsAntialias = true })
        {
            canvas.Clear(SKColors.Black);
            if (mirror) { canvas.Translate(width, 0); canvas.Scale(-1, 1); }
            canvas.DrawBitmap(src, source, SKRect.Create(0, 0, width, height), paint);
        }
        return Planes(dst);
    }

    /// <summary>RGB planes (3, H, W) in 0..255 of an RGBA8888 bitmap.</summary>
    public static unsafe float[] Planes(SKBitmap bmp)
    {
        if (bmp.ColorType != SKColorType.Rgba8888) throw new ArgumentException("expected an RGBA8888 bitmap.");
        int w = bmp.Width, h = bmp.Height, plane = w * h;
        var data = new float[3 * plane];
        byte* p = (byte*)bmp.GetPixels();
        int stride = bmp.RowBytes;
        for (int y = 0; y < h; y++)
        {
            byte* row = p + y * stride;
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                data[i] = row[4 * x]; data[plane + i] = row[4 * x + 1]; data[2 * plane + i] = row[4 * x + 2];
            }
        }
        return data;
    }

    /// <summary>A bitmap of RGB planes (for grids of what the network saw).</summary>
    public static SKBitmap ToBitmap(float[] planes, int width, int height)
    {
        var bmp = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        int plane = width * height;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                byte B(float v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);
                bmp.SetPixel(x, y, new SKColor(B(planes[i]), B(planes[plane + i]), B(planes[2 * plane + i])));
            }
        return bmp;
    }
}
