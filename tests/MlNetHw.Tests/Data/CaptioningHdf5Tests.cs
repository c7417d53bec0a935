using System.Text.Json;
using MlNetHw.Data;
using PureHDF;

namespace MlNetHw.Tests.Data;

/// <summary>The cs231n captioning files (HDF5 written here with PureHDF, vocabulary JSON, URL lists).</summary>
[TestClass]
[TestCategory("Data")]
public sealed class CaptioningHdf5Tests
{
    string _dir = "";

    [TestInitialize]
    public void Init() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "mlnethw-h5-" + Guid.NewGuid().ToString("N")[..10]));

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    static readonly string[] Vocabulary = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "dog", "runs"];

    void WriteFiles(int[,] trainCaptions, int[] trainIdx, float[,] trainFeatures, long[,]? valCaptions = null)
    {
        var captions = new H5File
        {
            ["train_captions"] = trainCaptions,
            ["train_image_idxs"] = trainIdx,
            ["val_image_idxs"] = new[] { 0 },
        };
        // Integers stored as int64 must read the same as int32.
        captions["val_captions"] = valCaptions ?? new long[,] { { 1, 4, 6, 2, 0 } };
        captions.Write(Path.Combine(_dir, "coco2014_captions.h5"));
        new H5File { ["features"] = trainFeatures }.Write(Path.Combine(_dir, "train2014_vgg16_fc7_pca.h5"));
        new H5File { ["features"] = new double[,] { { 0.5, -0.5, 1.5 } } }.Write(Path.Combine(_dir, "val2014_vgg16_fc7_pca.h5"));
        File.WriteAllText(Path.Combine(_dir, "coco2014_vocab.json"), JsonSerializer.Serialize(new
        {
            idx_to_word = Vocabulary,
            word_to_idx = Vocabulary.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i),
        }));
        File.WriteAllLines(Path.Combine(_dir, "train2014_urls.txt"), ["http://img/0.jpg", "http://img/1.jpg"]);
    }

    static readonly int[,] Captions = { { 1, 4, 5, 7, 2 }, { 1, 4, 6, 2, 0 }, { 1, 3, 7, 2, 0 } };
    static readonly float[,] Features = { { 1f, 2f, 3f }, { -4f, 5.5f, 6f } };

    [TestMethod]
    public void ReadsCaptionsFeaturesAndVocabulary()
    {
        WriteFiles(Captions, [1, 0, 1], Features);
        var data = Cs231nCaptioningReader.Load(_dir);

        Assert.AreEqual(3, data.Train.Count);
        Assert.AreEqual(5, data.Train.Length);
        Assert.AreEqual(2, data.Train.FeatureCount);
        Assert.AreEqual(3, data.Train.FeatureDimension);
        CollectionAssert.AreEqual(new[] { 1, 4, 6, 2, 0 }, data.Train.Caption(1).ToArray());
        CollectionAssert.AreEqual(new[] { -4f, 5.5f, 6f }, data.Train.FeaturesOfCaption(0).ToArray());
        Assert.AreEqual("a cat runs", data.Decode(data.Train.Caption(0)));
        Assert.AreEqual("<UNK> runs", data.Decode(data.Train.Caption(2)));
        Assert.AreEqual("http://img/1.jpg", data.Train.Urls![data.Train.ImageIndices[0]]);
        Assert.IsNull(data.Val.Urls);
        Assert.AreEqual("a dog", data.Decode(data.Val.Caption(0)), "int64 captions read like int32");
        CollectionAssert.AreEqual(new[] { 0.5f, -0.5f, 1.5f }, data.Val.Features, "float64 features read as float");
        Assert.AreEqual(1, data.StartIndex);
        Assert.AreEqual(5, data.WordToIdx["cat"]);
    }

    [TestMethod]
    public void MaxTrainDrawsADistinctSubsetWithTheSeed()
    {
        WriteFiles(Captions, [1, 0, 1], Features);
        var a = Cs231nCaptioningReader.Load(_dir, maxTrain: 2, seed: 3);
        var b = Cs231nCaptioningReader.Load(_dir, maxTrain: 2, seed: 3);
        Assert.AreEqual(2, a.Train.Count);
        CollectionAssert.AreEqual(a.Train.Captions, b.Train.Captions);
        var decoded = Enumerable.Range(0, 2).Select(i => a.Decode(a.Train.Caption(i))).ToList();
        Assert.AreEqual(2, decoded.Distinct().Count());
        var full = Cs231nCaptioningReader.Load(_dir);
        for (int i = 0; i < 2; i++)
        {
            int j = Enumerable.Range(0, 3).Single(k => full.Decode(full.Train.Caption(k)) == decoded[i]);
            Assert.AreEqual(full.Train.ImageIndices[j], a.Train.ImageIndices[i], "each caption keeps its image");
        }
    }

    [TestMethod]
    public void BadIndicesAndMissingFilesAreNamed()
    {
        WriteFiles(Captions, [1, 0, 2], Features);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Cs231nCaptioningReader.Load(_dir));
        StringAssert.Contains(e.Message, "coco2014_captions.h5: train_image_idxs[2] = 2 is outside the 2 rows");

        WriteFiles(new[,] { { 1, 4, 99, 2, 0 } }, [0], Features);
        e = Assert.ThrowsExactly<InvalidDataException>(() => Cs231nCaptioningReader.Load(_dir));
        StringAssert.Contains(e.Message, "train_captions[0, 2] = 99 is not a word index");

        WriteFiles(Captions, [1, 0], Features);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Cs231nCaptioningReader.Load(_dir)).Message, "train_image_idxs' has shape [2], expected [3]");

        WriteFiles(Captions, [1, 0, 1], Features);
        File.Delete(Path.Combine(_dir, "val2014_vgg16_fc7_pca.h5"));
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => Cs231nCaptioningReader.Load(_dir)).Message, "val2014_vgg16_fc7_pca.h5");
        new H5File { ["feats"] = Features }.Write(Path.Combine(_dir, "val2014_vgg16_fc7_pca.h5"));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Cs231nCaptioningReader.Load(_dir)).Message, "no dataset 'features' (it has: feats)");
    }
}
