using System.Security.Cryptography;
using MlNetHw.IO;

namespace MlNetHw.Backbones;

/// <summary>
/// The folder where graphs derived from packaged models are written once and reused: <c>$MLNETHW_MODELS</c>, else
/// <c>$XDG_CACHE_HOME/mlnethw/models</c>, else <c>~/.cache/mlnethw/models</c>. Each file has a <c>.sha256</c> stamp
/// beside it, checked on every use, so a truncated or edited file is written again.
/// </summary>
internal static class ModelCache
{
    static readonly object Gate = new();

    /// <summary>The cache root.</summary>
    public static string Root
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable("MLNETHW_MODELS");
            if (string.IsNullOrEmpty(root))
            {
                string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                if (string.IsNullOrEmpty(xdg)) xdg = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
                root = Path.Combine(xdg, "mlnethw", "models");
            }
            return root;
        }
    }

    /// <summary>The file <paramref name="fileName"/> in <paramref name="dir"/>, produced by <paramref name="produce"/> when missing or damaged.</summary>
    public static string File(string dir, string fileName, Func<byte[]> produce)
    {
        lock (Gate)
        {
            string path = Path.Combine(dir, fileName);
            string stamp = path + ".sha256";
            if (System.IO.File.Exists(path) && System.IO.File.Exists(stamp) && System.IO.File.ReadAllText(stamp).Trim() == Hash(path)) return path;
            Directory.CreateDirectory(dir);
            byte[] bytes = produce();
            AtomicFile.Write(path, s => s.Write(bytes));
            AtomicFile.Write(stamp, s => s.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToHexString(SHA256.HashData(bytes)))));
            return path;
        }
    }

    static string Hash(string path)
    {
        using var s = System.IO.File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s));
    }
}
