using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.Text;

/// <summary>Settings of <see cref="VocabularyEstimator"/>.</summary>
public sealed class VocabularyOptions
{
    /// <summary>Column of words (variable-length text vector). Default <see cref="TextColumns.Tokens"/>.</summary>
    public string InputColumnName { get; set; } = TextColumns.Tokens;
    /// <summary>Column of ids written (variable-length int vector). Default <see cref="TextColumns.TokenIds"/>.</summary>
    public string OutputColumnName { get; set; } = TextColumns.TokenIds;
    /// <summary>A word gets its own id when seen at least this often in the training data. Default 1.</summary>
    public int MinCount { get; set; } = 1;
    /// <summary>At most this many ids, &lt;pad&gt; and &lt;unk&gt; included; the rarest words go first. 0 (default) = no limit.</summary>
    public int MaxSize { get; set; }
    /// <summary>Sentences longer than this are cut (keeps the first words). 0 (default) = never cut.</summary>
    public int MaxLength { get; set; }
    /// <summary>
    /// Optional filter on candidate words, e.g. "has a pretrained vector": rejected words map to &lt;unk&gt;.
    /// Used at fitting only (the fitted vocabulary is a plain word list).
    /// </summary>
    public Func<string, bool>? Keep { get; set; }
}

/// <summary>
/// Builds a <see cref="TextVocabulary"/> from the training words and maps each sentence's words to ids
/// (<c>mlContext.Transforms.Text.MapWordsToVocabularyIds</c>). The vocabulary is part of the fitted model.
/// </summary>
public sealed class VocabularyEstimator : IEstimator<VocabularyTransformer>
{
    readonly MLContext _mlContext;
    readonly VocabularyOptions _options;

    public VocabularyEstimator(MLContext mlContext, VocabularyOptions? options = null)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        _options = options ?? new VocabularyOptions();
        if (_options.MinCount < 1) throw new ArgumentOutOfRangeException(nameof(options), $"MinCount must be at least 1 (got {_options.MinCount}).");
        if (_options.MaxLength < 0) throw new ArgumentOutOfRangeException(nameof(options), $"MaxLength must be 0 (no cut) or positive (got {_options.MaxLength}).");
    }

    /// <summary>Reads every sentence's words and builds the vocabulary.</summary>
    public VocabularyTransformer Fit(IDataView input)
    {
        VocabularyTransformer.CheckTokensColumn(input.Schema, _options.InputColumnName);
        var sentences = ReadTokens(input, _options.InputColumnName);
        var vocabulary = TextVocabulary.Build(sentences, _options.MinCount, _options.MaxSize, _options.Keep);
        return new VocabularyTransformer(_mlContext, vocabulary, _options.InputColumnName, _options.OutputColumnName, _options.MaxLength);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        VocabularyTransformer.OutputShapeFor(_mlContext, inputSchema, _options.InputColumnName, _options.OutputColumnName);

    /// <summary>The words of every row of a text-vector column.</summary>
    public static List<string[]> ReadTokens(IDataView data, string column)
    {
        var col = data.Schema[column];
        var result = new List<string[]>();
        using var cursor = data.GetRowCursor(new[] { col });
        var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(col);
        var buffer = default(VBuffer<ReadOnlyMemory<char>>);
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            var words = new List<string>(buffer.Length);
            foreach (var w in buffer.DenseValues()) if (!w.IsEmpty) words.Add(w.ToString());
            result.Add(words.ToArray());
        }
        return result;
    }
}

/// <summary>Maps words to the ids of a fitted <see cref="TextVocabulary"/> (unknown words → &lt;unk&gt;).</summary>
public sealed class VocabularyTransformer : RowMappingTransformer<VocabularyTransformer.WordsRow, VocabularyTransformer.IdsRow>
{
    /// <summary>The word list (saved with the model).</summary>
    public TextVocabulary Vocabulary { get; }
    /// <summary>Input column of words.</summary>
    public string InputColumnName { get; }
    /// <summary>Output column of ids.</summary>
    public string OutputColumnName { get; }
    /// <summary>Sentences are cut to this many words (0 = never).</summary>
    public int MaxLength { get; }

    public VocabularyTransformer(MLContext mlContext, TextVocabulary vocabulary, string inputColumnName = TextColumns.Tokens,
        string outputColumnName = TextColumns.TokenIds, int maxLength = 0)
        : base(mlContext, Columns(inputColumnName), OutColumns(outputColumnName))
    {
        Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        InputColumnName = inputColumnName;
        OutputColumnName = outputColumnName;
        MaxLength = maxLength;
    }

    static Dictionary<string, string> Columns(string input) => new() { [nameof(WordsRow.Words)] = input };
    static Dictionary<string, string> OutColumns(string output) => new() { [nameof(IdsRow.Ids)] = output };

    internal static SchemaShape OutputShapeFor(MLContext mlContext, SchemaShape input, string inputColumn, string outputColumn)
    {
        var col = input.FirstOrDefault(c => c.Name == inputColumn);
        if (col.Name is null)
            throw new ArgumentException($"input column '{inputColumn}' not found; tokenise the text first ({nameof(TextTokenization)}, mlContext.Transforms.Text.TokenizeForClassification).");
        if (col.Kind == SchemaShape.Column.VectorKind.Scalar || col.ItemType is not TextDataViewType)
            throw new ArgumentException($"input column '{inputColumn}' must be a vector of words (got {col.Kind} of {col.ItemType}); tokenise the text first.");
        return OutputShape(mlContext, input, Columns(inputColumn), OutColumns(outputColumn));
    }

    internal static void CheckTokensColumn(DataViewSchema schema, string name) =>
        RequireColumn(schema, name, t => t is VectorDataViewType { ItemType: TextDataViewType }, "a vector of text (words)",
            $"Tokenise the text first ({nameof(TextTokenization)}.{nameof(TextTokenization.Estimator)} or mlContext.Transforms.Text.TokenizeForClassification).");

    /// <inheritdoc/>
    protected override void CheckInputSchema(DataViewSchema inputSchema) => CheckTokensColumn(inputSchema, InputColumnName);

    /// <inheritdoc/>
    protected override void Map(WordsRow source, IdsRow destination) =>
        destination.Ids = Vocabulary.Encode(source.Words ?? Array.Empty<string>(), MaxLength);

    /// <summary>Input row of the mapping (public for ML.NET's reflection).</summary>
    public sealed class WordsRow { [VectorType] public string[]? Words { get; set; } }
    /// <summary>Output row of the mapping (public for ML.NET's reflection).</summary>
    public sealed class IdsRow { [VectorType] public int[] Ids { get; set; } = Array.Empty<int>(); }
}
