using MlNetHw.IO;
using System.CommandLine;
using MlNetHw.Datasets;
using MlNetHw.Reporting;

namespace MlNetHw.Cli;

/// <summary>
/// The <c>datasets</c> command: <c>list</c>, <c>fetch ID...</c>, <c>verify ID...</c>, <c>path ID</c>, <c>hash ID</c>, with
/// <c>--data-dir DIR</c> (cache root), <c>--local PATH</c> (a copy you already have), <c>--force</c> (fetch again).
/// Hosted by <c>pipelines/Datasets</c>. Results on stdout, fetch logs and errors on stderr.
/// </summary>
public static class DatasetsCommand
{
    /// <summary>Runs the command; returns the process exit code (0 ok, 1 a fetch or verify failed, 2 usage error).</summary>
    public static int Run(string[] args, DatasetCatalog? catalog = null, TextWriter? output = null, TextWriter? error = null) =>
        CliApp.Run(Create(catalog ?? DatasetCatalog.Default, output ?? Console.Out, error), args, output, error);

    /// <summary>The command tree of <c>datasets</c> over <paramref name="catalog"/>.</summary>
    /// <param name="catalog">The catalog whose datasets the sub-commands list and fetch.</param>
    /// <param name="o">Where results (lists, paths, hashes) are written.</param>
    /// <param name="error">Where fetch logs go (null: <see cref="ConsoleProgress.Log"/>).</param>
    public static RootCommand Create(DatasetCatalog catalog, TextWriter o, TextWriter? error = null)
    {
        var dataDir = CliOptions.String("--data-dir", null, "Cache root (default: $MLNETHW_DATA, else $XDG_CACHE_HOME/mlnethw, else ~/.cache/mlnethw)", "DIR");
        var local = CliOptions.String("--local", null, "A copy you already have (file or folder), used instead of downloading", "PATH");
        var force = CliOptions.Flag("--force", "Fetch again even when the cache holds a complete copy");
        foreach (var x in new Option[] { dataDir, local, force }) x.Recursive = true;
        var root = new RootCommand("The dataset catalog: list, fetch, verify, path, hash (see docs/datasets.md).");
        root.Options.Add(dataDir);
        root.Options.Add(local);
        root.Options.Add(force);

        DatasetFetchOptions Options(ParseResult r, bool writes = false)
        {
            // The commands that may fetch check the cache root first, as the experiments check --out.
            if (writes) OutputFolderCheck.Check(dataDir.Name, r.GetValue(dataDir));
            return Read(r);
        }
        DatasetFetchOptions Read(ParseResult r) => new()
        {
            DataDir = r.GetValue(dataDir), LocalPath = r.GetValue(local), Force = r.GetValue(force), Log = error ?? ConsoleProgress.Log,
        };
        List<string> Ids(IEnumerable<string> ids)
        {
            var list = ids.ToList();
            if (list is ["all"]) return catalog.Manifests.Select(m => m.Id).ToList();
            var known = catalog.Manifests.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
            var unknown = list.Where(id => !known.Contains(id)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"unknown dataset '{string.Join("', '", unknown)}'; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
            return list;
        }
        Argument<string[]> Many() => new("id") { Description = "Dataset ids ('all' = every dataset)", Arity = ArgumentArity.OneOrMore };
        Argument<string> One() => new("id") { Description = "Dataset id" };

        var list = new Command("list", "The registered datasets, their licence, size and whether they are cached");
        list.SetAction(r => List(catalog, Options(r), o));

        var fetch = new Command("fetch", "Download/unpack/convert into the cache (sources tried in order)");
        var fetchIds = Many();
        fetch.Arguments.Add(fetchIds);
        fetch.SetAction(r =>
        {
            var options = Options(r, writes: true);
            int failed = 0;
            foreach (var id in Ids(r.GetValue(fetchIds)!))
            {
                try
                {
                    string folder = catalog.Resolve(id, options);
                    o.WriteLine($"{id}: {folder}  {Summary(folder)}");
                }
                catch (DatasetUnavailableException e) { options.Log!.WriteLine("error: " + e.Message); failed++; }
            }
            return failed == 0 ? CliApp.Success : CliApp.Failure;
        });

        var verify = new Command("verify", "Check the cached files against the manifest's sha256 and counts");
        var verifyIds = Many();
        verify.Arguments.Add(verifyIds);
        verify.SetAction(r =>
        {
            var options = Options(r);
            int failed = 0;
            foreach (var id in Ids(r.GetValue(verifyIds)!))
            {
                var problems = catalog.Verify(id, options);
                var m = catalog.Get(id);
                int pinned = m.Files.Count(f => f.Sha256 is not null);
                if (problems.Count == 0) o.WriteLine($"{id}: OK ({pinned} sha256 checked, {m.Files.Count} files, {m.Folders.Count} folders)  {Summary(catalog.CachePath(id, options))}");
                else { failed++; o.WriteLine($"{id}: FAILED\n  " + string.Join("\n  ", problems.Take(20))); }
            }
            return failed == 0 ? CliApp.Success : CliApp.Failure;
        });

        var path = new Command("path", "Print the local folder of a dataset (fetching it first if needed)");
        var pathId = One();
        path.Arguments.Add(pathId);
        path.SetAction(r =>
        {
            o.WriteLine(catalog.Resolve(Ids([r.GetValue(pathId)!])[0], Options(r)));
            return CliApp.Success;
        });

        var hash = new Command("hash", "Print the manifest with the sha256 of every cached file (for maintainers)");
        var hashId = One();
        hash.Arguments.Add(hashId);
        hash.SetAction(r =>
        {
            // The fetch log goes to stderr so that stdout is the manifest alone.
            string id = Ids([r.GetValue(hashId)!])[0];
            string folder = catalog.Resolve(id, Options(r));
            o.WriteLine(catalog.WithHashesOf(id, folder).ToJson());
            return CliApp.Success;
        });

        foreach (var c in new[] { list, fetch, verify, path, hash }) root.Subcommands.Add(c);
        return root;
    }

    static int List(DatasetCatalog catalog, DatasetFetchOptions options, TextWriter o)
    {
        o.WriteLine($"cache: {options.ResolveCacheRoot()}");
        foreach (var m in catalog.Manifests)
        {
            string size = m.Size is long s ? TextProgressBar.FormatBytes(s) : "?";
            string items = string.Join(", ", m.Items.Select(kv => $"{kv.Key} {kv.Value}"));
            string sources = string.Join(" > ", m.Sources.Select(x => x.Type));
            o.WriteLine($"{m.Id,-22} {(catalog.IsCached(m.Id, options) ? "cached " : "       ")} {size,9}  {m.Format,-18} {items}");
            o.WriteLine($"{"",-22}         sources: {sources}; licence: {m.Licence}");
        }
        return CliApp.Success;
    }

    /// <summary>"N files, X MB" of a folder.</summary>
    public static string Summary(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList();
        return $"{files.Count} files, {TextProgressBar.FormatBytes(files.Sum(f => new FileInfo(f).Length))}";
    }
}
