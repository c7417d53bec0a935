using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.Text;

/// <summary>
/// A whole fitted text classifier, raw sentence in, <c>Score</c>/<c>Probability</c>/<c>PredictedLabel</c> out:
/// ML.NET's tokenisation (and, for the bag-of-words model, ML.NET's featurizer and logistic regression), then for
/// the TorchSharp models the vocabulary and the network. <see cref="Save(string)"/> writes one self-contained
/// <c>.zip</c> (the ML.NET part as ML.NET's own model file inside it, the vocabulary, the network weights with the
/// word vectors), <see cref="Load(MLContext, string)"/> reads it back in any process.
/// </summary>
public sealed class TextClassificationModel : ITransformer
{
    const int FormatVersion = 1;
    const string ManifestEntry = "manifest.json", MlNetEntry = "mlnet-model.zip", VocabularyEntry = "vocabulary.bin", NetworkEntry = "network.bin";

    readonly MLContext _mlContext;

    /// <summary>Which of the five models this is.</summary>
    public TextModelKind Kind { get; }
    /// <summary>The ML.NET part: tokenisation (bag of words: tokenisation, featurizer and trainer).</summary>
    public ITransformer MlNetPart { get; }
    /// <summary>Word → id map (null for bag of words, whose vocabulary lives in ML.NET's key mapping).</summary>
    public VocabularyTransformer? Vocabulary { get; }
    /// <summary>The TorchSharp network (null for bag of words).</summary>
    public TextClassifierTransformer? Classifier { get; }
    /// <summary>Name of the raw text column the model reads.</summary>
    public string TextColumnName { get; }

    public TextClassificationModel(MLContext mlContext, TextModelKind kind, ITransformer mlNetPart,
        VocabularyTransformer? vocabulary, TextClassifierTransformer? classifier, string textColumnName = TextColumns.Text)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Kind = kind;
        MlNetPart = mlNetPart ?? throw new ArgumentNullException(nameof(mlNetPart));
        if ((vocabulary is null) != (classifier is null))
            throw new ArgumentException("a TorchSharp text model has both a vocabulary and a classifier (or, for bag of words, neither).");
        Vocabulary = vocabulary;
        Classifier = classifier;
        TextColumnName = textColumnName;
    }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    void CheckInput(DataViewSchema schema)
    {
        var col = schema.GetColumnOrNull(TextColumnName)
            ?? throw new ArgumentException($"the data has no '{TextColumnName}' column (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}); the model reads raw sentences from it.");
        if (col.Type is not TextDataViewType)
            throw new ArgumentException($"column '{TextColumnName}' has type {col.Type}; the model reads text.");
    }

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        var s = MlNetPart.GetOutputSchema(inputSchema);
        if (Vocabulary is not null) s = Classifier!.GetOutputSchema(Vocabulary.GetOutputSchema(s));
        return s;
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        CheckInput(input.Schema);
        var data = MlNetPart.Transform(input);
        return Vocabulary is null ? data : Classifier!.Transform(Vocabulary.Transform(data));
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => AsChain().GetRowToRowMapper(inputSchema);

    /// <summary>The parts as an ML.NET transformer chain (for prediction engines and tools that expect one).</summary>
    public ITransformer AsChain()
    {
        var chain = new TransformerChain<ITransformer>(MlNetPart);
        if (Vocabulary is not null) chain = chain.Append<ITransformer>(Vocabulary).Append<ITransformer>(Classifier!);
        return chain;
    }

    /// <summary>Probability and label for raw sentences, in order (convenience over <see cref="Transform"/>).</summary>
    public IReadOnlyList<(bool Label, float Probability)> Predict(IEnumerable<string> sentences)
    {
        var data = _mlContext.Data.LoadFromEnumerable(sentences.Select(s => new SentenceInput { Text = s ?? "" }),
            SchemaFor(TextColumnName));
        return _mlContext.Data.CreateEnumerable<PredictionOutput>(Transform(data), reuseRowObject: false)
            .Select(p => (p.PredictedLabel, p.Probability)).ToList();
    }

    /// <summary>
    /// For each sentence, true when none of its words is known to the model (or it has no words): the model can then
    /// only answer with its prior (the bias), which callers should say rather than present as a judgement.
    /// </summary>
    public IReadOnlyList<bool> UnknownOnly(IEnumerable<string> sentences)
    {
        var data = _mlContext.Data.LoadFromEnumerable(sentences.Select(s => new SentenceInput { Text = s ?? "" }), SchemaFor(TextColumnName));
        if (Vocabulary is null)
            return MlNetPart.Transform(data).GetColumn<VBuffer<float>>("Features").Select(v => v.GetValues().ToArray().All(x => x == 0)).ToList();
        var ids = Vocabulary.Transform(MlNetPart.Transform(data)).GetColumn<VBuffer<int>>(Vocabulary.OutputColumnName);
        return ids.Select(v => v.DenseValues().All(id => id == TextVocabulary.UnknownId)).ToList();
    }

    /// <summary>Writes the model as one self-contained <c>.zip</c> (atomically: a failed save leaves any older file intact).</summary>
    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp";
        using (var file = File.Create(temp)) Save(file);
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>Writes the model to a stream as a zip archive.</summary>
    public void Save(Stream stream)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        var manifest = new Manifest(FormatVersion, Kind.ToString(), TextColumnName, Vocabulary?.Vocabulary.Count ?? 0,
            Vocabulary?.MaxLength ?? 0, Vocabulary?.InputColumnName, Vocabulary?.OutputColumnName, Classifier?.SelectedEpoch ?? 0);
        using (var s = zip.CreateEntry(ManifestEntry).Open()) JsonSerializer.Serialize(s, manifest, new JsonSerializerOptions { WriteIndented = true });
        using (var s = zip.CreateEntry(MlNetEntry).Open())
        {
            // ML.NET's saver wants a seekable stream; it is small (a few MB at most), so buffer it.
            using var ms = new MemoryStream();
            _mlContext.Model.Save(MlNetPart, InputSchema, ms);
            ms.Position = 0;
            ms.CopyTo(s);
        }
        if (Vocabulary is null) return;
        using (var s = zip.CreateEntry(VocabularyEntry).Open())
        using (var w = new BinaryWriter(s)) Vocabulary.Vocabulary.Write(w);
        using (var s = zip.CreateEntry(NetworkEntry).Open()) Classifier!.SaveNetwork(s);
    }

    /// <summary>Reads a model written by <see cref="Save(string)"/>; a file that is not one fails with a message naming it.</summary>
    public static TextClassificationModel Load(MLContext mlContext, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file '{path}' does not exist.", path);
        try
        {
            using var file = File.OpenRead(path);
            return Load(mlContext, file);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException or FormatException)
        {
            throw new InvalidDataException($"'{path}' is not an MlNetHw text classification model: {e.Message}", e);
        }
    }

    /// <summary>Reads a model from a stream.</summary>
    public static TextClassificationModel Load(MLContext mlContext, Stream stream)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        var manifestEntry = zip.GetEntry(ManifestEntry) ?? throw new InvalidDataException($"no {ManifestEntry} inside the archive.");
        Manifest manifest;
        using (var s = manifestEntry.Open())
            manifest = JsonSerializer.Deserialize<Manifest>(s) ?? throw new InvalidDataException("empty manifest.");
        if (manifest.FormatVersion != FormatVersion)
            throw new InvalidDataException($"model format version {manifest.FormatVersion} is not supported (this build reads version {FormatVersion}).");
        if (!Enum.TryParse<TextModelKind>(manifest.Kind, out var kind))
            throw new InvalidDataException($"unknown model kind '{manifest.Kind}'.");
        ITransformer mlnet;
        using (var s = Entry(zip, MlNetEntry))
        {
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            ms.Position = 0;
            mlnet = mlContext.Model.Load(ms, out _);
        }
        if (kind == TextModelKind.BagOfWords)
            return new TextClassificationModel(mlContext, kind, mlnet, null, null, manifest.TextColumnName);
        TextVocabulary vocabulary;
        using (var s = Entry(zip, VocabularyEntry))
        using (var r = new BinaryReader(s)) vocabulary = TextVocabulary.Read(r);
        if (vocabulary.Count != manifest.VocabularySize)
            throw new InvalidDataException($"vocabulary has {vocabulary.Count} words, the manifest says {manifest.VocabularySize}.");
        var vocab = new VocabularyTransformer(mlContext, vocabulary, manifest.TokensColumnName ?? TextColumns.Tokens,
            manifest.TokenIdsColumnName ?? TextColumns.TokenIds, manifest.MaxLength);
        TextClassifierTransformer classifier;
        using (var s = Entry(zip, NetworkEntry))
        {
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            ms.Position = 0;
            classifier = TextClassifierTransformer.LoadNetwork(mlContext, ms);
        }
        if (classifier.Network.Shape.VocabularySize != vocabulary.Count)
            throw new InvalidDataException($"the network's word-vector table has {classifier.Network.Shape.VocabularySize} rows, the vocabulary {vocabulary.Count} words.");
        return new TextClassificationModel(mlContext, kind, mlnet, vocab, classifier, manifest.TextColumnName);
    }

    static Stream Entry(ZipArchive zip, string name) =>
        (zip.GetEntry(name) ?? throw new InvalidDataException($"no {name} inside the archive.")).Open();

    static SchemaDefinition SchemaFor(string textColumn)
    {
        var def = SchemaDefinition.Create(typeof(SentenceInput));
        def[nameof(SentenceInput.Text)].ColumnName = textColumn;
        return def;
    }

    /// <summary>The input schema the model is saved with: just the text column.</summary>
    internal DataViewSchema InputSchema => _mlContext.Data.LoadFromEnumerable(Array.Empty<SentenceInput>(), SchemaFor(TextColumnName)).Schema;

    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(
        "save a TextClassificationModel with its own Save(path): ML.NET's mlContext.Model.Save cannot hold its TorchSharp parts.");

    sealed record Manifest(int FormatVersion, string Kind, string TextColumnName, int VocabularySize, int MaxLength,
        string? TokensColumnName, string? TokenIdsColumnName, int SelectedEpoch);

    /// <summary>Raw sentence row (public for ML.NET's reflection).</summary>
    public sealed class SentenceInput { public string Text { get; set; } = ""; }
    /// <summary>Prediction row (public for ML.NET's reflection).</summary>
    public sealed class PredictionOutput
    {
        public bool PredictedLabel { get; set; }
        public float Probability { get; set; }
    }
}
