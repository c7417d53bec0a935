using MlNetHw.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetHw.MlNet;
using TorchSharp;

namespace MlNetHw.Text;

/// <summary>Settings of <see cref="VocabularyEstimator"/>. Defaults in brackets.</summary>
public sealed class VocabularyOptions
{
    /// <summary>Column of words, a variable-length text vector [<see cref="TextColumns.Tokens"/>].</summary>
    public string InputColumnName { get; set; } = TextColumns.Tokens;
    /// <summary>Column of ids written, a variable-length Int32 vector [<see cref="TextColumns.TokenIds"/>].</summary>
    public string OutputColumnName { get; set; } = TextColumns.TokenIds;
    /// <summary>A word gets its own id when seen at least this often in the training data [1].</summary>
    public int MinCount { get; set; } = 1;
    /// <summary>At most this many ids, &lt;pad&gt; and &lt;unk&gt; included; the rarest words go first; 0 = no limit [0].</summary>
    public int MaxSize { get; set; }
    /// <summary>
    /// Sentences longer than this are cut (the first words are kept); 0 = never [<see cref="DefaultMaxLength"/>]. A batch
    /// pads to its longest sentence, so one very long line (a file without line breaks) would otherwise ask libtorch for
    /// gigabytes; the number of training sentences cut is logged (a warning) and kept in <see cref="TextVocabularyModel.TruncatedTrainingSentences"/>.
    /// </summary>
    public int MaxLength { get; set; } = DefaultMaxLength;

    /// <summary>Default <see cref="MaxLength"/>: 256 words (the homework's sentences have at most a few dozen).</summary>
    public const int DefaultMaxLength = 256;
    /// <summary>
    /// Optional filter on candidate words, e.g. "has a pretrained vector"; rejected words map to &lt;unk&gt;.
    /// Used while fitting only: the fitted vocabulary is a plain word list [null].
    /// </summary>
    public Func<string, bool>? Keep { get; set; }
    /// <summary>
    /// Words given an id even when absent from the training data, after the training words (e.g. the most frequent
    /// GloVe words, so a frozen-vector model still uses words it never saw in training) [none].
    /// </summary>
    public IReadOnlyList<string>? ExtraWords { get; set; }
}

/// <summary>
/// Builds a <see cref="TextVocabulary"/> from the training words and maps each sentence's words to ids
/// (<c>mlContext.Transforms.Text.MapWordsToVocabularyIds</c>). The fitted transformer carries the vocabulary, so it
/// is saved in the model archive with everything else.
/// </summary>
public sealed class VocabularyEstimator : TorchEstimator<TextVocabularyModel>
{
    readonly VocabularyOptions _options;

    /// <summary>The estimator with its settings [defaults: <see cref="VocabularyOptions"/>]; bad settings throw.</summary>
    public VocabularyEstimator(IHostEnvironment environment, VocabularyOptions? options = null) : base(environment, "MapWordsToVocabularyIds")
    {
        _options = options ?? new VocabularyOptions();
        if (_options.MinCount < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.MinCount, "MinCount must be at least 1.");
        if (_options.MaxLength < 0) throw new ArgumentOutOfRangeException(nameof(options), _options.MaxLength, "MaxLength must be 0 (never cut) or positive.");
        if (_options.MaxSize is < 0 or 1 or 2) throw new ArgumentOutOfRangeException(nameof(options), _options.MaxSize, "MaxSize is 0 (no limit) or at least 3.");
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<TorchColumn> TrainingColumns => new[] { TorchColumn.TextVector(_options.InputColumnName) };

    /// <inheritdoc/>
    protected override IReadOnlyList<TorchColumn> OutputColumns => new[] { TextVocabularyModel.IdsColumn(_options.OutputColumnName) };

    /// <inheritdoc/>
    protected override TextVocabularyModel Train(IDataView trainData, IChannel channel)
    {
        var sentences = ColumnTable.Read(trainData, TrainingColumns, Name).Get<string[]>(_options.InputColumnName);
        var vocabulary = TextVocabulary.Build(sentences, _options.MinCount, _options.MaxSize, _options.Keep);
        if (_options.ExtraWords is { Count: > 0 } extra)
        {
            var known = vocabulary.Words.ToHashSet(StringComparer.Ordinal);
            var added = extra.Where(w => w.Length > 0 && known.Add(w));
            if (_options.MaxSize > 0) added = added.Take(Math.Max(0, _options.MaxSize - vocabulary.Count));
            vocabulary = TextVocabulary.FromList(vocabulary.Words.Concat(added).ToList());
        }
        channel.Info(MessageSensitivity.None, $"vocabulary: {vocabulary.Count} ids from {sentences.Length} sentences (min count {_options.MinCount})");
        int cut = _options.MaxLength > 0 ? sentences.Count(s => s is not null && s.Length > _options.MaxLength) : 0;
        if (cut > 0)
            channel.Warning(MessageSensitivity.None, $"{cut} training sentence(s) longer than {_options.MaxLength} words are cut to their first {_options.MaxLength} (longest {sentences.Max(s => s?.Length ?? 0)})");
        return new TextVocabularyModel(vocabulary, _options.InputColumnName, _options.OutputColumnName, _options.MaxLength) { TruncatedTrainingSentences = cut };
    }
}

/// <summary>
/// The fitted vocabulary as a model of MlNetHw's ML.NET integration: words (text vector) in, ids (Int32 vector) out.
/// It has no weights; its state is the word list.
/// </summary>
[TorchArchitecture(ArchitectureName)]
public sealed class TextVocabularyModel : TorchModel
{
    /// <summary>Name written to archives.</summary>
    public const string ArchitectureName = "mlnethw.text-vocabulary";
    readonly NoWeights _module = new();

    /// <summary>The word list.</summary>
    public Vocabulary Vocabulary { get; }
    /// <summary>Column of words read.</summary>
    public string InputColumnName { get; }
    /// <summary>Column of ids written.</summary>
    public string OutputColumnName { get; }
    /// <summary>Sentences are cut to this many words (0 = never).</summary>
    public int MaxLength { get; }
    /// <summary>How many training sentences were cut to <see cref="MaxLength"/> when fitting (0 for a loaded model).</summary>
    public int TruncatedTrainingSentences { get; init; }

    /// <summary>Maps the words of <paramref name="inputColumnName"/> to ids of <paramref name="vocabulary"/> in <paramref name="outputColumnName"/>, cutting sentences to <paramref name="maxLength"/> words (0 = never).</summary>
    public TextVocabularyModel(Vocabulary vocabulary, string inputColumnName = TextColumns.Tokens,
        string outputColumnName = TextColumns.TokenIds, int maxLength = 0)
    {
        Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        if (maxLength < 0) throw new InvalidDataException($"the vocabulary's maximum sentence length is {maxLength}: it must be 0 (never cut) or positive.");
        InputColumnName = inputColumnName;
        OutputColumnName = outputColumnName;
        MaxLength = maxLength;
        InputColumns = new[] { TorchColumn.TextVector(inputColumnName) };
        OutputColumns = new[] { IdsColumn(outputColumnName) };
    }

    /// <summary>A variable-length Int32 vector column of word ids.</summary>
    public static TorchColumn IdsColumn(string name) => new(name, new VectorDataViewType(NumberDataViewType.Int32));

    /// <inheritdoc/>
    public override string Architecture => ArchitectureName;
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> InputColumns { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> OutputColumns { get; }
    /// <inheritdoc/>
    public override torch.nn.Module Module => _module;

    /// <summary>The ids of tokenised sentences.</summary>
    public int[][] Encode(IEnumerable<string[]> sentences) => sentences.Select(s => Vocabulary.Encode(s ?? Array.Empty<string>(), MaxLength)).ToArray();

    /// <inheritdoc/>
    protected override void ScoreBatch(ColumnTable inputs, ColumnTable outputs) =>
        outputs.Set(OutputColumnName, Encode(inputs.Get<string[]>(InputColumnName)));

    /// <inheritdoc/>
    protected override void WriteState(TorchModelState state)
    {
        state.Set("inputColumn", InputColumnName);
        state.Set("outputColumn", OutputColumnName);
        state.Set("maxLength", MaxLength);
        state.Set("wordCount", Vocabulary.Count); // so that a word list cut or extended later is noticed when loading
        state.Vocabularies["words"] = Vocabulary.Words.ToArray();
    }

    /// <summary>Rebuilds the model from an archive (found through <see cref="TorchArchitectureAttribute"/>).</summary>
    public static TextVocabularyModel Load(TorchModelState state)
    {
        var words = state.Vocabulary("words");
        int maxLength = state.Get<int>("maxLength");
        if (maxLength < 0)
            throw new InvalidDataException($"model '{state.Architecture}': hyperparameter 'maxLength' = {maxLength} is out of range (0 = never cut, or a positive word count)");
        if (state.Hyperparameters.ContainsKey("wordCount") && state.Get<int>("wordCount") is var count && count != words.Length)
            throw new InvalidDataException($"model '{state.Architecture}': vocabulary 'words' has {words.Length} words but was saved with {count} (the file was cut or edited)");
        if (words.Length < TextVocabulary.SpecialTokens.Count || !words.Take(TextVocabulary.SpecialTokens.Count).SequenceEqual(TextVocabulary.SpecialTokens))
            throw new InvalidDataException($"model '{state.Architecture}': vocabulary 'words' must start with {string.Join(" ", TextVocabulary.SpecialTokens)}");
        return new(TextVocabulary.FromList(words), state.Get<string>("inputColumn"), state.Get<string>("outputColumn"), maxLength);
    }

    sealed class NoWeights : torch.nn.Module
    {
        public NoWeights() : base("vocabulary") { }
    }
}
