using MlNetHw.Cli;

namespace MlNetHw.Datasets;

/// <summary>
/// The <c>datasets</c> command: <c>list</c>, <c>fetch ID...</c>, <c>verify ID...</c>, <c>path ID</c>, <c>hash ID</c>, with
/// <c>--data-dir DIR</c> (cache root), <c>--local PATH</c> (a copy you already have), <c>--force</c> (fetch again).
/// Hosted by <c>pipelines/Datasets</c> and by the main homework job. Returns the process exit code.
/// </summary>
public static class DatasetsCommand
{
    public const string Usage =
        "usage: datasets list | fetch ID... | verify ID... | path ID | hash ID  [--data-dir DIR] [--local PATH] [--force]\n" +
        "  list    the registered datasets, their licence, size and whether they are cached\n" +
        "  fetch   download/unpack/convert into the cache (sources tried in order; 'all' = every dataset)\n" +
        "  verify  check the cached files against the manifest's sha256 and counts\n" +
        "  path    print the local folder of a dataset (fetching it first if needed)\n" +
        "  hash    print the manifest with the sha256 of every cached file (for maintainers)\n" +
        "cache: --data-dir, else $MLNETHW_DATA, else $XDG_CACHE_HOME/mlnethw, else ~/.cache/mlnethw";

    public static int Run(string[] args, DatasetCatalog? catalog = null, TextWriter? output = null)
    {
        var o = output ?? Console.Out;
        catalog ??= DatasetCatalog.Default;
        try
        {
            var a = new CommandLineArgs(args);
            var options = new DatasetFetchOptions
            {
                DataDir = a.String("--data-dir"), LocalPath = a.String("--local"), Force = a.Flag("--force"), Log = output,
            };
            a.ThrowOnUnknown();
            if (a.HelpRequested || a.Positional.Count == 0) { o.WriteLine(Usage); return a.HelpRequested ? 0 : 2; }
            string verb = a.Positional[0];
            var ids = a.Positional.Skip(1).ToList();
            if (ids.Count == 1 && ids[0] == "all") ids = catalog.Manifests.Select(m => m.Id).ToList();
            if (verb != "list" && ids.Count == 0) { o.WriteLine($"datasets {verb}: give a dataset id.\n{Usage}"); return 2; }
            switch (verb)
            {
                case "list": return List(catalog, options, o);
                case "fetch":
                {
                    int failed = 0;
                    foreach (var id in ids)
                    {
                        try
                        {
                            string folder = catalog.Resolve(id, options);
                            o.WriteLine($"{id}: {folder}  {Summary(folder)}");
                        }
                        catch (DatasetUnavailableException e) { o.WriteLine(e.Message); failed++; }
                    }
                    return failed == 0 ? 0 : 1;
                }
                case "verify":
                {
                    int failed = 0;
                    foreach (var id in ids)
                    {
                        var problems = catalog.Verify(id, options);
                        var m = catalog.Get(id);
                        int pinned = m.Files.Count(f => f.Sha256 is not null);
                        if (problems.Count == 0) o.WriteLine($"{id}: OK ({pinned} sha256 checked, {m.Files.Count} files, {m.Folders.Count} folders)  {Summary(catalog.CachePath(id, options))}");
                        else { failed++; o.WriteLine($"{id}: FAILED\n  " + string.Join("\n  ", problems.Take(20))); }
                    }
                    return failed == 0 ? 0 : 1;
                }
                case "path":
                    o.WriteLine(catalog.Resolve(ids[0], options));
                    return 0;
                case "hash":
                {
                    // The fetch log goes to stderr so that stdout is the manifest alone.
                    string folder = catalog.Resolve(ids[0], options with { Log = output ?? Console.Error });
                    o.WriteLine(catalog.WithHashesOf(ids[0], folder).ToJson());
                    return 0;
                }
                default:
                    o.WriteLine($"unknown sub-command '{verb}'.\n{Usage}");
                    return 2;
            }
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or DatasetUnavailableException or InvalidDataException or FileNotFoundException)
        {
            o.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    static int List(DatasetCatalog catalog, DatasetFetchOptions options, TextWriter o)
    {
        o.WriteLine($"cache: {options.ResolveCacheRoot()}");
        foreach (var m in catalog.Manifests)
        {
            string size = m.Size is long s ? ConsoleProgress.FormatBytes(s) : "?";
            string items = string.Join(", ", m.Items.Select(kv => $"{kv.Key} {kv.Value}"));
            string sources = string.Join(" > ", m.Sources.Select(x => x.Type));
            o.WriteLine($"{m.Id,-22} {(catalog.IsCached(m.Id, options) ? "cached " : "       ")} {size,9}  {m.Format,-18} {items}");
            o.WriteLine($"{"",-22}         sources: {sources}; licence: {m.Licence}");
        }
        return 0;
    }

    /// <summary>"N files, X MB" of a folder.</summary>
    public static string Summary(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList();
        return $"{files.Count} files, {ConsoleProgress.FormatBytes(files.Sum(f => new FileInfo(f).Length))}";
    }
}
