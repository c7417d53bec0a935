using MlNetHw.Reporting;
using SkiaSharp;

namespace MlNetHw.Tests.Vision;

[TestClass]
[TestCategory("Vision")]
public sealed class ImageGridTests
{
    [TestMethod]
    public void GridLaysOutRowsAndColumnsAndDrawsEveryImage()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-grid").FullName;
        try
        {
            var grid = new ImageGrid { Title = "test", Columns = 3, CellSize = 40, Padding = 4 };
            var red = new SKBitmap(20, 10);
            red.Erase(SKColors.Red);
            for (int i = 0; i < 4; i++) grid.Add(red, $"cell {i}", "second line");
            string file = Path.Combine(dir, "blue.png");
            using (var blue = new SKBitmap(10, 10)) { blue.Erase(SKColors.Blue); TestImages.Save(blue, file); }
            grid.AddFile(file, "from file");
            string path = Path.Combine(dir, "grid.png");
            grid.SavePng(path);

            using var sheet = SKBitmap.Decode(path);
            Assert.AreEqual(3 * (40 + 4) + 4, sheet.Width);
            Assert.IsTrue(sheet.Height > 2 * 40, "two rows expected");
            // Centre of cell 0 (row 0) is red, centre of cell 4 (row 1, col 1) is blue, the empty cell 5 stays white.
            int top = 32 + 4, rowH = (sheet.Height - 32 - 4) / 2;
            Assert.AreEqual(SKColors.Red, sheet.GetPixel(4 + 20, top + 20));
            Assert.AreEqual(SKColors.Blue, sheet.GetPixel(4 + 44 + 20, top + rowH + 20));
            Assert.AreEqual(SKColors.White, sheet.GetPixel(4 + 88 + 20, top + rowH + 20));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void ASheetOfFewCellsIsAsWideAsItsTitle()
    {
        using var one = new SKBitmap(10, 10);
        one.Erase(SKColors.Green);
        var grid = new ImageGrid { Title = "finetune: misclassified validation images (1 of 153)", Columns = 8, CellSize = 40, Padding = 4 };
        grid.Add(one, "true a", "pred b 99%");
        using var sheet = grid.Render();
        Assert.IsTrue(sheet.Width > 2 * (40 + 4) + 4, $"the title alone is wider than one cell: width {sheet.Width}");
        // No title pixel touches the left or right edge: the text was not clipped.
        for (int y = 0; y < 32; y++)
        {
            Assert.AreEqual(SKColors.White, sheet.GetPixel(0, y), $"left edge, row {y}");
            Assert.AreEqual(SKColors.White, sheet.GetPixel(sheet.Width - 1, y), $"right edge, row {y}");
        }
        Assert.AreEqual(SKColors.Green, sheet.GetPixel(4 + 20, 32 + 4 + 20), "cells stay where they were");
    }
}
