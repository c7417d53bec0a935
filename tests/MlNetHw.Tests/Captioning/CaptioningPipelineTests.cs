using MlNetHw.Backbones;
using System.Text.Json;
using Microsoft.ML;
using MlNetHw.Captioning;
using MlNetHw.MlNet;

namespace MlNetHw.Tests.Captioning;

/// <summary>The captioner as an ML.NET pipeline: image path → ResNet18 → captioner → Caption, saved and reloaded.</summary>
[TestClass]
[TestCategory("Captioning")]
public sealed class CaptioningPipelineTests
{
    sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public string[] References { get; set; } = Array.Empty<string>();
    }

    sealed class Out { public string Caption { get; set; } = ""; }

    static string _dir = "";
    static CaptionDataset _data = null!;

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("mlnethw-caption").FullName;
        _data = ShapeScenes.WriteDataset(new ShapeSceneOptions { TrainScenes = 6, ValScenes = 2, Seed = 3 }, Path.Combine(_dir, "scenes"));
    }

    [ClassCleanup]
    public static void Cleanup() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    [TestMethod]
    public void FitSaveLoadAndPredictionEngineGiveTheSameCaptions()
    {
        var ml = new MLContext(seed: 0);
        var rows = _data.Train.Select(i => new Row { ImagePath = i.ImagePath!, References = i.Captions.ToArray() }).ToList();
        var view = ml.Data.LoadFromEnumerable(rows);
        var options = new CaptionerTrainerOptions
        {
            HiddenDim = 32, WordDim = 16, Cell = CaptionCell.Lstm,
            Training = Loop.Of(60, 8, lr: 1e-2, decay: 0.99, device: "cpu"),
        };
        var model = ml.Transforms.CaptionImages(ml, "ImagePath", options).Fit(view);
        var captioner = (TorchTransformer<CaptionerModel>)ModelArchive.Flatten(model).Last();
        var history = captioner.Model.Training!;
        Assert.IsTrue(history.FinalLoss < history.BatchLosses[0] / 2, $"loss {history.BatchLosses[0]} -> {history.FinalLoss}");
        var before = ml.Data.CreateEnumerable<Out>(model.Transform(view), reuseRowObject: false).Select(o => o.Caption).ToList();
        Assert.IsTrue(before.All(c => c.Length > 0), "every image gets a caption");
        Assert.IsTrue(before.All(c => CaptionCodec.Tokenize(c).All(w => captioner.Model.Codec.IndexOf(w) > CaptionCodec.Unk)));

        string path = Path.Combine(_dir, "captioner.zip");
        ModelArchive.Save(ml, model, view.Schema, path);
        var fresh = new MLContext(seed: 5);
        var loaded = ModelArchive.Load(fresh, path);
        var after = fresh.Data.CreateEnumerable<Out>(loaded.Transform(fresh.Data.LoadFromEnumerable(rows)), reuseRowObject: false).Select(o => o.Caption).ToList();
        CollectionAssert.AreEqual(before, after, "reloaded model captions differently");

        using var predictor = new ImageCaptionPredictor(fresh, loaded);
        for (int i = 0; i < rows.Count; i++) Assert.AreEqual(before[i], predictor.Caption(rows[i].ImagePath), $"PredictionEngine on {rows[i].ImagePath}");

        // Bad input: a missing file and a file that is not an image are reported by path.
        string missing = Path.Combine(_dir, "nope.png");
        string garbage = Path.Combine(_dir, "garbage.png");
        File.WriteAllText(garbage, "this is not a png");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => predictor.Caption(missing)).Message, missing);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => predictor.Caption(garbage)).Message, garbage);
    }

    [TestMethod]
    public void BadImagesAreReportedByPathAndTheOthersStillFeaturized()
    {
        var ml = new MLContext(seed: 0);
        string garbage = Path.Combine(_dir, "broken.png");
        File.WriteAllBytes(garbage, new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3 });
        var paths = new[] { _data.Val[0].ImagePath!, garbage, Path.Combine(_dir, "missing.png"), _data.Val[1].ImagePath! };
        var features = ResNet18Featurizer.Compute(ml, paths, out var failures);
        CollectionAssert.AreEqual(new[] { 1, 2 }, failures.Select(f => f.Index).ToArray());
        StringAssert.Contains(failures[0].Message, garbage);
        StringAssert.Contains(failures[1].Message, "missing.png");
        Assert.AreEqual(512, features[0]!.Length);
        Assert.IsNull(features[1]);
        Assert.AreEqual(512, features[3]!.Length);
        Assert.AreNotEqual(features[0]![0..10].Sum(), features[3]![0..10].Sum());
    }

    [TestMethod]
    public void EmptyAndOverlongReferenceCaptionsAreHandledAsDocumented()
    {
        var ml = new MLContext(seed: 0);
        var rng = new Random(1);
        var rows = Enumerable.Range(0, 4).Select(i => new FeatureRowWithRefs
        {
            Features = Enumerable.Range(0, 8).Select(_ => (float)rng.NextDouble()).ToArray(),
            References = i switch
            {
                0 => new[] { "", "a red circle" },
                1 => new[] { "   " },                                        // only empty: nothing to learn from this image
                2 => new[] { string.Join(' ', Enumerable.Repeat("circle", 40)) }, // far longer than MaxWords
                _ => new[] { "a blue square" },
            },
        }).ToList();
        var options = new CaptionerTrainerOptions { HiddenDim = 8, WordDim = 4, MaxWords = 5, Training = Loop.Of(2, 2) };
        var transformer = ml.Transforms.CaptionImageFeatures(options).Fit(ml.Data.LoadFromEnumerable(rows));
        var stats = transformer.Model.Encoding!;
        Assert.AreEqual(3, stats.Encoded);
        Assert.AreEqual(2, stats.SkippedEmpty);
        Assert.AreEqual(1, stats.Truncated);
        var captions = ml.Data.CreateEnumerable<Out>(transformer.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToList();
        Assert.AreEqual(4, captions.Count);
        Assert.IsTrue(captions.All(c => CaptionCodec.Tokenize(c.Caption).Count <= 5), "decoding stops at MaxWords");

        var allEmpty = rows.Select(r => new FeatureRowWithRefs { Features = r.Features, References = new[] { "" } });
        var ex = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.CaptionImageFeatures(options).Fit(ml.Data.LoadFromEnumerable(allEmpty)));
        StringAssert.Contains(ex.Message, "References");
    }

    [TestMethod]
    public void TheTrainingFeatureMeanIsSubtractedAndSavedWithTheModel()
    {
        var ml = new MLContext(seed: 0);
        var rng = new Random(4);
        // Non-negative features with a large shared offset, like pooled CNN features.
        var rows = Enumerable.Range(0, 5).Select(i => new FeatureRowWithRefs
        {
            Features = Enumerable.Range(0, 8).Select(_ => 3f + (float)rng.NextDouble()).ToArray(),
            References = i == 0 ? new[] { "a red circle", "a circle" } : new[] { "a blue square" },
        }).ToList();
        var expected = Enumerable.Range(0, 8).Select(j => rows.Average(r => (double)r.Features[j])).ToArray();
        var options = new CaptionerTrainerOptions { HiddenDim = 8, WordDim = 4, Training = Loop.Of(1, 2) };
        var transformer = ml.Transforms.CaptionImageFeatures(options).Fit(ml.Data.LoadFromEnumerable(rows));
        var mean = transformer.Model.Network.FeatureMean.data<float>().ToArray();
        for (int j = 0; j < 8; j++) Assert.AreEqual(expected[j], mean[j], 1e-5, $"feature mean [{j}] (each image once)");

        string path = Path.Combine(_dir, "centred.zip");
        var view = ml.Data.LoadFromEnumerable(rows);
        ModelArchive.Save(ml, transformer, view.Schema, path);
        var loaded = (TorchTransformer<CaptionerModel>)ModelArchive.Flatten(ModelArchive.Load(new MLContext(seed: 1), path)).Last();
        CollectionAssert.AreEqual(mean, loaded.Model.Network.FeatureMean.data<float>().ToArray(), "the mean travels in the .zip");

        options.CenterFeatures = false;
        var raw = ml.Transforms.CaptionImageFeatures(options).Fit(view);
        Assert.IsTrue(raw.Model.Network.FeatureMean.data<float>().ToArray().All(v => v == 0), "CenterFeatures = false leaves the input as it is");
    }

    sealed class FeatureRowWithRefs
    {
        [Microsoft.ML.Data.VectorType(8)] public float[] Features { get; set; } = Array.Empty<float>();
        public string[] References { get; set; } = Array.Empty<string>();
    }

    [TestMethod]
    public void TheExperimentWritesSheetMetricsCurveAndModels()
    {
        string outDir = Path.Combine(_dir, "experiment");
        var result = CaptioningExperiment.Run(new CaptioningOptions
        {
            Experiment = "train", Cell = "both", Training = Loop.Of(2, 8, experiment: "train"), Captioner = { HiddenDim = 16, WordDim = 8 },
            TrainScenes = 6, ValScenes = 3, SheetSamples = 2, Run = new() { Device = "cpu", OutputDirectory = outDir },
        });
        Assert.AreEqual(2, result.Cells.Count);
        foreach (var f in new[] { result.SheetPath, result.LossCurvePath, result.MetricsJsonPath, result.MetricsMarkdownPath })
            Assert.IsTrue(File.Exists(f), f);
        foreach (var c in result.Cells)
        {
            Assert.IsTrue(File.Exists(c.ModelPath), c.ModelPath);
            Assert.AreEqual(3, c.ValSamples.Count);
            Assert.IsTrue(c.ValBleu.Bleu1 is >= 0 and <= 1);
        }
        string sheet = File.ReadAllText(result.SheetPath);
        StringAssert.Contains(sheet, "](images/val_val_00000.png)");
        Assert.IsTrue(File.Exists(Path.Combine(outDir, "images", "val_val_00000.png")));
        StringAssert.Contains(sheet, result.Cells[0].ValSamples[0].Generated);
        using var json = JsonDocument.Parse(File.ReadAllText(result.MetricsJsonPath));
        Assert.AreEqual(2, json.RootElement.GetProperty("cells").GetArrayLength());
        Assert.AreEqual(4, json.RootElement.GetProperty("cells")[0].GetProperty("val_bleu").GetArrayLength());
    }
}
