using System.Globalization;
using SkiaSharp;

namespace MlNetHw.Reporting;

/// <summary>One named curve of a <see cref="LineChart"/>.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>A flat, dashed line across the whole x range (a model without epochs, a target value).</summary>
public sealed record ReferenceLine(string Name, double Y);

/// <summary>How a <see cref="LineChart"/> lays out its series.</summary>
public enum ChartLayout
{
    /// <summary>One panel, unless the series' lengths differ by more than 3× (then one panel per series).</summary>
    Auto,
    /// <summary>Every series in one panel.</summary>
    Single,
    /// <summary>One panel per series (small multiples), all on the same y axis.</summary>
    SmallMultiples,
}

/// <summary>
/// Line charts (loss and accuracy curves) drawn by hand, to PNG with SkiaSharp and to SVG from the same layout.
/// </summary>
/// <remarks>
/// Why hand-written: ScottPlot 5 needs SkiaSharp 3, and ML.NET's ImageAnalytics (which the transfer-learning part
/// uses) is built on SkiaSharp 2.88; the two cannot be loaded side by side, so the charts use the 2.88 that is
/// already there. The standard they keep: ticks at round values (1, 2 or 5 × 10^k apart, the axis ends on a tick),
/// powers of ten on log axes, one number format per axis, the legend outside the data area, axis titles clear of the
/// tick labels, and one panel per series (sharing the y axis) when series lengths differ by more than 3×, so a 300-epoch
/// run does not squash 15-epoch runs into a corner. <see cref="SavePng"/> writes an SVG of the same chart beside the PNG.
/// </remarks>
public sealed class LineChart
{
    static readonly SKColor[] Palette =
    {
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40),
        new(148, 103, 189), new(140, 86, 75), new(227, 119, 194), new(127, 127, 127),
    };

    const float TickFont = 12, LabelFont = 13, TitleFont = 16, PanelTitleFont = 13;

    readonly List<Series> _series = new();
    readonly List<ReferenceLine> _references = new();
    /// <summary>Chart title, drawn above the panels ("" for none).</summary>
    public string Title { get; init; } = "";
    /// <summary>Title of the x axis.</summary>
    public string XLabel { get; init; } = "";
    /// <summary>Title of the y axis.</summary>
    public string YLabel { get; init; } = "";
    /// <summary>Plot the y axis on a log10 scale (for losses spanning decades); non-positive values are skipped.</summary>
    public bool LogY { get; init; }
    /// <summary>One panel or small multiples [Auto].</summary>
    public ChartLayout Layout { get; init; } = ChartLayout.Auto;
    /// <summary>Image width [px, 800].</summary>
    public int Width { get; init; } = 800;
    /// <summary>Height of a single-panel chart; small multiples grow it by rows.</summary>
    public int Height { get; init; } = 500;

    /// <summary>The series added so far, in order.</summary>
    public IReadOnlyList<Series> SeriesList => _series;

    /// <summary>Adds a series with explicit x values; <paramref name="x"/> and <paramref name="y"/> must have the same length.</summary>
    public LineChart Add(string name, IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"series '{name}': {x.Count} x values but {y.Count} y values.");
        _series.Add(new Series(name, x, y));
        return this;
    }

    /// <summary>Adds a series whose x values are 1, 2, 3, ... (epochs, steps).</summary>
    public LineChart Add(string name, IReadOnlyList<double> y) =>
        Add(name, Enumerable.Range(1, y.Count).Select(i => (double)i).ToArray(), y);

    /// <summary>Adds a dashed horizontal line at <paramref name="y"/> across every panel, named in the legend.</summary>
    public LineChart AddReference(string name, double y)
    {
        _references.Add(new ReferenceLine(name, y));
        return this;
    }

    /// <summary>True when the chart is drawn as one panel per series (see <see cref="ChartLayout.Auto"/>).</summary>
    public bool UsesSmallMultiples
    {
        get
        {
            if (Layout == ChartLayout.Single || _series.Count < 2) return false;
            if (Layout == ChartLayout.SmallMultiples) return true;
            var lengths = _series.Select(s => Math.Max(1, Valid(s).Count())).ToList();
            return lengths.Max() > 3 * lengths.Min();
        }
    }

    /// <summary>Renders the chart as PNG at <paramref name="path"/> and as SVG beside it (same name, <c>.svg</c>).</summary>
    public void SavePng(string path)
    {
        var size = PixelSize();
        using (var bitmap = new SKBitmap(size.Width, size.Height))
        {
            using (var canvas = new SKCanvas(bitmap)) Draw(new SkiaSurface(canvas));
            ImageFiles.SavePng(bitmap, path);
        }
        SaveSvg(Path.ChangeExtension(path, ".svg"));
    }

    /// <summary>Renders the chart as SVG at <paramref name="path"/>.</summary>
    public void SaveSvg(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, ToSvg());
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>The chart as an SVG document.</summary>
    public string ToSvg()
    {
        var size = PixelSize();
        var svg = new SvgSurface(size.Width, size.Height);
        Draw(svg);
        return svg.Finish();
    }

    /// <summary>The chart's size in pixels (small multiples add rows to <see cref="Height"/>).</summary>
    public (int Width, int Height) PixelSize()
    {
        if (!UsesSmallMultiples) return (Width, Height);
        var (_, rows) = Grid(_series.Count);
        return (Width, Math.Max(Height, 50 + rows * 230 + 40));
    }

    static (int Columns, int Rows) Grid(int n)
    {
        int columns = n <= 3 ? n : n == 4 ? 2 : 3;
        return (columns, (n + columns - 1) / columns);
    }

    IEnumerable<(double X, double Y)> Valid(Series s) =>
        s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second) && (!LogY || p.Second > 0));

    // ---------------------------------------------------------------- layout and drawing

    void Draw(IChartSurface g)
    {
        var (width, height) = PixelSize();
        g.Rect(new SKRect(0, 0, width, height), SKColors.White, null, 0);
        float top = 12;
        if (Title.Length > 0) { g.Text(Title, width / 2f, 12 + TitleFont, TitleFont, Anchor.Middle, bold: true); top = 20 + TitleFont + 8; }

        var yValues = _series.SelectMany(s => Valid(s).Select(p => p.Y)).Concat(_references.Select(r => r.Y).Where(y => double.IsFinite(y) && (!LogY || y > 0))).ToList();
        var yAxis = LogY ? Axis.Log(yValues) : Axis.Linear(yValues, maxTicks: 7);
        float yTickWidth = yAxis.Labels.Select(l => Fonts.Measure(TickFont, l)).DefaultIfEmpty(0).Max();

        // Left: y title (rotated), a gap, tick labels, a gap; bottom: tick labels, a gap, x title.
        float left = 12 + LabelFont + 10 + yTickWidth + 6;
        float bottom = 6 + TickFont + 10 + LabelFont + 10;
        // A legend wider than 28 % of the chart goes under the x title, in rows, instead of eating the plot's width.
        var all = Enumerable.Range(0, _series.Count).ToList();
        float legendWidth = UsesSmallMultiples ? 0 : LegendWidth(all);
        var legendRows = legendWidth > 0.28f * width ? LegendRows(all, width - left - 16) : null;
        if (legendRows is not null) { bottom += 18 * legendRows.Count + 4; legendWidth = 0; }
        float right = width - 16 - (legendWidth > 0 ? legendWidth + 14 : 0);
        g.Text(LogY ? YLabel + " (log scale)" : YLabel, 12 + LabelFont, 0, LabelFont, Anchor.Middle, vertical: true,
            verticalCentre: top + (height - top - bottom) / 2f);
        g.Text(XLabel, left + (right - left) / 2f, height - 12 - (legendRows is null ? 0 : 18 * legendRows.Count + 4), LabelFont, Anchor.Middle);
        if (legendRows is not null)
            for (int row = 0; row < legendRows.Count; row++)
                foreach (var (entry, x) in legendRows[row])
                    DrawLegendEntry(g, x + left, height - 18 * (legendRows.Count - row) - 2, entry);

        if (UsesSmallMultiples)
        {
            // Reference lines run through every panel; their legend is one row under the title.
            if (_references.Count > 0)
            {
                DrawLegend(g, new SKPoint(left, top - 6), Array.Empty<int>());
                top += 18 * _references.Count + 4;
            }
            var (columns, rows) = Grid(_series.Count);
            float panelW = (width - left - 16) / columns, panelH = (height - top - bottom) / rows;
            float gapX = 12 + yTickWidth + 6, tickRow = 6 + TickFont + 14; // room for a row's x tick labels above the next row's titles
            for (int i = 0; i < _series.Count; i++)
            {
                int col = i % columns, row = i / columns;
                // Every panel carries its own tick labels (the x ranges differ); the first column's sit in the margin.
                float px = left + col * panelW + (col > 0 ? gapX : 0), pw = panelW - (col > 0 ? gapX : 0) - (col < columns - 1 ? 4 : 0);
                float py = top + row * panelH + PanelTitleFont + 8, ph = panelH - PanelTitleFont - 8 - (row < rows - 1 ? tickRow : 0);
                var plot = new SKRect(px, py, px + pw, py + ph);
                g.Text(_series[i].Name, plot.MidX, plot.Top - 6, PanelTitleFont, Anchor.Middle, bold: true);
                DrawPanel(g, plot, new[] { i }, yAxis, labelY: true);
            }
        }
        else
        {
            var plot = new SKRect(left, top, right, height - bottom);
            DrawPanel(g, plot, Enumerable.Range(0, _series.Count).ToList(), yAxis, labelY: true);
            if (legendWidth > 0) DrawLegend(g, new SKPoint(right + 14, top), Enumerable.Range(0, _series.Count).ToList());
        }
    }

    void DrawPanel(IChartSurface g, SKRect plot, IReadOnlyList<int> seriesIndices, Axis yAxis, bool labelY)
    {
        var xValues = seriesIndices.SelectMany(i => Valid(_series[i]).Select(p => p.X)).ToList();
        bool wholeX = xValues.Count > 0 && xValues.All(x => x == Math.Floor(x));
        float widestGuess = Fonts.Measure(TickFont, "00000") + 14;
        var xAxis = Axis.Linear(xValues, maxTicks: Math.Max(2, (int)(plot.Width / widestGuess)), whole: wholeX);

        float Px(double x) => plot.Left + (float)((x - xAxis.Min) / (xAxis.Max - xAxis.Min)) * plot.Width;
        float Py(double y) => plot.Bottom - (float)((yAxis.Transform(y) - yAxis.Min) / (yAxis.Max - yAxis.Min)) * plot.Height;

        var gridColour = new SKColor(225, 225, 225);
        foreach (double m in yAxis.Minor) g.Line(plot.Left, Py(m), plot.Right, Py(m), new SKColor(242, 242, 242), 1);
        for (int t = 0; t < yAxis.Ticks.Count; t++)
        {
            float y = Py(yAxis.Ticks[t]);
            g.Line(plot.Left, y, plot.Right, y, gridColour, 1);
            if (labelY && yAxis.Labels[t].Length > 0) g.Text(yAxis.Labels[t], plot.Left - 6, y + TickFont * 0.35f, TickFont, Anchor.End);
        }
        for (int t = 0; t < xAxis.Ticks.Count; t++)
        {
            float x = Px(xAxis.Ticks[t]);
            g.Line(x, plot.Top, x, plot.Bottom, gridColour, 1);
            g.Text(xAxis.Labels[t], x, plot.Bottom + 6 + TickFont, TickFont, Anchor.Middle);
        }
        g.Rect(plot, null, SKColors.Black, 1.2f);

        for (int r = 0; r < _references.Count; r++)
        {
            double y = _references[r].Y;
            if (!double.IsFinite(y) || (LogY && y <= 0)) continue;
            g.Polyline(new[] { new SKPoint(plot.Left, Py(y)), new SKPoint(plot.Right, Py(y)) }, ReferenceColour(r), 2, dashed: true);
        }
        foreach (int i in seriesIndices)
        {
            var points = Valid(_series[i]).Select(p => new SKPoint(Px(p.X), Py(p.Y))).ToList();
            var colour = Palette[i % Palette.Length];
            if (points.Count > 1) g.Polyline(points, colour, 2, dashed: false);
            if (points.Count <= 30) foreach (var p in points) g.Circle(p.X, p.Y, 3, colour);
        }
    }

    SKColor ReferenceColour(int r) => Palette[(_series.Count + r) % Palette.Length];

    float LegendWidth(IReadOnlyList<int> seriesIndices)
    {
        var names = seriesIndices.Select(i => _series[i].Name).Concat(_references.Select(r => r.Name)).ToList();
        // One unnamed-looking series needs no legend: the title and axis say what it is.
        if (names.Count == 0 || (names.Count == 1 && _references.Count == 0)) return 0;
        return 34 + names.Max(n => Fonts.Measure(LabelFont, n)) + 8;
    }

    List<(string Name, SKColor Colour, bool Dashed)> LegendEntries(IReadOnlyList<int> seriesIndices) =>
        seriesIndices.Select(i => (_series[i].Name, Palette[i % Palette.Length], false))
            .Concat(_references.Select((r, k) => (r.Name, ReferenceColour(k), true))).ToList();

    /// <summary>The legend's entries from <paramref name="topLeft"/> down: the series, then the reference lines (dashed).</summary>
    void DrawLegend(IChartSurface g, SKPoint topLeft, IReadOnlyList<int> seriesIndices)
    {
        var entries = LegendEntries(seriesIndices);
        for (int k = 0; k < entries.Count; k++) DrawLegendEntry(g, topLeft.X, topLeft.Y + 14 + k * 18, entries[k]);
    }

    static void DrawLegendEntry(IChartSurface g, float x, float baseline, (string Name, SKColor Colour, bool Dashed) e)
    {
        g.Polyline(new[] { new SKPoint(x, baseline - 4), new SKPoint(x + 26, baseline - 4) }, e.Colour, 2, e.Dashed);
        g.Text(e.Name, x + 34, baseline, LabelFont, Anchor.Start);
    }

    /// <summary>Entries laid out left to right in rows no wider than <paramref name="maxWidth"/> (x offsets from the row start).</summary>
    List<List<((string, SKColor, bool) Entry, float X)>> LegendRows(IReadOnlyList<int> seriesIndices, float maxWidth)
    {
        var rows = new List<List<((string, SKColor, bool), float)>> { new() };
        float x = 0;
        foreach (var e in LegendEntries(seriesIndices))
        {
            float w = 34 + Fonts.Measure(LabelFont, e.Name) + 22;
            if (x > 0 && x + w > maxWidth) { rows.Add(new()); x = 0; }
            rows[^1].Add((e, x));
            x += w;
        }
        return rows;
    }

    // ---------------------------------------------------------------- ticks

    /// <summary>An axis: its range (in transformed units), major ticks with their labels, and minor ticks.</summary>
    public sealed class Axis
    {
        /// <summary>Lower end of the axis, in transformed units (log10 on a log axis).</summary>
        public double Min { get; private init; }
        /// <summary>Upper end of the axis, in transformed units.</summary>
        public double Max { get; private init; }
        /// <summary>True for a log10 axis.</summary>
        public bool IsLog { get; private init; }
        /// <summary>Major tick values in data units.</summary>
        public IReadOnlyList<double> Ticks { get; private init; } = Array.Empty<double>();
        /// <summary>Label text of each of <see cref="Ticks"/>.</summary>
        public IReadOnlyList<string> Labels { get; private init; } = Array.Empty<string>();
        /// <summary>Minor gridline values in data units (2..9 × 10^k on a log axis).</summary>
        public IReadOnlyList<double> Minor { get; private init; } = Array.Empty<double>();
        /// <summary>Distance between major ticks, in transformed units (1 decade on a log axis).</summary>
        public double Step { get; private init; }

        /// <summary>A data value in the axis's units: log10 on a log axis, unchanged otherwise.</summary>
        public double Transform(double v) => IsLog ? Math.Log10(v) : v;

        /// <summary>
        /// A linear axis over <paramref name="values"/> with at most <paramref name="maxTicks"/> ticks 1, 2 or 5 × 10^k
        /// apart; the axis ends on ticks; every label has the same number of decimals.
        /// </summary>
        public static Axis Linear(IReadOnlyCollection<double> values, int maxTicks = 7, bool whole = false)
        {
            double lo = values.Count > 0 ? values.Min() : 0, hi = values.Count > 0 ? values.Max() : 1;
            if (hi <= lo)
            {
                double pad = lo == 0 ? 0.5 : Math.Abs(lo) * 0.05;
                lo -= pad; hi += pad;
                if (whole) { lo = Math.Floor(lo); hi = Math.Ceiling(hi); if (hi <= lo) hi = lo + 1; }
            }
            maxTicks = Math.Max(2, maxTicks);
            double step = NiceStep((hi - lo) / (maxTicks - 1));
            if (whole) step = Math.Max(1, step);
            double min = Math.Floor(lo / step + 1e-9) * step, max = Math.Ceiling(hi / step - 1e-9) * step;
            while ((max - min) / step + 1 > maxTicks + 1e-9)
            {
                step = NiceStep(step * 1.0001);
                min = Math.Floor(lo / step + 1e-9) * step; max = Math.Ceiling(hi / step - 1e-9) * step;
            }
            if (max <= min) max = min + step;
            int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
            var ticks = new List<double>();
            for (int k = 0; min + k * step <= max + step * 1e-9; k++) ticks.Add(Math.Round(min + k * step, decimals + 2));
            string format = "F" + decimals.ToString(CultureInfo.InvariantCulture);
            return new Axis
            {
                Min = min, Max = max, Step = step, Ticks = ticks,
                Labels = ticks.Select(t => (t == 0 ? 0 : t).ToString(format, CultureInfo.InvariantCulture)).ToList(),
            };
        }

        /// <summary>A log10 axis over the positive <paramref name="values"/>: whole decades, ticks at powers of ten.</summary>
        public static Axis Log(IReadOnlyCollection<double> values, int maxLabels = 7)
        {
            var positive = values.Where(v => v > 0 && double.IsFinite(v)).ToList();
            int kLo = positive.Count > 0 ? (int)Math.Floor(Math.Log10(positive.Min()) + 1e-9) : 0;
            int kHi = positive.Count > 0 ? (int)Math.Ceiling(Math.Log10(positive.Max()) - 1e-9) : 1;
            if (kHi <= kLo) kHi = kLo + 1;
            int every = Math.Max(1, (int)Math.Ceiling((kHi - kLo + 1) / (double)maxLabels));
            bool plain = kLo >= -3 && kHi <= 4;
            var ticks = new List<double>();
            var labels = new List<string>();
            var minor = new List<double>();
            for (int k = kLo; k <= kHi; k++)
            {
                ticks.Add(Math.Pow(10, k));
                labels.Add((k - kLo) % every == 0 ? PowerOfTen(k, plain) : "");
                if (k < kHi && every == 1) for (int m = 2; m <= 9; m++) minor.Add(m * Math.Pow(10, k));
            }
            return new Axis { Min = kLo, Max = kHi, IsLog = true, Step = 1, Ticks = ticks, Labels = labels, Minor = minor };
        }

        /// <summary>10^k as "0.01", "1", "1000" when <paramref name="plain"/>, else as "10⁻⁵", "10⁶".</summary>
        public static string PowerOfTen(int k, bool plain)
        {
            if (plain) return Math.Pow(10, k).ToString(k < 0 ? "0." + new string('0', -k) : "0", CultureInfo.InvariantCulture);
            const string superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹";
            string digits = string.Concat(Math.Abs(k).ToString(CultureInfo.InvariantCulture).Select(c => superscripts[c - '0']));
            return "10" + (k < 0 ? "⁻" : "") + digits;
        }
    }

    /// <summary>The round step (1, 2 or 5 × 10^k) nearest above <paramref name="rough"/>.</summary>
    public static double NiceStep(double rough)
    {
        if (!(rough > 0) || !double.IsFinite(rough)) return 1;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double f = rough / magnitude;
        return (f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10) * magnitude;
    }

    // ---------------------------------------------------------------- surfaces

    enum Anchor { Start, Middle, End }

    /// <summary>What the chart draws with; one layout, two outputs.</summary>
    interface IChartSurface
    {
        void Line(float x1, float y1, float x2, float y2, SKColor colour, float width);
        void Polyline(IReadOnlyList<SKPoint> points, SKColor colour, float width, bool dashed);
        void Rect(SKRect rect, SKColor? fill, SKColor? stroke, float width);
        void Circle(float x, float y, float radius, SKColor fill);
        /// <summary>Text with its baseline at <paramref name="y"/>; vertical text is rotated -90° and centred on (x, verticalCentre).</summary>
        void Text(string text, float x, float y, float size, Anchor anchor, bool bold = false, bool vertical = false, float verticalCentre = 0);
    }

    sealed class SkiaSurface(SKCanvas canvas) : IChartSurface
    {
        public void Line(float x1, float y1, float x2, float y2, SKColor colour, float width)
        {
            using var p = new SKPaint { Color = colour, StrokeWidth = width, IsAntialias = false, Style = SKPaintStyle.Stroke };
            canvas.DrawLine(x1, y1, x2, y2, p);
        }

        public void Polyline(IReadOnlyList<SKPoint> points, SKColor colour, float width, bool dashed)
        {
            using var effect = dashed ? SKPathEffect.CreateDash(new[] { 7f, 5f }, 0) : null;
            using var p = new SKPaint { Color = colour, StrokeWidth = width, IsAntialias = true, Style = SKPaintStyle.Stroke, PathEffect = effect, StrokeJoin = SKStrokeJoin.Round };
            using var path = new SKPath();
            path.MoveTo(points[0]);
            for (int i = 1; i < points.Count; i++) path.LineTo(points[i]);
            canvas.DrawPath(path, p);
        }

        public void Rect(SKRect rect, SKColor? fill, SKColor? stroke, float width)
        {
            if (fill is { } f) { using var p = new SKPaint { Color = f, Style = SKPaintStyle.Fill }; canvas.DrawRect(rect, p); }
            if (stroke is { } s) { using var p = new SKPaint { Color = s, StrokeWidth = width, Style = SKPaintStyle.Stroke }; canvas.DrawRect(rect, p); }
        }

        public void Circle(float x, float y, float radius, SKColor fill)
        {
            using var p = new SKPaint { Color = fill, IsAntialias = true, Style = SKPaintStyle.Fill };
            canvas.DrawCircle(x, y, radius, p);
        }

        public void Text(string text, float x, float y, float size, Anchor anchor, bool bold, bool vertical, float verticalCentre)
        {
            if (text.Length == 0) return;
            using var font = Fonts.Create(size);
            font.Embolden = bold;
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            float w = Fonts.Measure(font, text);
            float shift = anchor switch { Anchor.Middle => w / 2, Anchor.End => w, _ => 0 };
            if (!vertical) { canvas.DrawText(text, x - shift, y, font, paint); return; }
            canvas.Save();
            canvas.Translate(x, verticalCentre);
            canvas.RotateDegrees(-90);
            canvas.DrawText(text, -w / 2, 0, font, paint);
            canvas.Restore();
        }
    }

    sealed class SvgSurface : IChartSurface
    {
        readonly System.Text.StringBuilder _sb = new();

        public SvgSurface(int width, int height) =>
            _sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" ")
               .Append("font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\">\n");

        public string Finish() => _sb.Append("</svg>\n").ToString();

        static string F(float v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        static string C(SKColor c) => $"#{c.Red:x2}{c.Green:x2}{c.Blue:x2}";

        public void Line(float x1, float y1, float x2, float y2, SKColor colour, float width) =>
            _sb.Append($"<line x1=\"{F(x1)}\" y1=\"{F(y1)}\" x2=\"{F(x2)}\" y2=\"{F(y2)}\" stroke=\"{C(colour)}\" stroke-width=\"{F(width)}\"/>\n");

        public void Polyline(IReadOnlyList<SKPoint> points, SKColor colour, float width, bool dashed) =>
            _sb.Append($"<polyline fill=\"none\" stroke=\"{C(colour)}\" stroke-width=\"{F(width)}\" stroke-linejoin=\"round\"{(dashed ? " stroke-dasharray=\"7 5\"" : "")} points=\"")
               .AppendJoin(' ', points.Select(p => F(p.X) + "," + F(p.Y))).Append("\"/>\n");

        public void Rect(SKRect rect, SKColor? fill, SKColor? stroke, float width) =>
            _sb.Append($"<rect x=\"{F(rect.Left)}\" y=\"{F(rect.Top)}\" width=\"{F(rect.Width)}\" height=\"{F(rect.Height)}\" fill=\"{(fill is { } f ? C(f) : "none")}\"" +
                       (stroke is { } s ? $" stroke=\"{C(s)}\" stroke-width=\"{F(width)}\"" : "") + "/>\n");

        public void Circle(float x, float y, float radius, SKColor fill) =>
            _sb.Append($"<circle cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"{F(radius)}\" fill=\"{C(fill)}\"/>\n");

        public void Text(string text, float x, float y, float size, Anchor anchor, bool bold, bool vertical, float verticalCentre)
        {
            if (text.Length == 0) return;
            string a = anchor switch { Anchor.Middle => "middle", Anchor.End => "end", _ => "start" };
            string weight = bold ? " font-weight=\"bold\"" : "";
            string body = System.Security.SecurityElement.Escape(text);
            if (!vertical) _sb.Append($"<text x=\"{F(x)}\" y=\"{F(y)}\" font-size=\"{F(size)}\" text-anchor=\"{a}\"{weight}>{body}</text>\n");
            else _sb.Append($"<text transform=\"translate({F(x)},{F(verticalCentre)}) rotate(-90)\" font-size=\"{F(size)}\" text-anchor=\"middle\"{weight}>{body}</text>\n");
        }
    }
}
