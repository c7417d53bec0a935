using SkiaSharp;

namespace MlNetHw.Reporting;

/// <summary>
/// Text fonts for charts and image sheets. SkiaSharp's "NoDependencies" Linux build has no fontconfig, so the
/// default typeface can be empty; a system TrueType font is loaded by path when one exists.
/// </summary>
public static class Fonts
{
    static readonly Lazy<SKTypeface> Typeface = new(Load);

    static SKTypeface Load()
    {
        string[] candidates =
        {
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            @"C:\Windows\Fonts\arial.ttf",
            "/System/Library/Fonts/Helvetica.ttc",
        };
        foreach (var path in candidates)
            if (File.Exists(path) && SKTypeface.FromFile(path) is { } face) return face;
        return SKTypeface.Default;
    }

    /// <summary>A font of the given pixel size.</summary>
    public static SKFont Create(float size) => new(Typeface.Value, size);

    /// <summary>Width in pixels of <paramref name="text"/> in the chart font of pixel size <paramref name="size"/>.</summary>
    public static float Measure(float size, string text)
    {
        using var font = Create(size);
        return Measure(font, text);
    }

    /// <summary>Width in pixels of <paramref name="text"/> drawn with <paramref name="font"/>.</summary>
    public static float Measure(SKFont font, string text)
    {
        using var paint = new SKPaint { Typeface = font.Typeface, TextSize = font.Size };
        return paint.MeasureText(text);
    }
}
