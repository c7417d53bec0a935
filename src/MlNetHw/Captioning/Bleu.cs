namespace MlNetHw.Captioning;

/// <summary>Corpus BLEU-1..4 with the clipped n-gram counts and precisions behind them.</summary>
/// <param name="Bleu">Bleu[n-1] = BLEU-n (uniform weights over orders 1..n), in [0, 1].</param>
/// <param name="Precisions">Precisions[n-1] = corpus modified n-gram precision p_n = clipped matches / candidate n-grams.</param>
/// <param name="BrevityPenalty">exp(1 - r/c) when c ≤ r, else 1.</param>
/// <param name="CandidateLength">c: total words over all candidates.</param>
/// <param name="ReferenceLength">r: sum over candidates of the reference length closest to the candidate's (ties: shorter).</param>
public sealed record BleuScore(double[] Bleu, double[] Precisions, double BrevityPenalty, int CandidateLength, int ReferenceLength)
{
    /// <summary>BLEU-1 (unigrams only).</summary>
    public double Bleu1 => Bleu[0];
    /// <summary>BLEU-2 (uniform weights over orders 1..2).</summary>
    public double Bleu2 => Bleu[1];
    /// <summary>BLEU-3 (uniform weights over orders 1..3).</summary>
    public double Bleu3 => Bleu[2];
    /// <summary>BLEU-4 (uniform weights over orders 1..4), the usual headline number.</summary>
    public double Bleu4 => Bleu[3];
}

/// <summary>
/// Corpus-level BLEU (Papineni et al. 2002), written here so its definition is visible and tested:
/// n-gram counts are clipped per candidate by the maximum count in any of its references and summed over the corpus
/// before dividing (not an average of sentence scores); no smoothing, so an order with no match gives BLEU 0
/// (the same numbers as NLTK's <c>corpus_bleu</c> with its default settings).
/// </summary>
public static class Bleu
{
    /// <summary>Highest n-gram order scored (4).</summary>
    public const int MaxOrder = 4;

    /// <summary>Scores tokenised candidates against their references (one list of references per candidate).</summary>
    public static BleuScore CorpusTokens(IReadOnlyList<IReadOnlyList<string>> candidates, IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references)
    {
        if (candidates.Count != references.Count)
            throw new ArgumentException($"{candidates.Count} candidates but {references.Count} reference lists.");
        var matches = new long[MaxOrder];
        var totals = new long[MaxOrder];
        int c = 0, r = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            var cand = candidates[i];
            var refs = references[i].Where(x => x.Count > 0).ToList();
            if (refs.Count == 0) throw new ArgumentException($"candidate {i} has no non-empty reference.");
            c += cand.Count;
            r += refs.Select(x => x.Count).OrderBy(len => Math.Abs(len - cand.Count)).ThenBy(len => len).First();
            for (int n = 1; n <= MaxOrder; n++)
            {
                var candCounts = NGrams(cand, n);
                var maxRef = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var rf in refs)
                    foreach (var (g, k) in NGrams(rf, n))
                        maxRef[g] = Math.Max(maxRef.GetValueOrDefault(g), k);
                foreach (var (g, k) in candCounts) matches[n - 1] += Math.Min(k, maxRef.GetValueOrDefault(g));
                totals[n - 1] += Math.Max(cand.Count - n + 1, 0);
            }
        }
        var p = new double[MaxOrder];
        for (int n = 0; n < MaxOrder; n++) p[n] = totals[n] == 0 ? 0 : (double)matches[n] / totals[n];
        double bp = c == 0 ? 0 : c > r ? 1 : Math.Exp(1 - (double)r / c);
        var bleu = new double[MaxOrder];
        for (int n = 1; n <= MaxOrder; n++)
        {
            double logSum = 0;
            bool zero = false;
            for (int k = 0; k < n; k++) { if (p[k] <= 0) { zero = true; break; } logSum += Math.Log(p[k]); }
            bleu[n - 1] = zero ? 0 : bp * Math.Exp(logSum / n);
        }
        return new BleuScore(bleu, p, bp, c, r);
    }

    /// <summary>Scores caption strings (tokenised with <see cref="CaptionCodec.Tokenize"/>).</summary>
    public static BleuScore Corpus(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references) =>
        CorpusTokens(candidates.Select(s => CaptionCodec.Tokenize(s)).ToList(),
            references.Select(rs => (IReadOnlyList<IReadOnlyList<string>>)rs.Select(s => CaptionCodec.Tokenize(s)).ToList()).ToList());

    static Dictionary<string, int> NGrams(IReadOnlyList<string> words, int n)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= words.Count; i++)
        {
            string g = string.Join('\u0001', words.Skip(i).Take(n));
            d[g] = d.GetValueOrDefault(g) + 1;
        }
        return d;
    }
}
