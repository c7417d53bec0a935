using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Transforms;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;

namespace MlNetHw.Tests.MlNet;

/// <summary>The archive: mixed chains round-trip, and every kind of bad file fails with a clear message.</summary>
[TestClass]
[TestCategory("MlNet")]
public sealed class ModelArchiveTests
{
    static string _dir = "";
    static string _good = "";
    static MLContext _ml = null!;
    static IDataView _data = null!;

    [ClassInitialize]
    public static void SaveOneGoodArchive(TestContext _)
    {
        _dir = TestData.TempDir();
        _ml = new MLContext(seed: 1);
        _data = _ml.Data.LoadFromEnumerable(TestData.Blobs(200, seed: 31));
        var pipeline = _ml.Transforms.NormalizeMeanVariance("Features")
            .Append(_ml.BinaryClassification.Trainers.TorchMlp(new TorchMlpBinaryOptions
            {
                HiddenSizes = new[] { 8, 4 }, Dropout = 0.1, Training = { Epochs = 2, Seed = 4, Device = "cpu" },
            }))
            .Append(_ml.Transforms.CopyColumns("ScoreCopy", "Score"));
        var model = pipeline.Fit(_data);
        _good = Path.Combine(_dir, "good.zip");
        ModelArchive.Save(_ml, model, _data.Schema, _good);
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(_dir, true);

    [TestMethod]
    public void AnArchiveThatIsNoTextClassifierIsRefusedByTheTextLoaderNamingItsInput()
    {
        // A binary classifier over a float vector: right outputs, wrong input, so it is not a text model.
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MlNetHw.Text.TextClassificationModel.Load(_ml, _good));
        StringAssert.Contains(e.Message, "not a text classifier");
        StringAssert.Contains(e.Message, "Features");
        StringAssert.Contains(e.Message, _good);
    }

    static string Copy(string name, Action<ZipArchive>? edit = null)
    {
        string path = Path.Combine(_dir, name);
        File.Copy(_good, path, overwrite: true);
        if (edit is not null)
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Update)) edit(zip);
        return path;
    }

    static void EditManifest(ZipArchive zip, Action<JsonObject> edit)
    {
        var entry = zip.GetEntry(ModelArchive.ManifestEntry)!;
        JsonObject manifest;
        using (var s = entry.Open()) manifest = (JsonObject)JsonNode.Parse(s)!;
        entry.Delete();
        edit(manifest);
        using var w = new StreamWriter(zip.CreateEntry(ModelArchive.ManifestEntry).Open());
        w.Write(manifest.ToJsonString());
    }

    [TestMethod]
    public void ManifestRecordsSegmentsSchemaArchitectureAndHyperparameters()
    {
        var manifest = ModelArchive.ReadManifest(_good);
        Assert.AreEqual(ModelArchive.FormatVersion, manifest["formatVersion"]!.GetValue<int>());
        var segments = manifest["segments"]!.AsArray();
        CollectionAssert.AreEqual(new[] { "mlnet", "torch", "mlnet" }, segments.Select(s => s!["kind"]!.GetValue<string>()).ToArray());
        Assert.AreEqual(TorchMlpBinaryModel.ArchitectureName, segments[1]!["architecture"]!.GetValue<string>());
        CollectionAssert.AreEqual(new[] { 8, 4 }, segments[1]!["hyperparameters"]!["hiddenSizes"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray());
        var input = manifest["inputSchema"]!.AsArray().Select(c => $"{c!["name"]}:{c["type"]}").ToList();
        CollectionAssert.AreEqual(new[] { "Features:Vector<Single, 4>", "Label:Boolean" }, input);
        Assert.IsTrue(manifest["outputSchema"]!.AsArray().Any(c => c!["name"]!.GetValue<string>() == "ScoreCopy"));
    }

    [TestMethod]
    public void MixedChainRoundTripsAndEngineOnLoadedChainEqualsTransform()
    {
        var loaded = ModelArchive.Load(new MLContext(seed: 5), _good);
        var test = TestData.Blobs(100, seed: 32);
        var ml = new MLContext(seed: 6);
        var viaTransform = ml.Data.CreateEnumerable<BinaryPrediction>(loaded.Transform(ml.Data.LoadFromEnumerable(test)), false).ToList();
        using var engine = ml.Model.CreatePredictionEngine<BlobRow, BinaryPrediction>(loaded);
        for (int i = 0; i < test.Length; i++)
        {
            var p = engine.Predict(test[i]);
            Assert.AreEqual(viaTransform[i].Score, p.Score, 1e-6f, $"row {i}");
            Assert.AreEqual(viaTransform[i].PredictedLabel, p.PredictedLabel, $"row {i}");
        }
        // A second load scores the same. Not bit for bit: two copies of the same weights at different addresses may take
        // different SIMD paths in libtorch's CPU GEMM (differences of a few float ulps were seen), hence 1e-6.
        var reloaded = ModelArchive.Load(new MLContext(seed: 7), _good);
        var again = ml.Data.CreateEnumerable<BinaryPrediction>(reloaded.Transform(ml.Data.LoadFromEnumerable(test)), false).ToList();
        for (int i = 0; i < test.Length; i++) Assert.AreEqual(viaTransform[i].Score, again[i].Score, 1e-6f, $"reloaded row {i}: {string.Join(",", test[i].Features)}");
    }

    [TestMethod]
    public void TruncatedZipFailsNamingTheFile()
    {
        string path = Path.Combine(_dir, "truncated.zip");
        var bytes = File.ReadAllBytes(_good);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelArchive.Load(_ml, path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "truncated or corrupt");
    }

    [TestMethod]
    public void ZipFromAnotherToolFailsSayingItIsNotAnMlNetHwArchive()
    {
        string path = Path.Combine(_dir, "other.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var w = new StreamWriter(zip.CreateEntry("readme.txt").Open())) w.Write("hello");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelArchive.Load(_ml, path));
        StringAssert.Contains(e.Message, "not written by MlNetHw's ModelArchive");
        StringAssert.Contains(e.Message, "readme.txt");

        string native = Path.Combine(_dir, "native.zip");
        _ml.Model.Save(_ml.Transforms.NormalizeMinMax("Features").Fit(_data), _data.Schema, native);
        var e2 = Assert.ThrowsExactly<InvalidDataException>(() => ModelArchive.Load(_ml, native));
        StringAssert.Contains(e2.Message, "mlContext.Model.Load");
    }

    [TestMethod]
    public void NewerFormatVersionIsRefusedWithUpgradeHint()
    {
        string path = Copy("newer.zip", zip => EditManifest(zip, m => m["formatVersion"] = ModelArchive.FormatVersion + 1));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelArchive.Load(_ml, path));
        StringAssert.Contains(e.Message, $"format version {ModelArchive.FormatVersion + 1} is newer");
    }

    [TestMethod]
    public void MissingWeightsEntryIsNamed()
    {
        string path = Copy("noweights.zip", zip => zip.GetEntry("segments/01/weights.bin")!.Delete());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelArchive.Load(_ml, path));
        StringAssert.Contains(e.Message, "entry 'segments/01/weights.bin'");
        StringAssert.Contains(e.Message, "is missing");
        StringAssert.Contains(e.Message, TorchMlpBinaryModel.ArchitectureName);
    }

    [TestMethod]
    public void WeightsThatDoNotFitTheArchitectureAreNamedByTensor()
    {
        string path = Copy("shape.zip", zip => EditManifest(zip, m => m["segments"]![1]!["hyperparameters"]!["hiddenSizes"] = new JsonArray(8, 5)));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelArchive.Load(_ml, path));
        StringAssert.Contains(e.Message, "has shape [4, 8] in the file, the model expects [5, 8]");
    }

    [TestMethod]
    public void FailedLoadDisposesTheModelsItHadAlreadyBuilt()
    {
        string path = Path.Combine(_dir, "two-sums.zip");
        var chain = new Microsoft.ML.Data.TransformerChain<ITransformer>(TorchTransformer.Create(new SumModel()), TorchTransformer.Create(new SumModel()));
        ModelArchive.Save(_ml, chain, _data.Schema, path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update)) zip.GetEntry("segments/01/weights.bin")!.Delete();
        int loaded = SumModel.Loaded, disposed = SumModel.Disposed;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelArchive.Load(_ml, path));
        StringAssert.Contains(e.Message, "segments/01/weights.bin");
        Assert.AreEqual(1, SumModel.Loaded - loaded, "the first segment was built before the second failed");
        Assert.AreEqual(1, SumModel.Disposed - disposed, "and it was disposed: no half-built chain survives");
    }

    [TestMethod]
    public void UnknownArchitectureListsTheKnownOnes()
    {
        string path = Copy("unknown.zip", zip => EditManifest(zip, m => m["segments"]![1]!["architecture"] = "someone.else"));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelArchive.Load(_ml, path));
        StringAssert.Contains(e.Message, "no loader is registered for architecture 'someone.else'");
        StringAssert.Contains(e.Message, TorchMlpBinaryModel.ArchitectureName);
    }

    [TestMethod]
    public void SchemaMismatchAtTransformOfALoadedChainNamesTheColumn()
    {
        string path = Path.Combine(_dir, "sum-first.zip");
        ModelArchive.Save(_ml, TorchTransformer.Create(new SumModel()), _data.Schema, path);
        var loaded = ModelArchive.Load(new MLContext(seed: 2), path);
        var wrong = _ml.Data.LoadFromEnumerable(new[] { new { Features = 1f, Label = true } });
        var e = Assert.ThrowsExactly<SchemaMismatchException>(() => loaded.Transform(wrong));
        StringAssert.Contains(e.Message, "input column 'Features' has type Single, expected Vector<Single, 4>");
        Assert.ThrowsExactly<SchemaMismatchException>(() => _ml.Model.CreatePredictionEngine<WrongRow, SumPrediction>(loaded));
    }

    public sealed class WrongRow { public float Features { get; set; } }

    [TestMethod]
    public void FailedSaveLeavesTheExistingFileUntouched()
    {
        string path = Copy("keep.zip");
        var before = File.ReadAllBytes(path);
        // A CustomMapping without a registered factory cannot be saved by ML.NET.
        var unsaveable = _ml.Transforms.CustomMapping<BlobRow, BinaryPrediction>((i, o) => o.Score = i.Features[0], contractName: null).Fit(_data);
        var chain = new Microsoft.ML.Data.TransformerChain<ITransformer>(unsaveable);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ModelArchive.Save(_ml, chain, _data.Schema, path));
        StringAssert.Contains(e.Message, "ML.NET could not save");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
        Assert.IsFalse(Directory.GetFiles(_dir).Any(f => f.Contains(".tmp", StringComparison.Ordinal)), "no temporary file left behind");
    }

    [TestMethod]
    public void MlNetSaveOfAChainWithATorchTransformerPointsToModelArchive()
    {
        var loaded = ModelArchive.Load(_ml, _good);
        var e = Assert.Throws<Exception>(() => _ml.Model.Save(loaded, _data.Schema, Path.Combine(_dir, "x.zip")));
        var all = string.Join(" | ", Enumerable.Repeat(e, 1).Concat(e.InnerException is { } i ? new[] { i } : Array.Empty<Exception>()).Select(x => x.Message));
        StringAssert.Contains(all, "ModelArchive.Save");
    }

    [TestMethod]
    public void ModelsDefinedOutsideTheLibraryAreFoundByTheirAttribute()
    {
        var ml = new MLContext(seed: 1);
        string path = Path.Combine(_dir, "sum.zip");
        var attachment = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        var t = TorchTransformer.Create(new SumModel { Attachment = attachment });
        ModelArchive.Save(ml, t, _data.Schema, path);
        var loaded = ModelArchive.Load(ml, path);
        var model = (SumModel)ModelArchive.Flatten(loaded).OfType<TorchTransformer>().Single().Model;
        CollectionAssert.AreEqual(attachment, model.Attachment, "extra files (e.g. ONNX graphs) travel inside the archive");
        var sums = ml.Data.CreateEnumerable<SumPrediction>(loaded.Transform(_data), false).Select(p => p.Sum).Take(5).ToList();
        var expected = TestData.Blobs(200, seed: 31).Take(5).Select(r => r.Features.Sum()).ToList();
        for (int i = 0; i < 5; i++) Assert.AreEqual(expected[i], sums[i], 1e-5f);
        Assert.IsTrue(TorchModelRegistry.IsRegistered(SumModel.Name));
    }
}
