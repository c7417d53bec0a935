using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;
using MlNetHw.Captioning;
using MlNetHw.Onnx;
using MlNetHw.Text;

namespace MlNetHw.Benchmarks;

/// <summary>
/// Plain ML.NET zips (ONNX Runtime) against the TorchSharp transformers they were exported from: rows/s batched
/// (<c>Transform</c> over all rows) and row by row (a <c>PredictionEngine</c>), max |Δprobability| and zip size, for
/// each text kind and the TorchMlp; then samples/WebService over the plain LSTM zip: requests/s, p50 and p99 latency
/// with 1 and 8 concurrent clients (one sentence per request). Models are trained briefly on synthetic sentences:
/// the figures are about scoring, not accuracy.
/// </summary>
public sealed class PlainModelBenchmark : IBenchmarkSection
{
    public string Name => "plain";
    public string Description => "plain ML.NET/ONNX Runtime zips vs the TorchSharp transformers (rows/s batched and row by row), and the web service (req/s, p50/p99 at 1 and 8 clients)";

    static readonly string[] Good = { "good", "great", "excellent", "love", "nice", "wonderful" };
    static readonly string[] Bad = { "bad", "awful", "terrible", "hate", "poor", "boring" };
    static readonly string[] Filler = { "the", "movie", "was", "it", "really", "phone", "food", "service", "this", "and", "a", "very", "battery", "screen", "plot" };

    static List<(bool Label, string Text)> Sentences(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            bool label = rng.Next(2) == 1;
            var words = Enumerable.Range(0, rng.Next(4, 20)).Select(_ => rng.Next(4) == 0 ? (label ? Good : Bad)[rng.Next(6)] : Filler[rng.Next(Filler.Length)]);
            return (label, string.Join(" ", words) + ".");
        }).ToList();
    }

    public void Run(BenchmarkContext context)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnethw-bench-plain-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            int rows = context.Quick ? 300 : 2000;
            var ml = new MLContext(seed: 1);
            var train = ml.Data.LoadFromEnumerable(Sentences(600, 1).Select(s => new TextClassificationExperiment.LabeledTextRow { Label = s.Label, Text = s.Text }));
            var test = Sentences(rows, 2).Select(s => s.Text).ToList();
            string glove = Path.Combine(dir, "vectors.txt");
            var rng = new Random(3);
            File.WriteAllLines(glove, Good.Concat(Bad).Concat(Filler).Select(w => w + " " + string.Join(" ", Enumerable.Range(0, 50).Select(_ => (rng.NextDouble() - 0.5).ToString("0.0000", CultureInfo.InvariantCulture)))));
            var vectors = TextDataSources.ReadGloVe(glove);
            string? lstmZip = null;
            foreach (var kind in Enum.GetValues<TextModelKind>().Where(k => k != TextModelKind.FinetunedEncoder))
            {
                var trainer = TextClassificationEstimator.DefaultTrainerOptions(kind, vectors);
                trainer.Training.Epochs = 1; trainer.Training.Device = "cpu"; trainer.HiddenSize = 64; trainer.EmbeddingDimension = 50;
                var model = new TextClassificationEstimator(ml, kind, kind is TextModelKind.BagOfWords or TextModelKind.Embeddings ? null : vectors, trainer).Fit(train);
                string zip = Path.Combine(dir, $"{TextClassificationExperiment.NameOf(kind)}.zip");
                model.Save(zip);
                if (kind == TextModelKind.Lstm) lstmZip = zip;
                var plain = TextClassificationModel.Load(new MLContext(seed: 1), zip);
                Compare(context, TextClassificationExperiment.NameOf(kind), model, plain, test, zip);
            }
            Mlp(context, dir, rows);
            foreach (var cell in new[] { CaptionCell.Rnn, CaptionCell.Lstm }) Captioner(context, dir, cell, context.Quick ? 50 : 200);
            if (lstmZip is not null) Service(context, lstmZip, test);
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }

    void Compare(BenchmarkContext context, string name, TextClassificationModel torchModel, TextClassificationModel plain, List<string> test, string zip)
    {
        var a = torchModel.Predict(test);
        var b = plain.Predict(test);
        double maxDiff = a.Zip(b).Max(p => Math.Abs(p.First.Probability - p.Second.Probability));
        var extra = new Dictionary<string, object> { ["max_abs_probability_difference"] = maxDiff, ["zip_bytes"] = new FileInfo(zip).Length, ["rows"] = test.Count };
        var ml = new MLContext(seed: 1);
        var view = torchModel.Sentences(test);
        foreach (var (engine, model) in new[] { ("torchsharp", (ITransformer)torchModel), ("plain", plain) })
        {
            context.Measure($"{name} {engine} batched", () => { foreach (var _ in model.Transform(view).GetColumn<float>("Probability")) { } },
                warmup: 1, iterations: context.Quick ? 3 : 5, workPerIteration: test.Count, unit: "rows", extra: extra);
            var pe = ml.Model.CreatePredictionEngine<TextClassificationModel.SentenceInput, TextClassificationModel.PredictionOutput>(model);
            int n = Math.Min(test.Count, context.Quick ? 100 : 500);
            context.Measure($"{name} {engine} row by row", () => { for (int i = 0; i < n; i++) pe.Predict(new TextClassificationModel.SentenceInput { Text = test[i] }); },
                warmup: 1, iterations: context.Quick ? 3 : 5, workPerIteration: n, unit: "rows", extra: extra);
        }
    }

    sealed class Blob { [VectorType(16)] public float[] Features { get; set; } = Array.Empty<float>(); public bool Label { get; set; } }
    sealed class BlobScore { public float Probability { get; set; } }

    static void Mlp(BenchmarkContext context, string dir, int rows)
    {
        var ml = new MLContext(seed: 1);
        var rng = new Random(5);
        var data = Enumerable.Range(0, rows).Select(_ =>
        {
            var x = Enumerable.Range(0, 16).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            return new Blob { Features = x, Label = x[0] + x[1] > 0 };
        }).ToList();
        var view = ml.Data.LoadFromEnumerable(data);
        var model = ml.Transforms.NormalizeMeanVariance("Features")
            .Append(ml.BinaryClassification.Trainers.TorchMlp(new TorchMlpBinaryOptions { HiddenSizes = new[] { 64 }, ValidationFraction = 0, Training = { Epochs = 1, Device = "cpu" } })).Fit(view);
        string zip = Path.Combine(dir, "mlp.zip");
        MlpOnnxExport.Save(ml, new TransformerChain<ITransformer>(ModelArchive.Flatten(model).SkipLast(1).ToArray()), model.LastTransformer.Model, view, Path.Combine(dir, "mlp.onnx"), zip);
        var plain = new MLContext(seed: 1).Model.Load(zip, out _);
        var a = model.Transform(view).GetColumn<float>("Probability").ToArray();
        var b = plain.Transform(view).GetColumn<float>("Probability").ToArray();
        var extra = new Dictionary<string, object> { ["max_abs_probability_difference"] = a.Zip(b).Max(p => Math.Abs(p.First - p.Second)), ["zip_bytes"] = new FileInfo(zip).Length, ["rows"] = rows };
        foreach (var (engine, m) in new[] { ("torchsharp", (ITransformer)model), ("plain", plain) })
        {
            context.Measure($"mlp {engine} batched", () => { foreach (var _ in m.Transform(view).GetColumn<float>("Probability")) { } },
                warmup: 1, iterations: context.Quick ? 3 : 5, workPerIteration: rows, unit: "rows", extra: extra);
            var pe = ml.Model.CreatePredictionEngine<Blob, BlobScore>(m);
            context.Measure($"mlp {engine} row by row", () => { foreach (var r in data) pe.Predict(r); },
                warmup: 1, iterations: context.Quick ? 3 : 5, workPerIteration: rows, unit: "rows", extra: extra);
        }
    }

    sealed class FeatureRow { public float[] Features { get; set; } = Array.Empty<float>(); }
    sealed class CaptionOut { public string Caption { get; set; } = ""; }
    sealed class WordsOut { public string[] CaptionWords { get; set; } = Array.Empty<string>(); }

    /// <summary>A captioner at the homework's sizes (features 512, words 256, hidden 512; untrained weights: scoring speed only), from features.</summary>
    static void Captioner(BenchmarkContext context, string dir, CaptionCell cell, int rows)
    {
        var ml = new MLContext(seed: 1);
        var rng = new Random(7);
        var codec = CaptionCodec.Build(Enumerable.Range(0, 200).Select(i => string.Join(" ", Enumerable.Range(0, 8).Select(_ => Filler[rng.Next(Filler.Length)] + (i % 7)))), 1, 16);
        TorchSharp.torch.manual_seed(3);
        var model = new CaptionerModel(new CaptionerNetwork(new CaptioningModelShape(512, 256, 512, codec.Count, cell)), codec);
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 512);
        var data = Enumerable.Range(0, rows).Select(_ => new FeatureRow { Features = Enumerable.Range(0, 512).Select(_ => (float)rng.NextDouble()).ToArray() }).ToList();
        var view = ml.Data.LoadFromEnumerable(data, schema);
        var torchModel = TorchTransformer.Create(model);
        string zip = Path.Combine(dir, $"captioner-{cell}.zip");
        CaptionerOnnxExport.Save(ml, null, model, view, Path.Combine(dir, $"captioner-{cell}.onnx"), zip);
        var plain = new MLContext(seed: 1).Model.Load(zip, out _);
        var a = ml.Data.CreateEnumerable<CaptionOut>(torchModel.Transform(view), false).Select(r => r.Caption).ToList();
        var b = ml.Data.CreateEnumerable<WordsOut>(plain.Transform(view), false).Select(r => CaptionerOnnxExport.Join(r.CaptionWords)).ToList();
        var extra = new Dictionary<string, object> { ["identical_captions"] = a.Zip(b).Count(p => p.First == p.Second), ["rows"] = rows, ["zip_bytes"] = new FileInfo(zip).Length };
        string name = $"captioner {cell.ToString().ToLowerInvariant()}";
        context.Measure($"{name} torchsharp batched", () => { foreach (var _ in torchModel.Transform(view).GetColumn<string>("Caption")) { } },
            warmup: 1, iterations: 3, workPerIteration: rows, unit: "rows", extra: extra);
        context.Measure($"{name} plain batched", () => { foreach (var _ in plain.Transform(view).GetColumn<string[]>(CaptionerOnnxExport.WordsName)) { } },
            warmup: 1, iterations: 3, workPerIteration: rows, unit: "rows", extra: extra);
        var pt = ml.Model.CreatePredictionEngine<FeatureRow, CaptionOut>(torchModel, inputSchemaDefinition: schema);
        var pp = ml.Model.CreatePredictionEngine<FeatureRow, WordsOut>(plain, inputSchemaDefinition: schema);
        int n = Math.Min(rows, 50);
        context.Measure($"{name} torchsharp row by row", () => { for (int i = 0; i < n; i++) pt.Predict(data[i]); }, warmup: 1, iterations: 3, workPerIteration: n, unit: "rows", extra: extra);
        context.Measure($"{name} plain row by row", () => { for (int i = 0; i < n; i++) pp.Predict(data[i]); }, warmup: 1, iterations: 3, workPerIteration: n, unit: "rows", extra: extra);
        model.Dispose();
    }

    static void Service(BenchmarkContext context, string zip, List<string> sentences)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "samples", "WebService", "bin",
            AppContext.BaseDirectory.Contains("/Debug/") ? "Debug" : "Release", "net10.0", "WebService.dll");
        if (!File.Exists(dll)) { Console.WriteLine($"  (web service not built at {dll}: skipped)"); return; }
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.GetFullPath(dll), "--model", zip, "--urls", "http://127.0.0.1:0" }) psi.ArgumentList.Add(a);
        using var server = Process.Start(psi)!;
        try
        {
            server.BeginErrorReadLine();
            var first = server.StandardOutput.ReadLineAsync();
            if (!first.Wait(TimeSpan.FromSeconds(60)) || first.Result?.StartsWith("listening on ", StringComparison.Ordinal) != true)
                throw new InvalidOperationException($"web service did not start: {first.Result}");
            string url = first.Result!["listening on ".Length..].Trim();
            _ = Task.Run(async () => { while (await server.StandardOutput.ReadLineAsync() is not null) { } });
            int perClient = context.Quick ? 100 : 400;
            foreach (int clients in new[] { 1, 8 })
            {
                var latencies = new List<double>();
                var wall = Stopwatch.StartNew();
                var tasks = Enumerable.Range(0, clients).Select(async c =>
                {
                    using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
                    var mine = new List<double>();
                    for (int i = 0; i < perClient + 10; i++)
                    {
                        var body = new JsonArray(new JsonObject { ["Text"] = sentences[(i * 8 + c) % sentences.Count] }).ToJsonString();
                        var sw = Stopwatch.StartNew();
                        using var r = await http.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"));
                        r.EnsureSuccessStatusCode();
                        await r.Content.ReadAsStringAsync();
                        if (i >= 10) mine.Add(sw.Elapsed.TotalMilliseconds); // the first 10 warm up
                    }
                    return mine;
                }).ToList();
                foreach (var l in Task.WhenAll(tasks).Result) latencies.AddRange(l);
                double seconds = wall.Elapsed.TotalSeconds;
                latencies.Sort();
                double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
                context.Record($"web service lstm {clients} client(s)", latencies.Count / seconds, "requests",
                    new() { ["p50_ms"] = P(0.50), ["p99_ms"] = P(0.99), ["requests"] = latencies.Count, ["clients"] = clients, ["rows_per_request"] = 1 });
            }
        }
        finally { if (!server.HasExited) { server.Kill(); server.WaitForExit(10_000); } }
    }
}
