using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.Text;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Text;

/// <summary>Vocabulary, tokenisation, masking and the ML.NET pieces of the text models, each on its own.</summary>
[TestClass]
[TestCategory("Text")]
public sealed class TextComponentTests
{
    [TestMethod]
    public void VocabularyPutsPadAndUnknownFirstThenWordsByCountAndHonoursMinCountAndMaxSize()
    {
        var sentences = new[] { new[] { "b", "a", "c" }, new[] { "a", "b", "a" }, new[] { "d" } };
        var v = TextVocabulary.Build(sentences);
        CollectionAssert.AreEqual(new[] { "<pad>", "<unk>", "a", "b", "c", "d" }, v.Words.ToArray()); // a:3, b:2, then c, d by spelling
        CollectionAssert.AreEqual(new[] { 2, 1, 3 }, v.Encode(new[] { "a", "zzz", "b" }));
        CollectionAssert.AreEqual(new[] { 2 }, v.Encode(new[] { "a", "b", "c" }, maxLength: 1));
        CollectionAssert.AreEqual(new[] { "<pad>", "<unk>", "a", "b" }, TextVocabulary.Build(sentences, minCount: 2).Words.ToArray());
        CollectionAssert.AreEqual(new[] { "<pad>", "<unk>", "a" }, TextVocabulary.Build(sentences, maxSize: 3).Words.ToArray());
        CollectionAssert.AreEqual(new[] { "<pad>", "<unk>", "b", "d" }, TextVocabulary.Build(sentences, keep: w => w is "b" or "d").Words.ToArray());
        var copy = TextVocabulary.FromBytes(v.ToBytes());
        CollectionAssert.AreEqual(v.Words.ToArray(), copy.Words.ToArray());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TextVocabulary.Build(sentences, minCount: 0));
    }

    [TestMethod]
    public void TokenizationLowercasesAndSplitsOnPunctuationButKeepsApostrophes()
    {
        var tokens = TextTokenization.Tokenize(new MLContext(1), new[] { "Great phone, I LOVED it!", "Don't buy...it", "" });
        CollectionAssert.AreEqual(new[] { "great", "phone", "i", "loved", "it" }, tokens[0]);
        CollectionAssert.AreEqual(new[] { "don't", "buy", "it" }, tokens[1]);
        Assert.AreEqual(0, tokens[2].Length);
    }

    [TestMethod]
    public void CatalogVocabularyMapsWordsToIdsAndRoundTripsThroughTheModelArchive()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new Row { Label = true, Text = "good good film" }, new Row { Label = false, Text = "bad film" }, new Row { Label = true, Text = "" },
        });
        var pipeline = ml.Transforms.Text.TokenizeForClassification().Append(ml.Transforms.Text.MapWordsToVocabularyIds());
        var model = pipeline.Fit(data);
        var ids = model.Transform(data).GetColumn<VBuffer<int>>(TextColumns.TokenIds).Select(v => v.DenseValues().ToArray()).ToList();
        // good:2 film:2 → "film" < "good" by spelling: film=2, good=3, bad=4
        CollectionAssert.AreEqual(new[] { 3, 3, 2 }, ids[0]);
        CollectionAssert.AreEqual(new[] { 4, 2 }, ids[1]);
        Assert.AreEqual(0, ids[2].Length);

        string path = Path.Combine(Path.GetTempPath(), $"mlnethw-vocab-{Guid.NewGuid():N}.zip");
        try
        {
            ModelArchive.Save(ml, model, data.Schema, path);
            var loaded = ModelArchive.Load(new MLContext(2), path);
            var test = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "Bad, GOOD and unseen" } });
            var after = loaded.Transform(test).GetColumn<VBuffer<int>>(TextColumns.TokenIds).Single().DenseValues().ToArray();
            CollectionAssert.AreEqual(new[] { 4, 3, TextVocabulary.UnknownId, TextVocabulary.UnknownId }, after);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ExtraWordsJoinTheVocabularyAfterTheTrainingWordsWithoutDuplicates()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "good film good" } });
        var tokens = ml.Transforms.Text.TokenizeForClassification().Fit(data).Transform(data);
        var vocab = new VocabularyEstimator(ml, new VocabularyOptions { ExtraWords = new[] { "film", "superb", "dire" } }).Fit(tokens).Model.Vocabulary;
        CollectionAssert.AreEqual(new[] { "<pad>", "<unk>", "good", "film", "superb", "dire" }, vocab.Words.ToArray());
        var capped = new VocabularyEstimator(ml, new VocabularyOptions { ExtraWords = new[] { "superb", "dire" }, MaxSize = 5 }).Fit(tokens).Model.Vocabulary;
        CollectionAssert.AreEqual(new[] { "<pad>", "<unk>", "good", "film", "superb" }, capped.Words.ToArray());
    }

    [TestMethod]
    public void VocabularyRejectsARawTextColumnWithAClearMessage()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "good" } });
        var e = Assert.Throws<Exception>(() => new VocabularyEstimator(ml, new VocabularyOptions { InputColumnName = "Text" }).Fit(data));
        StringAssert.Contains(e.Message, "Text");
    }

    [TestMethod]
    public void AveragedNetworkIgnoresPaddingAndGivesTheBiasForSentencesWithoutWords()
    {
        TorchRuntime.Seed(3);
        using var scope = torch.NewDisposeScope();
        var shape = new TextNetworkShape(TextNetworkKind.Averaged, 10, 4, 0, AverageSkipsUnknown: true);
        using var net = TextClassifierNetwork.Create(shape);
        net.eval();
        using var noGrad = torch.no_grad();
        // Sentence [5, 7, unk] alone, and padded to 6 next to a longer sentence: same logit; <unk> skipped.
        var (ids1, m1) = SentenceBatch.Pad(new[] { new[] { 5, 7, 1 } }, torch.CPU);
        var (ids2, m2) = SentenceBatch.Pad(new[] { new[] { 5, 7, 1 }, new[] { 2, 3, 4, 5, 6, 8 } }, torch.CPU);
        float alone = net.forward(ids1, m1).item<float>();
        float padded = net.forward(ids2, m2)[0].item<float>();
        Assert.AreEqual(alone, padded, 1e-6f);
        // Reference in float64: w · mean(E[5], E[7]) + b.
        var sd = net.state_dict();
        var e = sd.First(kv => kv.Key.Contains("embedding")).Value.to_type(ScalarType.Float64);
        var w = sd.First(kv => kv.Key.EndsWith("weight") && !kv.Key.Contains("embedding")).Value.to_type(ScalarType.Float64);
        var b = sd.First(kv => kv.Key.EndsWith("bias")).Value.to_type(ScalarType.Float64);
        double expected = ((e[5] + e[7]) / 2).dot(w[0]).item<double>() + b.item<double>();
        Assert.AreEqual(expected, alone, 1e-5);
        // No real word (empty or only unknown words): the average is zero, the logit is the bias, never NaN.
        var (ids3, m3) = SentenceBatch.Pad(new[] { Array.Empty<int>(), new[] { 1, 1 } }, torch.CPU);
        var empty = net.forward(ids3, m3).data<float>().ToArray();
        Assert.AreEqual(b.item<double>(), empty[0], 1e-6);
        Assert.AreEqual(b.item<double>(), empty[1], 1e-6);
    }

    [TestMethod]
    public void TrainerRejectsAPretrainedDimensionOtherThanTheModels()
    {
        var ml = new MLContext(1);
        var vectors = PretrainedWordVectors.FromDictionary(new Dictionary<string, float[]> { ["good"] = new float[8] }, 8, "glove.8d.txt");
        var e = Assert.ThrowsExactly<ArgumentException>(() => new TextClassifierTrainer(ml, TextVocabulary.FromWords(new[] { "good" }),
            new TextClassifierTrainerOptions { PretrainedVectors = vectors, EmbeddingDimension = 50 }));
        StringAssert.Contains(e.Message, "glove.8d.txt has 8-dimensional vectors");
        StringAssert.Contains(e.Message, "EmbeddingDimension is 50");
    }

    public sealed class Row
    {
        public bool Label { get; set; }
        public string Text { get; set; } = "";
    }
}
