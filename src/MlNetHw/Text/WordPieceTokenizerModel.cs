using Microsoft.ML.Data;
using Microsoft.ML.Tokenizers;
using MlNetHw.MlNet;
using TorchSharp;

namespace MlNetHw.Text;

/// <summary>
/// BERT's uncased WordPiece tokenisation (Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>: lower case, accents
/// removed, punctuation split off, greedy longest-match word pieces, <c>[CLS] … [SEP]</c>) as a step of an ML.NET
/// chain: raw text in, the encoder's three Int64 inputs out — <c>input_ids</c>, <c>attention_mask</c> (all ones) and
/// <c>token_type_ids</c> (all zeros), as long as the sentence (cut to <see cref="MaxTokens"/> pieces, special tokens
/// included). ML.NET has no word-piece transform, so this is an MlNetHw model (no weights; its state is the vocabulary
/// and the length cap), saved in the model archive with the rest of the chain.
/// </summary>
[TorchArchitecture(ArchitectureName)]
public sealed class WordPieceTokenizerModel : TorchModel
{
    /// <summary>Name written to archives.</summary>
    public const string ArchitectureName = "mlnethw.text-wordpiece";
    /// <summary>Names of the output columns (the encoder's input names).</summary>
    public const string InputIdsColumn = "input_ids", AttentionMaskColumn = "attention_mask", TokenTypeIdsColumn = "token_type_ids";

    readonly NoWeights _module = new();
    readonly BertTokenizer _tokenizer;

    /// <summary>The WordPiece vocabulary in id order.</summary>
    public IReadOnlyList<string> Vocabulary { get; }
    /// <summary>Most pieces per sentence, <c>[CLS]</c> and <c>[SEP]</c> included; longer sentences keep their first pieces.</summary>
    public int MaxTokens { get; }
    /// <summary>Column of raw text read.</summary>
    public string InputColumnName { get; }
    /// <summary>Id of <c>[UNK]</c>.</summary>
    public int UnknownId { get; }

    /// <summary>A WordPiece tokenizer over <paramref name="vocabulary"/> (BERT's vocab.txt order, id = line).</summary>
    /// <param name="vocabulary">The pieces, id = index (the order of BERT's vocab.txt).</param>
    /// <param name="maxTokens">Most pieces per sentence, <c>[CLS]</c> and <c>[SEP]</c> included [128].</param>
    /// <param name="inputColumnName">Column of raw text read.</param>
    public WordPieceTokenizerModel(IReadOnlyList<string> vocabulary, int maxTokens = 128, string inputColumnName = TextColumns.Text)
    {
        Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        if (maxTokens < 3) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "at least 3 pieces ([CLS], one piece, [SEP]).");
        MaxTokens = maxTokens;
        InputColumnName = inputColumnName;
        using var vocab = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", vocabulary) + "\n"));
        _tokenizer = BertTokenizer.Create(vocab, new BertOptions { LowerCaseBeforeTokenization = true, ApplyBasicTokenization = true, RemoveNonSpacingMarks = true });
        int unk = -1;
        for (int i = 0; i < vocabulary.Count && unk < 0; i++) if (vocabulary[i] == "[UNK]") unk = i;
        UnknownId = unk;
        InputColumns = new[] { TorchColumn.Text(inputColumnName) };
        OutputColumns = new[] { Int64Vector(InputIdsColumn), Int64Vector(AttentionMaskColumn), Int64Vector(TokenTypeIdsColumn) };
    }

    static TorchColumn Int64Vector(string name) => new(name, new VectorDataViewType(NumberDataViewType.Int64));

    /// <inheritdoc/>
    public override string Architecture => ArchitectureName;
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> InputColumns { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> OutputColumns { get; }
    /// <inheritdoc/>
    public override torch.nn.Module Module => _module;

    /// <summary>The piece ids of one sentence, <c>[CLS]</c> first and <c>[SEP]</c> last, at most <see cref="MaxTokens"/>.</summary>
    public long[] Encode(string sentence)
    {
        var ids = _tokenizer.EncodeToIds(sentence ?? "", MaxTokens - 2, addSpecialTokens: false, out _, out _);
        var result = new long[ids.Count + 2];
        result[0] = _tokenizer.ClassificationTokenId;
        for (int i = 0; i < ids.Count; i++) result[i + 1] = ids[i];
        result[^1] = _tokenizer.SeparatorTokenId;
        return result;
    }

    /// <inheritdoc/>
    protected override void ScoreBatch(ColumnTable inputs, ColumnTable outputs)
    {
        var ids = inputs.Get<string>(InputColumnName).Select(Encode).ToArray();
        outputs.Set(InputIdsColumn, ids);
        outputs.Set(AttentionMaskColumn, ids.Select(s => Enumerable.Repeat(1L, s.Length).ToArray()).ToArray());
        outputs.Set(TokenTypeIdsColumn, ids.Select(s => new long[s.Length]).ToArray());
    }

    /// <inheritdoc/>
    protected override void WriteState(TorchModelState state)
    {
        state.Set("inputColumn", InputColumnName);
        state.Set("maxTokens", MaxTokens);
        state.Vocabularies["wordpiece"] = Vocabulary.ToArray();
    }

    /// <summary>Rebuilds the model from an archive (found through <see cref="TorchArchitectureAttribute"/>).</summary>
    public static WordPieceTokenizerModel Load(TorchModelState state) =>
        new(state.Vocabulary("wordpiece"), state.Get<int>("maxTokens"), state.Get<string>("inputColumn"));

    sealed class NoWeights : torch.nn.Module
    {
        public NoWeights() : base("wordpiece") { }
    }
}
