using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MlNetHw.Tests.Text;
using MlNetHw.Text;

namespace MlNetHw.Tests.Onnx;

/// <summary>
/// samples/WebService as a real server on 127.0.0.1 (a free port chosen by the OS) over a plain text model: health,
/// schema, clear 400s for bad rows, and answers under 8 concurrent clients equal to sequential scoring. Every wait is
/// bounded and the server is stopped by its process id.
/// </summary>
[TestClass]
[TestCategory("Text")]
public sealed class WebServiceTests
{
    [TestMethod]
    [Timeout(300_000)]
    public async Task ConcurrentAnswersEqualSequentialOnesAndBadRowsGet400()
    {
        string folder = TextTestData.WriteFolder(train: 150, dev: 30, test: 40, unlabelled: 5);
        Process? server = null;
        try
        {
            var ml = new MLContext(seed: 3);
            var split = SentenceSplit.Load(folder);
            var trainer = TextClassificationEstimator.DefaultTrainerOptions(TextModelKind.Embeddings, null);
            trainer.Training.Epochs = 2; trainer.Training.Device = "cpu"; trainer.EmbeddingDimension = 8;
            var model = new TextClassificationEstimator(ml, TextModelKind.Embeddings, null, trainer).Fit(TextClassificationExperiment.ToDataView(ml, split.Train));
            string zip = Path.Combine(folder, "embed.zip");
            model.Save(zip);

            (server, string url) = Start(zip);
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            StringAssert.Contains(await http.GetStringAsync("/health"), "\"ok\"");
            var schema = JsonNode.Parse(await http.GetStringAsync("/schema"))!;
            Assert.AreEqual("Text", schema["input"]![0]!["name"]!.GetValue<string>());
            CollectionAssert.IsSubsetOf(new[] { "Score", "Probability", "PredictedLabel" }, schema["output"]!.AsArray().Select(x => x!.GetValue<string>()).ToArray());

            var sentences = split.Test.Select(s => s.Text).Append("").Append("zzyzx").ToList();
            async Task<string> Ask(HttpClient client, string sentence)
            {
                var body = new JsonArray(new JsonObject { ["Text"] = sentence }).ToJsonString();
                using var response = await client.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"));
                Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
                return await response.Content.ReadAsStringAsync();
            }
            var sequential = new List<string>();
            foreach (var s in sentences) sequential.Add(await Ask(http, s));
            // The service's answers are the model's: Probability as scored in process.
            var expected = model.Predict(sentences);
            for (int i = 0; i < sentences.Count; i++)
                Assert.AreEqual(expected[i].Probability, JsonNode.Parse(sequential[i])![0]!["Probability"]!.GetValue<float>(), 1e-6, $"sentence {i}");

            // 8 clients at once, each over all sentences in its own order.
            var clients = Enumerable.Range(0, 8).Select(async c =>
            {
                using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
                var order = Enumerable.Range(0, sentences.Count).OrderBy(i => (i * 7919 + c * 104729) % sentences.Count).ToList();
                var answers = new string[sentences.Count];
                foreach (int i in order) answers[i] = await Ask(client, sentences[i]);
                return answers;
            }).ToList();
            foreach (var answers in await Task.WhenAll(clients))
                CollectionAssert.AreEqual(sequential, answers, "concurrent answers differ from sequential ones");

            // One request with every row gives the same rows.
            var batch = new JsonArray(sentences.Select(s => (JsonNode)new JsonObject { ["Text"] = s }).ToArray()).ToJsonString();
            var batched = JsonNode.Parse(await (await http.PostAsync("/predict", new StringContent(batch, Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync())!.AsArray();
            for (int i = 0; i < sentences.Count; i++) Assert.AreEqual(JsonNode.Parse(sequential[i])![0]!.ToJsonString(), batched[i]!.ToJsonString());

            // Bad rows: 400 naming the row and the field.
            async Task<JsonNode> Bad(string body)
            {
                using var r = await http.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"));
                Assert.AreEqual(HttpStatusCode.BadRequest, r.StatusCode, body);
                return JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            }
            var wrongType = await Bad("[{\"Text\":\"fine\"},{\"Text\":42}]");
            Assert.AreEqual(2, wrongType["row"]!.GetValue<int>());
            Assert.AreEqual("Text", wrongType["field"]!.GetValue<string>());
            var unknown = await Bad("[{\"Txt\":\"typo\"}]");
            Assert.AreEqual("Txt", unknown["field"]!.GetValue<string>());
            var missing = await Bad("[{}]");
            Assert.AreEqual("Text", missing["field"]!.GetValue<string>());
            StringAssert.Contains((await Bad("not json"))["error"]!.GetValue<string>(), "not JSON");
        }
        finally
        {
            if (server is { HasExited: false }) { server.Kill(); server.WaitForExit(10_000); }
            server?.Dispose();
            Directory.Delete(folder, true);
        }
    }

    /// <summary>Starts the service on 127.0.0.1 with port 0 and reads the address it bound from its first line (bounded wait).</summary>
    internal static (Process Server, string Url) Start(string zip)
    {
        string config = AppContext.BaseDirectory.Contains("/Debug/") || AppContext.BaseDirectory.Contains("\\Debug\\") ? "Debug" : "Release";
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "samples", "WebService", "bin", config, "net10.0", "WebService.dll"));
        Assert.IsTrue(File.Exists(dll), $"web service not built: {dll}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--model", zip, "--urls", "http://127.0.0.1:0" }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        var line = p.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is not { } first || !first.StartsWith("listening on ", StringComparison.Ordinal))
        {
            if (!p.HasExited) p.Kill();
            Assert.Fail($"the service did not start: '{(line.IsCompleted ? line.Result : "(no line in 60 s)")}'");
        }
        _ = Task.Run(async () => { while (await p.StandardOutput.ReadLineAsync() is not null) { } });
        return (p, line.Result!["listening on ".Length..].Trim());
    }
}
