using Microsoft.ML;
using Microsoft.ML.Data;
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
            var data = ImageFolderDataset.Load(root);
            var ml = new MLContext(seed: 0);
            var train = ml.Data.LoadFromEnumerable(ImageRows.From(data, data.Train));
            var val = ml.Data.LoadFromEnumerable(ImageRows.From(data, data.Val));
            var estimator = ml.ResNet18Finetune(new ResNet18FinetuneEstimatorOptions
            {
                Training = { Epochs = 1, Seed = 2, Device = "cpu" }, ValidationData = val,
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
            foreach (var name in new[] { "Score", "PredictedLabel" })
            {
                var col = declared.FirstOrDefault(c => c.Name == name);
                Assert.AreEqual(name, col.Name, $"GetOutputSchema lacks {name}");
                var actual = scored.Schema[name].Type;
                Assert.IsInstanceOfType<VectorDataViewType>(actual);
                Assert.AreEqual(col.ItemType, ((VectorDataViewType)actual).ItemType, $"{name} item type");
                Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, col.Kind, $"{name} kind");
            }
            var scores = scored.GetColumn<float[]>("Score").ToList();
            var labels = scored.GetColumn<string[]>("PredictedLabel").ToList();
            Assert.AreEqual(data.Val.Count, scores.Count);
            for (int i = 0; i < scores.Count; i++)
            {
                Assert.AreEqual(1.0, scores[i].Sum(), 1e-4);
                Assert.AreEqual(data.Classes[Array.IndexOf(scores[i], scores[i].Max())], labels[i].Single());
            }

            // Label column missing: a clear error naming it.
            var noLabel = ml.Data.LoadFromEnumerable(new[] { new { ImagePath = data.Train[0].Path } }.Select(x => new PathOnly { ImagePath = x.ImagePath }));
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.ResNet18Finetune().Fit(noLabel));
            StringAssert.Contains(e.Message, "Label");
        }
        finally { Directory.Delete(root, true); }
    }

    sealed class PathOnly { public string ImagePath { get; set; } = ""; }
}
