using SkiaSharp;

namespace MlNetHw.Tests.Vision;

/// <summary>Writes a small image folder in hymenoptera layout (train/&lt;class&gt;, val/&lt;class&gt;): circles vs. boxes.</summary>
static class TinyImageFolder
{
    public static string Create(int trainPerClass = 6, int valPerClass = 3, string[]? classes = null)
    {
        classes ??= new[] { "boxes", "circles" };
        string root = Directory.CreateTempSubdirectory("mlnethw-folder").FullName;
        int seed = 0;
        foreach (var (split, count) in new[] { ("train", trainPerClass), ("val", valPerClass) })
            for (int c = 0; c < classes.Length; c++)
            {
                Directory.CreateDirectory(Path.Combine(root, split, classes[c]));
                for (int i = 0; i < count; i++)
                {
                    using var bmp = TestImages.Draw(1000 + seed++, 160 + 20 * (i % 3), 120 + 16 * (i % 2), kind: c % 2);
                    TestImages.Save(bmp, Path.Combine(root, split, classes[c], $"{i:D3}.{(i % 2 == 0 ? "jpg" : "png")}"));
                }
            }
        return root;
    }
}
