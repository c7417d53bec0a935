using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;

namespace MlNetHw.Tests.MlNet;

/// <summary>The transformer base: batching, laziness, row alignment, row-to-row mapping, threads, schema messages.</summary>
[TestClass]
[TestCategory("MlNet")]
public sealed class TorchTransformerTests
{
    sealed class ThreeFeatures { [VectorType(3)] public float[] Features { get; set; } = Array.Empty<float>(); }

    [TestMethod]
    public void TransformScoresInBatchesOfTheConfiguredSize()
    {
        var ml = new MLContext(seed: 1);
        var model = new SumModel { ScoringBatchSize = 64 };
        var t = TorchTransformer.Create(model);
        var rows = TestData.Blobs(1000, seed: 5);
        var output = ml.Data.CreateEnumerable<SumPrediction>(t.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToList();

        Assert.AreEqual(1000, output.Count);
        CollectionAssert.AreEqual(Enumerable.Repeat(64, 15).Append(1000 - 15 * 64).ToList(), model.BatchSizes);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.AreEqual(rows[i].Features.Sum(), output[i].Sum, 1e-5f, $"row {i}");
            CollectionAssert.AreEqual(rows[i].Features, output[i].Features, $"pass-through features of row {i}");
            Assert.AreEqual(output[i].Sum, float.Parse(output[i].SumText, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [TestMethod]
    public void TransformIsLazyAndScoresOnlyWhatIsRead()
    {
        var ml = new MLContext(seed: 1);
        var model = new SumModel { ScoringBatchSize = 16 };
        var view = TorchTransformer.Create(model).Transform(ml.Data.LoadFromEnumerable(TestData.Blobs(500, seed: 6)));
        Assert.AreEqual(0, model.BatchSizes.Count, "Transform itself must not score anything");

        using (var cursor = view.GetRowCursor(view.Schema.Where(c => c.Name == "Features")))
            for (int i = 0; i < 100; i++) Assert.IsTrue(cursor.MoveNext());
        Assert.AreEqual(0, model.BatchSizes.Count, "a cursor that does not ask for model outputs must not run the model");

        using (var cursor = view.GetRowCursor(view.Schema))
        {
            var sum = cursor.GetGetter<float>(view.Schema["Sum"]);
            for (int i = 0; i < 5; i++) { Assert.IsTrue(cursor.MoveNext()); float s = 0; sum(ref s); }
        }
        CollectionAssert.AreEqual(new[] { 16 }, model.BatchSizes, "reading 5 rows should score exactly one batch");
    }

    [TestMethod]
    public void ShuffledCursorKeepsEveryScoreWithItsOwnRow()
    {
        var ml = new MLContext(seed: 1);
        var model = new SumModel { ScoringBatchSize = 7 };
        var input = ml.Data.Cache(ml.Data.LoadFromEnumerable(TestData.Blobs(200, seed: 8)));
        var view = TorchTransformer.Create(model).Transform(input);
        Assert.IsTrue(view.CanShuffle, "a cached input can be shuffled");
        using var cursor = view.GetRowCursor(view.Schema, new Random(42));
        var features = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        var sum = cursor.GetGetter<float>(view.Schema["Sum"]);
        var firstValues = new List<float>();
        int n = 0;
        while (cursor.MoveNext())
        {
            VBuffer<float> f = default;
            float s = 0;
            features(ref f);
            sum(ref s);
            Assert.AreEqual(f.DenseValues().Sum(), s, 1e-5f, $"row {n} (position {cursor.Position}) got another row's score");
            if (n < 10) firstValues.Add(f.GetValues()[0]);
            n++;
        }
        Assert.AreEqual(200, n);
        var sequential = TestData.Blobs(200, seed: 8).Take(10).Select(r => r.Features[0]).ToList();
        CollectionAssert.AreNotEqual(sequential, firstValues, "the cursor should really have shuffled");
    }

    [TestMethod]
    public void PredictionEngineOnNativeTorchNativeChainEqualsTransformAndScoresOneRowAtATime()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TestData.Blobs(50, seed: 9));
        var model = new SumModel();
        var norm = ml.Transforms.NormalizeMinMax("Features").Fit(data);
        var torchTransformer = TorchTransformer.Create(model);
        var copy = ml.Transforms.CopyColumns("SumCopy", "Sum").Fit(torchTransformer.Transform(norm.Transform(data)));
        var chain = new TransformerChain<ITransformer>(norm, torchTransformer, copy);
        var batch = ml.Data.CreateEnumerable<SumPrediction>(chain.Transform(data), reuseRowObject: false).ToList();
        int batchesBefore = model.BatchSizes.Count;
        using var engine = ml.Model.CreatePredictionEngine<BlobRow, SumPrediction>(chain);
        var rows = TestData.Blobs(50, seed: 9);
        for (int i = 0; i < rows.Length; i++)
        {
            var p = engine.Predict(rows[i]);
            Assert.AreEqual(batch[i].Sum, p.Sum, 0f, $"row {i}");
            Assert.AreEqual(batch[i].SumText, p.SumText, $"row {i}");
        }
        Assert.IsTrue(model.BatchSizes.Skip(batchesBefore).All(b => b == 1), "a prediction engine scores single rows");
        Assert.AreEqual(50, model.BatchSizes.Count - batchesBefore, "one forward pass per prediction, not per column read");
    }

    [TestMethod]
    public void ParallelEnginesOnOneLoadedModelMatchSequentialScoring()
    {
        string dir = TestData.TempDir();
        try
        {
            var ml = new MLContext(seed: 1);
            var train = ml.Data.LoadFromEnumerable(TestData.Blobs(300, seed: 21));
            var fitted = ml.BinaryClassification.Trainers.TorchMlp(new TorchMlpBinaryOptions
            {
                HiddenSizes = new[] { 8 }, Training = { Epochs = 2, Seed = 2, Device = "cpu" },
            }).Fit(train);
            string path = Path.Combine(dir, "m.zip");
            ModelArchive.Save(ml, fitted, train.Schema, path);
            var loaded = ModelArchive.Load(new MLContext(seed: 3), path);
            var rows = TestData.Blobs(400, seed: 22);

            using var sequentialEngine = ml.Model.CreatePredictionEngine<BlobRow, BinaryPrediction>(loaded);
            var sequential = rows.Select(r => sequentialEngine.Predict(r).Score).ToArray();
            var parallel = new float[rows.Length];
            const int threads = 4;
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                using var engine = ml.Model.CreatePredictionEngine<BlobRow, BinaryPrediction>(loaded); // one engine per thread
                for (int i = t; i < rows.Length; i += threads) parallel[i] = engine.Predict(rows[i]).Score;
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            CollectionAssert.AreEqual(sequential, parallel);
            Assert.IsTrue(sequential.Distinct().Count() > 100, "scores should differ from row to row");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void SchemaMismatchAtTransformNamesColumnExpectedAndActualType()
    {
        var ml = new MLContext(seed: 1);
        var t = TorchTransformer.Create(new SumModel());
        var wrong = ml.Data.LoadFromEnumerable(new[] { new ThreeFeatures { Features = new float[3] } });
        var e = Assert.ThrowsExactly<SchemaMismatchException>(() => t.Transform(wrong));
        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "Vector<Single, 3>");
        StringAssert.Contains(e.Message, "expected Vector<Single, 4>");
        Assert.AreEqual("Features", e.Column);

        var missing = ml.Data.LoadFromEnumerable(new[] { new BinaryPrediction() });
        var e2 = Assert.ThrowsExactly<SchemaMismatchException>(() => t.GetRowToRowMapper(missing.Schema));
        StringAssert.Contains(e2.Message, "input column 'Features' not found");
        StringAssert.Contains(e2.Message, "Score (Single)");
    }

    [TestMethod]
    public void EstimatorChecksTrainingColumnsAtGetOutputSchemaAndFit()
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.BinaryClassification.Trainers.TorchMlp(labelColumnName: "Label");
        var noLabel = ml.Data.LoadFromEnumerable(new[] { new ThreeFeatures { Features = new float[3] } });
        var e = Assert.ThrowsExactly<SchemaMismatchException>(() => estimator.Fit(noLabel));
        StringAssert.Contains(e.Message, "'Label' not found (expected Boolean)");

        var shapeError = Assert.ThrowsExactly<SchemaMismatchException>(() =>
            ml.Transforms.CopyColumns("Label", "Features").Append(estimator).GetOutputSchema(SchemaShapeOf(ml, noLabel)));
        StringAssert.Contains(shapeError.Message, "'Label'");
        StringAssert.Contains(shapeError.Message, "expected Boolean");

        var good = ml.Data.LoadFromEnumerable(TestData.Blobs(10, seed: 1));
        var shape = estimator.GetOutputSchema(SchemaShapeOf(ml, good));
        Assert.AreEqual(SchemaShape.Column.VectorKind.Scalar, shape.Single(c => c.Name == "Score").Kind);
        Assert.IsTrue(shape.Any(c => c.Name == "PredictedLabel" && c.ItemType == BooleanDataViewType.Instance));
    }

    static SchemaShape SchemaShapeOf(MLContext ml, IDataView data) => ShapeFromSchema(data.Schema);

    static SchemaShape ShapeFromSchema(DataViewSchema schema) =>
        new(schema.Where(c => !c.IsHidden).Select(c => SchemaChecks.ShapeOf(new TorchColumn(c.Name, c.Type))));
}
