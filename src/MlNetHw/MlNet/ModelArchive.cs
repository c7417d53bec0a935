using MlNetHw.IO;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Reporting;

namespace MlNetHw.MlNet;

/// <summary>
/// One <c>.zip</c> file for a trained pipeline that mixes ML.NET-native transformers and MlNetHw's TorchSharp-backed
/// ones. The chain is stored as segments in order: each run of native transformers as an inner ML.NET model
/// (<c>mlContext.Model.Save</c>), each <see cref="TorchTransformer"/> as its weights (<see cref="TensorFile"/>),
/// extra files (e.g. ONNX) and a manifest entry (architecture, hyperparameters, vocabularies, columns).
/// <c>manifest.json</c> also records the format version and the input and output schemas.
/// <see cref="Load(MLContext, string)"/> rebuilds the chain, ready for <c>Transform</c> and <c>CreatePredictionEngine</c>.
/// </summary>
public static class ModelArchive
{
    /// <summary>Format version this library writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The <c>format</c> value that identifies an MlNetHw archive.</summary>
    public const string FormatName = "MlNetHw.ModelArchive";

    /// <summary>Name of the manifest entry.</summary>
    public const string ManifestEntry = "manifest.json";

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Saves <paramref name="model"/> (a transformer or a chain, nested chains flattened) whose input has
    /// <paramref name="inputSchema"/>. Everything is serialised in memory first and the file is replaced atomically,
    /// so a failure leaves an existing file at <paramref name="path"/> untouched.
    /// </summary>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var transformers = Flatten(model).ToList();
        var entries = new List<(string Name, byte[] Data)>();
        var segments = new JsonArray();
        var schema = inputSchema;
        int index = 0;
        for (int i = 0; i < transformers.Count;)
        {
            string prefix = $"segments/{index:D2}";
            if (transformers[i] is TorchTransformer torchTransformer)
            {
                var m = torchTransformer.Model;
                var state = m.GetState();
                var segment = new JsonObject
                {
                    ["kind"] = "torch",
                    ["architecture"] = state.Architecture,
                    ["modelType"] = m.GetType().FullName,
                    ["weights"] = $"{prefix}/weights.bin",
                    ["scoringBatchSize"] = m.ScoringBatchSize,
                    ["hyperparameters"] = state.Hyperparameters.DeepClone(),
                    ["vocabularies"] = JsonSerializer.SerializeToNode(state.Vocabularies),
                    ["files"] = new JsonObject(state.Files.Keys.Select(k => KeyValuePair.Create(k, (JsonNode?)JsonValue.Create($"{prefix}/files/{k}")))),
                    ["inputColumns"] = new JsonArray(m.InputColumns.Select(c => (JsonNode)DescribeColumn(c.Name, c.Type)).ToArray()),
                    ["outputColumns"] = new JsonArray(m.OutputColumns.Select(c => (JsonNode)DescribeColumn(c.Name, c.Type)).ToArray()),
                };
                using (var ms = new MemoryStream())
                {
                    state.Weights.Write(ms);
                    entries.Add(($"{prefix}/weights.bin", ms.ToArray()));
                }
                foreach (var (name, data) in state.Files) entries.Add(($"{prefix}/files/{name}", data));
                segments.Add(segment);
                schema = torchTransformer.GetOutputSchema(schema);
                i++;
            }
            else
            {
                int end = i;
                while (end < transformers.Count && transformers[end] is not TorchTransformer) end++;
                var chain = new TransformerChain<ITransformer>(transformers.Skip(i).Take(end - i).ToArray());
                using (var ms = new MemoryStream())
                {
                    try { mlContext.Model.Save(chain, schema, ms); }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        throw new InvalidOperationException(
                            $"ModelArchive: ML.NET could not save transformers {i}..{end - 1} ({string.Join(", ", transformers.Skip(i).Take(end - i).Select(t => t.GetType().Name))}): {e.Message}", e);
                    }
                    entries.Add(($"{prefix}/mlnet.zip", ms.ToArray()));
                }
                segments.Add(new JsonObject
                {
                    ["kind"] = "mlnet",
                    ["entry"] = $"{prefix}/mlnet.zip",
                    ["transformers"] = new JsonArray(transformers.Skip(i).Take(end - i).Select(t => (JsonNode)JsonValue.Create(t.GetType().Name)!).ToArray()),
                });
                schema = chain.GetOutputSchema(schema);
                i = end;
            }
            index++;
        }

        var manifest = new JsonObject
        {
            ["format"] = FormatName,
            ["formatVersion"] = FormatVersion,
            ["writer"] = $"MlNetHw {typeof(ModelArchive).Assembly.GetName().Version}",
            ["createdUtc"] = DateTime.UtcNow.ToString("O"),
            ["inputSchema"] = DescribeSchema(inputSchema),
            ["outputSchema"] = DescribeSchema(schema),
            ["segments"] = segments,
        };
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, Indented);

        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            Write(zip, ManifestEntry, manifestBytes);
            foreach (var (name, data) in entries) Write(zip, name, data);
        });
    }

    /// <summary>
    /// Loads an archive written by <see cref="Save"/> into a <see cref="TransformerChain{ITransformer}"/>.
    /// Fails with <see cref="InvalidDataException"/> naming the file and the problem (not a zip, truncated, not an
    /// MlNetHw archive, newer format, missing entry, unknown architecture, bad weights); nothing half-built is returned.
    /// </summary>
    public static ITransformer Load(MLContext mlContext, string path) => Load(mlContext, path, out _);

    /// <summary>
    /// As <see cref="Load(MLContext, string)"/>, and gives the input schema the archive was saved with (as
    /// <c>mlContext.Model.Load(path, out schema)</c> does), read from the same open file.
    /// </summary>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        using var zip = Open(path);
        var manifest = ReadManifest(zip, path);
        inputSchema = InputSchema(manifest, path);
        if (manifest["segments"] is JsonArray all && all.Any(s => (s?["kind"] as JsonValue)?.TryGetValue<string>(out var k) == true && k == "torch"))
            MlNetHw.Torch.TorchRuntime.EnsureLoaded(); // a clear message when libtorch cannot load, before any model is built
        var built = new List<ITransformer>();
        try
        {
            var segments = manifest["segments"] as JsonArray ?? throw Bad(path, "manifest has no 'segments' array");
            for (int i = 0; i < segments.Count; i++)
            {
                var seg = segments[i] as JsonObject ?? throw Bad(path, $"segment {i} is not an object");
                string kind = Str(seg, "kind", path, i);
                if (kind == "mlnet")
                {
                    string entry = Str(seg, "entry", path, i);
                    var bytes = ReadEntry(zip, entry, path, $"segment {i} (ML.NET)");
                    try { built.Add(mlContext.Model.Load(new MemoryStream(bytes), out _)); }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        throw Bad(path, $"segment {i}: ML.NET could not load '{entry}': {e.Message}", e);
                    }
                }
                else if (kind == "torch")
                {
                    string architecture = Str(seg, "architecture", path, i);
                    string who = $"segment {i} (architecture '{architecture}')";
                    var state = new TorchModelState(architecture)
                    {
                        Hyperparameters = (seg["hyperparameters"] as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject(),
                    };
                    if (seg["vocabularies"] is JsonObject vocabularies)
                        foreach (var (name, node) in vocabularies)
                            state.Vocabularies[name] = node?.Deserialize<string[]>() ?? throw Bad(path, $"{who}: vocabulary '{name}' is empty");
                    if (seg["files"] is JsonObject files)
                        foreach (var (name, node) in files)
                            state.Files[name] = ReadEntry(zip, node?.GetValue<string>() ?? "", path, $"{who} file '{name}'");
                    string weightsEntry = Str(seg, "weights", path, i);
                    var weights = ReadEntry(zip, weightsEntry, path, who);
                    state.Weights = TensorFile.Read(new MemoryStream(weights), $"'{path}' entry '{weightsEntry}'");
                    TorchModel model;
                    try { model = TorchModelRegistry.Load(state); }
                    catch (InvalidDataException e) { throw Bad(path, $"{who}: {e.Message}", e); }
                    var transformer = TorchTransformer.Create(model);
                    built.Add(transformer);
                    if (seg["scoringBatchSize"] is JsonValue b && b.TryGetValue<int>(out int batch) && batch > 0) model.ScoringBatchSize = batch;
                }
                else throw Bad(path, $"segment {i} has unknown kind '{kind}' (expected 'mlnet' or 'torch')");
            }
            return new TransformerChain<ITransformer>(built.ToArray());
        }
        catch
        {
            foreach (var t in built) (t as TorchTransformer)?.Model.Dispose();
            throw;
        }
    }

    /// <summary>True when <paramref name="path"/> is a zip with an MlNetHw archive manifest (false for plain ML.NET zips, missing files, non-zips).</summary>
    public static bool IsArchive(string path)
    {
        try
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            return zip.GetEntry(ManifestEntry) is not null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>The manifest of an archive (format, schemas, segments) without loading any model.</summary>
    public static JsonObject ReadManifest(string path)
    {
        using var zip = Open(path);
        return ReadManifest(zip, path);
    }

    /// <summary>
    /// The input schema recorded in the manifest, rebuilt as a <see cref="DataViewSchema"/> (for building input rows,
    /// e.g. with <see cref="JsonRows.Load"/>). Throws naming the column when a type cannot be rebuilt (e.g. images).
    /// </summary>
    public static DataViewSchema ReadInputSchema(string path) => InputSchema(ReadManifest(path), path);

    static DataViewSchema InputSchema(JsonObject manifest, string path)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var node in manifest["inputSchema"] as JsonArray ?? throw Bad(path, "manifest has no 'inputSchema'"))
        {
            string name = node?["name"]?.GetValue<string>() ?? throw Bad(path, "an inputSchema column has no name");
            string type = node["type"]?.GetValue<string>() ?? throw Bad(path, $"inputSchema column '{name}' has no type");
            try { builder.AddColumn(name, JsonRows.ParseType(type)); }
            catch (FormatException e) { throw new NotSupportedException($"model archive '{path}': input column '{name}': {e.Message}", e); }
        }
        return builder.ToSchema();
    }

    /// <summary>The transformers of a chain in order, nested chains flattened.</summary>
    public static IEnumerable<ITransformer> Flatten(ITransformer model)
    {
        if (model is IEnumerable<ITransformer> chain)
        {
            foreach (var t in chain)
                foreach (var inner in Flatten(t))
                    yield return inner;
        }
        else yield return model;
    }

    static ZipArchive Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model archive '{path}' does not exist", path);
        var stream = File.OpenRead(path);
        try { return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false); }
        catch (InvalidDataException e)
        {
            stream.Dispose();
            throw Bad(path, $"not a readable zip file (truncated or corrupt: {e.Message})", e);
        }
    }

    static JsonObject ReadManifest(ZipArchive zip, string path)
    {
        var entry = zip.GetEntry(ManifestEntry);
        if (entry is null)
        {
            var names = zip.Entries.Select(e => e.FullName).Take(8).ToList();
            bool looksLikeMlNet = zip.Entries.Any(e => e.FullName.EndsWith("Model.key", StringComparison.Ordinal) || e.FullName.StartsWith("TransformerChain/", StringComparison.Ordinal));
            throw Bad(path, $"no '{ManifestEntry}' entry, so it was not written by MlNetHw's ModelArchive" +
                            (looksLikeMlNet ? "; it looks like a plain ML.NET model: load it with mlContext.Model.Load" : $" (entries: {string.Join(", ", names)})"));
        }
        JsonObject manifest;
        try
        {
            using var s = entry.Open();
            manifest = JsonNode.Parse(s) as JsonObject ?? throw Bad(path, $"'{ManifestEntry}' is not a JSON object");
        }
        catch (JsonException e) { throw Bad(path, $"'{ManifestEntry}' is not valid JSON: {e.Message}", e); }
        catch (InvalidDataException e) when (!e.Message.StartsWith("model archive", StringComparison.Ordinal))
        {
            throw Bad(path, $"'{ManifestEntry}' cannot be read (truncated or corrupt: {e.Message})", e);
        }
        string? format = (manifest["format"] as JsonValue)?.TryGetValue<string>(out var f) == true ? f : null;
        if (format != FormatName) throw Bad(path, $"'{ManifestEntry}' has format '{format}', expected '{FormatName}'");
        int version = (manifest["formatVersion"] as JsonValue)?.TryGetValue<int>(out var v) == true ? v : -1;
        if (version > FormatVersion)
            throw Bad(path, $"format version {version} is newer than this MlNetHw reads (up to {FormatVersion}); update MlNetHw to load it");
        if (version < 1) throw Bad(path, $"'{ManifestEntry}' has no valid formatVersion");
        return manifest;
    }

    static byte[] ReadEntry(ZipArchive zip, string name, string path, string who)
    {
        var entry = zip.GetEntry(name) ?? throw Bad(path, $"entry '{name}' named by {who} is missing");
        try
        {
            using var s = entry.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException e) { throw Bad(path, $"entry '{name}' of {who} cannot be read (truncated or corrupt: {e.Message})", e); }
    }

    static string Str(JsonObject seg, string key, string path, int i) =>
        (seg[key] as JsonValue)?.TryGetValue<string>(out var s) == true && !string.IsNullOrEmpty(s) ? s
            : throw Bad(path, $"segment {i} has no '{key}'");

    static void Write(ZipArchive zip, string name, byte[] data)
    {
        var e = zip.CreateEntry(name, CompressionLevel.Fastest);
        using var s = e.Open();
        s.Write(data);
    }

    static JsonObject DescribeColumn(string name, DataViewType type) => new() { ["name"] = name, ["type"] = TorchColumn.Describe(type) };

    static JsonArray DescribeSchema(DataViewSchema schema) =>
        new(schema.Where(c => !c.IsHidden).Select(c => (JsonNode)DescribeColumn(c.Name, c.Type)).ToArray());

    static InvalidDataException Bad(string path, string message, Exception? inner = null) =>
        new($"model archive '{path}': {message}", inner);
}
