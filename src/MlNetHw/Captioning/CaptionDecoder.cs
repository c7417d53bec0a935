using static TorchSharp.torch;

namespace MlNetHw.Captioning;

/// <summary>
/// Turns image features into word indices with a trained <see cref="CaptionerNetwork"/>: greedy decoding
/// (cs231n's <c>sample</c>: START, then the arg-max word fed back, up to <c>maxWords</c> words), or beam search.
/// </summary>
public static class CaptionDecoder
{
    /// <summary>
    /// Greedy decoding of a batch. Returns (N, maxWords + 1) indices: the chosen words, END where a caption ends,
    /// NULL after it (decode with <see cref="CaptionCodec.Decode"/>).
    /// </summary>
    public static long[][] Greedy(CaptionerNetwork model, Tensor features, int maxWords)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long n = features.shape[0];
        var h = model.InitialHidden(features);
        Tensor? c = model.Lstm is not null ? zeros_like(h) : null;
        var words = full(n, (long)CaptionCodec.Start, dtype: ScalarType.Int64, device: features.device);
        var result = new long[n][];
        for (int i = 0; i < n; i++) result[i] = new long[maxWords + 1];
        var done = new bool[n];
        for (int t = 0; t <= maxWords; t++)
        {
            // The last position may only hold END: a caption that reaches maxWords words is cut there.
            (h, c, var logp) = model.Step(words, h, c);
            words = t == maxWords ? full(n, (long)CaptionCodec.End, dtype: ScalarType.Int64, device: features.device) : logp.argmax(1);
            var chosen = words.cpu().data<long>().ToArray();
            for (int i = 0; i < n; i++)
            {
                if (done[i]) { result[i][t] = CaptionCodec.Null; continue; }
                result[i][t] = chosen[i];
                if (chosen[i] == CaptionCodec.End) done[i] = true;
            }
            if (done.All(d => d)) break;
        }
        return result;
    }

    /// <summary>
    /// Beam search with <paramref name="beamWidth"/> hypotheses per image. A hypothesis is finished when it
    /// emits END (or reaches <paramref name="maxWords"/> words); the finished one with the best
    /// log-probability / (words + 1)^<paramref name="lengthPenalty"/> is returned (0 = raw sum, which prefers short
    /// captions; 1 = mean per word). Beam width 1 equals greedy decoding. Search continues until every beam has
    /// ended, or no alive hypothesis can still beat the best finished one.
    /// </summary>
    public static long[][] Beam(CaptionerNetwork model, Tensor features, int maxWords, int beamWidth, double lengthPenalty = 0.7)
    {
        if (beamWidth < 1) throw new ArgumentOutOfRangeException(nameof(beamWidth), beamWidth, "beam width must be at least 1.");
        var result = new long[features.shape[0]][];
        for (long i = 0; i < features.shape[0]; i++)
        {
            using var scope = NewDisposeScope();
            result[i] = BeamOne(model, features.narrow(0, i, 1), maxWords, beamWidth, lengthPenalty);
        }
        return result;
    }

    sealed record Hypothesis(List<long> Words, double LogProb);

    static long[] BeamOne(CaptionerNetwork model, Tensor feature, int maxWords, int k, double alpha)
    {
        using var noGrad = no_grad();
        var h = model.InitialHidden(feature);
        Tensor? c = model.Lstm is not null ? zeros_like(h) : null;
        var alive = new List<Hypothesis> { new(new List<long>(), 0.0) };
        var words = tensor(new long[] { CaptionCodec.Start }, device: feature.device);
        var finished = new List<Hypothesis>();
        double Score(Hypothesis hyp) => hyp.LogProb / Math.Pow(hyp.Words.Count + 1, alpha);
        for (int t = 0; t <= maxWords && alive.Count > 0; t++)
        {
            (h, c, var logp) = model.Step(words, h, c);
            var lp = logp.cpu().to_type(ScalarType.Float64).data<double>().ToArray();
            int v = (int)logp.shape[1];
            // Candidates: every alive hypothesis extended by every word; at the last position only END is allowed.
            var candidates = new List<(int From, long Word, double LogProb)>();
            for (int b = 0; b < alive.Count; b++)
            {
                if (t == maxWords) { candidates.Add((b, CaptionCodec.End, alive[b].LogProb + lp[b * v + CaptionCodec.End])); continue; }
                // Only the k best words of each hypothesis can enter the k best overall.
                var best = Enumerable.Range(0, v).Where(w => w != CaptionCodec.Null && w != CaptionCodec.Start)
                    .OrderByDescending(w => lp[b * v + w]).Take(k);
                foreach (int w in best) candidates.Add((b, w, alive[b].LogProb + lp[b * v + w]));
            }
            var next = new List<Hypothesis>();
            var rows = new List<long>();
            var nextWords = new List<long>();
            foreach (var cand in candidates.OrderByDescending(x => x.LogProb))
            {
                var hyp = new Hypothesis(new List<long>(alive[cand.From].Words) { cand.Word }, cand.LogProb);
                if (cand.Word == CaptionCodec.End) finished.Add(hyp);
                else { next.Add(hyp); rows.Add(cand.From); nextWords.Add(cand.Word); }
                if (next.Count == k) break;
            }
            // Log-probabilities only fall as words are added, so once the best finished hypothesis beats every alive
            // one even after the most favourable length normalisation (all remaining words free), stop early.
            if (finished.Count > 0 && next.Count > 0)
            {
                double bestFinished = finished.Max(Score);
                double bestPossible = next.Max(x => x.LogProb / Math.Pow(maxWords + 1, alpha));
                if (bestFinished >= bestPossible) break;
            }
            alive = next;
            if (alive.Count == 0) break;
            var index = tensor(rows.ToArray(), device: feature.device);
            h = h.index_select(0, index);
            if (c is not null) c = c.index_select(0, index);
            words = tensor(nextWords.ToArray(), device: feature.device);
        }
        var chosen = finished.Count > 0 ? finished.MaxBy(Score)! : alive.MaxBy(Score)!;
        var row = new long[maxWords + 1];
        for (int i = 0; i < chosen.Words.Count && i < row.Length; i++) row[i] = chosen.Words[i];
        return row;
    }
}
