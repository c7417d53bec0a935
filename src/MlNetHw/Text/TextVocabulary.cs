using MlNetHw.Data;

namespace MlNetHw.Text;

/// <summary>
/// The text models' flavour of <see cref="Vocabulary"/>: id 0 is <c>&lt;pad&gt;</c> (fills short sentences in a batch,
/// always masked out), id 1 is <c>&lt;unk&gt;</c> (every word not in the list), then the training words by descending
/// count (ties in ordinal order, so the same data always gives the same ids).
/// </summary>
public static class TextVocabulary
{
    /// <summary>Token id of the padding symbol.</summary>
    public const int PadId = 0;
    /// <summary>Token id every out-of-vocabulary word maps to.</summary>
    public const int UnknownId = 1;
    /// <summary>Spelling of the padding symbol in <see cref="Vocabulary.Words"/>.</summary>
    public const string PadToken = "<pad>";
    /// <summary>Spelling of the unknown-word symbol in <see cref="Vocabulary.Words"/>.</summary>
    public const string UnknownToken = "<unk>";

    /// <summary>The special symbols, in id order.</summary>
    public static readonly IReadOnlyList<string> SpecialTokens = new[] { PadToken, UnknownToken };

    /// <summary>See <see cref="Vocabulary.Build"/>; at most <paramref name="maxSize"/> ids in all (0 = no limit).</summary>
    public static Vocabulary Build(IEnumerable<IReadOnlyList<string>> sentences, int minCount = 1, int maxSize = 0, Func<string, bool>? keep = null) =>
        Vocabulary.Build(sentences, SpecialTokens, UnknownId, minCount, maxSize, keep);

    /// <summary>A vocabulary from a full word list (<c>&lt;pad&gt; &lt;unk&gt;</c> first).</summary>
    public static Vocabulary FromList(IReadOnlyList<string> words) => Vocabulary.FromList(words, SpecialTokens, UnknownId);

    /// <summary>A vocabulary with exactly these words after the two special symbols.</summary>
    public static Vocabulary FromWords(IEnumerable<string> words) => Vocabulary.FromWords(words, SpecialTokens, UnknownId);

    /// <summary>Inverse of <see cref="Vocabulary.ToBytes"/>.</summary>
    public static Vocabulary FromBytes(byte[] bytes) => Vocabulary.FromBytes(bytes, SpecialTokens, UnknownId);
}
