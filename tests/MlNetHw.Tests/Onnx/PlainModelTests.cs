using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;
using MlNetHw.Onnx;
using MlNetHw.Tests.Text;
using MlNetHw.Text;

namespace MlNetHw.Tests.Onnx;

/// <summary>
/// Every model kind saved as a plain ML.NET zip scores the same in a separate process that references ML.NET packages
/// only (tests/MlNetHw.OnnxConsumer) as the TorchSharp model it came from: probabilities within 1e-5 on the whole test
/// set and on edge cases (no words, only unknown words, punctuation, a long sentence), the same labels.
/// </summary>
[TestClass]
[TestCategory("Text")]
public sealed class PlainModelTests
{
    static string? _folder;
    static string Folder => _folder ??= TextTestData.WriteFolder(train: 200, dev: 40, test: 60, unlabelled: 5);

    [ClassCleanup]
    public static void Cleanup()
    {
        if (_folder is not null && Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }

    static readonly string[] EdgeCases =
    {
        "", "!!!", "zzyzx qwv", "Great.", "the movie was GREAT, really great!", "awful;boring|bad (terrible) [poor] {hate}",
        "Ünïcödé wonderful café", "a  b\tc", string.Join(" ", Enumerable.Repeat("good bad the movie", 60)),
    };

    [TestMethod]
    [DataRow(TextModelKind.Embeddings)]
    [DataRow(TextModelKind.GloVe)]
    [DataRow(TextModelKind.Rnn)]
    [DataRow(TextModelKind.Lstm)]
    [DataRow(TextModelKind.BagOfWords)]
    public void TextModelScoresTheSameInAnMlNetOnlyProcess(TextModelKind kind)
    {
        var ml = new MLContext(seed: 5);
        var split = SentenceSplit.Load(Folder);
        var train = TextClassificationExperiment.ToDataView(ml, split.Train);
        PretrainedWordVectors? vectors = kind is TextModelKind.BagOfWords or TextModelKind.Embeddings ? null
            : TextDataSources.ReadGloVe(TextTestData.WriteGloVe(Folder));
        var trainer = TextClassificationEstimator.DefaultTrainerOptions(kind, vectors);
        trainer.Training.Epochs = 2; trainer.Training.LearningRate = 0.02; trainer.Training.BatchSize = 32; trainer.Training.Device = "cpu";
        trainer.HiddenSize = 8; trainer.EmbeddingDimension = 8;
        var model = new TextClassificationEstimator(ml, kind, vectors, trainer).Fit(train);
        string zip = Path.Combine(Folder, $"plain-{kind}.zip");
        model.Save(zip);
        Assert.IsFalse(ModelArchive.IsArchive(zip), "a plain ML.NET zip, not an MlNetHw archive");
        Assert.AreEqual(TextClassificationModel.PlainKindPrefix + kind, PlainModel.ReadInfo(zip)?.Kind);

        var sentences = split.Test.Select(s => s.Text).Concat(EdgeCases).ToList();
        string lines = Path.Combine(Folder, $"sentences-{kind}.txt");
        File.WriteAllText(lines, string.Join("\n", sentences.Select(s => s.Replace('\n', ' '))) + "\n");
        var plain = RunConsumer("--text", zip, lines);
        var torch = model.Predict(sentences);
        Assert.AreEqual(sentences.Count, plain.Count);
        double max = 0;
        for (int i = 0; i < sentences.Count; i++)
        {
            double d = Math.Abs(plain[i].Probability - torch[i].Probability);
            max = Math.Max(max, d);
            Assert.IsTrue(d <= 1e-5, $"{kind}, sentence {i} '{sentences[i]}': plain {plain[i].Probability:R}, TorchSharp {torch[i].Probability:R}");
            Assert.AreEqual(torch[i].Label, plain[i].Label, $"{kind}, sentence {i}");
            Assert.AreEqual(1 / (1 + Math.Exp(-plain[i].Score)), plain[i].Probability, 1e-6, "Probability = sigmoid(Score)");
        }
        Console.WriteLine($"{kind}: max |Δp| {max:0.###e+0} over {sentences.Count} sentences, zip {new FileInfo(zip).Length} bytes");

        // In process, the plain model goes through ML.NET's evaluator like any binary classifier.
        var loaded = TextClassificationModel.Load(new MLContext(1), zip);
        Assert.IsTrue(loaded.IsPlain);
        Assert.AreEqual(kind, loaded.Kind);
        var metrics = ml.BinaryClassification.Evaluate(loaded.Transform(TextClassificationExperiment.ToDataView(ml, split.Test)));
        Assert.IsTrue(metrics.Accuracy is >= 0 and <= 1, "Evaluate reads Score, Probability and PredictedLabel");
    }

    [TestMethod]
    public void MlpScoresTheSameInAnMlNetOnlyProcess()
    {
        var ml = new MLContext(seed: 2);
        var rng = new Random(4);
        var rows = Enumerable.Range(0, 300).Select(_ =>
        {
            var x = Enumerable.Range(0, 5).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            return new Blob { Features = x, Label = x[0] - x[1] + 0.3 * x[2] > 0 };
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new TorchMlpBinaryOptions { HiddenSizes = new[] { 16, 8 }, Dropout = 0.1, ValidationFraction = 0, Training = { Epochs = 3, Device = "cpu", Seed = 1 } };
        var model = ml.Transforms.NormalizeMeanVariance("Features").Append(ml.BinaryClassification.Trainers.TorchMlp(options)).Fit(data);
        string zip = Path.Combine(Folder, "plain-mlp.zip");
        var featurizer = new TransformerChain<ITransformer>(ModelArchive.Flatten(model).SkipLast(1).ToArray());
        MlpOnnxExport.Save(ml, featurizer, model.LastTransformer.Model, data, Path.Combine(Folder, "plain-mlp.onnx"), zip);

        string lines = Path.Combine(Folder, "features.txt");
        File.WriteAllLines(lines, rows.Select(r => string.Join(",", r.Features.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))));
        var plain = RunConsumer("--features", zip, lines);
        var torch = ml.Data.CreateEnumerable<BinaryOut>(model.Transform(data), reuseRowObject: false).ToList();
        Assert.AreEqual(rows.Count, plain.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.AreEqual(torch[i].Probability, plain[i].Probability, 1e-5, $"row {i}");
            Assert.AreEqual(torch[i].PredictedLabel, plain[i].Label, $"row {i}");
        }
    }

    sealed class Blob
    {
        [VectorType(5)] public float[] Features { get; set; } = Array.Empty<float>();
        public bool Label { get; set; }
    }

    sealed class BinaryOut
    {
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    internal static List<(float Score, float Probability, bool Label)> RunConsumer(params string[] args) =>
        RunConsumerLines(args).Select(l =>
        {
            var f = l.Split('\t');
            return (float.Parse(f[0], CultureInfo.InvariantCulture), float.Parse(f[1], CultureInfo.InvariantCulture), bool.Parse(f[2]));
        }).ToList();

    /// <summary>Runs tests/MlNetHw.OnnxConsumer (ML.NET packages only) and returns its stdout lines; a non-zero exit fails the test.</summary>
    internal static List<string> RunConsumerLines(params string[] args)
    {
        string config = AppContext.BaseDirectory.Contains("/Debug/") || AppContext.BaseDirectory.Contains("\\Debug\\") ? "Debug" : "Release";
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "MlNetHw.OnnxConsumer", "bin", config, "net10.0", "MlNetHw.OnnxConsumer.dll"));
        Assert.IsTrue(File.Exists(dll), $"consumer app not built: {dll}");
        // The consumer references ML.NET packages only: no TorchSharp assembly may sit next to it.
        Assert.IsFalse(File.Exists(Path.Combine(Path.GetDirectoryName(dll)!, "TorchSharp.dll")), "the consumer must not carry TorchSharp");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.IsTrue(p.WaitForExit(120_000), "consumer did not finish in 2 minutes");
        Assert.AreEqual(0, p.ExitCode, $"consumer failed: {stderr.Result}\n{stdout}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
