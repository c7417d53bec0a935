using System.Text.Json;
using MlNetHw.Captioning;
using MlNetHw.Data;
using PureHDF;

namespace MlNetHw.Tests.Captioning;

[TestClass]
[TestCategory("Captioning")]
public sealed class CaptionDataSourcesTests
{
    [TestMethod]
    public void CocoJsonIsSplitByIdAndMissingImagesAreNamed()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-coco").FullName;
        try
        {
            var scenes = ShapeScenes.WriteDataset(new ShapeSceneOptions { TrainScenes = 12, ValScenes = 0, Seed = 2 }, Path.Combine(dir, "src"));
            Directory.CreateDirectory(Path.Combine(dir, "images"));
            var imgs = new List<string>();
            var anns = new List<string>();
            for (int i = 0; i < 12; i++)
            {
                File.Copy(scenes.Train[i].ImagePath!, Path.Combine(dir, "images", $"{i}.png"));
                imgs.Add($"{{\"id\": {i + 1}, \"file_name\": \"{i}.png\", \"width\": 128, \"height\": 128}}");
                anns.Add($"{{\"id\": {100 + i}, \"image_id\": {i + 1}, \"caption\": \"{scenes.Train[i].Captions[0]}\"}}");
            }
            imgs.Add("{\"id\": 99, \"file_name\": \"gone.png\", \"width\": 1, \"height\": 1}");
            anns.Add("{\"id\": 999, \"image_id\": 99, \"caption\": \"a lost image\"}");
            string json = Path.Combine(dir, "captions.json");
            File.WriteAllText(json, $"{{\"images\": [{string.Join(",", imgs)}], \"annotations\": [{string.Join(",", anns)}]}}");
            var ds = CaptionDataSources.Load(json, quick: false);
            Assert.AreEqual(10, ds.Train.Count);
            Assert.AreEqual(2, ds.Val.Count);
            CollectionAssert.AreEqual(new[] { "1", "11" }, ds.Val.Select(v => v.Id).ToArray());
            Assert.AreEqual(scenes.Train[0].Captions[0], ds.Val[0].Captions[0]);
            Assert.IsTrue(ds.Notes.Any(n => n.Contains("gone.png")), string.Join(" | ", ds.Notes));
            Assert.ThrowsExactly<FileNotFoundException>(() => CaptionDataSources.Load(Path.Combine(dir, "nope.json"), false));
        }
        finally { Directory.Delete(dir, true); }
    }

    static readonly string[] Words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square"];

    /// <summary>A tiny cs231n coco_captioning folder: D = 6 features, T = 6, four training feature rows (one without captions).</summary>
    static void WriteCs231nFolder(string dir, int trainImages = 4)
    {
        var rng = new Random(7);
        float[,] Features(int rows)
        {
            var f = new float[rows, 6];
            for (int i = 0; i < rows; i++) for (int j = 0; j < 6; j++) f[i, j] = (float)rng.NextDouble() + (i == j ? 2f : 0f);
            return f;
        }
        // Captions per training row: 0 "a red circle" twice, 1 "a blue square", 2 none, 3 "a <UNK> circle"; more rows repeat 1.
        var trainCaptions = new List<int[]> { new[] { 1, 4, 5, 7, 2, 0 }, new[] { 1, 4, 6, 8, 2, 0 }, new[] { 1, 4, 5, 7, 2, 0 }, new[] { 1, 4, 3, 7, 2, 0 } };
        var trainIdx = new List<int> { 0, 1, 0, 3 };
        for (int r = 4; r < trainImages; r++) { trainCaptions.Add(new[] { 1, 4, 6, 8, 2, 0 }); trainIdx.Add(r); }
        var captions = new int[trainCaptions.Count, 6];
        for (int i = 0; i < trainCaptions.Count; i++) for (int t = 0; t < 6; t++) captions[i, t] = trainCaptions[i][t];
        new H5File
        {
            ["train_captions"] = captions,
            ["train_image_idxs"] = trainIdx.ToArray(),
            ["val_captions"] = new long[,] { { 1, 4, 6, 7, 2, 0 }, { 1, 4, 5, 8, 2, 0 } },
            ["val_image_idxs"] = new[] { 1, 0 },
        }.Write(Path.Combine(dir, CaptionDataSources.Cs231nCaptionsFile));
        new H5File { ["features"] = Features(trainImages) }.Write(Path.Combine(dir, "train2014_vgg16_fc7_pca.h5"));
        new H5File { ["features"] = Features(2) }.Write(Path.Combine(dir, "val2014_vgg16_fc7_pca.h5"));
        File.WriteAllText(Path.Combine(dir, "coco2014_vocab.json"), JsonSerializer.Serialize(new
        {
            idx_to_word = Words,
            word_to_idx = Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i),
        }));
        File.WriteAllLines(Path.Combine(dir, "train2014_urls.txt"), Enumerable.Range(0, trainImages).Select(i => $"http://images/COCO_train2014_{i:000}.jpg"));
    }

    [TestMethod]
    public void Cs231nFolderGivesOneImagePerFeatureRowWithItsCaptions()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-cs231n").FullName;
        try
        {
            WriteCs231nFolder(dir);
            var ds = CaptionDataSources.Load(dir, quick: false);
            Assert.IsTrue(ds.HasFeatures);
            CollectionAssert.AreEqual(new[] { "COCO_train2014_000", "COCO_train2014_001", "COCO_train2014_003" }, ds.Train.Select(i => i.Id).ToArray(),
                "row 2 has no caption and is left out; ids come from the URLs");
            CollectionAssert.AreEqual(new[] { "a red circle", "a red circle" }, ds.Train[0].Captions.ToArray());
            Assert.AreEqual("a <UNK> circle", ds.Train[2].Captions[0]);
            var rows = Cs231nCaptioningReader.Load(dir).Train;
            CollectionAssert.AreEqual(rows.Features.AsSpan(3 * 6, 6).ToArray(), ds.Train[2].Features, "features of feature row 3");
            CollectionAssert.AreEqual(new[] { "val/0", "val/1" }, ds.Val.Select(i => i.Id).ToArray(), "no val URL list: ids are split/row");
            Assert.AreEqual("a red square", ds.Val[0].Captions[0], "val row 0 is the image of val caption 1");
            Assert.IsNull(ds.Val[0].ImagePath);

            // <UNK> is the unknown word of the captioner, not a word of its own.
            var vocabulary = CaptionCodec.Build(ds.Train.SelectMany(i => i.Captions));
            Assert.IsFalse(vocabulary.Words.Skip(CaptionCodec.SpecialTokens.Count).Any(w => w.Contains("unk", StringComparison.OrdinalIgnoreCase)));
            Assert.AreEqual(CaptionCodec.Unk, vocabulary.IndexOf(CaptionCodec.Tokenize("<UNK>")[0]));

            File.Delete(Path.Combine(dir, "coco2014_vocab.json"));
            StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => CaptionDataSources.Load(dir, false)).Message, "coco2014_vocab.json");
            string empty = Directory.CreateDirectory(Path.Combine(dir, "empty")).FullName;
            StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => CaptionDataSources.Load(empty, false)).Message, CaptionDataSources.Cs231nCaptionsFile);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void TheExperimentRunsOnPrecomputedCs231nFeatures()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-cs231n").FullName;
        try
        {
            WriteCs231nFolder(dir, trainImages: 12);
            var result = CaptioningExperiment.Run(new CaptioningOptions
            {
                Experiment = "overfit", Cell = "lstm", Data = dir, Training = Loop.Of(40, 4), Captioner = { HiddenDim = 16, WordDim = 8 },
                Run = new() { Device = "cpu", OutputDirectory = Path.Combine(dir, "out") },
            });
            Assert.AreEqual(11, result.TrainImages, "12 feature rows, one without captions");
            Assert.AreEqual(2, result.ValImages);
            var cell = result.Cells.Single();
            Assert.IsTrue(cell.FinalLoss < cell.BatchLosses[0] / 2, $"loss {cell.BatchLosses[0]} -> {cell.FinalLoss}");
            Assert.IsTrue(cell.TrainSamples.All(s => s.ImagePath is null && s.Generated.Length > 0));
            Assert.IsTrue(File.Exists(cell.ModelPath));
            // The saved chain is a plain ML.NET model that starts at the features: it takes a 6-float Features column.
            var ml = new Microsoft.ML.MLContext(seed: 0);
            Assert.IsFalse(MlNetHw.MlNet.ModelArchive.IsArchive(cell.ModelPath), "a plain ML.NET zip");
            var loaded = ml.Model.Load(cell.ModelPath, out var inputSchema);
            Assert.AreEqual(6, (inputSchema["Features"].Type as Microsoft.ML.Data.VectorDataViewType)?.Size);
            var schema = Microsoft.ML.Data.SchemaDefinition.Create(typeof(FeatureInput));
            schema[nameof(FeatureInput.Features)].ColumnType = new Microsoft.ML.Data.VectorDataViewType(Microsoft.ML.Data.NumberDataViewType.Single, 6);
            var engine = ml.Model.CreatePredictionEngine<FeatureInput, ImageCaptionPredictor.WordsOutput>(loaded, inputSchemaDefinition: schema);
            var words = engine.Predict(new FeatureInput { Features = CaptionDataSources.Load(dir, false).Val[0].Features! }).CaptionWords;
            Assert.AreEqual(cell.ValSamples[0].Generated, CaptionerOnnxExport.Join(words));
        }
        finally { Directory.Delete(dir, true); }
    }

    public sealed class FeatureInput
    {
        public float[] Features { get; set; } = Array.Empty<float>();
        public string[] References { get; set; } = Array.Empty<string>();
    }
}
