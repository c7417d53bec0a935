using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetHw.Backbones;
using MlNetHw.MlNet;
using MlNetHw.Onnx;
using MlNetHw.Text;

namespace MlNetHw.Tests.Text;

/// <summary>
/// The frozen-encoder model's pieces — the packaged MiniLM resources, WordPiece ids, the mean-pooled graph — and the
/// bag of words' punctuation tokens.
/// </summary>
[TestClass]
[TestCategory("Text")]
public sealed class TextEncoderTests
{
    static WordPieceTokenizerModel? _wordPiece;
    static WordPieceTokenizerModel WordPiece => _wordPiece ??= new WordPieceTokenizerModel(PackagedMiniLm.Vocabulary(), maxTokens: 16);

    [TestMethod]
    public void ThePackageCarriesTheUncasedWordPieceVocabulary()
    {
        var vocab = PackagedMiniLm.Vocabulary();
        Assert.AreEqual(30522, vocab.Count);
        Assert.AreEqual("[PAD]", vocab[0]);
        Assert.AreEqual("[UNK]", vocab[100]);
        Assert.AreEqual("[CLS]", vocab[101]);
        Assert.AreEqual("[SEP]", vocab[102]);
    }

    [TestMethod]
    public void WordPieceLowerCasesSplitsPunctuationAndWordPiecesAndCutsLongSentences()
    {
        var vocab = PackagedMiniLm.Vocabulary();
        string Pieces(string s) => string.Join(" ", WordPiece.Encode(s).Select(id => vocab[(int)id]));
        Assert.AreEqual("[CLS] don ' t ! [SEP]", Pieces("DON'T!"));
        Assert.AreEqual("[CLS] cafe [SEP]", Pieces("Café"));
        Assert.AreEqual("[CLS] [SEP]", Pieces(""));
        // an unusual word becomes several pieces, continuations marked ##
        var pieces = Pieces("zyxquorbifilm").Split(' ');
        Assert.IsTrue(pieces.Length >= 3 && pieces.Skip(2).SkipLast(1).All(p => p.StartsWith("##", StringComparison.Ordinal)), string.Join(" ", pieces));
        var longOne = WordPiece.Encode(string.Join(" ", Enumerable.Repeat("good", 40)));
        Assert.AreEqual(16, longOne.Length);
        Assert.AreEqual(101, longOne[0]);
        Assert.AreEqual(102, longOne[^1]);
    }

    [TestMethod]
    public void ThePooledGraphGivesTheMaskedMeanOfThePackagedEncodersTokenVectors()
    {
        var ml = new MLContext(1);
        string[] sentences = { "A wonderful film.", "the battery died after a day" };
        var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new TextClassificationModel.SentenceInput { Text = s }));
        var featurizer = LinearTextModels.EncoderFeaturizer(ml, data, TextColumns.Text, 64, threads: 1);
        var features = featurizer.Transform(data).GetColumn<VBuffer<float>>(LinearTextModels.Features).Select(v => v.DenseValues().ToArray()).ToList();

        using var session = new InferenceSession(PackagedMiniLm.EncoderPath);
        for (int i = 0; i < sentences.Length; i++)
        {
            long[] ids = WordPiece.Encode(sentences[i]);
            int t = ids.Length;
            var inputs = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor(PackagedMiniLm.InputIds, new DenseTensor<long>(ids, new[] { 1, t })),
                NamedOnnxValue.CreateFromTensor(PackagedMiniLm.AttentionMask, new DenseTensor<long>(Enumerable.Repeat(1L, t).ToArray(), new[] { 1, t })),
                NamedOnnxValue.CreateFromTensor(PackagedMiniLm.TokenTypeIds, new DenseTensor<long>(new long[t], new[] { 1, t })),
            };
            using var outputs = session.Run(inputs);
            var hidden = outputs.First(o => o.Name == PackagedMiniLm.TokenOutput).AsTensor<float>();
            Assert.AreEqual(PackagedMiniLm.Dimension, features[i].Length);
            for (int d = 0; d < PackagedMiniLm.Dimension; d++)
            {
                double mean = 0;
                for (int k = 0; k < t; k++) mean += hidden[0, k, d];
                mean /= t;
                Assert.AreEqual(mean, features[i][d], 1e-4, $"sentence {i}, dimension {d}");
            }
        }
        // different sentences, different vectors
        Assert.IsTrue(features[0].Zip(features[1]).Any(p => Math.Abs(p.First - p.Second) > 1e-2));
    }

    [TestMethod]
    public void TheBagOfWordsCountsPunctuationTokens()
    {
        // The only cue is the punctuation: "!" positive, "?" negative; the words are shared.
        var rows = Enumerable.Range(0, 120).Select(i => new TextClassificationExperiment.LabeledTextRow
        {
            Label = i % 2 == 0, Text = $"the phone {(i % 3 == 0 ? "works" : "is here")} {(i % 2 == 0 ? "!" : "?")}",
        }).ToList();
        var ml = new MLContext(1);
        var train = ml.Data.LoadFromEnumerable(rows);
        var withPunctuation = new TextClassificationEstimator(ml, TextModelKind.BagOfWords) { BagOfWordsPunctuation = true, L2Grid = null }.Fit(train);
        var without = new TextClassificationEstimator(ml, TextModelKind.BagOfWords) { BagOfWordsPunctuation = false, L2Grid = null }.Fit(train);
        Assert.AreEqual(1.0, ml.BinaryClassification.Evaluate(withPunctuation.Transform(train)).Accuracy, 1e-9);
        Assert.IsTrue(ml.BinaryClassification.Evaluate(without.Transform(train)).Accuracy < 0.7, "without punctuation tokens the cue is invisible");
        // n-grams: bigrams add features
        var bigrams = new TextClassificationEstimator(ml, TextModelKind.BagOfWords) { BagOfWordsNgramLength = 2, L2Grid = null }.Fit(train);
        int Slots(TextClassificationModel m) => ((VectorDataViewType)m.Transform(train).Schema[LinearTextModels.Features].Type).Size;
        Assert.IsTrue(Slots(bigrams) > Slots(withPunctuation), $"{Slots(bigrams)} vs {Slots(withPunctuation)} features");
    }

    [TestMethod]
    public void TheL2WeightIsChosenOnTheDevSetFromTheGrid()
    {
        var ml = new MLContext(1);
        var train = ml.Data.LoadFromEnumerable(TextTestData.Sentences(200, 1).Select(r => new TextClassificationExperiment.LabeledTextRow { Label = r.Label == 1, Text = r.Text }));
        var dev = ml.Data.LoadFromEnumerable(TextTestData.Sentences(60, 2).Select(r => new TextClassificationExperiment.LabeledTextRow { Label = r.Label == 1, Text = r.Text }));
        var grid = new[] { 0.1f, 1f, 1000f };
        var model = new TextClassificationEstimator(ml, TextModelKind.BagOfWords) { L2Grid = grid }.Fit(train, dev);
        CollectionAssert.AreEqual(grid, model.L2Trials.Select(t => t.L2).ToArray());
        var best = model.L2Trials.Max(t => t.DevAccuracy);
        Assert.AreEqual(model.L2Trials.Last(t => t.DevAccuracy == best).L2, model.L2, "the best dev accuracy, ties to the larger L2");
        Assert.AreEqual(best, ml.BinaryClassification.Evaluate(model.Transform(dev)).Accuracy, 1e-9, "the kept model is the one measured");
    }

    [TestMethod]
    public void TheFrozenEncoderIsSavedAsAPlainZipOverTheTokenIdsAndReloadsWithTheTokenizerInFront()
    {
        var sentences = new[] { "a wonderful film, I loved it", "terrible and boring", "great acting!", "the worst plot ever",
            "really good", "bad sound", "excellent value", "awful service" };
        var ml = new MLContext(1);
        var train = ml.Data.LoadFromEnumerable(sentences.Select((t, i) => new TextClassificationExperiment.LabeledTextRow { Label = i % 2 == 0, Text = t }));
        var model = new TextClassificationEstimator(ml, TextModelKind.FrozenEncoder) { EncoderMaxTokens = 12, EncoderThreads = 1, L2Grid = null }.Fit(train);
        var probe = sentences.Append("").Append("zzzz qqqq").Append("a very long sentence that the cap of twelve pieces cuts well before its end").ToList();
        var before = model.Predict(probe);
        string dir = Path.Combine(Path.GetTempPath(), "mlnethw-frozen-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string zip = Path.Combine(dir, "encoder.zip");
            model.Save(zip);

            // A plain ML.NET zip: no MlNetHw archive, only the info and the vocabulary next to ML.NET's entries.
            Assert.IsFalse(ModelArchive.IsArchive(zip), "not an MlNetHw model archive");
            using (var archive = ZipFile.OpenRead(zip))
            {
                var own = archive.Entries.Select(e => e.FullName).Where(n => n.StartsWith("MlNetHw/", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal).ToArray();
                CollectionAssert.AreEqual(new[] { PlainModel.InfoEntry, FinetunedEncoderExport.VocabularyEntry }.OrderBy(n => n, StringComparer.Ordinal).ToArray(), own);
            }
            var info = PlainModel.ReadInfo(zip)!;
            Assert.AreEqual(TextClassificationModel.PlainKindPrefix + TextModelKind.FrozenEncoder, info.Kind);
            Assert.AreEqual("12", info.Limits[FinetunedEncoderExport.MaxTokensLimit]);
            CollectionAssert.AreEqual(PackagedMiniLm.Vocabulary().ToArray(), FinetunedEncoderExport.ReadVocabulary(zip).ToArray());

            // Reload in a fresh context: the tokenizer in front, the same probabilities; saved again, still the same.
            var loaded = TextClassificationModel.Load(new MLContext(seed: 7), zip);
            Assert.IsTrue(loaded.IsPlain);
            Assert.AreEqual(TextModelKind.FrozenEncoder, loaded.Kind);
            Assert.AreEqual(12, loaded.WordPiece!.MaxTokens);
            var after = loaded.Predict(probe);
            for (int i = 0; i < probe.Count; i++)
            {
                Assert.AreEqual(before[i].Probability, after[i].Probability, 1e-5, $"sentence {i} '{probe[i]}'");
                Assert.AreEqual(before[i].Label, after[i].Label, $"sentence {i}");
            }
            Assert.IsTrue(TextClassificationExperiment.ReloadReproduces(zip, model, probe, out string detail), detail);
            string again = Path.Combine(dir, "again.zip");
            loaded.Save(again);
            var reloaded = TextClassificationModel.Load(new MLContext(), again).Predict(probe);
            for (int i = 0; i < probe.Count; i++) Assert.AreEqual(before[i].Probability, reloaded[i].Probability, 1e-5, $"saved again, sentence {i}");

            // mlContext.Model.Load alone: the three id columns in, Score/Probability/PredictedLabel out.
            var app = new MLContext();
            var plain = app.Model.Load(zip, out var schema);
            CollectionAssert.AreEqual(new[] { "input_ids", "attention_mask", "token_type_ids" }, schema.Select(c => c.Name).ToArray());
            var output = plain.GetOutputSchema(schema);
            Assert.AreEqual(NumberDataViewType.Single, output["Score"].Type);
            Assert.AreEqual(NumberDataViewType.Single, output["Probability"].Type);
            Assert.AreEqual(BooleanDataViewType.Instance, output["PredictedLabel"].Type);
            var engine = app.Model.CreatePredictionEngine<FinetunedEncoderExport.TokenRow, FinetunedEncoderTests.AppPrediction>(plain);
            var wordPiece = new WordPieceTokenizerModel(PackagedMiniLm.Vocabulary(), maxTokens: 12);
            for (int i = 0; i < probe.Count; i++)
            {
                long[] ids = wordPiece.Encode(probe[i]);
                var row = new FinetunedEncoderExport.TokenRow { InputIds = ids, AttentionMask = ids.Select(_ => 1L).ToArray(), TokenTypeIds = new long[ids.Length] };
                Assert.AreEqual(before[i].Probability, engine.Predict(row).Probability, 1e-5, $"app path, sentence {i}");
            }
            // And in a separate process with ML.NET packages only (tests/MlNetHw.OnnxConsumer): it loads and scores a row.
            var check = Onnx.PlainModelTests.RunConsumerLines("--check", zip, zip);
            Assert.IsTrue(check.Count == 1 && check[0].StartsWith("ok\t", StringComparison.Ordinal), string.Join("\n", check));
            StringAssert.Contains(check[0], "Probability=");
        }
        finally { Directory.Delete(dir, true); }
    }
}
