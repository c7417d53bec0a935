using SkiaSharp;

namespace MlNetHw.Reporting;

/// <summary>One named curve of a <see cref="LineChart"/>.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// Draws line charts (loss and accuracy curves) to PNG with SkiaSharp, the imaging library ML.NET's
/// ImageAnalytics already ships, so no plotting package is needed.
/// </summary>
public sealed class LineChart
{
    static readonly SKColor[] Palette =
    {
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40),
        new(148, 103, 189), new(140, 86, 75), new(227, 119, 194), new(127, 127, 127),
    };

    readonly List<Series> _series = new();
    public string Title { get; init; } = "";
    public string XLabel { get; init; } = "";
    public string YLabel { get; init; } = "";
    /// <summary>Plot the y axis on a log10 scale (for losses spanning decades); non-positive values are skipped.</summary>
    public bool LogY { get; init; }
    public int Width { get; init; } = 800;
    public int Height { get; init; } = 500;

    public LineChart Add(string name, IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"series '{name}': {x.Count} x values but {y.Count} y values.");
        _series.Add(new Series(name, x, y));
        return this;
    }

    /// <summary>Adds a series whose x values are 1, 2, 3, ... (epochs, steps).</summary>
    public LineChart Add(string name, IReadOnlyList<double> y) =>
        Add(name, Enumerable.Range(1, y.Count).Select(i => (double)i).ToArray(), y);

    /// <summary>Renders the chart and writes it as PNG, creating the folder if needed.</summary>
    public void SavePng(string path)
    {
        using var bitmap = new SKBitmap(Width, Height);
        using (var canvas = new SKCanvas(bitmap)) Draw(canvas);
        ImageFiles.SavePng(bitmap, path);
    }

    double Ty(double y) => LogY ? Math.Log10(y) : y;

    void Draw(SKCanvas canvas)
    {
        canvas.Clear(SKColors.White);
        const float left = 80, right = 20, top = 40, bottom = 60;
        float w = Width - left - right, h = Height - top - bottom;
        var points = _series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.Second) && (!LogY || p.Second > 0)).ToList();
        double x0 = points.Count > 0 ? points.Min(p => p.First) : 0, x1 = points.Count > 0 ? points.Max(p => p.First) : 1;
        double y0 = points.Count > 0 ? points.Min(p => Ty(p.Second)) : 0, y1 = points.Count > 0 ? points.Max(p => Ty(p.Second)) : 1;
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 <= y0) { y0 -= 0.5; y1 += 0.5; }
        double pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
        float Px(double x) => left + (float)((x - x0) / (x1 - x0)) * w;
        float Py(double y) => top + h - (float)((Ty(y) - y0) / (y1 - y0)) * h;

        using var font = Fonts.Create(13);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1 };
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1.5f, Style = SKPaintStyle.Stroke };
        for (int i = 0; i <= 5; i++)
        {
            double yv = y0 + (y1 - y0) * i / 5;
            float gy = top + h - h * i / 5f;
            canvas.DrawLine(left, gy, left + w, gy, grid);
            string yl = LogY ? $"{Math.Pow(10, yv):G3}" : $"{yv:G3}";
            canvas.DrawText(yl, left - 6 - Fonts.Measure(font, yl), gy + 4, font, text);
        }
        // x ticks at round values (1, 2, 5 × 10^k apart), whole numbers only when every x is whole (epochs, steps).
        bool wholeX = points.All(p => p.First == Math.Floor(p.First));
        double step = NiceStep((x1 - x0) / 5);
        if (wholeX) step = Math.Max(1, Math.Round(step));
        for (double xv = Math.Ceiling(x0 / step) * step; xv <= x1 + step * 1e-9; xv += step)
        {
            float gx = Px(xv);
            canvas.DrawLine(gx, top, gx, top + h, grid);
            string xl = $"{xv:G4}";
            canvas.DrawText(xl, gx - Fonts.Measure(font, xl) / 2, top + h + 18, font, text);
        }
        canvas.DrawRect(left, top, w, h, axis);
        using var titleFont = Fonts.Create(16);
        canvas.DrawText(Title, left + (w - Fonts.Measure(titleFont, Title)) / 2, 26, titleFont, text);
        canvas.DrawText(XLabel, left + (w - Fonts.Measure(font, XLabel)) / 2, Height - 18, font, text);
        canvas.Save();
        canvas.RotateDegrees(-90);
        string yLabel = LogY ? YLabel + " (log scale)" : YLabel;
        canvas.DrawText(yLabel, -(top + (h + Fonts.Measure(font, yLabel)) / 2), 20, font, text);
        canvas.Restore();

        // The legend sits on a white box in the top-right corner, drawn after the curves so it stays readable.
        float legendWidth = 40 + _series.Select(x => Fonts.Measure(font, x.Name)).DefaultIfEmpty(0).Max();
        var legendBox = SKRect.Create(left + w - legendWidth - 10, top + 4, legendWidth + 6, 18 * _series.Count + 6);
        for (int si = 0; si < _series.Count; si++)
        {
            var s = _series[si];
            using var pen = new SKPaint { Color = Palette[si % Palette.Length], StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
            using var path = new SKPath();
            bool started = false;
            for (int i = 0; i < s.X.Count; i++)
            {
                if (!double.IsFinite(s.Y[i]) || (LogY && s.Y[i] <= 0)) continue;
                if (!started) { path.MoveTo(Px(s.X[i]), Py(s.Y[i])); started = true; }
                else path.LineTo(Px(s.X[i]), Py(s.Y[i]));
            }
            canvas.DrawPath(path, pen);
        }
        if (_series.Count == 0) return;
        using var legendFill = new SKPaint { Color = new SKColor(255, 255, 255, 230), Style = SKPaintStyle.Fill };
        canvas.DrawRect(legendBox, legendFill);
        canvas.DrawRect(legendBox, grid);
        for (int si = 0; si < _series.Count; si++)
        {
            using var pen = new SKPaint { Color = Palette[si % Palette.Length], StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
            float ly = legendBox.Top + 16 + si * 18;
            canvas.DrawLine(legendBox.Left + 6, ly - 4, legendBox.Left + 30, ly - 4, pen);
            canvas.DrawText(_series[si].Name, legendBox.Left + 36, ly, font, text);
        }
    }

    /// <summary>The round step (1, 2 or 5 × 10^k) nearest above <paramref name="rough"/>.</summary>
    static double NiceStep(double rough)
    {
        if (!(rough > 0)) return 1;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double f = rough / magnitude;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
    }
}
