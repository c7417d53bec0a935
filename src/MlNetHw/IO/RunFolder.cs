using System.Globalization;

namespace MlNetHw.IO;

/// <summary>
/// Run-level atomicity of an output folder: the folder at <see cref="FinalPath"/> only ever holds the files of one run.
/// <list type="bullet">
/// <item><see cref="Begin"/> takes an exclusive lock (<c>&lt;out&gt;.lock</c>; a second run on the same folder is
/// refused, naming the other run's process id), moves an earlier complete run aside to <c>&lt;out&gt;.previous-&lt;pid&gt;</c>
/// (one rename), and starts a fresh folder holding the marker <see cref="IncompleteMarker"/>.</item>
/// <item><see cref="Commit"/> removes the marker and deletes the earlier run.</item>
/// <item>Disposing without a commit (the run failed or was cancelled) deletes the new files and renames the earlier run
/// back, so a failed run changes nothing on disk.</item>
/// <item>A killed run leaves a folder with the marker (files of that run only, no mixture) and the earlier run beside
/// it; the next <see cref="Begin"/> deletes the partial folder and restores the earlier run before it starts.</item>
/// </list>
/// </summary>
public sealed class RunFolder : IDisposable
{
    /// <summary>Name of the marker file of a run that has not finished.</summary>
    public const string IncompleteMarker = ".run-incomplete";

    readonly FileStream _lock;
    readonly string _lockPath;
    string? _previous, _interrupted;
    bool _done, _created;

    RunFolder(string finalPath, FileStream lockStream, string lockPath)
    {
        FinalPath = finalPath;
        _lock = lockStream;
        _lockPath = lockPath;
    }

    /// <summary>The run's folder (full path); write every output file here.</summary>
    public string FinalPath { get; }

    /// <summary>Where the earlier run was moved for the duration of this run (null: there was none).</summary>
    public string? PreviousPath => _previous;

    /// <summary>True when <paramref name="folder"/> holds a run that was interrupted (or is still running).</summary>
    public static bool IsIncomplete(string folder) => File.Exists(Path.Combine(folder, IncompleteMarker));

    /// <summary>
    /// Starts a run in <paramref name="folder"/>. Top-level files and folders of the earlier run whose name
    /// <paramref name="carryOver"/> accepts are copied into the new folder (the main job's parts, a checkpoint to resume);
    /// when an interrupted run is found, its entries are carried over first (resuming it), then the complete run's.
    /// Throws <see cref="RunFolderBusyException"/> naming the folder when another run holds it.
    /// </summary>
    public static RunFolder Begin(string folder, Func<string, bool>? carryOver = null)
    {
        string full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(full)) throw new IOException($"output folder '{full}' is a file");
        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string lockPath = full + ".lock";
        FileStream lockStream;
        try
        {
            lockStream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            // The lock file itself cannot be read while held; the running run's marker names its process.
            string other = "";
            try
            {
                var m = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(full, IncompleteMarker)), @"pid \d+");
                if (m.Success) other = m.Value;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            throw new RunFolderBusyException($"output folder '{full}' is being written by another run{(other.Length > 0 ? $" ({other})" : "")}; wait for it to finish or choose another folder", e);
        }
        var run = new RunFolder(full, lockStream, lockPath);
        try
        {
            lockStream.SetLength(0);
            var w = new StreamWriter(lockStream);
            w.Write(string.Create(CultureInfo.InvariantCulture, $"pid {Environment.ProcessId}, started {DateTime.UtcNow:u}"));
            w.Flush();
            run.RecoverInterrupted();
            if (Directory.Exists(full))
            {
                run._previous = full + ".previous-" + Environment.ProcessId;
                if (Directory.Exists(run._previous)) Directory.Delete(run._previous, recursive: true);
                Directory.Move(full, run._previous);
            }
            Directory.CreateDirectory(full);
            run._created = true;
            File.WriteAllText(Path.Combine(full, IncompleteMarker),
                $"This folder holds a run that has not finished (pid {Environment.ProcessId}); the earlier complete run is in '{run._previous ?? "(none)"}'.\n");
            if (carryOver is not null)
                foreach (var source in new[] { run._interrupted, run._previous })
                {
                    if (source is null || !Directory.Exists(source)) continue;
                    foreach (var entry in Directory.EnumerateFileSystemEntries(source))
                    {
                        string name = Path.GetFileName(entry);
                        string to = Path.Combine(full, name);
                        if (name == IncompleteMarker || !carryOver(name) || File.Exists(to) || Directory.Exists(to)) continue;
                        Copy(entry, to);
                    }
                }
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>The run finished: its folder becomes the complete one and the earlier run is deleted.</summary>
    public void Commit()
    {
        if (_done) throw new InvalidOperationException("the run folder was already committed or abandoned");
        File.Delete(Path.Combine(FinalPath, IncompleteMarker));
        _done = true;
        if (_previous is { } prev && Directory.Exists(prev)) TryDelete(prev);
        if (_interrupted is { } interrupted && Directory.Exists(interrupted)) TryDelete(interrupted);
        Release();
    }

    /// <summary>Without <see cref="Commit"/>: the new files are deleted and the earlier run (or the interrupted one) is put back.</summary>
    public void Dispose()
    {
        if (!_done)
        {
            _done = true;
            try
            {
                if (!_created) { Release(); return; }
                if (Directory.Exists(FinalPath)) Directory.Delete(FinalPath, recursive: true);
                if (_interrupted is { } interrupted && Directory.Exists(interrupted)) Directory.Move(interrupted, FinalPath); // the earlier run stays beside it
                else if (_previous is { } prev && Directory.Exists(prev)) Directory.Move(prev, FinalPath);
            }
            catch (IOException) { /* left for the next Begin to recover */ }
            catch (UnauthorizedAccessException) { }
        }
        Release();
    }

    void Release()
    {
        try { File.Delete(_lockPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _lock.Dispose();
    }

    /// <summary>
    /// An earlier run of this folder was killed: its partial folder is set aside (to be resumed from, then deleted) and
    /// the complete run it had moved aside is put back.
    /// </summary>
    void RecoverInterrupted()
    {
        string full = FinalPath, parent = Path.GetDirectoryName(full)!, name = Path.GetFileName(full);
        var backups = Directory.GetDirectories(parent, name + ".previous-*").OrderBy(Directory.GetLastWriteTimeUtc).ToList();
        foreach (var old in Directory.GetDirectories(parent, name + ".interrupted-*")) TryDelete(old);
        if (Directory.Exists(full) && IsIncomplete(full))
        {
            _interrupted = full + ".interrupted-" + Environment.ProcessId;
            Directory.Move(full, _interrupted);
        }
        if (!Directory.Exists(full) && backups.Count > 0)
        {
            Directory.Move(backups[^1], full);
            backups.RemoveAt(backups.Count - 1);
        }
        foreach (var b in backups) TryDelete(b);
    }

    static void Copy(string from, string to)
    {
        if (File.Exists(from))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to, overwrite: true);
        }
        else if (Directory.Exists(from))
        {
            Directory.CreateDirectory(to);
            foreach (var f in Directory.EnumerateFiles(from)) Copy(f, Path.Combine(to, Path.GetFileName(f)));
            foreach (var d in Directory.EnumerateDirectories(from)) Copy(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }

    static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Another run holds the output folder (a usage error: choose another folder or wait).</summary>
public sealed class RunFolderBusyException(string message, Exception inner) : ArgumentException(message, inner);
