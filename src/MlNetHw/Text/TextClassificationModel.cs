using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.Onnx;

namespace MlNetHw.Text;

/// <summary>
/// A whole fitted text classifier, raw sentence in, <c>Score</c>/<c>Probability</c>/<c>PredictedLabel</c> out: a
/// transformer chain of ML.NET's tokenisation (for the bag-of-words model also ML.NET's featurizer and logistic
/// regression) and, for the TorchSharp models, the vocabulary and the network. <see cref="Save(string)"/> writes a
/// plain ML.NET <c>.zip</c> (the network exported to ONNX, see <see cref="TextOnnxExport"/>; the bag-of-words chain as
/// it is; the frozen and the finetuned encoder's chain from the WordPiece ids on, see <see cref="FinetunedEncoderExport"/>) that <c>mlContext.Model.Load</c> opens in any app referencing ML.NET only; <see cref="Load(MLContext, string)"/>
/// reads it back (a model loaded so has no TorchSharp parts: <see cref="IsPlain"/>).
/// </summary>
public sealed class TextClassificationModel : ITransformer
{
    readonly MLContext _mlContext;

    /// <summary>Which of the five models this is.</summary>
    public TextModelKind Kind { get; }
    /// <summary>The transformers, in order (what is saved).</summary>
    public TransformerChain<ITransformer> Chain { get; }
    /// <summary>Word → id map (null for bag of words, whose vocabulary lives in ML.NET's key mapping).</summary>
    public TextVocabularyModel? Vocabulary { get; }
    /// <summary>The TorchSharp classifier (null for bag of words).</summary>
    public TextClassifierModel? Classifier { get; }
    /// <summary>Name of the raw text column the model reads.</summary>
    public string TextColumnName { get; }
    /// <summary>The WordPiece tokenisation of the frozen and the finetuned encoder (null otherwise).</summary>
    public WordPieceTokenizerModel? WordPiece { get; }
    /// <summary>The TorchSharp finetuned encoder (null otherwise, and for a model loaded from its plain zip).</summary>
    public FinetunedEncoderModel? Finetuned { get; }
    /// <summary>How training went, for the models trained on the loop (null otherwise or after loading).</summary>
    public MlNetHw.MlNet.Training.TrainingResult? Training => Classifier?.Training ?? Finetuned?.Training;
    /// <summary>A loaded encoder model (finetuned or frozen): the plain chain after the tokenizer (what is saved again).</summary>
    readonly ITransformer? _plainTokensChain;
    /// <summary>Bag of words and frozen encoder: the L2 weight chosen (NaN when not known, e.g. after loading).</summary>
    public float L2 { get; init; } = float.NaN;
    /// <summary>Bag of words and frozen encoder: the L2 weights tried on the dev set and their accuracies (empty when not known).</summary>
    public IReadOnlyList<RegularizationTrial> L2Trials { get; init; } = Array.Empty<RegularizationTrial>();

    /// <summary>True for a model read from a plain zip: ML.NET and ONNX Runtime only, no TorchSharp parts.</summary>
    public bool IsPlain { get; }

    /// <summary>Wraps a fitted chain; for the TorchSharp kinds the chain must hold the vocabulary and the classifier.</summary>
    /// <param name="mlContext">The context used to predict, save and build prediction engines.</param>
    /// <param name="kind">Which of the five models the chain is.</param>
    /// <param name="chain">The fitted transformers, in order.</param>
    /// <param name="textColumnName">Name of the raw text column the chain reads.</param>
    public TextClassificationModel(MLContext mlContext, TextModelKind kind, TransformerChain<ITransformer> chain, string textColumnName = TextColumns.Text)
        : this(mlContext, kind, chain, textColumnName, plain: false) { }

    TextClassificationModel(MLContext mlContext, TextModelKind kind, TransformerChain<ITransformer> chain, string textColumnName, bool plain,
        ITransformer? plainTokensChain = null)
    {
        _plainTokensChain = plainTokensChain;
        IsPlain = plain;
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Chain = chain ?? throw new ArgumentNullException(nameof(chain));
        Kind = kind;
        TextColumnName = textColumnName;
        var parts = ModelArchive.Flatten(chain).OfType<TorchTransformer>().Select(t => t.Model).ToList();
        Vocabulary = parts.OfType<TextVocabularyModel>().FirstOrDefault();
        Classifier = parts.OfType<TextClassifierModel>().FirstOrDefault();
        WordPiece = parts.OfType<WordPieceTokenizerModel>().FirstOrDefault();
        Finetuned = parts.OfType<FinetunedEncoderModel>().FirstOrDefault();
        if (kind is TextModelKind.FrozenEncoder or TextModelKind.FinetunedEncoder && WordPiece is null)
            throw new ArgumentException($"a {kind} text model holds a WordPiece tokenizer.");
        if (kind == TextModelKind.FinetunedEncoder && (plain ? plainTokensChain is null : Finetuned is null))
            throw new ArgumentException("a finetuned-encoder text model holds the TorchSharp encoder (or, loaded, its plain chain).");
        if (!plain && kind is not (TextModelKind.BagOfWords or TextModelKind.FrozenEncoder or TextModelKind.FinetunedEncoder) && (Vocabulary is null || Classifier is null))
            throw new ArgumentException($"a {kind} text model holds a vocabulary and a TorchSharp classifier.");
        if (Vocabulary is not null && Classifier is not null && Vocabulary.Vocabulary.Count != Classifier.Network.Shape.VocabularySize)
            throw new InvalidDataException($"the text model's vocabulary has {Vocabulary.Vocabulary.Count} words but its classifier was trained on {Classifier.Network.Shape.VocabularySize} (a cut or edited model file).");
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
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) { CheckInput(inputSchema); return Chain.GetOutputSchema(inputSchema); }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input) { CheckInput(input.Schema); return Chain.Transform(input); }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) { CheckInput(inputSchema); return ((ITransformer)Chain).GetRowToRowMapper(inputSchema); }

    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(
        "save a TextClassificationModel with its Save(path): it exports the TorchSharp network to ONNX and writes a plain ML.NET zip (mlContext.Model.Save cannot hold the TorchSharp parts themselves).");

    /// <summary>Raw sentences as a one-column data view the model reads.</summary>
    public IDataView Sentences(IEnumerable<string> sentences) =>
        _mlContext.Data.LoadFromEnumerable(sentences.Select(s => new SentenceInput { Text = s ?? "" }), SchemaFor(TextColumnName));

    /// <summary>Logits of the sentences, in order.</summary>
    public float[] Scores(IEnumerable<string> sentences) => Transform(Sentences(sentences)).GetColumn<float>(TextColumns.Score).ToArray();

    /// <summary>Label and probability of raw sentences, in order.</summary>
    public IReadOnlyList<(bool Label, float Probability)> Predict(IEnumerable<string> sentences) =>
        _mlContext.Data.CreateEnumerable<PredictionOutput>(Transform(Sentences(sentences)), reuseRowObject: false)
            .Select(p => (p.PredictedLabel, p.Probability)).ToList();

    /// <summary>
    /// For each sentence, true when none of its words is known to the model (or it has no words): the model can then
    /// only answer with its prior (the bias), which callers should say rather than present as a judgement.
    /// </summary>
    public IReadOnlyList<bool> UnknownOnly(IEnumerable<string> sentences)
    {
        var data = Sentences(sentences);
        var transformed = Transform(data);
        if (WordPiece is { } wordPiece)
            return transformed.GetColumn<VBuffer<long>>(WordPieceTokenizerModel.InputIdsColumn)
                .Select(v => v.DenseValues().Skip(1).SkipLast(1).All(id => id == wordPiece.UnknownId)).ToList();
        if (transformed.Schema.GetColumnOrNull(TextOnnxExport.KnownWordsName) is not null)
            return transformed.GetColumn<float[]>(TextOnnxExport.KnownWordsName).Select(k => k[0] == 0).ToList();
        if (Vocabulary is null)
            return transformed.GetColumn<VBuffer<float>>("Features").Select(v => v.GetValues().ToArray().All(x => x == 0)).ToList();
        return transformed.GetColumn<VBuffer<int>>(Vocabulary.OutputColumnName)
            .Select(v => v.DenseValues().All(id => id == TextVocabulary.UnknownId)).ToList();
    }

    /// <summary>The input schema the model is saved with: just the text column.</summary>
    public DataViewSchema InputSchema => _mlContext.Data.LoadFromEnumerable(Array.Empty<SentenceInput>(), SchemaFor(TextColumnName)).Schema;

    /// <summary>Kind tag of the text models in <see cref="PlainModelInfo.Kind"/>.</summary>
    public const string PlainKindPrefix = "text-classifier:";

    /// <summary>
    /// Writes the model as a plain ML.NET <c>.zip</c> with its input schema (atomically). The TorchSharp network is
    /// exported to ONNX (written next to the zip as <c>&lt;name&gt;.onnx</c> and stored inside it).
    /// </summary>
    public void Save(string path)
    {
        if (Kind is TextModelKind.FrozenEncoder or TextModelKind.FinetunedEncoder)
        {
            // ML.NET has no WordPiece transform: the plain chain reads the tokenizer's three Int64 vectors, and the zip
            // carries the vocabulary for the tokenizer in front (FinetunedEncoderExport, docs/plain-models.md).
            ITransformer tokens;
            if (_plainTokensChain is not null) tokens = _plainTokensChain;
            else if (Kind == TextModelKind.FrozenEncoder)
                // Everything after the tokenizer is ML.NET's: ApplyOnnxModel (its ONNX bytes go into the zip), the copy, the regression.
                tokens = new TransformerChain<ITransformer>(ModelArchive.Flatten(Chain)
                    .Where(t => !(t is TorchTransformer { Model: WordPieceTokenizerModel })).ToArray());
            else
            {
                string onnxPath = Path.ChangeExtension(Path.GetFullPath(path), ".onnx");
                Directory.CreateDirectory(Path.GetDirectoryName(onnxPath)!);
                FinetunedEncoderExport.ToOnnx(Finetuned!.Network).Save(onnxPath);
                tokens = FinetunedEncoderExport.BuildChain(_mlContext, onnxPath);
            }
            FinetunedEncoderExport.Save(_mlContext, tokens, WordPiece!.Vocabulary, WordPiece.MaxTokens, path, Kind);
            return;
        }
        var empty = _mlContext.Data.LoadFromEnumerable(Array.Empty<SentenceInput>(), SchemaFor(TextColumnName));
        ITransformer chain = Chain;
        var limits = new Dictionary<string, string>
        {
            ["sentence length"] = "none (words are split inside the ONNX graph, the recurrent layers take any length)",
            ["input"] = $"one text column '{TextColumnName}'",
        };
        string description = "binary sentence classifier: Score (logit), Probability (sigmoid), PredictedLabel (Score > 0)";
        if (!IsPlain && Classifier is not null && Vocabulary is not null)
        {
            string onnxPath = Path.ChangeExtension(Path.GetFullPath(path), ".onnx");
            TextOnnxExport.ToOnnx(Classifier, Vocabulary.Vocabulary).Save(onnxPath);
            chain = TextOnnxExport.BuildChain(_mlContext, onnxPath, empty, TextColumnName);
            description += $"; KnownWords = number of words in the vocabulary ({Vocabulary.Vocabulary.Count} ids)";
        }
        PlainModel.Save(_mlContext, chain, empty.Schema, path, new PlainModelInfo(PlainKindPrefix + Kind, description, limits));
    }

    /// <summary>
    /// Reads a text model written by <see cref="Save(string)"/> with <c>mlContext.Model.Load</c> (older MlNetHw
    /// archives are still read); another model fails with a message naming the file.
    /// </summary>
    public static TextClassificationModel Load(MLContext mlContext, string path)
    {
        ITransformer loaded;
        DataViewSchema inputSchema;
        bool plain;
        var info = PlainModel.ReadInfo(path);
        if (ReadsWordPieceIds(info, out var encoder)) return LoadWordPieceIds(mlContext, path, info!, encoder);
        if (info is not null || !ModelArchive.IsArchive(path))
        {
            loaded = PlainModel.Load(mlContext, path, out inputSchema);
            plain = true;
        }
        else
        {
            loaded = ModelArchive.Load(mlContext, path, out inputSchema);
            plain = false;
        }
        var parts = ModelArchive.Flatten(loaded).ToList();
        var chain = new TransformerChain<ITransformer>(parts.ToArray());
        var classifier = parts.OfType<TorchTransformer>().Select(t => t.Model).OfType<TextClassifierModel>().FirstOrDefault();
        // A text classifier reads one text column and adds the binary classifier's columns; the schema says so, whatever the transformers are.
        var text = inputSchema.Count == 1 && inputSchema[0].Type is TextDataViewType ? inputSchema[0].Name : null;
        DataViewSchema? output = null;
        if (text is not null)
            try { output = chain.GetOutputSchema(inputSchema); }
            catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException) { }
        bool binary = output?.GetColumnOrNull(nameof(PredictionOutput.PredictedLabel))?.Type is BooleanDataViewType
                      && output.GetColumnOrNull(nameof(PredictionOutput.Probability))?.Type == NumberDataViewType.Single;
        if (!binary)
            throw new InvalidDataException($"'{path}' is {(plain ? "an ML.NET model" : "an MlNetHw model archive")} but not a text classifier: it needs one text input column and gives " +
                                           $"boolean PredictedLabel and float Probability (input: {string.Join(", ", inputSchema.Select(c => $"{c.Name} ({c.Type})"))}; " +
                                           $"it holds {string.Join(", ", parts.Select(p => p.GetType().Name))}).");
        bool wordPieces = parts.OfType<TorchTransformer>().Any(t => t.Model is WordPieceTokenizerModel);
        var kind = classifier?.Kind ?? (wordPieces ? TextModelKind.FrozenEncoder : TextModelKind.BagOfWords);
        if (info?.Kind is { } k && k.StartsWith(PlainKindPrefix, StringComparison.Ordinal) && Enum.TryParse<TextModelKind>(k[PlainKindPrefix.Length..], out var parsed))
            kind = parsed;
        try { return new TextClassificationModel(mlContext, kind, chain, text!, plain); }
        catch (InvalidDataException e) { throw new InvalidDataException($"model file '{path}': {e.Message}", e); }
    }

    /// <summary>
    /// True when the info entry is an encoder model's (frozen or finetuned), whose plain chain reads the three WordPiece
    /// id vectors rather than text: <see cref="Load"/> then puts the tokenizer (vocabulary and cap from the zip) in front.
    /// </summary>
    public static bool ReadsWordPieceIds(PlainModelInfo? info, out TextModelKind kind)
    {
        foreach (var k in new[] { TextModelKind.FrozenEncoder, TextModelKind.FinetunedEncoder })
            if (info?.Kind == PlainKindPrefix + k) { kind = k; return true; }
        kind = default;
        return false;
    }

    /// <summary>
    /// An encoder model's plain zip (finetuned or frozen; input: the three WordPiece id vectors) with the WordPiece
    /// tokenizer in front, built from the vocabulary and token cap the zip carries, so the model reads raw sentences
    /// like the others.
    /// </summary>
    static TextClassificationModel LoadWordPieceIds(MLContext mlContext, string path, PlainModelInfo info, TextModelKind kind)
    {
        var plainChain = PlainModel.Load(mlContext, path, out var tokenSchema);
        foreach (var name in new[] { WordPieceTokenizerModel.InputIdsColumn, WordPieceTokenizerModel.AttentionMaskColumn, WordPieceTokenizerModel.TokenTypeIdsColumn })
            if (tokenSchema.GetColumnOrNull(name) is null)
                throw new InvalidDataException($"model file '{path}': a {kind} zip reads column '{name}' (its input: {string.Join(", ", tokenSchema.Select(c => c.Name))}).");
        if (!info.Limits.TryGetValue(FinetunedEncoderExport.MaxTokensLimit, out var capText)
            || !int.TryParse(capText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int cap))
            throw new InvalidDataException($"model file '{path}': the info entry has no '{FinetunedEncoderExport.MaxTokensLimit}'.");
        var tokenizer = TorchTransformer.Create(new WordPieceTokenizerModel(FinetunedEncoderExport.ReadVocabulary(path), cap));
        var chain = new TransformerChain<ITransformer>(new ITransformer[] { tokenizer }.Concat(ModelArchive.Flatten(plainChain)).ToArray());
        try { return new TextClassificationModel(mlContext, kind, chain, TextColumns.Text, plain: true, plainTokensChain: plainChain); }
        catch (InvalidDataException e) { throw new InvalidDataException($"model file '{path}': {e.Message}", e); }
    }

    static SchemaDefinition SchemaFor(string textColumn)
    {
        var def = SchemaDefinition.Create(typeof(SentenceInput));
        def[nameof(SentenceInput.Text)].ColumnName = textColumn;
        return def;
    }

    /// <summary>Raw sentence row (public for ML.NET's reflection).</summary>
    public sealed class SentenceInput
    {
        /// <summary>The raw sentence.</summary>
        public string Text { get; set; } = "";
    }

    /// <summary>Prediction row (public for ML.NET's reflection).</summary>
    public sealed class PredictionOutput
    {
        /// <summary>True when the sentence is predicted positive.</summary>
        public bool PredictedLabel { get; set; }
        /// <summary>Probability of the positive class, 0..1.</summary>
        public float Probability { get; set; }
    }
}
