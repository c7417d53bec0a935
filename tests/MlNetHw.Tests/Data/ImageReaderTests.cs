using Microsoft.ML.Data;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using MlNetHw.Data;
using SkiaSharp;

namespace MlNetHw.Tests.Data;

/// <summary>Image folders, IDX files and COCO captions, on files the tests write.</summary>
[TestClass]
[TestCategory("Data")]
public sealed class ImageReaderTests
{
    string _dir = "";

    [TestInitialize]
    public void Init() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "mlnethw-img-" + Guid.NewGuid().ToString("N")[..10]));

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    static void Png(string path, byte shade, int w = 6, int h = 5)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(w, h);
        bitmap.Erase(new SKColor(shade, (byte)(255 - shade), 0));
        MlNetHw.Reporting.ImageFiles.SavePng(bitmap, path);
    }

    string Dataset(int perClass = 2)
    {
        string root = Path.Combine(_dir, "ds");
        foreach (var split in new[] { "train", "val" })
            foreach (var cls in new[] { "bees", "ants" })
                for (int i = 0; i < perClass; i++) Png(Path.Combine(root, split, cls, $"{i}.png"), (byte)(i * 40));
        return root;
    }

    [TestMethod]
    public void ReadsTrainAndValClassFolders()
    {
        string root = Dataset();
        File.WriteAllText(Path.Combine(root, "train", "ants", "notes.txt"), "not an image");
        var ds = ImageFolderReader.Read(root);
        CollectionAssert.AreEqual(new[] { "ants", "bees" }, ds.Classes.ToList(), "classes sorted by name");
        Assert.AreEqual(4, ds.Train.Rows.Count);
        Assert.AreEqual(4, ds.Validation.Rows.Count);
        Assert.AreEqual(1, ds.Train.IgnoredFiles);
        Assert.AreEqual(0, ds.Train.Skipped.Count);
        Assert.AreEqual(2, ds.Train.CountsPerClass["bees"]);
        Assert.IsTrue(ds.Train.Rows.All(r => Path.GetFileName(Path.GetDirectoryName(r.ImagePath)) == r.Label));

        var ml = new MLContext(0);
        var view = ImageFolderReader.Load(ml, ds.Train);
        var rows = ml.Data.CreateEnumerable<ImageRow>(view, false).ToList();
        Assert.AreEqual(4, rows.Count);
        // The rows feed ML.NET's image pipeline as they are.
        var images = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(view).Transform(view);
        Assert.AreEqual(4, images.Preview().RowView.Length);
        Assert.AreEqual(4, ml.Data.LoadImageFolder(Path.Combine(root, "val")).GetColumn<string>("ImagePath").Count());
    }

    [TestMethod]
    public void UnreadableImageIsSkippedWithItsPathOrFailsInStrictMode()
    {
        string root = Dataset(3);
        string broken = Path.Combine(root, "train", "bees", "broken.png");
        File.WriteAllBytes(broken, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);
        string truncated = Path.Combine(root, "val", "ants", "cut.png");
        var whole = File.ReadAllBytes(Path.Combine(root, "val", "ants", "0.png"));
        Png(Path.Combine(_dir, "big.png"), 10, 200, 200);
        File.WriteAllBytes(truncated, File.ReadAllBytes(Path.Combine(_dir, "big.png"))[..60]);

        var ds = ImageFolderReader.Read(root);
        Assert.AreEqual(1, ds.Train.Skipped.Count);
        StringAssert.StartsWith(ds.Train.Skipped[0], broken);
        Assert.AreEqual(6, ds.Train.Rows.Count);
        Assert.AreEqual(1, ds.Validation.Skipped.Count, "a truncated file with a valid header is caught too");
        StringAssert.StartsWith(ds.Validation.Skipped[0], truncated);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(root, new ImageFolderOptions { Strict = true }));
        StringAssert.Contains(e.Message, broken);
        Assert.AreNotEqual(0, whole.Length);
    }

    [TestMethod]
    public void OneClassOrAnEmptySplitFailsClearly()
    {
        string root = Path.Combine(_dir, "one");
        Png(Path.Combine(root, "train", "ants", "0.png"), 1);
        Png(Path.Combine(root, "val", "ants", "0.png"), 1);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(root)).Message, "only one class ('ants')");

        root = Dataset();
        foreach (var f in Directory.GetFiles(Path.Combine(root, "val", "bees"))) File.Delete(f);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(root));
        StringAssert.Contains(e.Message, Path.Combine(root, "val", "bees"));
        StringAssert.Contains(e.Message, "no readable images");

        string empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(Path.Combine(empty, "train"));
        Directory.CreateDirectory(Path.Combine(empty, "val"));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(empty)).Message, "no class sub-folders");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(Path.Combine(_dir, "one", "train"))).Message, "no 'train' folder");
    }

    [TestMethod]
    public void SubsetsAreClassBalancedSeededAndInClassOrder()
    {
        string root = Dataset(perClass: 5);
        Png(Path.Combine(root, "train", "bees", "nested", "deep.png"), 77); // images in sub-folders of a class count, as in torchvision
        var ds = ImageFolderReader.Read(root);
        Assert.AreEqual(6, ds.Train.CountsPerClass["bees"]);
        var a = ds.Subset(4, 3, seed: 1);
        Assert.AreEqual(4, a.Train.Count);
        Assert.AreEqual(2, a.Train.CountsPerClass["ants"], "classes take turns");
        Assert.AreEqual(3, a.Validation.Count);
        CollectionAssert.AreEqual(a.Train.Rows.Select(r => r.ImagePath).ToList(), ds.Subset(4, 3, seed: 1).Train.Rows.Select(r => r.ImagePath).ToList(), "same seed, same subset");
        var draws = Enumerable.Range(0, 8).Select(s => string.Join("|", ds.Subset(4, 0, s).Train.Rows.Select(r => r.ImagePath))).Distinct().Count();
        Assert.IsTrue(draws > 1, "other seeds pick other images");
        CollectionAssert.AreEqual(a.Train.Rows.OrderBy(r => r.Label, StringComparer.Ordinal).ThenBy(r => r.ImagePath, StringComparer.Ordinal).ToList(), a.Train.Rows.ToList());
        Assert.AreSame(ds.Validation, ds.Subset(4, 0, 1).Validation, "0 keeps a split whole");
        CollectionAssert.AreEqual(new[] { 0, 0, 1, 1 }, a.Train.ClassIndices().ToArray());

        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderSplit.FromRows(ds.Classes, [new ImageRow("x.png", "wasps")], "validation rows"));
        StringAssert.Contains(e.Message, "validation rows: class 'wasps' (x.png)");
    }

    [TestMethod]
    public void ValClassesMustBeTheTrainClasses()
    {
        string root = Dataset();
        Png(Path.Combine(root, "val", "wasps", "0.png"), 3);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(root)).Message, "wasps");
    }

    [TestMethod]
    public void IdxRoundTripsPlainAndGzippedAndRejectsTruncatedFiles()
    {
        var pixels = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 7)).ToArray();
        string images = Path.Combine(_dir, "images-idx3-ubyte");
        string labels = Path.Combine(_dir, "labels-idx1-ubyte");
        IdxReader.WriteBytes(images, [2, 3, 4], pixels);
        IdxReader.WriteBytes(labels, [2], [7, 9]);
        var a = IdxReader.Read(images);
        CollectionAssert.AreEqual(new[] { 2, 3, 4 }, a.Shape);
        CollectionAssert.AreEqual(pixels, a.Bytes);
        Assert.AreEqual(14.0, a[2]);

        using (var gz = new GZipStream(File.Create(images + ".gz"), CompressionMode.Compress)) gz.Write(File.ReadAllBytes(images));
        var set = IdxReader.ReadImages(images + ".gz", labels);
        Assert.AreEqual(2, set.Count);
        CollectionAssert.AreEqual(pixels[12..], set.Image(1).ToArray());

        var view = IdxReader.Load(new MLContext(0), images, labels);
        Assert.AreEqual(12, ((Microsoft.ML.Data.VectorDataViewType)view.Schema["Features"].Type).Size);

        File.WriteAllBytes(Path.Combine(_dir, "cut"), File.ReadAllBytes(images)[..20]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.Read(Path.Combine(_dir, "cut")));
        StringAssert.Contains(e.Message, "truncated");
        StringAssert.Contains(e.Message, "needs 24 bytes of data, found 4");
        IdxReader.WriteBytes(labels, [3], [1, 2, 3]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(images, labels)).Message, "holds 2 images but");
        File.WriteAllBytes(Path.Combine(_dir, "text"), "hello world"u8.ToArray());
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.Read(Path.Combine(_dir, "text"))).Message, "not an IDX file");
    }

    string CocoJson(object annotations)
    {
        string path = Path.Combine(_dir, "captions.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            info = new { description = "test" },
            images = new object[]
            {
                new { id = 42, file_name = "COCO_42.png", width = 6, height = 5 },
                new { id = 7, file_name = "COCO_7.png", width = 6, height = 5 },
                new { id = 9, file_name = "COCO_9.png", width = 6, height = 5 },
            },
            annotations,
        }));
        return path;
    }

    [TestMethod]
    public void CocoCaptionsAreGroupedByImageAndImagesFoundInTheFolder()
    {
        string json = CocoJson(new object[]
        {
            new { id = 1, image_id = 42, caption = "A cat on a mat. " },
            new { id = 2, image_id = 7, caption = "Two dogs." },
            new { id = 3, image_id = 42, caption = "A sleepy cat." },
        });
        string images = Path.Combine(_dir, "images");
        Png(Path.Combine(images, "COCO_42.png"), 1);
        Png(Path.Combine(images, "COCO_7.png"), 2);

        var coco = CocoCaptionsReader.Read(json, images);
        Assert.AreEqual(2, coco.Images.Count);
        Assert.AreEqual(42, coco.Images[0].Id);
        CollectionAssert.AreEqual(new[] { "A cat on a mat.", "A sleepy cat." }, coco.Images[0].Captions.ToList());
        Assert.AreEqual(Path.Combine(images, "COCO_7.png"), coco.Images[1].ImagePath);
        Assert.AreEqual(1, coco.MissingImages.Count);
        StringAssert.EndsWith(coco.MissingImages[0], "COCO_9.png");
        Assert.AreEqual(3, coco.CaptionCount);
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => CocoCaptionsReader.Read(json, images, strict: true)).Message, "COCO_9.png");

        var ml = new MLContext(0);
        var rows = ml.Data.CreateEnumerable<CocoCaptionsReader.CaptionRow>(CocoCaptionsReader.Load(ml, coco), false).ToList();
        Assert.AreEqual(3, rows.Count);
        Assert.AreEqual("Two dogs.", rows.Single(r => r.ImageId == 7).Caption);
        Assert.AreEqual(3, CocoCaptionsReader.Read(json).Images.Count, "without a folder no image is missing");
    }

    [TestMethod]
    public void CocoErrorsNameTheFileAndTheRecord()
    {
        string json = CocoJson(new object[] { new { id = 1, image_id = 42, caption = "ok" }, new { id = 2, image_id = 1234, caption = "orphan" } });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CocoCaptionsReader.Read(json));
        StringAssert.Contains(e.Message, json + ": annotations[1]: image_id 1234");
        json = CocoJson(new object[] { new { id = 1, image_id = 42 } });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => CocoCaptionsReader.Read(json)).Message, "annotations[0]: missing or non-string 'caption'");
        File.WriteAllText(json, """{"images": []""");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => CocoCaptionsReader.Read(json)).Message, "not valid JSON");
        File.WriteAllText(json, """{"images": []}""");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => CocoCaptionsReader.Read(json)).Message, "'annotations'");
    }
}
