using MlNetHw.Captioning;

namespace MlNetHw.Tests.Captioning;

[TestClass]
[TestCategory("Captioning")]
public sealed class CaptionCodecTests
{
    [TestMethod]
    public void SpecialsComeFirstAndRareWordsBecomeUnknown()
    {
        var v = CaptionCodec.Build(new[] { "A red circle.", "a blue circle", "a red square, small" }, minCount: 2, maxWords: 8);
        CollectionAssert.AreEqual(new[] { "<NULL>", "<START>", "<END>", "<UNK>", "a", "circle", "red" }, v.Words.ToArray());
        Assert.AreEqual(CaptionCodec.Unk, v.IndexOf("blue"));
        var row = new long[v.SequenceLength];
        Assert.IsTrue(v.TryEncode("A blue circle", row, out bool cut, out int unk));
        Assert.IsFalse(cut);
        Assert.AreEqual(1, unk);
        CollectionAssert.AreEqual(new long[] { 1, 4, 3, 5, 2, 0, 0, 0, 0, 0 }, row);
        Assert.AreEqual("a <UNK> circle", v.Decode(row));
    }

    [TestMethod]
    public void TokenizerSplitsPunctuationAndDropsTheFinalFullStop()
    {
        CollectionAssert.AreEqual(new[] { "three", "shapes", ":", "red", "circle", ",", "blue", "square" },
            CaptionCodec.Tokenize("Three shapes: red circle,  blue square.").ToArray());
        Assert.AreEqual(0, CaptionCodec.Tokenize("   ").Count);
        Assert.AreEqual(0, CaptionCodec.Tokenize(null).Count);
    }

    [TestMethod]
    public void EmptyCaptionsAreSkippedAndLongOnesTruncatedWithEndKept()
    {
        var v = CaptionCodec.Build(new[] { "a b c d e f" }, maxWords: 3);
        var m = v.EncodeAll(new[] { "a b", "", "a b c d e f", " . " }, out var kept, out var stats);
        CollectionAssert.AreEqual(new[] { 0, 2 }, kept);
        Assert.AreEqual(new CaptionEncodingStats(2, 2, 1, 0), stats);
        Assert.AreEqual(2 * 5, m.Length);
        long a = v.IndexOf("a"), b = v.IndexOf("b"), c = v.IndexOf("c");
        CollectionAssert.AreEqual(new long[] { 1, a, b, c, 2 }, m.Skip(5).ToArray());
        Assert.AreEqual("a b c", v.Decode(m.AsSpan(5, 5)));
    }

    [TestMethod]
    public void DecodeStopsAtEndAndJsonRoundTrips()
    {
        var v = CaptionCodec.Build(new[] { "x y z" }, maxWords: 5);
        long x = v.IndexOf("x"), y = v.IndexOf("y");
        Assert.AreEqual("x y", v.Decode(new long[] { 1, x, 0, y, 2, x, x }));
        var back = CaptionCodec.FromJson(v.ToJson());
        CollectionAssert.AreEqual(v.Words.ToArray(), back.Words.ToArray());
        Assert.AreEqual(5, back.MaxWords);
        Assert.ThrowsExactly<ArgumentException>(() => new CaptionCodec(new[] { "<NULL>", "<END>", "<START>", "<UNK>" }, 3));
    }
}
