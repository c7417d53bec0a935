using MlNetHw.Captioning;
using SkiaSharp;

namespace MlNetHw.Tests.Captioning;

[TestClass]
[TestCategory("Captioning")]
public sealed class ShapeScenesTests
{
    static readonly ShapeSceneOptions Small = new() { TrainScenes = 300, ValScenes = 60, Seed = 7 };

    [TestMethod]
    public void HeldOutCombinationsNeverReachTrainingAndAreInEveryValScene()
    {
        var (train, val) = ShapeScenes.Generate(Small);
        Assert.AreEqual(300, train.Count);
        Assert.AreEqual(60, val.Count);
        foreach (var s in train)
        {
            Assert.IsFalse(s.Contains(Small.HeldOut), $"train scene {s.Id} has a held-out combination");
            foreach (var c in s.Captions)
                foreach (var h in Small.HeldOut)
                    Assert.IsFalse(c.Contains(h, StringComparison.Ordinal), $"train caption '{c}' names '{h}'");
        }
        foreach (var s in val) Assert.IsTrue(s.Contains(Small.HeldOut), $"val scene {s.Id} has no held-out combination");
        // Every colour and every shape still occurs in training, only not in the held-out pairs.
        var words = train.SelectMany(s => s.Captions).SelectMany(c => CaptionCodec.Tokenize(c)).ToHashSet();
        foreach (var w in ShapeScenes.Colours.Concat(ShapeScenes.Shapes).Concat(ShapeScenes.Sizes)) Assert.IsTrue(words.Contains(w), w);
        Assert.IsTrue(train.Select(s => s.Layout).Distinct().Count() == 4, "all four layouts occur");
    }

    [TestMethod]
    public void CaptionsDescribeTheGeometryAndFitTheDefaultLength()
    {
        var (train, _) = ShapeScenes.Generate(Small);
        foreach (var s in train)
        {
            Assert.IsTrue(s.Captions.Count >= 3);
            Assert.IsTrue(s.Captions.All(c => CaptionCodec.Tokenize(c).Count <= 16), string.Join(" | ", s.Captions));
            if (s.Layout == "horizontal") Assert.IsTrue(s.Shapes[0].X + s.Shapes[0].Radius < s.Shapes[1].X - s.Shapes[1].Radius);
            if (s.Layout == "vertical") Assert.IsTrue(s.Shapes[0].Y + s.Shapes[0].Radius < s.Shapes[1].Y - s.Shapes[1].Radius);
            if (s.Layout == "row")
                for (int k = 0; k < 2; k++) Assert.IsTrue(s.Shapes[k].X + s.Shapes[k].Radius < s.Shapes[k + 1].X - s.Shapes[k + 1].Radius);
            foreach (var sh in s.Shapes)
                Assert.IsTrue(sh.X - sh.Radius >= 0 && sh.X + sh.Radius <= 128 && sh.Y - sh.Radius >= 0 && sh.Y + sh.Radius <= 128, $"scene {s.Id} shape off canvas");
        }
    }

    [TestMethod]
    public void RenderingIsDeterministicAndPaintsTheNamedColourAtEachShape()
    {
        var (a, _) = ShapeScenes.Generate(Small);
        var (b, _) = ShapeScenes.Generate(Small);
        var (c, _) = ShapeScenes.Generate(new ShapeSceneOptions { TrainScenes = 300, ValScenes = 0, Seed = 8 });
        CollectionAssert.AreEqual(a.SelectMany(s => s.Captions).ToArray(), b.SelectMany(s => s.Captions).ToArray());
        CollectionAssert.AreNotEqual(a.SelectMany(s => s.Captions).ToArray(), c.SelectMany(s => s.Captions).ToArray());
        foreach (var s in a.Take(40))
        {
            using var bmp1 = ShapeScenes.Render(s, 128);
            using var bmp2 = ShapeScenes.Render(s, 128);
            CollectionAssert.AreEqual(bmp1.Bytes, bmp2.Bytes);
            foreach (var sh in s.Shapes)
            {
                // The centroid-ish point (slightly below centre, inside a triangle too) has the shape's colour.
                SKColor px = bmp1.GetPixel((int)sh.X, (int)(sh.Y + sh.Radius * 0.2f));
                string nearest = Nearest(px);
                Assert.AreEqual(sh.Colour, nearest, $"scene {s.Id}: pixel {px} at the {sh.Phrase}");
            }
        }
    }

    static string Nearest(SKColor c)
    {
        var table = new Dictionary<string, (int r, int g, int b)>
        {
            ["red"] = (220, 30, 30), ["green"] = (30, 160, 50), ["blue"] = (30, 70, 220),
            ["yellow"] = (240, 205, 20), ["purple"] = (140, 40, 170), ["orange"] = (250, 130, 10), ["white"] = (255, 255, 255),
        };
        return table.MinBy(kv => Math.Pow(kv.Value.r - c.Red, 2) + Math.Pow(kv.Value.g - c.Green, 2) + Math.Pow(kv.Value.b - c.Blue, 2)).Key;
    }

    [TestMethod]
    public void WriteDatasetWritesReadablePngsAndRejectsBadHeldOutNames()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-scenes").FullName;
        try
        {
            var ds = ShapeScenes.WriteDataset(new ShapeSceneOptions { TrainScenes = 5, ValScenes = 3, Seed = 1 }, dir);
            Assert.AreEqual(5, ds.Train.Count);
            Assert.AreEqual(3, ds.Val.Count);
            foreach (var img in ds.Train.Concat(ds.Val))
            {
                using var bmp = SKBitmap.Decode(img.ImagePath);
                Assert.IsNotNull(bmp, img.ImagePath);
                Assert.AreEqual(128, bmp.Width);
            }
        }
        finally { Directory.Delete(dir, true); }
        var ex = Assert.ThrowsExactly<ArgumentException>(() => ShapeScenes.Generate(new ShapeSceneOptions { HeldOut = new[] { "pink triangle" } }));
        StringAssert.Contains(ex.Message, "pink triangle");
    }
}
