using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using MlNetHw.Samples.WebService;

// A web service over any plain ML.NET zip MlNetHw writes (text classifiers, the TorchMlp example, image classifiers,
// captioners): ML.NET and ASP.NET Core only.
//   dotnet run -c Release --project samples/WebService -- --model out/homework/part6/lstm.zip --urls http://127.0.0.1:5080
//   GET /health, GET /schema, POST /predict with a JSON array of rows (or one row object): [{"Text": "a great film"}]
// Microsoft.Extensions.ML's PredictionEnginePool is not available here, so engines are pooled with
// Microsoft.Extensions.ObjectPool (part of ASP.NET Core). With Microsoft.Extensions.ML and compile-time row classes:
//   builder.Services.AddPredictionEnginePool<MyInput, MyOutput>().FromFile(modelName: "model", filePath: "model.zip", watchForChanges: true);
//   app.MapPost("/predict", (PredictionEnginePool<MyInput, MyOutput> pool, MyInput row) => pool.Predict("model", row));
var builder = WebApplication.CreateBuilder(args);
builder.Logging.ClearProviders(); // results on stdout are the service's answers; start-up lines below
string modelPath = builder.Configuration["model"] ?? throw new ArgumentException("give the model: --model path/to/model.zip");
if (!File.Exists(modelPath)) { Console.Error.WriteLine($"error: model '{modelPath}' not found"); return 2; }
var ml = new MLContext(seed: 1);
ITransformer model;
DataViewSchema inputSchema;
try { model = ml.Model.Load(modelPath, out inputSchema); }
catch (Exception e) { Console.Error.WriteLine($"error: '{modelPath}' is not a model ML.NET can load: {e.Message}"); return 2; }
JsonNode? info = null;
using (var zip = ZipFile.OpenRead(modelPath))
    if (zip.GetEntry("MlNetHw/model-info.json") is { } entry) { using var s = entry.Open(); info = JsonNode.Parse(s); }

var pool = new DefaultObjectPoolProvider { MaximumRetained = Environment.ProcessorCount * 4 }.Create(new EnginePolicy(model, inputSchema));
var probe = pool.Get();
var outputColumns = probe.OutputColumns.ToList();
pool.Return(probe);
var app = builder.Build();

app.MapGet("/health", () => Results.Json(new { status = "ok", model = Path.GetFileName(modelPath) }));
app.MapGet("/schema", () => Results.Json(new
{
    model = Path.GetFileName(modelPath),
    input = inputSchema.Select(c => new { name = c.Name, type = c.Type.ToString(), required = c.Name != "Label" }),
    output = outputColumns,
    info,
}));
app.MapPost("/predict", async (HttpRequest request) =>
{
    JsonNode? body;
    try { body = await JsonNode.ParseAsync(request.Body); }
    catch (JsonException e) { return Results.Json(new { error = $"the body is not JSON: {e.Message}" }, statusCode: 400); }
    var rows = body switch
    {
        JsonArray a => a.Select(x => x as JsonObject).ToList(),
        JsonObject o => new List<JsonObject?> { o },
        _ => null,
    };
    if (rows is null || rows.Count == 0) return Results.Json(new { error = "send a JSON object (one row) or a non-empty array of objects" }, statusCode: 400);
    var engine = pool.Get();
    try
    {
        var answers = new JsonArray();
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i] is not { } row) return Results.Json(new { error = $"row {i + 1} is not a JSON object", row = i + 1 }, statusCode: 400);
            answers.Add(engine.Predict(row, i + 1));
        }
        return Results.Content(answers.ToJsonString(), "application/json");
    }
    catch (BadRowException e) { return Results.Json(new { error = e.Message, row = e.Row, field = e.Field }, statusCode: 400); }
    finally { pool.Return(engine); }
});

await app.StartAsync();
var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? app.Urls;
foreach (var a in addresses) Console.WriteLine($"listening on {a}");
Console.WriteLine($"model {modelPath}: input {string.Join(", ", inputSchema.Select(c => $"{c.Name} ({c.Type})"))}; output {string.Join(", ", outputColumns)}");
await app.WaitForShutdownAsync();
return 0;
