using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetHw.Backbones;
using MlNetHw.Onnx;
using MlNetHw.Text;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace MlNetHw.Tests.Text;

/// <summary>
/// The finetuned sentence encoder: the packaged MiniLM graph imported by <see cref="OnnxModule"/> with its three
/// inputs against ONNX Runtime, gradients through it, and a tiny finetune run saved as a plain zip and reloaded.
/// </summary>
[TestClass]
[TestCategory("Text")]
public sealed class FinetunedEncoderTests
{
    static readonly string[] Sentences = { "A wonderful film.", "the battery died after a day", "Not bad at all, I'd buy it again!", "Awful." };

    static WordPieceTokenizerModel? _wordPiece;
    static WordPieceTokenizerModel WordPiece => _wordPiece ??= new WordPieceTokenizerModel(PackagedMiniLm.Vocabulary(), maxTokens: 32);

    /// <summary>ids and mask (N, T) padded with 0 to the longest sentence, as ONNX Runtime and the module read them.</summary>
    static (long[] Ids, long[] Mask, int T) Padded(IReadOnlyList<long[]> rows)
    {
        int t = rows.Max(r => r.Length);
        var ids = new long[rows.Count * t];
        var mask = new long[rows.Count * t];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < rows[i].Length; j++) { ids[i * t + j] = rows[i][j]; mask[i * t + j] = 1; }
        return (ids, mask, t);
    }

    [TestMethod]
    public void TheImportedMiniLmGraphTakesThreeInputsMatchesOnnxRuntimeAndTrains()
    {
        var rows = Sentences.Select(WordPiece.Encode).ToList();
        var (ids, mask, t) = Padded(rows);
        int n = rows.Count;

        float[] expected;
        using (var session = new InferenceSession(PackagedMiniLm.EncoderPath))
        {
            var feeds = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor(PackagedMiniLm.InputIds, new DenseTensor<long>(ids, new[] { n, t })),
                NamedOnnxValue.CreateFromTensor(PackagedMiniLm.AttentionMask, new DenseTensor<long>(mask, new[] { n, t })),
                NamedOnnxValue.CreateFromTensor(PackagedMiniLm.TokenTypeIds, new DenseTensor<long>(new long[n * t], new[] { n, t })),
            };
            using var outputs = session.Run(feeds);
            expected = outputs.First(o => o.Name == PackagedMiniLm.TokenOutput).AsTensor<float>().ToArray();
        }

        using var module = OnnxModule.Load(PackagedMiniLm.EncoderPath);
        CollectionAssert.AreEqual(new[] { PackagedMiniLm.InputIds, PackagedMiniLm.AttentionMask, PackagedMiniLm.TokenTypeIds }, module.InputNames.ToArray());
        // The one-input API refuses a graph of three, naming them.
        var refused = Assert.ThrowsExactly<ArgumentException>(() => module.Run(torch.zeros(1, 3, ScalarType.Int64), new[] { PackagedMiniLm.TokenOutput }));
        StringAssert.Contains(refused.Message, PackagedMiniLm.TokenTypeIds);
        var missing = Assert.ThrowsExactly<ArgumentException>(() => module.Run(
            new Dictionary<string, Tensor> { [PackagedMiniLm.InputIds] = torch.zeros(1, 3, ScalarType.Int64) }, new[] { PackagedMiniLm.TokenOutput }));
        StringAssert.Contains(missing.Message, PackagedMiniLm.AttentionMask);

        using var scope = torch.NewDisposeScope();
        var inputs = new Dictionary<string, Tensor>
        {
            [PackagedMiniLm.InputIds] = torch.tensor(ids, new long[] { n, t }),
            [PackagedMiniLm.AttentionMask] = torch.tensor(mask, new long[] { n, t }),
            [PackagedMiniLm.TokenTypeIds] = torch.zeros(n, t, ScalarType.Int64),
        };
        module.eval();
        float[] actual;
        using (torch.no_grad())
            actual = module.Run(inputs, new[] { PackagedMiniLm.TokenOutput })[PackagedMiniLm.TokenOutput].data<float>().ToArray();
        Assert.AreEqual(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs), worst = 0;
        // Padded positions are compared too: the graph computes them, both runtimes alike.
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.IsTrue(worst / scale <= 1e-4, $"max |ours - ORT| / max |ORT| = {worst / scale:e2}");

        // One training step: gradients reach the token embedding and move it.
        module.train();
        string embedding = module.ParameterNames.Single(p => p.Contains("word_embeddings", StringComparison.Ordinal));
        var before = module.Constant(embedding).detach().clone();
        var optimizer = torch.optim.SGD(module.parameters(), 0.1);
        var hidden = module.Run(inputs, new[] { PackagedMiniLm.TokenOutput })[PackagedMiniLm.TokenOutput];
        var loss = hidden.select(1, 0).sum();
        optimizer.zero_grad();
        loss.backward();
        var grad = module.Constant(embedding).grad;
        Assert.IsNotNull(grad, "the token embedding gets a gradient");
        Assert.IsTrue(grad.abs().max().ToSingle() > 0 && float.IsFinite(grad.abs().max().ToSingle()));
        optimizer.step();
        Assert.IsTrue((module.Constant(embedding) - before).abs().max().ToSingle() > 0, "the step changed the embedding");
    }

    [TestMethod]
    public void ATinyFinetuneRunSavesAPlainZipThatReloadsWithTheSameProbabilities()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mlnethw-finetuned-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var ml = new MLContext(seed: 1);
            IDataView Rows(int n, int seed) => ml.Data.LoadFromEnumerable(TextTestData.Sentences(n, seed)
                .Select(r => new TextClassificationExperiment.LabeledTextRow { Label = r.Label == 1, Text = r.Text }));
            var trainer = TextClassificationEstimator.DefaultTrainerOptions(TextModelKind.FinetunedEncoder, null);
            trainer.Training.Epochs = 1;
            trainer.Training.BatchSize = 8;
            var log = new StringWriter();
            var estimator = new TextClassificationEstimator(ml, TextModelKind.FinetunedEncoder, trainer: trainer)
            {
                Finetune = new FinetunedEncoderOptions { MaxTokens = 12 }, Log = log,
                Monitor = new[] { ("a wonderful movie", true), ("awful service", false) },
            };
            var model = estimator.Fit(Rows(24, 1), Rows(8, 2));
            Assert.IsNotNull(model.Finetuned);
            Assert.AreEqual(1, model.Training!.History.Count);
            Assert.IsNotNull(model.Training.History[0].ValidationAccuracy);
            Assert.AreEqual(1, model.Finetuned.MonitorAccuracy.Count);
            StringAssert.Contains(log.ToString(), "longer than 12 cut", "the run logs how many sentences the token cap cuts");

            // Sentences of other lengths than training's, one longer than the cap, one empty.
            var sentences = Sentences.Concat(new[] { "", string.Join(" ", Enumerable.Repeat("really good", 20)) }).ToList();
            var before = model.Predict(sentences);

            // The exported graph alone, in ONNX Runtime, gives the TorchSharp network's probabilities.
            var network = model.Finetuned.Network;
            var onnx = FinetunedEncoderExport.ToOnnx(network);
            string onnxPath = Path.Combine(dir, "direct.onnx");
            onnx.Save(onnxPath);
            var tokenizer = model.WordPiece!;
            using (var session = new InferenceSession(onnxPath))
                for (int i = 0; i < sentences.Count; i++)
                {
                    long[] ids = tokenizer.Encode(sentences[i]);
                    using var outputs = RunOrt(session, ids);
                    var p = outputs.First(o => o.Name == FinetunedEncoderExport.ClassProbabilitiesName).AsTensor<float>().ToArray();
                    using var scope = torch.NewDisposeScope();
                    float[] expected;
                    using (torch.no_grad())
                    {
                        var (idsT, mask) = FinetunedEncoderNetwork.Pad(new[] { ids }, torch.CPU);
                        expected = torch.softmax(network.forward(idsT, mask), 1).data<float>().ToArray();
                    }
                    Assert.AreEqual(expected[0], p[0], 1e-5, $"sentence {i}: class 0");
                    Assert.AreEqual(expected[1], p[1], 1e-5, $"sentence {i}: class 1");
                    Assert.AreEqual(before[i].Probability, p[1], 1e-5, $"sentence {i}: the model's Probability is the softmax of class 1");
                }

            // The saved zip reloads in a fresh MLContext (the tokenizer in front) with the same probabilities.
            string zip = Path.Combine(dir, "finetuned.zip");
            model.Save(zip);
            var loaded = TextClassificationModel.Load(new MLContext(seed: 7), zip);
            Assert.IsTrue(loaded.IsPlain);
            Assert.AreEqual(TextModelKind.FinetunedEncoder, loaded.Kind);
            var after = loaded.Predict(sentences);
            for (int i = 0; i < sentences.Count; i++)
            {
                Assert.AreEqual(before[i].Probability, after[i].Probability, 1e-5, $"sentence {i} '{sentences[i]}'");
                if (Math.Abs(before[i].Probability - 0.5) > 1e-5) Assert.AreEqual(before[i].Label, after[i].Label, $"sentence {i}");
            }
            Assert.IsTrue(TextClassificationExperiment.ReloadReproduces(zip, model, sentences, out string detail), detail);

            // What an app does (docs/plain-models.md): mlContext.Model.Load alone, BertTokenizer over the zip's vocabulary in front.
            var app = new MLContext();
            var plain = app.Model.Load(zip, out var schema);
            CollectionAssert.AreEqual(new[] { "input_ids", "attention_mask", "token_type_ids" }, schema.Select(c => c.Name).ToArray());
            BertTokenizer bert;
            using (var archive = ZipFile.OpenRead(zip))
            using (var vocab = archive.GetEntry("MlNetHw/vocab.txt")!.Open())
                bert = BertTokenizer.Create(vocab, new BertOptions { LowerCaseBeforeTokenization = true, ApplyBasicTokenization = true, RemoveNonSpacingMarks = true });
            var engine = app.Model.CreatePredictionEngine<FinetunedEncoderExport.TokenRow, AppPrediction>(plain);
            for (int i = 0; i < sentences.Count; i++)
            {
                var pieces = bert.EncodeToIds(sentences[i], 12 - 2, addSpecialTokens: false, out _, out _);
                long[] ids = new[] { (long)bert.ClassificationTokenId }.Concat(pieces.Select(x => (long)x)).Append(bert.SeparatorTokenId).ToArray();
                var row = new FinetunedEncoderExport.TokenRow { InputIds = ids, AttentionMask = ids.Select(_ => 1L).ToArray(), TokenTypeIds = new long[ids.Length] };
                Assert.AreEqual(before[i].Probability, engine.Predict(row).Probability, 1e-5, $"app path, sentence {i}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>What an app reads from the plain zip.</summary>
    public sealed class AppPrediction
    {
        /// <summary>Probability of class 1.</summary>
        public float Probability { get; set; }
        /// <summary>Score &gt; 0.</summary>
        public bool PredictedLabel { get; set; }
    }

    [TestMethod]
    public void TheClsPooledNetworkExportsToTheSameProbabilities()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mlnethw-finetuned-cls-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            using var network = FinetunedEncoderNetwork.CreatePackaged(EncoderPooling.Cls, seed: 5);
            network.eval();
            string onnxPath = Path.Combine(dir, "cls.onnx");
            FinetunedEncoderExport.ToOnnx(network).Save(onnxPath);
            using var session = new InferenceSession(onnxPath);
            foreach (var sentence in Sentences)
            {
                long[] ids = WordPiece.Encode(sentence);
                using var outputs = RunOrt(session, ids);
                var p = outputs.First(o => o.Name == FinetunedEncoderExport.ClassProbabilitiesName).AsTensor<float>().ToArray();
                var logit = outputs.First(o => o.Name == "Logit").AsTensor<float>().ToArray();
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                var (idsT, mask) = FinetunedEncoderNetwork.Pad(new[] { ids }, torch.CPU);
                var logits = network.forward(idsT, mask).data<float>().ToArray();
                var expected = torch.softmax(torch.tensor(logits), 0).data<float>().ToArray();
                Assert.AreEqual(expected[1], p[1], 1e-5, sentence);
                Assert.AreEqual(logits[1] - logits[0], logit[0], 1e-4, sentence);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void AnUnknownModelNameListsAllSevenNames()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => TextClassificationExperiment.Parse("bert"));
        foreach (var name in new[] { "bow", "embed", "glove", "rnn", "lstm", "encoder", "finetuned", "all" })
            StringAssert.Contains(e.Message, name);
        Assert.AreEqual(TextModelKind.FinetunedEncoder, TextClassificationExperiment.Parse(" Finetuned "));
    }

    /// <summary>One sentence's WordPiece ids through ONNX Runtime, as the exported graph's three inputs (mask all ones, types all zeros).</summary>
    static IDisposableReadOnlyCollection<DisposableNamedOnnxValue> RunOrt(InferenceSession session, long[] ids)
    {
        int t = ids.Length;
        return session.Run(new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor(PackagedMiniLm.InputIds, new DenseTensor<long>(ids, new[] { 1, t })),
            NamedOnnxValue.CreateFromTensor(PackagedMiniLm.AttentionMask, new DenseTensor<long>(Enumerable.Repeat(1L, t).ToArray(), new[] { 1, t })),
            NamedOnnxValue.CreateFromTensor(PackagedMiniLm.TokenTypeIds, new DenseTensor<long>(new long[t], new[] { 1, t })),
        });
    }
}
