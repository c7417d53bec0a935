using System.Security.Cryptography;

namespace MlNetHw.Datasets;

/// <summary>sha256 of files, as lower-case hex (the form <c>sha256sum</c> prints and manifests store).</summary>
public static class FileHashing
{
    /// <summary>sha256 of the file at <paramref name="path"/>, lower-case hex.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>True when <paramref name="expected"/> is null (nothing pinned) or equals the file's sha256.</summary>
    public static bool Matches(string path, string? expected, out string actual)
    {
        actual = expected is null ? "" : Sha256(path);
        return expected is null || string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);
    }
}
