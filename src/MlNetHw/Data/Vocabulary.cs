using System.Text;

namespace MlNetHw.Data;

/// <summary>
/// The word ↔ id table of every model in the library (text classifiers, captioners): the special symbols first
/// (padding, start, end, unknown ... as the model needs), then the words. <see cref="Build"/> orders the words by
/// descending count, ties in ordinal order, so the same data always gives the same ids. Special symbols are not
/// looked up as words: <see cref="IdOf"/> of a word that is not in the list, special spellings included, is
/// <see cref="UnknownId"/>.
/// </summary>
/// <remarks>
/// Kept hand-written rather than ML.NET's <c>MapValueToKey</c>: training code needs the ids as ints with fixed
/// special ids (0 = padding is masked, the unknown id is shared), and <c>MapValueToKey</c> numbers keys from 1 in
/// first-seen or value order with no reserved entries. The exported plain ML.NET chains rebuild the same mapping with
/// <c>MapValueToKey(keyData:)</c> from <see cref="Words"/>.
/// </remarks>
public sealed class Vocabulary
{
    readonly string[] _words;
    readonly Dictionary<string, int> _ids;

    /// <summary>All entries, index = id (the special symbols first).</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>Number of ids, special symbols included.</summary>
    public int Count => _words.Length;

    /// <summary>The special symbols, ids 0 .. n-1.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>The id every word outside the list maps to (one of the special symbols).</summary>
    public int UnknownId { get; }

    Vocabulary(string[] words, IReadOnlyList<string> specialTokens, int unknownId)
    {
        if (unknownId < 0 || unknownId >= specialTokens.Count)
            throw new ArgumentOutOfRangeException(nameof(unknownId), unknownId, $"the unknown id is one of the {specialTokens.Count} special symbols.");
        if (words.Length < specialTokens.Count || !specialTokens.SequenceEqual(words.Take(specialTokens.Count)))
            throw new InvalidDataException($"a vocabulary starts with {string.Join(" ", specialTokens)}.");
        _words = words;
        SpecialTokens = specialTokens.ToArray();
        UnknownId = unknownId;
        _ids = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (int i = specialTokens.Count; i < words.Length; i++)
            if (!_ids.TryAdd(words[i], i)) throw new InvalidDataException($"vocabulary word '{words[i]}' appears twice (ids {_ids[words[i]]} and {i}).");
    }

    /// <summary>A vocabulary from a full word list as <see cref="Words"/> returns it (special symbols first).</summary>
    public static Vocabulary FromList(IReadOnlyList<string> words, IReadOnlyList<string> specialTokens, int unknownId) =>
        new(words.ToArray(), specialTokens, unknownId);

    /// <summary>A vocabulary with exactly these words after the special symbols.</summary>
    public static Vocabulary FromWords(IEnumerable<string> words, IReadOnlyList<string> specialTokens, int unknownId) =>
        new(specialTokens.Concat(words).ToArray(), specialTokens, unknownId);

    /// <summary>
    /// Counts the tokens of <paramref name="sentences"/> and keeps those seen at least <paramref name="minCount"/> times,
    /// the most frequent first, at most <paramref name="maxSize"/> ids in all (special symbols included; 0 = no limit).
    /// Empty tokens and the special spellings are not counted. <paramref name="keep"/>, when given, drops the words it
    /// rejects (e.g. words without a pretrained vector).
    /// </summary>
    public static Vocabulary Build(IEnumerable<IEnumerable<string>> sentences, IReadOnlyList<string> specialTokens, int unknownId,
        int minCount = 1, int maxSize = 0, Func<string, bool>? keep = null)
    {
        if (minCount < 1) throw new ArgumentOutOfRangeException(nameof(minCount), minCount, "the minimum count is at least 1.");
        if (maxSize != 0 && maxSize < specialTokens.Count + 1)
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, $"a vocabulary limit leaves room for the {specialTokens.Count} special symbols and one word (>= {specialTokens.Count + 1}), or is 0 for no limit.");
        var specials = specialTokens.ToHashSet(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in sentences)
            foreach (var w in sentence)
                if (w.Length > 0 && !specials.Contains(w))
                    counts[w] = counts.GetValueOrDefault(w) + 1;
        var kept = counts.Where(kv => kv.Value >= minCount && (keep is null || keep(kv.Key)))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key);
        if (maxSize > 0) kept = kept.Take(maxSize - specialTokens.Count);
        return FromWords(kept, specialTokens, unknownId);
    }

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

    /// <summary>Serialises the word list to bytes (UTF-8: count, then the words).</summary>
    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(_words.Length);
            foreach (var word in _words) w.Write(word);
        }
        return ms.ToArray();
    }

    /// <summary>Inverse of <see cref="ToBytes"/>; a damaged list fails with <see cref="InvalidDataException"/>.</summary>
    public static Vocabulary FromBytes(byte[] bytes, IReadOnlyList<string> specialTokens, int unknownId)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        int n = r.ReadInt32();
        if (n < specialTokens.Count || n > 100_000_000) throw new InvalidDataException($"vocabulary size {n} is not plausible: the model file is damaged.");
        var words = new string[n];
        for (int i = 0; i < n; i++) words[i] = r.ReadString();
        return new Vocabulary(words, specialTokens, unknownId);
    }
}
