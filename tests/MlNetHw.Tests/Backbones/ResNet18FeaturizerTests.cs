using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetHw.Backbones;
using MlNetHw.Data;
using MlNetHw.Onnx;
using MlNetHw.Tests.Vision;
using MlNetHw.Vision;

namespace MlNetHw.Tests.Backbones;

/// <summary>
/// The library's ResNet18 chain (ApplyOnnxModel over the packaged preprocessing and network merged into one graph)
/// against ML.NET's DnnFeaturizeImage: the same features on drawn images, and a 'freeze' zip that loads and scores in
/// a process with ML.NET packages only.
/// </summary>
[TestClass]
[TestCategory("Vision")]
public sealed class ResNet18FeaturizerTests
{
    sealed class PathRow { public string ImagePath { get; set; } = ""; }

    static float[][] Features(MLContext ml, IEstimator<ITransformer> chain, IReadOnlyList<string> paths)
    {
        var rows = ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { ImagePath = p }).ToList());
        return chain.Fit(rows).Transform(rows).GetColumn<float[]>("Features").ToArray();
    }

    /// <summary>Largest |a - b| / max(1, |b|) over all features.</summary>
    static double WorstRelative(float[][] a, float[][] b) =>
        a.Zip(b).Max(t => t.First.Zip(t.Second).Max(v => Math.Abs(v.First - v.Second) / Math.Max(1.0, Math.Abs(v.Second))));

    [TestMethod]
    public void MergedGraphChainGivesDnnFeaturizeImageFeatures()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-resnet-merged").FullName;
        try
        {
            // Drawn shapes of several sizes (so resizing crops and stretches), JPEG and PNG.
            var paths = Enumerable.Range(0, 6).Select(i =>
            {
                using var bmp = TestImages.Draw(40 + i, 160 + 24 * i, 120 + 30 * (i % 3), kind: i % 2);
                string path = Path.Combine(dir, $"{i}.{(i % 2 == 0 ? "jpg" : "png")}");
                TestImages.Save(bmp, path);
                return path;
            }).ToList();
            var ml = new MLContext(seed: 0);
            foreach (var resizing in new[] { ImageResizingEstimator.ResizingKind.Fill, ImageResizingEstimator.ResizingKind.IsoCrop })
            {
                var reference = Features(ml, ResNet18Featurizer.DnnFeaturizeImageEstimator(ml, resizing: resizing), paths);
                var merged = Features(ml, ResNet18Featurizer.Estimator(ml, resizing: resizing, threads: 1), paths);
                var mergedTwoThreads = Features(ml, ResNet18Featurizer.Estimator(ml, resizing: resizing, threads: 2), paths);
                // A context whose ONNX Runtime workers sleep instead of spinning (what the experiments use).
                var sleeping = new MLContext(seed: 0);
                OnnxSessionSettings.Configure(sleeping, threads: 2, spinning: false);
                var mergedSleeping = Features(sleeping, ResNet18Featurizer.Estimator(sleeping, resizing: resizing), paths);
                Assert.AreEqual(paths.Count, merged.Length);
                Assert.IsTrue(merged.All(f => f.Length == ResNet18Featurizer.FeatureDim), "512 features per image");
                Assert.IsTrue(reference.SelectMany(f => f).Any(v => v != 0), "the reference features are not all zero");
                double worst = WorstRelative(merged, reference), worst2 = WorstRelative(mergedTwoThreads, reference), worst3 = WorstRelative(mergedSleeping, reference);
                Console.WriteLine($"{resizing}: merged vs DnnFeaturizeImage worst relative difference {worst:E2} (1 thread), {worst2:E2} (2 threads), {worst3:E2} (sleeping workers)");
                Assert.IsTrue(Math.Max(worst, Math.Max(worst2, worst3)) <= 1e-5, $"{resizing}: merged chain differs from DnnFeaturizeImage by {Math.Max(worst, Math.Max(worst2, worst3))}");
                // Distinct images give distinct features (the graph input is wired, not a constant).
                Assert.IsTrue(merged[0].Zip(merged[1]).Any(v => v.First != v.Second));
            }
            // The merged graph's output column has DnnFeaturizeImage's type.
            var rows = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = paths[0] } });
            var oldType = ResNet18Featurizer.DnnFeaturizeImageEstimator(ml).Fit(rows).Transform(rows).Schema["Features"].Type;
            var newType = ResNet18Featurizer.Estimator(ml).Fit(rows).Transform(rows).Schema["Features"].Type;
            Assert.AreEqual(oldType.ToString(), newType.ToString());
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void SessionSettingsRefuseNegativeThreads() =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxSessionSettings.Configure(new MLContext(), -1));

    [TestMethod]
    public void MergedGraphIsCachedOncePerNamePairAndRewrittenWhenDamaged()
    {
        // A private cache folder: the user's cache may be in use by other processes.
        string? saved = Environment.GetEnvironmentVariable("MLNETHW_MODELS");
        string cache = Directory.CreateTempSubdirectory("mlnethw-models").FullName;
        Environment.SetEnvironmentVariable("MLNETHW_MODELS", cache);
        try
        {
            string a = PackagedResNet18.MergedModelPath("Pixels", "Features");
            Assert.IsTrue(a.StartsWith(cache, StringComparison.Ordinal), a);
            Assert.AreEqual(a, PackagedResNet18.MergedModelPath("Pixels", "Features"));
            Assert.AreNotEqual(a, PackagedResNet18.MergedModelPath("Pixels", "Other features"));
            var model = OnnxModel.Load(a);
            Assert.AreEqual("Pixels", model.Graph.Inputs[0].Name);
            Assert.AreEqual("Features", model.Graph.Outputs.Single().Name);
            Assert.AreEqual(OnnxModel.Load(PackagedResNet18.BackbonePath).Graph.Nodes.Count + OnnxModel.Load(PackagedResNet18.PreprocessPath).Graph.Nodes.Count,
                model.Graph.Nodes.Count);
            long length = new FileInfo(a).Length;
            File.WriteAllBytes(a, new byte[10]);
            Assert.AreEqual(a, PackagedResNet18.MergedModelPath("Pixels", "Features"));
            Assert.AreEqual(length, new FileInfo(a).Length, "a damaged cache file is written again");
        }
        finally
        {
            Environment.SetEnvironmentVariable("MLNETHW_MODELS", saved);
            Directory.Delete(cache, true);
        }
    }

    [TestMethod]
    public void FreezeZipKeepsTheFeaturesAndScoresInAnMlNetOnlyProcess()
    {
        string root = TinyImageFolder.Create(trainPerClass: 4, valPerClass: 2);
        try
        {
            var data = ImageFolderReader.Read(root);
            var ml = new MLContext(seed: 0);
            var model = FreezeClassifier.Fit(ml, data.Train, new FreezeOptions { Threads = 2 });
            string zip = Path.Combine(root, "freeze.zip");
            PlainModel.Save(ml, model, ImageFolderReader.Load(ml.Data, data.Train).Schema, zip,
                new PlainModelInfo("image-classifier:freeze", "test", new Dictionary<string, string>()) { Classes = data.Classes });
            // The zip holds ML.NET's own transformers: no DnnFeaturizeImage, one ONNX transformer.
            using (var archive = ZipFile.OpenRead(zip))
                Assert.IsFalse(archive.Entries.Any(e => e.FullName.Contains("DnnImageFeaturizer", StringComparison.OrdinalIgnoreCase)), "the zip still uses DnnFeaturizeImage");

            // The loaded model's features equal DnnFeaturizeImage's (the old freeze chain's) on the same images.
            var paths = data.Validation.Rows.Select(r => r.ImagePath).ToList();
            var loaded = new MLContext(seed: 0).Model.Load(zip, out _);
            var view = ImageFolderReader.Load(ml.Data, data.Validation);
            var zipFeatures = loaded.Transform(view).GetColumn<float[]>("Features").ToArray();
            var reference = Features(ml, ResNet18Featurizer.DnnFeaturizeImageEstimator(ml, resizing: ImageResizingEstimator.ResizingKind.IsoCrop), paths);
            double worst = WorstRelative(zipFeatures, reference);
            Console.WriteLine($"freeze zip features vs DnnFeaturizeImage worst relative difference {worst:E2}");
            Assert.IsTrue(worst <= 1e-5, $"freeze zip features differ from DnnFeaturizeImage's by {worst}");

            // A separate process with ML.NET packages only scores the zip as this process does.
            var inProcess = ImageRows.Evaluate(ml, model, data.Validation);
            var lines = RunConsumer(zip, paths);
            Assert.AreEqual(paths.Count, lines.Count);
            for (int i = 0; i < paths.Count; i++)
            {
                var parts = lines[i].Split('\t');
                Assert.AreEqual(data.Classes[inProcess.Predictions[i].Predicted], parts[0], $"image {i}: predicted label");
                var scores = parts[1].Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                for (int k = 0; k < scores.Length; k++)
                    Assert.AreEqual(inProcess.Predictions[i].Probabilities[k], scores[k], 1e-6, $"image {i}, class {k}");
            }
        }
        finally { Directory.Delete(root, true); }
    }

    static List<string> RunConsumer(string zip, IReadOnlyList<string> images)
    {
        string config = AppContext.BaseDirectory.Contains("/Debug/") || AppContext.BaseDirectory.Contains("\\Debug\\") ? "Debug" : "Release";
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "MlNetHw.OnnxConsumer", "bin", config, "net10.0", "MlNetHw.OnnxConsumer.dll"));
        Assert.IsTrue(File.Exists(dll), $"consumer app not built: {dll}");
        Assert.IsFalse(File.Exists(Path.Combine(Path.GetDirectoryName(dll)!, "MlNetHw.dll")), "the consumer must not carry MlNetHw");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll); psi.ArgumentList.Add(zip);
        foreach (var i in images) psi.ArgumentList.Add(i);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.AreEqual(0, p.ExitCode, $"consumer failed: {stderr.Result}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
