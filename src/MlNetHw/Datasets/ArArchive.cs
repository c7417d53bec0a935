using System.Text;

namespace MlNetHw.Datasets;

/// <summary>
/// Reader of Unix <c>ar</c> archives, the container of Debian packages (<c>.deb</c> = <c>debian-binary</c>,
/// <c>control.tar.*</c>, <c>data.tar.*</c>). Format: the magic <c>!&lt;arch&gt;\n</c>, then per member a 60-byte
/// header (name 16, mtime 12, uid 6, gid 6, mode 8, size 10, <c>`\n</c>) and the data, padded to an even length.
/// Kept hand-written: neither .NET nor SharpCompress (0.50.8 reads rar, zip, tar, 7z, gzip, arc, arj, ace and lzw; its
/// "Arc" is SEA's ARC, not Unix <c>ar</c>) reads <c>ar</c>; the one NuGet package seen that does, LibObjectFile, is an
/// ELF/DWARF/COFF object-file toolkit, a large dependency for this 50-line member list.
/// </summary>
public static class ArArchive
{
    /// <summary>One member: its name and its bytes' position in the archive.</summary>
    public readonly record struct Member(string Name, long Offset, long Size);

    /// <summary>The members of the ar archive (e.g. a .deb) at <paramref name="path"/>, in file order; a file that is not an ar archive throws <see cref="InvalidDataException"/>.</summary>
    public static IReadOnlyList<Member> List(string path)
    {
        using var stream = File.OpenRead(path);
        var magic = new byte[8];
        if (stream.ReadAtLeast(magic, 8, throwOnEndOfStream: false) != 8 || Encoding.ASCII.GetString(magic) != "!<arch>\n")
            throw new InvalidDataException($"{path}: not an ar archive (bad magic).");
        var members = new List<Member>();
        var header = new byte[60];
        while (true)
        {
            int n = stream.ReadAtLeast(header, 60, throwOnEndOfStream: false);
            if (n == 0) break;
            if (n != 60 || header[58] != (byte)'`' || header[59] != (byte)'\n')
                throw new InvalidDataException($"{path}: truncated or corrupt ar member header at byte {stream.Position - n}.");
            string name = Encoding.ASCII.GetString(header, 0, 16).TrimEnd(' ').TrimEnd('/');
            string sizeText = Encoding.ASCII.GetString(header, 48, 10).Trim();
            if (!long.TryParse(sizeText, out long size) || size < 0)
                throw new InvalidDataException($"{path}: member '{name}' has a bad size field '{sizeText}'.");
            members.Add(new Member(name, stream.Position, size));
            long next = stream.Position + size + (size & 1);
            if (next > stream.Length) throw new InvalidDataException($"{path}: member '{name}' runs past the end of the file.");
            stream.Position = next;
        }
        return members;
    }

    /// <summary>Copies one member's bytes to <paramref name="destination"/>.</summary>
    public static void Extract(string path, Member member, string destination)
    {
        using var input = File.OpenRead(path);
        input.Position = member.Offset;
        using var output = File.Create(destination);
        var buffer = new byte[1 << 16];
        long left = member.Size;
        while (left > 0)
        {
            int n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new EndOfStreamException($"{path}: member '{member.Name}' is truncated.");
            output.Write(buffer, 0, n);
            left -= n;
        }
    }
}
