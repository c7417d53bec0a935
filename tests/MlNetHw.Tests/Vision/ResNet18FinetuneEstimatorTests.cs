using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Data;
using MlNetHw.Vision;

namespace MlNetHw.Tests.Vision;

[TestClass]
[TestCategory("Vision")]
public sealed class ResNet18FinetuneEstimatorTests
{
    [TestMethod]
    public void EstimatorFitsSavesWithPlainMlNetAndDeclaresItsOutputSchema()
    {
        string root = TinyImageFolder.Create(trainPerClass: 2, valPerClass: 1);
        try
        {
            var data = ImageFolderReader.Read(root);
            var ml = new MLContext(seed: 0);
            var train = ImageFolderReader.Load(ml, data.Train);
            var val = ImageFolderReader.Load(ml, data.Validation);
            var estimator = ml.ResNet18Finetune(new ResNet18FinetuneEstimatorOptions
            {
                Finetune = { Training = { Epochs = 1, Seed = 2, Device = "cpu" } }, ValidationData = val,
                OnnxPath = Path.Combine(root, "model.onnx"), Log = TextWriter.Null,
            });
            // SchemaShape.Create is internal in ML.NET; the pipeline machinery calls it the same way.
            var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, new[] { typeof(DataViewSchema) })!;
            var declared = estimator.GetOutputSchema((SchemaShape)create.Invoke(null, new object[] { train.Schema })!);
            var model = estimator.Fit(train);
            Assert.IsNotNull(estimator.LastRun);
            Assert.AreEqual(1, estimator.LastRun.History.Count);

            string zip = Path.Combine(root, "model.zip");
            ml.Model.Save(model, train.Schema, zip);
            var loaded = new MLContext(seed: 0).Model.Load(zip, out _);
            var scored = loaded.Transform(val);
            var score = declared.FirstOrDefault(c => c.Name == "Score");
            Assert.AreEqual("Score", score.Name, "GetOutputSchema lacks Score");
            Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, score.Kind);
            Assert.AreEqual(score.ItemType, ((VectorDataViewType)scored.Schema["Score"].Type).ItemType);
            var label = declared.FirstOrDefault(c => c.Name == "PredictedLabel");
            Assert.AreEqual("PredictedLabel", label.Name, "GetOutputSchema lacks PredictedLabel");
            Assert.AreEqual(SchemaShape.Column.VectorKind.Scalar, label.Kind, "declared PredictedLabel is a scalar");
            Assert.AreEqual(TextDataViewType.Instance, scored.Schema["PredictedLabel"].Type, "PredictedLabel is a plain string, not a vector");
            Assert.AreEqual(label.ItemType, scored.Schema["PredictedLabel"].Type);

            var scores = scored.GetColumn<float[]>("Score").ToList();
            var labels = scored.GetColumn<string>("PredictedLabel").ToList();
            Assert.AreEqual(data.Validation.Count, scores.Count);
            var engine = new MLContext(seed: 0).Model.CreatePredictionEngine<ImageRow, ImagePrediction>(loaded);
            for (int i = 0; i < scores.Count; i++)
            {
                Assert.AreEqual(1.0, scores[i].Sum(), 1e-4);
                Assert.AreEqual(data.Classes[Array.IndexOf(scores[i], scores[i].Max())], labels[i]);
                var p = engine.Predict(new ImageRow(data.Validation.Rows[i].ImagePath, ""));
                Assert.AreEqual(labels[i], p.PredictedLabel, "PredictionEngine with a string PredictedLabel");
                CollectionAssert.AreEqual(scores[i], p.Score);
            }

            // Label column missing: a clear error naming it.
            var noLabel = ml.Data.LoadFromEnumerable(new[] { new { ImagePath = data.Train.Rows[0].ImagePath } }.Select(x => new PathOnly { ImagePath = x.ImagePath }));
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.ResNet18Finetune().Fit(noLabel));
            StringAssert.Contains(e.Message, "Label");
        }
        finally { Directory.Delete(root, true); }
    }

    sealed class PathOnly { public string ImagePath { get; set; } = ""; }
}
