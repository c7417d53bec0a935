using MlNetHw.Datasets;
using static MlNetHw.Tests.Datasets.DatasetTestSupport;

namespace MlNetHw.Tests.Datasets;

/// <summary>The catalog's downloads against a real HTTP server on 127.0.0.1 started by each test.</summary>
[TestClass]
[TestCategory("Datasets")]
public sealed class DownloadTests : TempCacheTest
{
    [TestMethod]
    public void DownloadsVerifiesAndCachesThenServesFromCache()
    {
        using var server = new LocalHttpServer();
        var body = Payload(300_000, 1);
        server.Files["/probe.bin"] = body;
        var catalog = new DatasetCatalog([OneFileManifest(Sha(body), (server.Url("/probe.bin"), Sha(body)))]);
        var log = new StringWriter();
        // Left by a fetch that was killed (a process id that does not run).
        string abandoned = Path.Combine(Cache, ".staging", "probe-2147483600-0123abcd");
        Directory.CreateDirectory(Path.Combine(abandoned, "output"));

        string folder = catalog.Resolve("probe", Options(Cache, log));

        Assert.AreEqual(Path.Combine(Cache, "probe"), folder);
        Assert.IsFalse(Directory.Exists(abandoned), "staging folders of dead processes are removed");
        CollectionAssert.AreEqual(body, File.ReadAllBytes(Path.Combine(folder, "data.bin")));
        Assert.IsTrue(File.Exists(Path.Combine(folder, DatasetCatalog.CompleteMarker)));
        StringAssert.Contains(log.ToString(), "B/s", "the progress line shows bytes and rate");
        Assert.AreEqual(0, catalog.Verify("probe", Options(Cache, log)).Count);
        int requests = server.Requests.Count;
        Assert.AreEqual(folder, catalog.Resolve("probe", Options(Cache, log)));
        Assert.AreEqual(requests, server.Requests.Count, "a cached dataset is not downloaded again");
    }

    [TestMethod]
    public void ChecksumMismatchRemovesTheFileAndSaysSo()
    {
        using var server = new LocalHttpServer();
        var body = Payload(50_000, 2);
        server.Files["/probe.bin"] = body;
        string wrong = new('0', 64);
        var catalog = new DatasetCatalog([OneFileManifest(wrong, (server.Url("/probe.bin"), wrong))]);

        var e = Assert.ThrowsExactly<DatasetUnavailableException>(() => catalog.Resolve("probe", Options(Cache, new StringWriter())));

        StringAssert.Contains(e.Message, "checksum mismatch");
        StringAssert.Contains(e.Message, "expected sha256 " + wrong);
        StringAssert.Contains(e.Message, Sha(body), "the message gives the hash actually received");
        StringAssert.Contains(e.Message, "removed");
        Assert.IsFalse(Directory.Exists(Path.Combine(Cache, "probe")), "no cache entry for a failed dataset");
        Assert.AreEqual(0, Directory.GetFiles(Path.Combine(Cache, ".downloads")).Length, "neither the file nor a .part is left");
        Assert.IsFalse(catalog.IsCached("probe", Options(Cache, new StringWriter())));
    }

    [TestMethod]
    public void DroppedConnectionIsResumedWithARangeRequest()
    {
        using var server = new LocalHttpServer();
        var body = Payload(400_000, 3);
        server.Files["/probe.bin"] = body;
        server.DropOnceAfter["/probe.bin"] = 150_000;
        var catalog = new DatasetCatalog([OneFileManifest(Sha(body), (server.Url("/probe.bin"), Sha(body)))]);
        var log = new StringWriter();

        string folder = catalog.Resolve("probe", Options(Cache, log));

        CollectionAssert.AreEqual(body, File.ReadAllBytes(Path.Combine(folder, "data.bin")));
        Assert.AreEqual(2, server.Requests.Count, string.Join("\n", server.Requests));
        Assert.AreEqual("GET /probe.bin", server.Requests[0]);
        StringAssert.StartsWith(server.Requests[1], "GET /probe.bin Range: bytes=");
        long resumedAt = long.Parse(server.Requests[1].Split('=')[1].TrimEnd('-'));
        Assert.IsTrue(resumedAt > 0 && resumedAt <= 150_000, $"resumed at {resumedAt}");
        StringAssert.Contains(log.ToString(), "resuming");
    }

    [TestMethod]
    public void DroppedConnectionRestartsCleanlyWhenTheServerIgnoresRanges()
    {
        using var server = new LocalHttpServer { IgnoreRange = true };
        var body = Payload(200_000, 4);
        server.Files["/probe.bin"] = body;
        server.DropOnceAfter["/probe.bin"] = 70_000;
        var catalog = new DatasetCatalog([OneFileManifest(Sha(body), (server.Url("/probe.bin"), Sha(body)))]);

        string folder = catalog.Resolve("probe", Options(Cache, new StringWriter()));

        CollectionAssert.AreEqual(body, File.ReadAllBytes(Path.Combine(folder, "data.bin")),
            "a 200 answer to a range request restarts the file instead of appending to it");
        Assert.AreEqual(2, server.Requests.Count);
    }

    [TestMethod]
    public void InterruptedFetchLeavesNoCacheEntryAndTheNextRunResumes()
    {
        using var server = new LocalHttpServer();
        var body = Payload(250_000, 5);
        server.Files["/probe.bin"] = body;
        server.DropOnceAfter["/probe.bin"] = 100_000;
        var catalog = new DatasetCatalog([OneFileManifest(Sha(body), (server.Url("/probe.bin"), Sha(body)))]);

        // One attempt only: the drop ends this run.
        var e = Assert.ThrowsExactly<DatasetUnavailableException>(() => catalog.Resolve("probe", Options(Cache, new StringWriter(), maxAttempts: 1)));
        StringAssert.Contains(e.Message, "kept for a later resume");
        Assert.IsFalse(Directory.Exists(Path.Combine(Cache, "probe")), "no half dataset in the cache");
        Assert.IsFalse(File.Exists(Path.Combine(Cache, ".downloads", "probe.bin")), "no file under its final name");
        long partial = new FileInfo(Path.Combine(Cache, ".downloads", "probe.bin.part")).Length;
        Assert.AreEqual(100_000, partial);

        string folder = catalog.Resolve("probe", Options(Cache, new StringWriter()));
        CollectionAssert.AreEqual(body, File.ReadAllBytes(Path.Combine(folder, "data.bin")));
        Assert.AreEqual("GET /probe.bin Range: bytes=100000-", server.Requests[^1]);
    }

    [TestMethod]
    public void NotFoundAndUnreachableSourcesFallThroughToTheNextOne()
    {
        using var server = new LocalHttpServer();
        var body = Payload(10_000, 6);
        server.Files["/mirror/probe.bin"] = body;
        // A port nothing listens on: connection refused.
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        int closedPort = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var catalog = new DatasetCatalog([OneFileManifest(Sha(body),
            (server.Url("/missing/probe.bin"), Sha(body)),
            ($"http://127.0.0.1:{closedPort}/probe.bin", Sha(body)),
            (server.Url("/mirror/probe.bin"), Sha(body)))]);
        var log = new StringWriter();

        string folder = catalog.Resolve("probe", Options(Cache, log));

        CollectionAssert.AreEqual(body, File.ReadAllBytes(Path.Combine(folder, "data.bin")));
        StringAssert.Contains(log.ToString(), "HTTP 404");
        CollectionAssert.AreEqual(new[] { "GET /missing/probe.bin", "GET /mirror/probe.bin" }, server.Requests);
    }

    [TestMethod]
    public void AllSourcesFailingListsEachReason()
    {
        using var server = new LocalHttpServer();
        var catalog = new DatasetCatalog([OneFileManifest(new string('1', 64), (server.Url("/a.bin"), null), (server.Url("/b.bin"), null))]);

        var e = Assert.ThrowsExactly<DatasetUnavailableException>(() => catalog.Resolve("probe", Options(Cache, new StringWriter())));

        StringAssert.Contains(e.Message, "/a.bin: HTTP 404");
        StringAssert.Contains(e.Message, "/b.bin: HTTP 404");
        StringAssert.Contains(e.Message, "--local PATH");
    }

    [TestMethod]
    public void ConvertedFileWithTheWrongHashIsNotCached()
    {
        using var server = new LocalHttpServer();
        var body = Payload(5_000, 7);
        server.Files["/probe.bin"] = body;
        // The download itself is not pinned, the final file is: the check after conversion must catch it.
        var catalog = new DatasetCatalog([OneFileManifest(new string('a', 64), (server.Url("/probe.bin"), null))]);

        var e = Assert.ThrowsExactly<DatasetUnavailableException>(() => catalog.Resolve("probe", Options(Cache, new StringWriter())));

        StringAssert.Contains(e.Message, "data.bin: sha256 " + Sha(body));
        Assert.IsFalse(Directory.Exists(Path.Combine(Cache, "probe")));
        Assert.AreEqual(0, Directory.GetDirectories(Path.Combine(Cache, ".staging")).Length, "staging folders are cleaned up");
    }
}
