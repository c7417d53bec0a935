using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;

namespace MlNetHw.Tests.MlNet;

/// <summary>JSON rows in and out, input schemas rebuilt from manifests, and the ModelConsumer flow on a text pipeline.</summary>
[TestClass]
[TestCategory("MlNet")]
public sealed class JsonRowsTests
{
    [TestMethod]
    public void TypeDescriptionsParseBackToTheSameTypes()
    {
        var types = new DataViewType[]
        {
            NumberDataViewType.Single, NumberDataViewType.Double, NumberDataViewType.Int32, NumberDataViewType.Int64,
            BooleanDataViewType.Instance, TextDataViewType.Instance, new VectorDataViewType(NumberDataViewType.Single, 7),
            new VectorDataViewType(NumberDataViewType.Single), new VectorDataViewType(TextDataViewType.Instance),
            new KeyDataViewType(typeof(uint), 5),
        };
        foreach (var t in types) Assert.AreEqual(t, JsonRows.ParseType(TorchColumn.Describe(t)), TorchColumn.Describe(t));
        var e = Assert.ThrowsExactly<FormatException>(() => JsonRows.ParseType("Image<224, 224>"));
        StringAssert.Contains(e.Message, "cannot be rebuilt");
    }

    [TestMethod]
    public void BadRowsNameRowColumnAndExpectedType()
    {
        var b = new DataViewSchema.Builder();
        b.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, 2));
        b.AddColumn("Text", TextDataViewType.Instance);
        var schema = b.ToSchema();
        var ok = JsonRows.Load(schema, new[] { Row("""{"Features":[1,2],"Text":"a"}""") });
        Assert.AreEqual("a", JsonRows.Read(ok).Single()["Text"]!.GetValue<string>());

        var e1 = Assert.ThrowsExactly<InvalidDataException>(() => JsonRows.Load(schema, new[] { Row("""{"Features":[1,2],"Text":"a"}"""), Row("""{"Features":[1,2,3],"Text":"b"}""") }));
        StringAssert.Contains(e1.Message, "row 2: field 'Features' has 3 values, expected 2");
        var e2 = Assert.ThrowsExactly<InvalidDataException>(() => JsonRows.Load(schema, new[] { Row("""{"Features":[1,2]}""") }));
        StringAssert.Contains(e2.Message, "row 1: field 'Text': no value (expected String)");
        var e3 = Assert.ThrowsExactly<InvalidDataException>(() => JsonRows.Load(schema, new[] { Row("""{"Features":"x","Text":"a"}""") }));
        StringAssert.Contains(e3.Message, "field 'Features' = \"x\" is not a Vector<Single, 2>");
        // A number beyond Single's range (it would read as infinity) and a wrong field name are named too.
        StringAssert.Contains(JsonRows.Problem(schema, Row("""{"Features":[1,1e40],"Text":"a"}""")), "field 'Features'[1] is out of range");
        StringAssert.Contains(JsonRows.Problem(schema, Row("""{"Features":[1,2],"Txt":"a"}""")), "unknown field(s) 'Txt'");
        Assert.IsNull(JsonRows.Problem(schema, Row("""{"Features":[1,2],"Text":"a"}""")));
    }

    [TestMethod]
    public void TextPipelineArchiveIsScoredFromJsonRowsLikeModelConsumerDoes()
    {
        var ml = new MLContext(seed: 1);
        var sentences = new[]
        {
            ("a wonderful, moving film", true), ("great acting and a great story", true), ("loved every minute", true),
            ("brilliant and funny", true), ("a delight", true), ("wonderful cast", true), ("great fun", true), ("I loved it", true),
            ("a boring, awful mess", false), ("terrible acting", false), ("I hated every minute", false), ("dull and far too long", false),
            ("awful story", false), ("boring", false), ("a terrible waste of time", false), ("hated it", false),
        }.Select(s => new { Text = s.Item1, Label = s.Item2 }).ToArray();
        var data = ml.Data.LoadFromEnumerable(sentences);
        var estimator = ml.Transforms.Text.FeaturizeText("Features", "Text")
            .Append(ml.BinaryClassification.Trainers.TorchMlp(new TorchMlpBinaryOptions
            {
                HiddenSizes = new[] { 8 }, ValidationFraction = 0, Training = { Epochs = 30, BatchSize = 4, LearningRate = 1e-2, Seed = 5, Device = "cpu" },
            }));
        var loaded = RoundTrip.Check(ml, estimator, data, data, "Score", "Probability", "PredictedLabel");

        string dir = TestData.TempDir();
        try
        {
            string path = Path.Combine(dir, "text.zip");
            ModelArchive.Save(ml, loaded, data.Schema, path);
            var schema = ModelArchive.ReadInputSchema(path);
            CollectionAssert.AreEqual(new[] { "Text", "Label" }, schema.Select(c => c.Name).ToArray());
            var textOnly = new DataViewSchema.Builder();
            textOnly.AddColumn("Text", TextDataViewType.Instance);
            var rows = new[] { Row("""{"Text":"great, wonderful fun"}"""), Row("""{"Text":"awful, boring and terrible"}""") };
            var predictions = JsonRows.Read(ModelArchive.Load(new MLContext(2), path).Transform(JsonRows.Load(textOnly.ToSchema(), rows)), new[] { "PredictedLabel", "Probability" }).ToList();
            Assert.IsTrue(predictions[0]["PredictedLabel"]!.GetValue<bool>(), predictions[0].ToJsonString());
            Assert.IsFalse(predictions[1]["PredictedLabel"]!.GetValue<bool>(), predictions[1].ToJsonString());
        }
        finally { Directory.Delete(dir, true); }
    }

    static JsonObject Row(string json) => (JsonObject)JsonNode.Parse(json)!;
}
