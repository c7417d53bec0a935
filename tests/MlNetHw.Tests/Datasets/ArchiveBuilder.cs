using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace MlNetHw.Tests.Datasets;

/// <summary>Writes the archives the tests feed to the catalog: tar.gz (npm packages) and .deb (ar + data.tar.*).</summary>
static class ArchiveBuilder
{
    /// <summary>A tar stream of <paramref name="files"/> (path → bytes).</summary>
    public static byte[] Tar(IReadOnlyDictionary<string, byte[]> files)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach (var (path, bytes) in files)
                writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(bytes) });
        }
        return ms.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>xz-compresses with the xz command (what Debian 12 packages use), or returns null when it is missing.
    /// SharpCompress, which the library decodes xz with, has an xz decoder but no encoder.</summary>
    public static byte[]? Xz(byte[] data)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("xz", "-zc") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false })!;
            var output = new MemoryStream();
            var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
            p.StandardInput.BaseStream.Write(data);
            p.StandardInput.Close();
            copy.Wait();
            p.WaitForExit();
            return p.ExitCode == 0 ? output.ToArray() : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    /// <summary>zstd-compresses in-process with SharpCompress (what newer Debian and Ubuntu packages use).</summary>
    public static byte[] Zstd(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var zst = new SharpCompress.Compressors.ZStandard.CompressionStream(ms, leaveOpen: true)) zst.Write(data);
        return ms.ToArray();
    }

    /// <summary>An ar archive (the .deb container).</summary>
    public static byte[] Ar(params (string Name, byte[] Data)[] members)
    {
        using var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes("!<arch>\n"));
        foreach (var (name, data) in members)
        {
            string header = $"{name,-16}{"0",-12}{"0",-6}{"0",-6}{"100644",-8}{data.Length,-10}`\n";
            ms.Write(Encoding.ASCII.GetBytes(header));
            ms.Write(data);
            if (data.Length % 2 == 1) ms.WriteByte((byte)'\n');
        }
        return ms.ToArray();
    }

    /// <summary>A Debian package holding <paramref name="files"/> under <c>./</c>, its data member compressed as asked.</summary>
    public static byte[] Deb(IReadOnlyDictionary<string, byte[]> files, string compression)
    {
        byte[] tar = Tar(files.ToDictionary(kv => "./" + kv.Key, kv => kv.Value));
        byte[] data = compression switch
        {
            "xz" => Xz(tar) ?? throw new InvalidOperationException("xz missing"),
            "zst" => Zstd(tar),
            _ => Gzip(tar),
        };
        byte[] control = Gzip(Tar(new Dictionary<string, byte[]> { ["./control"] = Encoding.ASCII.GetBytes("Package: test\n") }));
        return Ar(("debian-binary", Encoding.ASCII.GetBytes("2.0\n")), ("control.tar.gz", control), ($"data.tar.{compression}", data));
    }
}
