// How an app embeds a trained MlNetHw model: reference the MlNetHw library only, load the .zip, predict.
// Input rows are JSON objects whose properties are the model's input columns (printed by --info), e.g.
//   {"Text": "great phone, battery lasts"}           (a text classifier)
//   {"Features": [0.1, -1.2, 0.4, 2.0]}              (the TorchMlp worked example on blobs)
// With compile-time row classes an app would rather write:
//   var model = ModelArchive.Load(mlContext, "model.zip");
//   var engine = mlContext.Model.CreatePredictionEngine<MyInput, MyPrediction>(model);
using System.Text.Json.Nodes;
using Microsoft.ML;
using MlNetHw.Cli;
using MlNetHw.MlNet;

var cli = new CommandLineArgs(args);
if (cli.HelpRequested || args.Length == 0)
{
    Console.WriteLine("usage: dotnet run -c Release --project pipelines/ModelConsumer -- --model model.zip [--info]");
    Console.WriteLine("         [--input rows.jsonl | --json '{\"Text\": \"...\"}'] [--columns Score,PredictedLabel] [--out predictions.jsonl]");
    return args.Length == 0 ? 1 : 0;
}
string modelPath = cli.String("--model") ?? throw new ArgumentException("--model is required");
string? input = cli.String("--input");
string? json = cli.String("--json");
var columns = cli.List("--columns", Array.Empty<string>());
string? outPath = cli.String("--out");
bool info = cli.Flag("--info");
cli.ThrowOnUnknown();

var manifest = ModelArchive.ReadManifest(modelPath);
Console.Error.WriteLine($"model {modelPath}: format {manifest["format"]} v{manifest["formatVersion"]}, written by {manifest["writer"]} at {manifest["createdUtc"]}");
foreach (var segment in manifest["segments"]!.AsArray())
    Console.Error.WriteLine(segment!["kind"]!.GetValue<string>() == "torch"
        ? $"  torch segment: {segment["architecture"]} {segment["hyperparameters"]!.ToJsonString()}"
        : $"  ML.NET segment: {string.Join(" → ", segment["transformers"]!.AsArray().Select(t => t!.GetValue<string>()))}");
Console.Error.WriteLine("  input columns: " + string.Join(", ", manifest["inputSchema"]!.AsArray().Select(c => $"{c!["name"]} ({c["type"]})")));
if (info) return 0;

var rows = new List<JsonObject>();
if (json is not null) rows.Add(JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("--json must be one JSON object"));
if (input is not null)
{
    int n = 0;
    foreach (var line in File.ReadLines(input))
    {
        n++;
        if (string.IsNullOrWhiteSpace(line)) continue;
        try { rows.Add(JsonNode.Parse(line) as JsonObject ?? throw new FormatException("not a JSON object")); }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            throw new InvalidDataException($"{input}:{n}: {e.Message}", e);
        }
    }
}
if (rows.Count == 0) throw new ArgumentException("give rows with --input rows.jsonl or --json '{...}'");

var mlContext = new MLContext(seed: 1);
ITransformer model = ModelArchive.Load(mlContext, modelPath);
// Only the columns the model reads need values; the others of the recorded input schema are filled from the rows if present.
var schema = ModelArchive.ReadInputSchema(modelPath);
var needed = new Microsoft.ML.DataViewSchema.Builder();
needed.AddColumns(schema.Where(c => rows.All(r => r.ContainsKey(c.Name))));
IDataView data = JsonRows.Load(needed.ToSchema(), rows);
IDataView scored = model.Transform(data);
var outputColumns = columns.Count > 0 ? columns
    : scored.Schema.Where(c => !c.IsHidden && data.Schema.GetColumnOrNull(c.Name) is null && c.Type is not Microsoft.ML.Data.VectorDataViewType).Select(c => c.Name).ToList();
using var writer = outPath is null ? Console.Out : new StreamWriter(outPath);
foreach (var prediction in JsonRows.Read(scored, outputColumns)) writer.WriteLine(prediction.ToJsonString());
if (outPath is not null) Console.Error.WriteLine($"wrote {rows.Count} predictions to {outPath}");
return 0;
