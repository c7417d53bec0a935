using System.Security.Cryptography;
using System.Text;
using MlNetHw.Datasets;

namespace MlNetHw.Tests.Datasets;

/// <summary>A test class whose every test gets a fresh, empty dataset cache folder (<see cref="Cache"/>), deleted afterwards.</summary>
public abstract class TempCacheTest
{
    /// <summary>The current test's cache folder.</summary>
    protected string Cache { get; private set; } = "";

    [TestInitialize]
    public void CreateCache() => Cache = DatasetTestSupport.TempFolder();

    [TestCleanup]
    public void DeleteCache() { try { Directory.Delete(Cache, true); } catch (IOException) { } }
}

/// <summary>Temporary folders, manifests and options for the catalog tests.</summary>
static class DatasetTestSupport
{
    public static string TempFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mlnethw-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Bytes that are not all alike, so a misplaced range would change the hash.</summary>
    public static byte[] Payload(int length, int seed)
    {
        var r = new Random(seed);
        var b = new byte[length];
        r.NextBytes(b);
        return b;
    }

    /// <summary>Options for tests: a private cache, a captured log, short timeouts, no package clients.</summary>
    public static DatasetFetchOptions Options(string cache, StringWriter log, int maxAttempts = 4) => new()
    {
        DataDir = cache, Log = log, ConnectTimeout = TimeSpan.FromSeconds(3), StallTimeout = TimeSpan.FromSeconds(10),
        MaxAttempts = maxAttempts, AllowedSourceTypes = ["url", "dataset"],
    };

    /// <summary>A one-file dataset 'probe' whose sources are plain URL downloads picked into <c>data.bin</c>.</summary>
    public static DatasetManifest OneFileManifest(string fileSha, params (string Url, string? Sha)[] sources)
    {
        var json = new StringBuilder();
        json.Append($$"""{"id": "probe", "description": "test", "licence": "test", "format": "bin", "files": [{"path": "data.bin", "sha256": "{{fileSha}}"}], "sources": [""");
        json.Append(string.Join(",", sources.Select(s =>
            "{\"type\": \"url\", \"downloads\": [{\"url\": \"" + s.Url + "\", \"name\": \"probe.bin\"" +
            (s.Sha is null ? "" : ", \"sha256\": \"" + s.Sha + "\"") +
            "}], \"convert\": \"pick\", \"pick\": {\"probe.bin\": \"data.bin\"}}")));
        json.Append("]}");
        return DatasetManifest.Parse(json.ToString(), "probe.json");
    }
}
