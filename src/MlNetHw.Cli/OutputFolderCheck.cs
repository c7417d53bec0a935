namespace MlNetHw.Cli;

/// <summary>
/// The check every program makes on its output folder before any work starts: not an existing file, no file on the
/// way, and writable (a probe file in the folder, or in its nearest existing ancestor when it does not exist yet; the
/// parent too, where the run moves the earlier run aside). A failure is a usage error naming the option and the path.
/// </summary>
public static class OutputFolderCheck
{
    /// <summary>Throws <see cref="CliUsageException"/> when <paramref name="path"/> cannot be an output folder; creates nothing.</summary>
    public static void Check(string option, string? path)
    {
        if (path is null) return;
        if (string.IsNullOrWhiteSpace(path)) throw new CliUsageException($"{option} must not be empty.");
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CliUsageException($"{option} '{path}' is not a valid path ({e.Message})");
        }
        if (File.Exists(full)) throw new CliUsageException($"{option} '{path}' is an existing file, not a folder; choose a folder.");
        string? existing = full;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new CliUsageException($"{option} '{path}': '{existing}' is a file, so the folder cannot be created.");
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is null) throw new CliUsageException($"{option} '{path}': no existing folder on the way.");
        Probe(option, path, existing);
        // The run moves an earlier run aside beside the folder: its parent must be writable too.
        if (existing == full && Path.GetDirectoryName(full) is { } parent) Probe(option, path, parent);
    }

    static void Probe(string option, string path, string folder)
    {
        string probe = Path.Combine(folder, $".mlnethw-write-probe-{Environment.ProcessId}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e is UnauthorizedAccessException ? "permission denied" : e.Message.TrimEnd('.');
            throw new CliUsageException($"{option} '{path}': folder '{folder}' is not writable ({reason}).");
        }
        finally
        {
            try { if (File.Exists(probe)) File.Delete(probe); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
