using MlNetHw.Data;
using System.Text;
using System.Text.Json;

namespace MlNetHw.Captioning;

/// <summary>What happened to the captions encoded by <see cref="CaptionCodec.EncodeAll"/>.</summary>
/// <param name="Encoded">Captions turned into rows of the caption matrix.</param>
/// <param name="SkippedEmpty">Captions with no word after tokenisation: not encoded (there is nothing to learn).</param>
/// <param name="Truncated">Captions longer than the maximum: cut to the first <c>MaxWords</c> words, END kept.</param>
/// <param name="UnknownWords">Words mapped to <c>&lt;UNK&gt;</c> (rarer than the minimum count, or unseen).</param>
public sealed record CaptionEncodingStats(int Encoded, int SkippedEmpty, int Truncated, int UnknownWords);

/// <summary>
/// Captions ↔ rows of ids for the captioner, on the library's one word ↔ id table (<see cref="Vocabulary"/>) in the
/// cs231n layout: index 0 <c>&lt;NULL&gt;</c> (padding, masked out of
/// the loss), 1 <c>&lt;START&gt;</c>, 2 <c>&lt;END&gt;</c>, 3 <c>&lt;UNK&gt;</c>, then the words seen at least
/// <c>minCount</c> times, most frequent first (ties in ordinal order, so the same captions give the same map).
/// </summary>
/// <remarks>
/// Tokenisation: lower-case, punctuation <c>, . ; : ! ?</c> split off as its own token (and <c>.</c> dropped at the
/// end), everything else split on white space; the token <c>&lt;UNK&gt;</c> (any case, as in cs231n's captions) is the
/// unknown word. A caption is encoded as
/// <c>START w1 … wk END NULL …</c> of fixed length <c>MaxWords + 2</c>.
/// Documented edge cases: an empty caption (no words) is skipped by <see cref="EncodeAll"/> and counted; a caption
/// longer than <c>MaxWords</c> is truncated to its first <c>MaxWords</c> words and still ends with END, and counted.
/// </remarks>
public sealed class CaptionCodec
{
    /// <summary>Indices of the special tokens: &lt;NULL&gt; (padding), &lt;START&gt;, &lt;END&gt; and &lt;UNK&gt; (unknown word).</summary>
    public const int Null = 0, Start = 1, End = 2, Unk = 3;
    /// <summary>Words of the special tokens, at their indices (<see cref="Null"/>, <see cref="Start"/>, <see cref="End"/>, <see cref="Unk"/>).</summary>
    public static readonly IReadOnlyList<string> SpecialTokens = new[] { "<NULL>", "<START>", "<END>", "<UNK>" };

    /// <summary>The word ↔ id table (specials first).</summary>
    public Vocabulary Vocabulary { get; }
    /// <summary>Index → word, specials included.</summary>
    public IReadOnlyList<string> Words => Vocabulary.Words;
    /// <summary>Number of words, specials included.</summary>
    public int Count => Vocabulary.Count;
    /// <summary>The longest caption, in words, that fits a row; longer ones are truncated.</summary>
    public int MaxWords { get; }
    /// <summary>Length of an encoded row: START + <see cref="MaxWords"/> + END.</summary>
    public int SequenceLength => MaxWords + 2;

    /// <summary>A codec over <paramref name="words"/> (index → word, starting with <see cref="SpecialTokens"/>) for captions of at most <paramref name="maxWords"/> words; a bad list throws <see cref="ArgumentException"/>.</summary>
    public CaptionCodec(IReadOnlyList<string> words, int maxWords) : this(FromList(words), maxWords) { }

    CaptionCodec(Vocabulary vocabulary, int maxWords)
    {
        if (maxWords < 1) throw new ArgumentOutOfRangeException(nameof(maxWords), maxWords, "must be at least 1.");
        Vocabulary = vocabulary;
        MaxWords = maxWords;
    }

    static Vocabulary FromList(IReadOnlyList<string> words)
    {
        try { return Vocabulary.FromList(words, SpecialTokens, Unk); }
        catch (InvalidDataException e) { throw new ArgumentException(e.Message, nameof(words), e); }
    }

    /// <summary>Builds the vocabulary of <paramref name="captions"/>: words seen at least <paramref name="minCount"/> times.</summary>
    public static CaptionCodec Build(IEnumerable<string> captions, int minCount = 1, int maxWords = 16) =>
        new(Vocabulary.Build(captions.Select(Tokenize), SpecialTokens, Unk, minCount), maxWords);

    /// <summary>Lower-cased tokens of a caption (see the class remarks).</summary>
    public static IReadOnlyList<string> Tokenize(string? caption)
    {
        var tokens = new List<string>();
        if (string.IsNullOrWhiteSpace(caption)) return tokens;
        var sb = new StringBuilder();
        void Flush() { if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); } }
        foreach (char ch in caption.ToLowerInvariant())
        {
            if (char.IsWhiteSpace(ch)) Flush();
            else if (ch is ',' or '.' or ';' or ':' or '!' or '?') { Flush(); tokens.Add(ch.ToString()); }
            else if (ch is '"') Flush();
            else sb.Append(ch);
        }
        Flush();
        while (tokens.Count > 0 && tokens[^1] == ".") tokens.RemoveAt(tokens.Count - 1);
        // "<UNK>" in a caption (cs231n's captions contain it) is the unknown word, not a word of its own.
        for (int i = 0; i < tokens.Count; i++) if (tokens[i] == "<unk>") tokens[i] = SpecialTokens[Unk];
        return tokens;
    }

    /// <summary>Index of <paramref name="word"/>, or <see cref="Unk"/> when it is not in the vocabulary.</summary>
    public int IndexOf(string word) => Vocabulary.IdOf(word);

    /// <summary>
    /// Encodes one caption into a row of <see cref="SequenceLength"/> indices. Returns false for an empty caption.
    /// </summary>
    public bool TryEncode(string? caption, Span<long> row, out bool truncated, out int unknown)
    {
        if (row.Length != SequenceLength) throw new ArgumentException($"row must have {SequenceLength} entries (got {row.Length}).", nameof(row));
        var tokens = Tokenize(caption);
        truncated = tokens.Count > MaxWords;
        unknown = 0;
        row.Fill(Null);
        if (tokens.Count == 0) return false;
        int k = Math.Min(tokens.Count, MaxWords);
        row[0] = Start;
        for (int i = 0; i < k; i++)
        {
            int id = IndexOf(tokens[i]);
            if (id == Unk) unknown++;
            row[i + 1] = id;
        }
        row[k + 1] = End;
        return true;
    }

    /// <summary>
    /// Encodes captions into an (N, <see cref="SequenceLength"/>) row-major matrix, skipping empty ones.
    /// <paramref name="kept"/> gives, for each encoded row, the index of its caption in <paramref name="captions"/>.
    /// </summary>
    public long[] EncodeAll(IReadOnlyList<string?> captions, out List<int> kept, out CaptionEncodingStats stats)
    {
        var rows = new List<long>(captions.Count * SequenceLength);
        var row = new long[SequenceLength];
        kept = new List<int>();
        int skipped = 0, truncated = 0, unknown = 0;
        for (int i = 0; i < captions.Count; i++)
        {
            if (!TryEncode(captions[i], row, out bool cut, out int unk)) { skipped++; continue; }
            rows.AddRange(row);
            kept.Add(i);
            if (cut) truncated++;
            unknown += unk;
        }
        stats = new CaptionEncodingStats(kept.Count, skipped, truncated, unknown);
        return rows.ToArray();
    }

    /// <summary>
    /// Turns indices back into text: stops at END, skips START and NULL (cs231n's <c>decode_captions</c>).
    /// </summary>
    public string Decode(ReadOnlySpan<long> indices)
    {
        var words = new List<string>();
        foreach (long id in indices)
        {
            if (id == End) break;
            if (id is Null or Start) continue;
            words.Add(id >= 0 && id < Count ? Words[(int)id] : SpecialTokens[Unk]);
        }
        return string.Join(' ', words);
    }

    /// <summary>JSON form stored in the model archive: <c>{"maxWords": 16, "words": [...]}</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(new VocabularyFile(MaxWords, Words.ToArray()));

    /// <summary>Reads the JSON form written by <see cref="ToJson"/>.</summary>
    public static CaptionCodec FromJson(string json)
    {
        var f = JsonSerializer.Deserialize<VocabularyFile>(json)
                ?? throw new InvalidDataException("vocabulary JSON is empty.");
        if (f.Words is null) throw new InvalidDataException("vocabulary JSON has no 'Words' field.");
        return new CaptionCodec(f.Words, f.MaxWords);
    }

    sealed record VocabularyFile(int MaxWords, string[] Words);
}
