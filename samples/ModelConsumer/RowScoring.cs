using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;

namespace MlNetHw.Samples.ModelConsumer;

/// <summary>
/// Scoring JSON rows so that one bad row does not cost the others: each row is checked against the model's input
/// columns (a missing, null, mistyped, wrongly sized or out-of-range field is named with the row's line), the good rows
/// are scored, and a bad row gets <c>{"row": N, "error": "..."}</c> in its place in the output (so lines stay aligned)
/// and an <c>error:</c> line on stderr. A prediction that is not a finite number is flagged the same way.
/// </summary>
public static class RowScoring
{
    /// <summary>Exit code when some rows could not be scored (the good rows were).</summary>
    public const int SomeRowsFailed = 3;

    /// <summary>One input row: where it came from (<c>rows.jsonl:3</c>, <c>--json</c>), its number, the object or why it is not one.</summary>
    public sealed record InputRow(string Where, int Number, JsonObject? Row, string? Error);

    /// <summary>The rows of a JSON-lines file; an unparsable line becomes a bad row (the others are kept).</summary>
    public static IEnumerable<InputRow> ReadLines(string path)
    {
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? row = null;
            string? error = null;
            try { row = JsonNode.Parse(line) as JsonObject; error = row is null ? "not a JSON object" : null; }
            catch (System.Text.Json.JsonException e) { error = "not JSON: " + e.Message; }
            yield return new InputRow($"{path}:{n}", n, row, error);
        }
    }

    /// <summary>Scores <paramref name="rows"/> and writes one JSON line per row; returns the number of failed rows.</summary>
    public static int Score(ITransformer model, DataViewSchema inputSchema, IReadOnlyList<InputRow> rows, IReadOnlyList<string> columns,
        TextWriter output, TextWriter log)
    {
        var required = RequiredColumns(model, inputSchema);
        var problems = rows.Select(r => r.Error ?? JsonRows.Problem(required, r.Row!)).ToArray();
        // Columns the model does not need are passed on only when every good row has a usable value for them.
        var good = Enumerable.Range(0, rows.Count).Where(i => problems[i] is null).ToList();
        var used = new DataViewSchema.Builder();
        used.AddColumns(inputSchema.Where(c => required.GetColumnOrNull(c.Name) is not null
            || (good.Count > 0 && good.All(i => rows[i].Row!.ContainsKey(c.Name) && JsonRows.Problem(Only(inputSchema, c), rows[i].Row!) is null))));
        var usedSchema = used.ToSchema();

        var predictions = new JsonObject?[rows.Count];
        if (good.Count > 0)
        {
            try
            {
                var scored = Predict(model, usedSchema, good.Select(i => rows[i].Row!).ToList(), columns);
                for (int k = 0; k < good.Count; k++) predictions[good[k]] = scored[k];
            }
            catch (Exception e) when (e is not OutOfMemoryException && good.Count > 1)
            {
                // One row breaks the model (e.g. an image that cannot be read): score them one by one to find it.
                foreach (int i in good)
                {
                    try { predictions[i] = Predict(model, usedSchema, [rows[i].Row!], columns)[0]; }
                    catch (Exception one) when (one is not OutOfMemoryException) { problems[i] = "scoring failed: " + OneLine(one); }
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                problems[good[0]] = "scoring failed: " + OneLine(e);
            }
        }

        int failed = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            if (problems[i] is null && predictions[i] is { } p && NonFinite(p) is { } bad)
                problems[i] = $"the prediction {bad} is not a finite number (an input value out of the range the model was trained on?)";
            if (problems[i] is { } problem)
            {
                failed++;
                log.WriteLine($"error: {rows[i].Where}: {problem}");
                output.WriteLine(new JsonObject { ["row"] = rows[i].Number, ["error"] = problem }.ToJsonString(Readable));
            }
            else output.WriteLine(predictions[i]!.ToJsonString());
        }
        if (failed > 0) log.WriteLine($"{failed} of {rows.Count} rows failed (their lines hold an \"error\"); the other {rows.Count - failed} were scored; exit code {SomeRowsFailed}");
        return failed;
    }

    static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static List<JsonObject> Predict(ITransformer model, DataViewSchema schema, IReadOnlyList<JsonObject> rows, IReadOnlyList<string> columns)
    {
        IDataView data = JsonRows.Load(schema, rows);
        IDataView scored = model.Transform(data);
        var outputColumns = columns.Count > 0 ? columns
            : scored.Schema.Where(c => !c.IsHidden && data.Schema.GetColumnOrNull(c.Name) is null
                                       && (c.Type is not VectorDataViewType || c.Name is "Score" or "CaptionWords")).Select(c => c.Name).ToList();
        return JsonRows.Read(scored, outputColumns).ToList();
    }

    /// <summary>The input columns without which the model cannot run (found by asking it for its output schema without each).</summary>
    static DataViewSchema RequiredColumns(ITransformer model, DataViewSchema input)
    {
        var required = new DataViewSchema.Builder();
        foreach (var c in input.Where(c => !c.IsHidden))
        {
            var without = new DataViewSchema.Builder();
            without.AddColumns(input.Where(x => x.Name != c.Name));
            bool needed;
            try { model.GetOutputSchema(without.ToSchema()); needed = false; }
            catch (Exception e) when (e is not OutOfMemoryException) { needed = true; }
            if (needed) required.AddColumn(c.Name, c.Type, c.Annotations);
        }
        return required.ToSchema();
    }

    static DataViewSchema Only(DataViewSchema schema, DataViewSchema.Column c)
    {
        var b = new DataViewSchema.Builder();
        b.AddColumn(c.Name, c.Type, c.Annotations);
        return b.ToSchema();
    }

    static string? NonFinite(JsonObject prediction)
    {
        foreach (var (name, node) in prediction)
        {
            var values = node is JsonArray a ? a.Select(x => x) : [node];
            foreach (var v in values)
                if (v is JsonValue jv && jv.TryGetValue<string>(out var s) && s is "NaN" or "Infinity" or "-Infinity" or "∞" or "-∞")
                    return $"{name} = {s}";
        }
        return null;
    }

    static string OneLine(Exception e) =>
        string.Join(" ", (e.InnerException?.Message ?? e.Message).Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
