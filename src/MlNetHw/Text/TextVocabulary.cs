using System.Text;

namespace MlNetHw.Text;

/// <summary>
/// The word list of a text model: id 0 is <c>&lt;pad&gt;</c> (fills short sentences in a batch, always masked out),
/// id 1 is <c>&lt;unk&gt;</c> (every word not in the list), then the training words by descending count
/// (ties in ordinal order, so the same data always gives the same ids).
/// </summary>
public sealed class TextVocabulary
{
    /// <summary>Token id of the padding symbol.</summary>
    public const int PadId = 0;
    /// <summary>Token id every out-of-vocabulary word maps to.</summary>
    public const int UnknownId = 1;
    /// <summary>Spelling of the padding symbol in <see cref="Words"/>.</summary>
    public const string PadToken = "<pad>";
    /// <summary>Spelling of the unknown-word symbol in <see cref="Words"/>.</summary>
    public const string UnknownToken = "<unk>";

    readonly string[] _words;
    readonly Dictionary<string, int> _ids;

    /// <summary>All entries, index = id (entries 0 and 1 are the special symbols).</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>Number of ids, special symbols included.</summary>
    public int Count => _words.Length;

    TextVocabulary(string[] words)
    {
        if (words.Length < 2 || words[PadId] != PadToken || words[UnknownId] != UnknownToken)
            throw new InvalidDataException($"a vocabulary starts with {PadToken} and {UnknownToken}.");
        _words = words;
        _ids = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (int i = 2; i < words.Length; i++)
            if (!_ids.TryAdd(words[i], i)) throw new InvalidDataException($"vocabulary word '{words[i]}' appears twice (ids {_ids[words[i]]} and {i}).");
    }

    /// <summary>
    /// Counts the words of <paramref name="sentences"/> and keeps those seen at least <paramref name="minCount"/> times,
    /// the most frequent first, at most <paramref name="maxSize"/> ids in all (special symbols included; 0 = no limit).
    /// <paramref name="keep"/>, when given, drops the words it rejects (e.g. words without a pretrained vector).
    /// </summary>
    public static TextVocabulary Build(IEnumerable<IReadOnlyList<string>> sentences, int minCount = 1, int maxSize = 0,
        Func<string, bool>? keep = null)
    {
        if (minCount < 1) throw new ArgumentOutOfRangeException(nameof(minCount), minCount, "the minimum count is at least 1.");
        if (maxSize != 0 && maxSize < 3) throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "a vocabulary limit leaves room for <pad>, <unk> and one word (>= 3), or is 0 for no limit.");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in sentences)
            foreach (var w in sentence)
                if (w.Length > 0 && w != PadToken && w != UnknownToken)
                    counts[w] = counts.GetValueOrDefault(w) + 1;
        var kept = counts.Where(kv => kv.Value >= minCount && (keep is null || keep(kv.Key)))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key);
        if (maxSize > 0) kept = kept.Take(maxSize - 2);
        return new TextVocabulary(new[] { PadToken, UnknownToken }.Concat(kept).ToArray());
    }

    /// <summary>A vocabulary from a full word list as <see cref="Words"/> returns it (special symbols first).</summary>
    public static TextVocabulary FromList(IReadOnlyList<string> words) => new(words.ToArray());

    /// <summary>A vocabulary with exactly these words after the two special symbols.</summary>
    public static TextVocabulary FromWords(IEnumerable<string> words) =>
        new(new[] { PadToken, UnknownToken }.Concat(words).ToArray());

    /// <summary>The id of <paramref name="word"/>, or <see cref="UnknownId"/>.</summary>
    public int IdOf(string word) => _ids.TryGetValue(word, out int id) ? id : UnknownId;

    /// <summary>True when the word has its own id.</summary>
    public bool Contains(string word) => _ids.ContainsKey(word);

    /// <summary>Ids of the tokens in order, cut to the first <paramref name="maxLength"/> (0 = all).</summary>
    public int[] Encode(IReadOnlyList<string> tokens, int maxLength = 0)
    {
        int n = maxLength > 0 ? Math.Min(maxLength, tokens.Count) : tokens.Count;
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = IdOf(tokens[i]);
        return ids;
    }

    /// <summary>Writes the word list (UTF-8, count then words).</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write(_words.Length);
        foreach (var w in _words) writer.Write(w);
    }

    /// <summary>Reads a list written by <see cref="Write"/>.</summary>
    public static TextVocabulary Read(BinaryReader reader)
    {
        int n = reader.ReadInt32();
        if (n < 2 || n > 100_000_000) throw new InvalidDataException($"vocabulary size {n} is not plausible: the model file is damaged.");
        var words = new string[n];
        for (int i = 0; i < n; i++) words[i] = reader.ReadString();
        return new TextVocabulary(words);
    }

    /// <summary>Serialises to bytes (for model archives).</summary>
    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) Write(w);
        return ms.ToArray();
    }

    /// <summary>Inverse of <see cref="ToBytes"/>.</summary>
    public static TextVocabulary FromBytes(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        return Read(r);
    }
}
