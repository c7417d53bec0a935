using Microsoft.ML;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;

namespace MlNetHw.Tests.MlNet;

/// <summary>The worked example end to end: fit, evaluate, save, load in a fresh MLContext, predict.</summary>
[TestClass]
[TestCategory("MlNet")]
public sealed class TorchMlpRoundTripTests
{
    static TorchMlpBinaryOptions Options(int epochs = 8) => new()
    {
        HiddenSizes = new[] { 16 },
        Training = { Epochs = epochs, BatchSize = 32, LearningRate = 1e-2, Seed = 3, Device = "cpu" },
    };

    [TestMethod]
    public void FitLearnsSaveLoadInFreshContextGivesIdenticalPredictions()
    {
        string dir = TestData.TempDir();
        try
        {
            var ml = new MLContext(seed: 1);
            var train = ml.Data.LoadFromEnumerable(TestData.Blobs(600, seed: 11));
            var test = ml.Data.LoadFromEnumerable(TestData.Blobs(300, seed: 12));
            var model = ml.BinaryClassification.Trainers.TorchMlp(Options()).Fit(train);

            var scored = model.Transform(test);
            var metrics = ml.BinaryClassification.Evaluate(scored);
            Assert.IsTrue(metrics.Accuracy > 0.8, $"the MLP should learn the linear rule (accuracy {metrics.Accuracy:0.000})");
            Assert.IsTrue(metrics.AreaUnderRocCurve > 0.9, $"AUC {metrics.AreaUnderRocCurve:0.000}");
            Assert.IsNotNull(model.Model.Training);
            Assert.AreEqual(8, model.Model.Training!.History.Count);

            string path = Path.Combine(dir, "mlp.zip");
            ModelArchive.Save(ml, model, train.Schema, path);

            var fresh = new MLContext(seed: 99);
            var loaded = ModelArchive.Load(fresh, path);
            var expected = ml.Data.CreateEnumerable<BinaryPrediction>(scored, reuseRowObject: false).ToList();
            var actual = fresh.Data.CreateEnumerable<BinaryPrediction>(loaded.Transform(fresh.Data.LoadFromEnumerable(TestData.Blobs(300, seed: 12))), reuseRowObject: false).ToList();
            Assert.AreEqual(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.AreEqual(expected[i].Score, actual[i].Score, 1e-6f, $"row {i} score"); // see ModelArchiveTests on bit-exactness
                Assert.AreEqual(expected[i].PredictedLabel, actual[i].PredictedLabel, $"row {i} label");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void RoundTripHarnessPassesForTheMlpWithDropoutAndTwoHiddenLayers()
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.NormalizeMinMax("Features").Append(ml.BinaryClassification.Trainers.TorchMlp(new TorchMlpBinaryOptions
        {
            HiddenSizes = new[] { 16, 8 }, Dropout = 0.3, Training = { Epochs = 3, Seed = 8, Device = "cpu" },
        }));
        RoundTrip.Check(ml, estimator, ml.Data.LoadFromEnumerable(TestData.Blobs(300, 51)), ml.Data.LoadFromEnumerable(TestData.Blobs(150, 52)),
            "Score", "Probability", "PredictedLabel");
    }
}
