using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace MlNetHw.Tests.Foundation;

/// <summary>Proves ML.NET's image stack and the packaged ResNet18 featurizer run in the test process.</summary>
[TestClass]
public sealed class MlNetImageStackTests
{
    sealed class ImageRow { public string ImagePath { get; set; } = ""; }

    sealed class FeatureRow { public float[] Features { get; set; } = Array.Empty<float>(); }

    static string DrawImage(string dir, string name, SKColor background, SKColor shape, bool circle)
    {
        using var bitmap = new SKBitmap(160, 120);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(background);
            using var paint = new SKPaint { Color = shape, IsAntialias = true };
            if (circle) canvas.DrawCircle(80, 60, 40, paint);
            else canvas.DrawRect(30, 20, 100, 80, paint);
        }
        string path = Path.Combine(dir, name);
        using var data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
        return path;
    }

    [TestMethod]
    public void DnnFeaturizeImageResNet18Gives512DistinctFeaturesPerImage()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-img").FullName;
        try
        {
            var rows = new[]
            {
                new ImageRow { ImagePath = DrawImage(dir, "a.png", SKColors.White, SKColors.Red, circle: true) },
                new ImageRow { ImagePath = DrawImage(dir, "b.png", SKColors.Navy, SKColors.Yellow, circle: false) },
            };
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(rows);
            var pipeline = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: nameof(ImageRow.ImagePath))
                .Append(ml.Transforms.ResizeImages("Image", imageWidth: 224, imageHeight: 224))
                .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
                .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));
            var model = pipeline.Fit(data);
            var features = ml.Data.CreateEnumerable<FeatureRow>(model.Transform(data), reuseRowObject: false).ToList();

            Assert.AreEqual(2, features.Count);
            foreach (var f in features)
            {
                Assert.AreEqual(512, f.Features.Length);
                Assert.IsTrue(f.Features.All(float.IsFinite));
                Assert.IsTrue(f.Features.Max() > f.Features.Min(), "features should not be constant");
            }
            double diff = features[0].Features.Zip(features[1].Features, (a, b) => Math.Abs(a - b)).Sum();
            Assert.IsTrue(diff > 1.0, $"two different images should give different features (L1 diff {diff})");
        }
        finally { Directory.Delete(dir, true); }
    }
}
