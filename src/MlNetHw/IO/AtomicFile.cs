namespace MlNetHw.IO;

/// <summary>Writing files so that readers never see half of one: a temporary name in the same folder, then a rename.</summary>
public static class AtomicFile
{
    /// <summary>Writes a file through a temporary name and a rename, creating its folder; a crash leaves the old file or none.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var stream = File.Create(tmp)) write(stream);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
