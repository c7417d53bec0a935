using MlNetHw.Datasets;
using static MlNetHw.Tests.Datasets.DatasetTestSupport;

namespace MlNetHw.Tests.Datasets;

/// <summary>Issue 15: a damaged cached file is noticed on use (not only by `datasets verify`), and out-of-range manifest values are refused.</summary>
[TestClass]
public sealed class CacheIntegrityTests : TempCacheTest
{
    [TestMethod]
    public void ACorruptedCachedFileIsFetchedAgainOnUseAndAnUntouchedCacheIsNotRehashed()
    {
        using var server = new LocalHttpServer();
        var body = Payload(50_000, 5);
        server.Files["/probe.bin"] = body;
        var catalog = new DatasetCatalog([OneFileManifest(Sha(body), (server.Url("/probe.bin"), Sha(body)))]);
        var log = new StringWriter();
        string folder = catalog.Resolve("probe", Options(Cache, log));
        string data = Path.Combine(folder, "data.bin");
        Assert.IsTrue(File.Exists(Path.Combine(folder, ".mlnethw-stamp.json")), "the fetch stores a stamp");
        int requests = server.Requests.Count;

        // The same size, other bytes (a flipped byte on disk): the stamp (time) changed, so the file is hashed and refused.
        var damaged = (byte[])body.Clone();
        damaged[1234] ^= 0xFF;
        File.WriteAllBytes(data, damaged);
        File.SetLastWriteTimeUtc(data, DateTime.UtcNow.AddMinutes(1));
        var log2 = new StringWriter();
        Assert.AreEqual(folder, catalog.Resolve("probe", Options(Cache, log2)));
        StringAssert.Contains(log2.ToString(), "damaged");
        StringAssert.Contains(log2.ToString(), "data.bin");
        CollectionAssert.AreEqual(body, File.ReadAllBytes(data), "the damaged copy was fetched again");

        // Untouched: served from the cache without a download.
        requests = server.Requests.Count;
        catalog.Resolve("probe", Options(Cache, new StringWriter()));
        Assert.AreEqual(requests, server.Requests.Count);

        // Damaged and no source can replace it: refused, naming the dataset.
        File.WriteAllBytes(data, damaged);
        File.SetLastWriteTimeUtc(data, DateTime.UtcNow.AddMinutes(2));
        server.Files.Clear();
        foreach (var entry in Directory.EnumerateDirectories(Cache).Where(d => Path.GetFileName(d) != "probe")) Directory.Delete(entry, true); // kept downloads
        var e = Assert.ThrowsExactly<DatasetUnavailableException>(() => catalog.Resolve("probe", Options(Cache, new StringWriter(), maxAttempts: 1)));
        StringAssert.Contains(e.Message, "probe");
    }

    [TestMethod]
    public void OutOfRangeManifestValuesAreRefusedNamingTheField()
    {
        static InvalidDataException Bad(string json) => Assert.ThrowsExactly<InvalidDataException>(() => DatasetManifest.Parse(json, "m.json"));
        const string src = """ "sources": [{"type": "dataset", "dataset": "y"}] """;
        StringAssert.Contains(Bad($$"""{"id": "x", "size": -5, {{src}} }""").Message, "'size' = -5");
        StringAssert.Contains(Bad($$"""{"id": "x", "items": {"train": -1}, {{src}} }""").Message, "'items.train' = -1");
        StringAssert.Contains(Bad($$"""{"id": "x", "folders": [{"path": "a", "count": -2}], {{src}} }""").Message, "folder 'a': 'count' = -2");
        StringAssert.Contains(Bad($$"""{"id": "x", "files": [{"path": "a.bin", "sha256": "123"}], {{src}} }""").Message, "'sha256' = '123'");
        StringAssert.Contains(Bad($$"""{"id": "x", "files": [{"path": "a.bin"}, {"path": "a.bin"}], {{src}} }""").Message, "listed twice");
        foreach (var e in new[] { Bad($$"""{"id": "x", "size": -5, {{src}} }""") }) StringAssert.Contains(e.Message, "m.json");
    }
}
