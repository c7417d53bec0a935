using MlNetHw.Captioning;

namespace MlNetHw.Tests.Captioning;

/// <summary>Corpus BLEU against examples computed by hand (the arithmetic is in each test's comments).</summary>
[TestClass]
[TestCategory("Captioning")]
public sealed class BleuTests
{
    static IReadOnlyList<string> Refs(params string[] r) => r;

    [TestMethod]
    public void OneSentenceGivesHandComputedPrecisions()
    {
        // cand: the cat sat on the mat / ref: the cat is on the mat (both 6 words, BP = 1)
        // p1 = 5/6 (the×2, cat, on, mat), p2 = 3/5 (the cat, on the, the mat), p3 = 1/4 (on the mat), p4 = 0/3
        var s = Bleu.Corpus(new[] { "the cat sat on the mat" }, new[] { Refs("the cat is on the mat") });
        Assert.AreEqual(5.0 / 6, s.Precisions[0], 1e-12);
        Assert.AreEqual(3.0 / 5, s.Precisions[1], 1e-12);
        Assert.AreEqual(1.0 / 4, s.Precisions[2], 1e-12);
        Assert.AreEqual(0.0, s.Precisions[3], 1e-12);
        Assert.AreEqual(1.0, s.BrevityPenalty, 1e-12);
        Assert.AreEqual(5.0 / 6, s.Bleu1, 1e-12);
        Assert.AreEqual(Math.Sqrt(0.5), s.Bleu2, 1e-12);        // sqrt(5/6 · 3/5)
        Assert.AreEqual(0.5, s.Bleu3, 1e-12);                   // (5/6 · 3/5 · 1/4)^(1/3) = 0.125^(1/3)
        Assert.AreEqual(0.0, s.Bleu4, 1e-12);                   // no 4-gram matches, no smoothing
    }

    [TestMethod]
    public void RepeatedWordsAreClippedByTheBestReference()
    {
        // Papineni's example: 7 × "the"; "the" appears at most twice in one reference → p1 = 2/7.
        // Reference lengths 6 and 7: the closest to c = 7 is 7 → BP = 1.
        var s = Bleu.Corpus(new[] { "the the the the the the the" },
            new[] { Refs("the cat is on the mat", "there is a cat on the mat") });
        Assert.AreEqual(2.0 / 7, s.Bleu1, 1e-12);
        Assert.AreEqual(7, s.ReferenceLength);
    }

    [TestMethod]
    public void CountsArePooledOverTheCorpusBeforeDividing()
    {
        // c1 "a red circle" = ref (3 words); c2 "a blue" vs "a blue square" (2 vs 3 words).
        // c = 5, r = 6 → BP = exp(1 - 6/5) = exp(-0.2). p1 = (3+2)/(3+2) = 1, p2 = (2+1)/(2+1) = 1, p3 = (1+0)/(1+0) = 1,
        // no 4-grams at all → p4 = 0. Corpus BLEU-1 = exp(-0.2) = 0.8187; the mean of sentence scores would be
        // (1 + exp(1 - 3/2)) / 2 = 0.8033, which this must not return.
        var s = Bleu.Corpus(new[] { "a red circle", "a blue" }, new[] { Refs("a red circle"), Refs("a blue square") });
        Assert.AreEqual(Math.Exp(-0.2), s.BrevityPenalty, 1e-12);
        Assert.AreEqual(Math.Exp(-0.2), s.Bleu1, 1e-12);
        Assert.AreEqual(Math.Exp(-0.2), s.Bleu3, 1e-12);
        Assert.AreEqual(0.0, s.Bleu4, 1e-12);
        Assert.AreEqual(5, s.CandidateLength);
        Assert.AreEqual(6, s.ReferenceLength);
    }

    [TestMethod]
    public void ClosestReferenceLengthTiesGoToTheShorter()
    {
        // c = 4; references of 3 and 5 words are equally close → r = 3 → c > r → BP = 1 (not exp(1 - 5/4)).
        var s = Bleu.Corpus(new[] { "a b c d" }, new[] { Refs("a b c", "a b c d e") });
        Assert.AreEqual(3, s.ReferenceLength);
        Assert.AreEqual(1.0, s.BrevityPenalty, 1e-12);
        Assert.AreEqual(1.0, s.Bleu4, 1e-12);
    }

    [TestMethod]
    public void PerfectCandidatesScoreOneAndMismatchedListsThrow()
    {
        var s = Bleu.Corpus(new[] { "a small red circle left of a large blue square" },
            new[] { Refs("a small red circle left of a large blue square", "a large blue square right of a small red circle") });
        CollectionAssert.AreEqual(new[] { 1.0, 1.0, 1.0, 1.0 }, s.Bleu);
        Assert.ThrowsExactly<ArgumentException>(() => Bleu.Corpus(new[] { "a" }, Array.Empty<IReadOnlyList<string>>()));
        Assert.ThrowsExactly<ArgumentException>(() => Bleu.Corpus(new[] { "a" }, new[] { Refs("") }));
    }
}
