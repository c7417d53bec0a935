using System.Text.Json.Nodes;
using Microsoft.ML;
using MlNetHw.MlNet;

namespace MlNetHw.Tests.MlNet;

/// <summary>
/// The round-trip check every TorchSharp-backed estimator gets (in the spirit of ML.NET's estimator tests): fit →
/// <see cref="ModelArchive.Save"/> → <see cref="ModelArchive.Load(MLContext, string)"/> in a fresh <see cref="MLContext"/> → the loaded
/// chain's <c>Transform</c> and its row-by-row mapper (what a PredictionEngine runs) both give the original
/// predictions. Add an estimator with one call:
/// <code>RoundTrip.Check(ml, estimator, train, test, "Score", "PredictedLabel");</code>
/// </summary>
public static class RoundTrip
{
    /// <summary>Largest difference allowed between two numbers (see ModelArchiveTests on bit-exactness).</summary>
    public const double Tolerance = 1e-6;

    /// <summary>Runs the check on <paramref name="columns"/> of the output; returns the loaded chain.</summary>
    public static ITransformer Check(MLContext ml, IEstimator<ITransformer> estimator, IDataView train, IDataView test, params string[] columns)
    {
        string dir = TestData.TempDir();
        try
        {
            var model = estimator.Fit(train);
            var expected = JsonRows.Read(model.Transform(test), columns).ToList();
            Assert.IsTrue(expected.Count > 0, "the test set is empty");

            string path = Path.Combine(dir, "model.zip");
            ModelArchive.Save(ml, model, train.Schema, path);
            var fresh = new MLContext(seed: 12345);
            var loaded = ModelArchive.Load(fresh, path);

            var viaTransform = JsonRows.Read(loaded.Transform(test), columns).ToList();
            Compare(expected, viaTransform, "loaded Transform");
            Compare(expected, RowByRow(loaded, test, columns), "loaded row-by-row mapper (PredictionEngine path)");
            return loaded;
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>The columns of every row of <paramref name="data"/> scored one row at a time through <c>GetRowToRowMapper</c>.</summary>
    public static List<JsonObject> RowByRow(ITransformer model, IDataView data, IReadOnlyList<string> columns)
    {
        Assert.IsTrue(model.IsRowToRowMapper);
        var mapper = model.GetRowToRowMapper(data.Schema);
        var outputs = columns.Select(c => mapper.OutputSchema[c]).ToList();
        using var cursor = data.GetRowCursor(mapper.GetDependencies(outputs));
        using var row = mapper.GetRow(cursor, outputs);
        var table = new ColumnTable(outputs.Select(c => new TorchColumn(c.Name, c.Type)), 1);
        var readers = outputs.Select(c =>
        {
            var values = table.ConversionOf(c.Name).CreateArray(1);
            return (c.Name, values, Read: table.ConversionOf(c.Name).CreateReader(row, c, values));
        }).ToList();
        var result = new List<JsonObject>();
        while (cursor.MoveNext())
        {
            var o = new JsonObject();
            foreach (var r in readers)
            {
                r.Read(0);
                o[r.Name] = System.Text.Json.JsonSerializer.SerializeToNode(r.values.GetValue(0));
            }
            result.Add(o);
        }
        return result;
    }

    /// <summary>Asserts two lists of JSON rows are equal, numbers within <see cref="Tolerance"/>.</summary>
    public static void Compare(IReadOnlyList<JsonObject> expected, IReadOnlyList<JsonObject> actual, string what)
    {
        Assert.AreEqual(expected.Count, actual.Count, $"{what}: row count");
        for (int i = 0; i < expected.Count; i++)
            foreach (var (name, value) in expected[i])
                Same(value, actual[i][name], $"{what}: row {i} column '{name}'");
    }

    static void Same(JsonNode? a, JsonNode? b, string where)
    {
        switch (a)
        {
            case JsonArray xa:
                var xb = b as JsonArray ?? throw new AssertFailedException($"{where}: expected an array, got {b?.ToJsonString()}");
                Assert.AreEqual(xa.Count, xb.Count, $"{where}: length");
                for (int i = 0; i < xa.Count; i++) Same(xa[i], xb[i], $"{where}[{i}]");
                break;
            case JsonValue va when va.TryGetValue<double>(out double da):
                Assert.IsNotNull(b, where);
                Assert.AreEqual(da, b.GetValue<double>(), Tolerance, where);
                break;
            default:
                Assert.AreEqual(a?.ToJsonString(), b?.ToJsonString(), where);
                break;
        }
    }
}
