using Microsoft.ML.Data;
using Microsoft.ML;
using MlNetHw.Data;

namespace MlNetHw.Tests.Data;

/// <summary>LABEL-sentence files and GloVe text vectors, on files the tests write.</summary>
[TestClass]
[TestCategory("Data")]
public sealed class TextReaderTests
{
    string _dir = "";

    [TestInitialize]
    public void Init() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "mlnethw-data-" + Guid.NewGuid().ToString("N")[..10]));

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    string Write(string name, params string[] lines)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [TestMethod]
    public void ReadsLabelledSentencesSkippingBlankLines()
    {
        string path = Write("train.txt", "1 Great for the jawbone.", "", "0\tTied to charger for conversations.", "   ", "1 It works  ");
        var rows = LabeledSentenceReader.Read(path, requireLabels: true, out int skipped);
        Assert.AreEqual(2, skipped);
        CollectionAssert.AreEqual(new int?[] { 1, 0, 1 }, rows.Select(r => r.Label).ToList());
        CollectionAssert.AreEqual(new[] { "Great for the jawbone.", "Tied to charger for conversations.", "It works" }, rows.Select(r => r.Text).ToList());
        CollectionAssert.AreEqual(new[] { 1, 3, 5 }, rows.Select(r => r.LineNumber).ToList(), "line numbers count the skipped lines");
    }

    [TestMethod]
    public void ALabelOtherThanZeroOrOneNamesFileAndLine()
    {
        string path = Write("dev.txt", "1 fine", "0 fine too", "2 not a label", "1 never reached");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => LabeledSentenceReader.Read(path, requireLabels: true));
        StringAssert.Contains(e.Message, path + ":3:");
        StringAssert.Contains(e.Message, "'2'");
        path = Write("dev2.txt", "positive this is wrong");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => LabeledSentenceReader.Read(path, requireLabels: true)).Message, path + ":1:");
        path = Write("dev3.txt", "1 ok", "0");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => LabeledSentenceReader.Read(path, requireLabels: true)).Message, path + ":2: label 0 without a sentence");
    }

    [TestMethod]
    public void AnEmptySplitFailsClearly()
    {
        string path = Write("test.txt", "", "  ");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => LabeledSentenceReader.Read(path, requireLabels: true));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "split is empty");
        Assert.ThrowsExactly<FileNotFoundException>(() => LabeledSentenceReader.Read(Path.Combine(_dir, "absent.txt"), requireLabels: true));
    }

    [TestMethod]
    public void UnlabelledFilesKeepTheWholeLineAsText()
    {
        string path = Write("unlabelled.txt", "1 star is all it deserves", "Loved it");
        var rows = LabeledSentenceReader.Read(path, requireLabels: false);
        Assert.IsTrue(rows.All(r => r.Label is null));
        Assert.AreEqual("1 star is all it deserves", rows[0].Text);
    }

    [TestMethod]
    public void LoadGivesAnIDataViewWithBoolLabelAndText()
    {
        string path = Write("train.txt", "1 good", "0 bad", "1 nice");
        var ml = new MLContext(seed: 0);
        var view = LabeledSentenceReader.Load(ml, path);
        Assert.AreEqual(Microsoft.ML.Data.BooleanDataViewType.Instance, view.Schema["Label"].Type);
        Assert.AreEqual(Microsoft.ML.Data.TextDataViewType.Instance, view.Schema["Text"].Type);
        var rows = ml.Data.CreateEnumerable<LabeledSentenceReader.SentenceRow>(view, reuseRowObject: false).ToList();
        CollectionAssert.AreEqual(new[] { true, false, true }, rows.Select(r => r.Label).ToList());
        CollectionAssert.AreEqual(new[] { "good", "bad", "nice" }, rows.Select(r => r.Text).ToList());
        // The same through the ML.NET catalog extension.
        var viaCatalog = ml.Data.LoadLabeledSentences(path);
        CollectionAssert.AreEqual(rows.Select(r => r.Text).ToList(), viaCatalog.GetColumn<string>("Text").ToList());
        // Write + read round trip.
        string copy = Path.Combine(_dir, "copy.txt");
        LabeledSentenceReader.Write(copy, LabeledSentenceReader.Read(path, true));
        CollectionAssert.AreEqual(File.ReadAllLines(path), File.ReadAllLines(copy));
    }

    [TestMethod]
    public void GloVeDimensionIsDetectedAndVectorsLookedUp()
    {
        string path = Write("vec.txt", "the 0.5 -1 2e-1 4", "cat 1 2 3 4", ". . . 9 8 7 6", "dog -0.25 0 0 1");
        var v = GloVeReader.Read(path);
        Assert.AreEqual(4, v.Dimension);
        CollectionAssert.AreEqual(new[] { "the", "cat", ". . .", "dog" }, v.Words.ToList(), "a word containing spaces (glove.840B) is kept whole");
        CollectionAssert.AreEqual(new[] { 0.5f, -1f, 0.2f, 4f }, v["the"]);
        Assert.IsTrue(v.TryGetVector("dog", out var dog));
        Assert.AreEqual(-0.25f, dog[0]);
        Assert.AreEqual(-1, v.IndexOf("cow"));
        StringAssert.Contains(Assert.ThrowsExactly<KeyNotFoundException>(() => v["cow"]).Message, "cow");

        var only = GloVeReader.Read(path, vocabulary: new HashSet<string> { "dog", "cat", "missing" });
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, only.Words.ToList(), "only the requested words, in file order");
        CollectionAssert.AreEqual(v["dog"], only["dog"]);
        Assert.AreEqual(2, GloVeReader.Read(path, maxWords: 2).Count);

        string saved = Path.Combine(_dir, "saved.txt");
        only.SaveText(saved);
        CollectionAssert.AreEqual(only.Matrix, GloVeReader.Read(saved).Matrix);

        var view = GloVeReader.Load(new MLContext(0), only);
        Assert.AreEqual(4, ((Microsoft.ML.Data.VectorDataViewType)view.Schema["Vector"].Type).Size);
    }

    [TestMethod]
    public void GloVeLineWithTheWrongNumberOfValuesNamesTheLine()
    {
        string path = Write("short.txt", "the 1 2 3", "cat 1 2", "dog 1 2 3");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => GloVeReader.Read(path));
        StringAssert.Contains(e.Message, path + ":2:");
        StringAssert.Contains(e.Message, "2 values, expected 3");
        path = Write("long.txt", "the 1 2 3", "cat 1 2 3", "dog 1 2 3 4");
        e = Assert.ThrowsExactly<InvalidDataException>(() => GloVeReader.Read(path));
        StringAssert.Contains(e.Message, path + ":3:");
        StringAssert.Contains(e.Message, "4 values, expected 3");
        path = Write("nan.txt", "the 1 2 3", "cat 1 x 3");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => GloVeReader.Read(path)).Message, path + ":2: value 2 of 'cat' is not a number");
        path = Write("dim.txt", "the 1 2 3");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => GloVeReader.Read(path, expectedDimension: 50)).Message, "3 dimensions, expected 50");
    }

    [TestMethod]
    public void GloVeReaderSkipsAWord2VecHeader()
    {
        string path = Write("w2v.txt", "2 3", "a 1 2 3", "b 4 5 6");
        var v = GloVeReader.Read(path);
        Assert.AreEqual(3, v.Dimension);
        Assert.AreEqual(2, v.Count);
        CollectionAssert.AreEqual(new[] { 4f, 5f, 6f }, v["b"]);
    }
}
