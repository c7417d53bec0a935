using Microsoft.ML;
using MlNetHw.Text;

namespace MlNetHw.Tests.Text;

/// <summary>
/// The whole part 6 on a folder the test writes (data the project has never seen, in the homework's format): every
/// model trains, is evaluated, saved, reloaded in a fresh MLContext with identical scores, and predicts the
/// unlabelled file in order. Plus the bad inputs the pipeline must explain instead of crashing.
/// </summary>
[TestClass]
[TestCategory("Text")]
public sealed class TextClassificationExperimentTests
{
    static string? _folder;
    static TextClassificationResult? _result;

    static string Folder => _folder ??= TextTestData.WriteFolder();

    /// <summary>One run shared by the assertions below (training is the expensive part).</summary>
    static readonly TextModelKind[] Kinds = Enum.GetValues<TextModelKind>().Where(k => k != TextModelKind.FinetunedEncoder).ToArray();

    static TextClassificationResult Result => _result ??= TextClassificationExperiment.Run(new TextClassificationOptions
    {
        DataFolder = Folder,
        GloVePath = TextTestData.WriteGloVe(Folder),
        Models = Kinds, // the finetuned encoder has its own test (FinetunedEncoderTests): it is too slow for this shared run
        Training = Loop(epochs: 8, lr: 0.02, batch: 32), // tiny data, few epochs: a larger step than the homework's 0.001
        HiddenSize = 8,
        EmbeddingDimension = 8,
        Run = new() { Seed = 3, Device = "cpu", OutputDirectory = Path.Combine(Folder, "out") },
    });

    static IReadOnlyDictionary<TextModelKind, MlNetHw.MlNet.Training.TrainerOptions> Loop(int epochs, double lr, int batch)
    {
        var training = TextClassificationExperiment.DefaultTraining();
        foreach (var t in training.Values) { t.Epochs = epochs; t.LearningRate = lr; t.BatchSize = batch; }
        return training;
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        if (_folder is not null && Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }

    [TestMethod]
    public void EveryModelLearnsTheSeparableSentimentOfAnUnseenFolder()
    {
        var r = Result;
        CollectionAssert.AreEqual(Kinds, r.Models.Select(m => m.Kind).ToArray());
        Assert.AreEqual(300, r.TrainCount);
        Assert.AreEqual(80, r.TestCount);
        Assert.AreEqual(8, r.GloVeDimension);
        foreach (var m in r.Models)
        {
            Assert.IsTrue(m.TestAccuracy >= 0.85, $"{m.Kind}: test accuracy {m.TestAccuracy:0.000} on separable data");
            if (TextClassificationExperiment.IsTorch(m.Kind))
            {
                Assert.IsTrue(m.History.Count is > 0 and <= 8, $"{m.Kind}: {m.History.Count} epochs");
                Assert.IsTrue(m.History.All(h => h.ValidationAccuracy is not null), $"{m.Kind}: dev accuracy every epoch");
                // the epoch kept is the one with the best dev accuracy
                Assert.AreEqual(m.History.Max(h => h.ValidationAccuracy!.Value), m.BestValidationAccuracy!.Value, 1e-12, $"{m.Kind}");
            }
        }
        StringAssert.Contains(File.ReadAllText(r.ResultsMarkdownPath), "| embed |");
        // results.json beside results.md carries the same figures, per model, in the same order.
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(r.ResultsMarkdownPath)!, "results.json")));
        var models = json.RootElement.GetProperty("Models").EnumerateArray().ToList();
        Assert.AreEqual(r.Models.Count, models.Count);
        Assert.AreEqual(r.TrainCount, json.RootElement.GetProperty("TrainCount").GetInt32());
        foreach (var (m, j) in r.Models.Zip(models))
        {
            Assert.AreEqual(TextClassificationExperiment.NameOf(m.Kind), j.GetProperty("Name").GetString());
            Assert.AreEqual(m.TestAccuracy, j.GetProperty("TestAccuracy").GetDouble(), 1e-12, $"{m.Kind}");
            Assert.AreEqual(m.History.Count, j.GetProperty("History").GetArrayLength(), $"{m.Kind}");
        }
        Assert.IsTrue(File.Exists(r.DevAccuracyChartPath), "dev accuracy chart written");
    }

    [TestMethod]
    public void EverySavedModelReloadsInAFreshContextWithIdenticalScores()
    {
        var test = File.ReadAllLines(Path.Combine(Folder, "test.txt")).Select(l => l[2..]).ToList();
        foreach (var m in Result.Models)
        {
            Assert.AreEqual(true, m.ReloadReproducesPredictions, $"{m.Kind}: the experiment's own reload check");
            // Independently: load twice in two new contexts and compare with each other and with Evaluate's accuracy.
            var a = TextClassificationModel.Load(new MLContext(7), m.ModelPath);
            var b = TextClassificationModel.Load(new MLContext(8), m.ModelPath);
            Assert.AreEqual(m.Kind, a.Kind);
            var sa = a.Scores(test);
            var sb = b.Scores(test);
            CollectionAssert.AreEqual(sa, sb, $"{m.Kind}: two loads disagree");
            var labels = File.ReadAllLines(Path.Combine(Folder, "test.txt")).Select(l => l[0] == '1').ToArray();
            double accuracy = sa.Zip(labels).Count(p => p.First >= 0 == p.Second) / (double)labels.Length;
            Assert.AreEqual(m.TestAccuracy, accuracy, 1e-9, $"{m.Kind}: reloaded model's accuracy");
        }
    }

    [TestMethod]
    public void UnlabelledPredictionsAreOneZeroOrOnePerLineInInputOrder()
    {
        var unlabelled = File.ReadAllLines(Path.Combine(Folder, "unlabelled.txt"));
        foreach (var m in Result.Models)
        {
            var lines = File.ReadAllLines(m.PredictionsPath!);
            Assert.AreEqual(unlabelled.Length, lines.Length, $"{m.Kind}");
            Assert.IsTrue(lines.All(l => l is "0" or "1"), $"{m.Kind}: only 0/1");
            var model = TextClassificationModel.Load(new MLContext(1), m.ModelPath);
            var expected = model.Predict(unlabelled).Select(p => p.Label ? "1" : "0").ToArray();
            CollectionAssert.AreEqual(expected, lines, $"{m.Kind}: predictions in input order");
        }
    }

    [TestMethod]
    public void SentencesOfOnlyUnknownWordsOrNoWordsGetThePriorAndAreFlagged()
    {
        // The frozen encoder is left out: WordPiece splits any word into known pieces, so no sentence is "unknown".
        foreach (var m in Result.Models.Where(m => m.Kind != TextModelKind.FrozenEncoder))
        {
            var model = TextClassificationModel.Load(new MLContext(1), m.ModelPath);
            var sentences = new[] { "zzyzx qwv", "", "!!!", "a great film" };
            var p = model.Predict(sentences);
            var unknown = model.UnknownOnly(sentences);
            CollectionAssert.AreEqual(new[] { true, true, true, false }, unknown.ToArray(), $"{m.Kind}");
            Assert.IsTrue(p.All(x => float.IsFinite(x.Probability)), $"{m.Kind}: finite probabilities");
            // Averaged models and bag of words leave unknown words out: the same prior as no words at all. (The recurrent
            // models read <unk> as a zero vector, a step of their own, so only finiteness is asserted for them.)
            if (m.Kind is not (TextModelKind.Rnn or TextModelKind.Lstm))
                Assert.AreEqual(p[1].Probability, p[0].Probability, 1e-6f, $"{m.Kind}: unknown words and no words both give the prior");
        }
    }

    [TestMethod]
    public void ALabelOtherThanZeroOrOneFailsNamingTheFileAndLine()
    {
        string dir = TextTestData.WriteFolder(train: 20, dev: 5, test: 5, unlabelled: 2);
        try
        {
            var lines = File.ReadAllLines(Path.Combine(dir, "dev.txt"));
            lines[2] = "2 " + lines[2][2..];
            File.WriteAllLines(Path.Combine(dir, "dev.txt"), lines);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => SentenceSplit.Load(dir));
            StringAssert.Contains(e.Message, "dev.txt:3");
            StringAssert.Contains(e.Message, "'2'");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void AnEmptyLineIsSkippedAndReportedWithItsLineNumber()
    {
        string dir = TextTestData.WriteFolder(train: 20, dev: 5, test: 5, unlabelled: 2);
        try
        {
            var lines = File.ReadAllLines(Path.Combine(dir, "train.txt")).ToList();
            lines.Insert(4, "");
            File.WriteAllLines(Path.Combine(dir, "train.txt"), lines);
            var split = SentenceSplit.Load(dir);
            Assert.AreEqual(20, split.Train.Count);
            Assert.AreEqual(1, split.Warnings.Count);
            StringAssert.Contains(split.Warnings[0], "train.txt: skipped 1 empty line (line 5)");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void AGloVeFileOfAnotherDimensionThanTheModelsIsRejectedBeforeTraining()
    {
        string dir = TextTestData.WriteFolder(train: 20, dev: 5, test: 5, unlabelled: 2);
        try
        {
            string glove = TextTestData.WriteGloVe(dir, dimension: 6);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TextClassificationExperiment.Run(new TextClassificationOptions
            {
                DataFolder = dir, GloVePath = glove, Models = new[] { TextModelKind.GloVe }, EmbeddingDimension = 8,
                Run = new() { Device = "cpu", OutputDirectory = Path.Combine(dir, "out") },
            }));
            StringAssert.Contains(e.Message, "glove.6d.txt");
            StringAssert.Contains(e.Message, "6 dimensions, expected 8");
            Assert.IsFalse(File.Exists(Path.Combine(dir, "out", "glove.zip")), "nothing trained");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void AMissingFileOrFolderIsNamed()
    {
        string dir = TextTestData.WriteFolder(train: 20, dev: 5, test: 5, unlabelled: 2);
        try
        {
            File.Delete(Path.Combine(dir, "dev.txt"));
            var e = Assert.ThrowsExactly<FileNotFoundException>(() => SentenceSplit.Load(dir));
            StringAssert.Contains(e.Message, "has no dev.txt");
            Assert.ThrowsExactly<DirectoryNotFoundException>(() => SentenceSplit.Load(Path.Combine(dir, "nope")));
            var bad = Path.Combine(dir, "not-a-model.zip");
            File.WriteAllText(bad, "hello");
            var e2 = Assert.Throws<InvalidDataException>(() => TextClassificationModel.Load(new MLContext(), bad));
            StringAssert.Contains(e2.Message, "not-a-model.zip");
        }
        finally { Directory.Delete(dir, true); }
    }
}
