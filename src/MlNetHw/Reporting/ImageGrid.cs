using SkiaSharp;

namespace MlNetHw.Reporting;

/// <summary>One cell of an <see cref="ImageGrid"/>: an image (bitmap or file) and up to two caption lines.</summary>
public sealed record GridCell(SKBitmap? Bitmap, string Caption, string? Caption2 = null, SKColor? CaptionColor = null)
{
    /// <summary>Path of an image file to load instead of <see cref="Bitmap"/> (decoded when the sheet is drawn).</summary>
    public string? Path { get; init; }

    /// <summary>A cell whose image is loaded from <paramref name="path"/> when the sheet is drawn.</summary>
    public static GridCell FromFile(string path, string caption, string? caption2 = null, SKColor? color = null) =>
        new(null, caption, caption2, color) { Path = path };
}

/// <summary>
/// A PNG contact sheet: images in rows × columns, each scaled to fit a square cell (aspect kept, centred) with
/// captions underneath, and an optional title. Used for misclassified images and content | style | result sheets.
/// </summary>
public sealed class ImageGrid
{
    /// <summary>Title drawn above the grid ("" for none).</summary>
    public string Title { get; init; } = "";
    /// <summary>Cells per row; rows follow from the number of cells.</summary>
    public int Columns { get; init; } = 4;
    /// <summary>Side of the image area of a cell, in pixels.</summary>
    public int CellSize { get; init; } = 160;
    /// <summary>Space between cells and around the sheet [px, 8].</summary>
    public int Padding { get; init; } = 8;
    /// <summary>Caption font size [px, 13].</summary>
    public float CaptionSize { get; init; } = 13;

    readonly List<GridCell> _cells = new();
    /// <summary>The cells added so far, in reading order.</summary>
    public IReadOnlyList<GridCell> Cells => _cells;

    /// <summary>Appends a cell; returns this grid.</summary>
    public ImageGrid Add(GridCell cell) { _cells.Add(cell); return this; }
    /// <summary>Appends a bitmap with its caption lines; returns this grid.</summary>
    public ImageGrid Add(SKBitmap bitmap, string caption, string? caption2 = null, SKColor? color = null) =>
        Add(new GridCell(bitmap, caption, caption2, color));
    /// <summary>Appends an image file with its caption lines (loaded when the sheet is drawn); returns this grid.</summary>
    public ImageGrid AddFile(string path, string caption, string? caption2 = null, SKColor? color = null) =>
        Add(GridCell.FromFile(path, caption, caption2, color));

    /// <summary>Draws the sheet (an empty grid gets a "no images" note) and writes it as PNG.</summary>
    public void SavePng(string path)
    {
        using var bitmap = Render();
        ImageFiles.SavePng(bitmap, path);
    }

    /// <summary>Draws the sheet into a new bitmap (the caller disposes it).</summary>
    public SKBitmap Render()
    {
        if (Columns < 1) throw new ArgumentOutOfRangeException(nameof(Columns), "Columns must be at least 1.");
        int cols = Math.Max(1, Math.Min(Columns, Math.Max(1, _cells.Count)));
        int rows = Math.Max(1, (_cells.Count + cols - 1) / cols);
        bool twoLines = _cells.Any(c => c.Caption2 is not null);
        int captionHeight = (int)(CaptionSize * 1.4f) * (twoLines ? 2 : 1) + 4;
        int titleHeight = Title.Length > 0 ? 32 : 0;
        int cellW = CellSize + Padding, cellH = CellSize + captionHeight + Padding;
        using var font = Fonts.Create(CaptionSize);
        using var titleFont = Fonts.Create(18);
        // A sheet of few cells is widened to its title (e.g. "finetune: misclassified validation images (2 of 153)").
        int width = Math.Max(cols * cellW + Padding, Title.Length > 0 ? (int)Math.Ceiling(Fonts.Measure(titleFont, Title)) + 2 * Padding : 0);
        var sheet = new SKBitmap(width, titleHeight + rows * cellH + Padding);
        using var canvas = new SKCanvas(sheet);
        canvas.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        if (Title.Length > 0)
            canvas.DrawText(Title, (sheet.Width - Fonts.Measure(titleFont, Title)) / 2, 23, titleFont, ink);
        if (_cells.Count == 0)
            canvas.DrawText("(no images)", Padding, titleHeight + CellSize / 2f, font, ink);

        using var frame = new SKPaint { Color = new SKColor(200, 200, 200), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        using var image = new SKPaint { FilterQuality = SKFilterQuality.High, IsAntialias = true };
        for (int i = 0; i < _cells.Count; i++)
        {
            var cell = _cells[i];
            float x = Padding + i % cols * cellW, y = titleHeight + Padding + i / cols * cellH;
            canvas.DrawRect(x - 0.5f, y - 0.5f, CellSize + 1, CellSize + 1, frame);
            SKBitmap? owned = null;
            var bmp = cell.Bitmap;
            if (bmp is null && cell.Path is { } p) bmp = owned = SKBitmap.Decode(p);
            try
            {
                if (bmp is null)
                    canvas.DrawText("(unreadable)", x + 4, y + CellSize / 2f, font, ink);
                else
                {
                    float scale = Math.Min(CellSize / (float)bmp.Width, CellSize / (float)bmp.Height);
                    float w = bmp.Width * scale, h = bmp.Height * scale;
                    canvas.DrawBitmap(bmp, SKRect.Create(x + (CellSize - w) / 2, y + (CellSize - h) / 2, w, h), image);
                }
            }
            finally { owned?.Dispose(); }
            using var captionInk = new SKPaint { Color = cell.CaptionColor ?? SKColors.Black, IsAntialias = true };
            float ty = y + CellSize + CaptionSize + 2;
            canvas.DrawText(Fit(font, cell.Caption), x, ty, font, captionInk);
            if (cell.Caption2 is { } c2)
                canvas.DrawText(Fit(font, c2), x, ty + CaptionSize * 1.4f, font, captionInk);
        }
        return sheet;
    }

    /// <summary>Shortens text with an ellipsis so it fits the cell width.</summary>
    string Fit(SKFont font, string text)
    {
        if (Fonts.Measure(font, text) <= CellSize) return text;
        for (int n = text.Length - 1; n > 0; n--)
        {
            string s = text[..n] + "…";
            if (Fonts.Measure(font, s) <= CellSize) return s;
        }
        return "";
    }
}
