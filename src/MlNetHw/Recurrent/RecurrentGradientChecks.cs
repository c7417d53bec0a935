using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// The gradient checks of every hand-written layer, in float64 on the CPU with small random sizes: each backward
/// against centred differences (h = 1e-5, bound 1e-7, 1e-6 for the LSTM sequence's dWh) and the sequence layers
/// and the loss also against TorchSharp autograd of <see cref="RecurrentReference"/> (bound 1e-10).
/// Used by the tests and printed as a table by pipelines/RecurrentLayers.
/// </summary>
public static class RecurrentGradientChecks
{
    /// <summary>Bound on the relative error of a backward against centred differences (1e-7).</summary>
    public const double NumericTolerance = 1e-7;
    /// <summary>The looser bound for the LSTM sequence's dWh against centred differences (1e-6).</summary>
    public const double LstmSequenceWhTolerance = 1e-6;
    /// <summary>Bound on the relative error against TorchSharp autograd of the reference layers (1e-10).</summary>
    public const double AutogradTolerance = 1e-10;
    const double Step = 1e-5;

    /// <summary>Sizes of the checks: batch, time steps, input, hidden, vocabulary.</summary>
    public sealed record Sizes(int N = 3, int T = 5, int D = 4, int H = 5, int V = 7);

    /// <summary>Every check: step and sequence layers, masked sequences, embedding, temporal affine, loss; numeric and autograd.</summary>
    public static IReadOnlyList<GradientCheckRow> All(int seed = 0, Sizes? sizes = null)
    {
        sizes ??= new Sizes();
        var rows = new List<GradientCheckRow>();
        rows.AddRange(RnnStep(seed, sizes));
        rows.AddRange(RnnSequence(seed, sizes, masked: false));
        rows.AddRange(RnnSequence(seed, sizes, masked: true));
        rows.AddRange(LstmStep(seed, sizes));
        rows.AddRange(LstmSequence(seed, sizes, masked: false));
        rows.AddRange(LstmSequence(seed, sizes, masked: true));
        rows.AddRange(WordEmbedding(seed, sizes));
        rows.AddRange(TemporalAffine(seed, sizes));
        rows.AddRange(SoftmaxLoss(seed, sizes));
        return rows;
    }

    static Tensor R(params long[] shape) => torch.randn(shape, ScalarType.Float64);

    /// <summary>N(0, 1/fanIn) weights: pre-activations of unit scale, as in training, instead of saturated gates.</summary>
    static Tensor Weights(long fanIn, long fanOut) => torch.randn(new[] { fanIn, fanOut }, ScalarType.Float64).div_(Math.Sqrt(fanIn));

    /// <summary>A padding mask (N, T) with full, shorter and one-step sequences and, for N ≥ 4, a gap in the middle.</summary>
    public static Tensor TestMask(long n, long t)
    {
        var m = new bool[n, t];
        for (long i = 0; i < n; i++)
        {
            long len = i switch { 0 => t, 1 => Math.Max(1, t - 2), 2 => 1, _ => t };
            for (long s = 0; s < len; s++) m[i, s] = true;
            if (i == 3 && t > 2) m[i, 1] = false; // padding inside: state carried across the gap
        }
        return torch.tensor(m);
    }

    static IEnumerable<GradientCheckRow> Numeric(string layer, Func<Tensor> f, Tensor dout,
        params (string name, Tensor input, Tensor analytic, double tol)[] items)
    {
        foreach (var (name, input, analytic, tol) in items)
        {
            using var scope = torch.NewDisposeScope();
            var numeric = GradientCheck.Numeric(f, input, dout, Step);
            yield return Row(layer, name, analytic, numeric, tol, "numeric");
        }
    }

    static GradientCheckRow Row(string layer, string name, Tensor analytic, Tensor reference, double tol, string method) =>
        new(layer, name, GradientCheck.RelativeError(analytic, reference), tol, method,
            GradientCheck.MaxElementwiseRelativeError(analytic, reference));

    /// <summary>RNN step: dx, dprev_h, dWx, dWh and db against centred differences.</summary>
    public static IReadOnlyList<GradientCheckRow> RnnStep(int seed, Sizes s)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed);
        var (x, h, wx, wh, b) = (R(s.N, s.D), R(s.N, s.H), Weights(s.D, s.H), Weights(s.H, s.H), R(s.H));
        var dnext = R(s.N, s.H);
        var (_, cache) = RnnLayers.RnnStepForward(x, h, wx, wh, b);
        var (dx, dh, dwx, dwh, db) = RnnLayers.RnnStepBackward(dnext, cache);
        Tensor F() => RnnLayers.RnnStepForward(x, h, wx, wh, b).nextH;
        return Numeric("RnnStep", F, dnext, ("dx", x, dx, NumericTolerance), ("dprev_h", h, dh, NumericTolerance),
            ("dWx", wx, dwx, NumericTolerance), ("dWh", wh, dwh, NumericTolerance), ("db", b, db, NumericTolerance)).ToList();
    }

    /// <summary>RNN sequence (optionally with the <see cref="TestMask"/> padding mask): every gradient against centred differences, and the output and gradients against autograd.</summary>
    public static IReadOnlyList<GradientCheckRow> RnnSequence(int seed, Sizes s, bool masked)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed + 1);
        var (x, h0, wx, wh, b) = (R(s.N, s.T, s.D), R(s.N, s.H), Weights(s.D, s.H), Weights(s.H, s.H), R(s.H));
        var dout = R(s.N, s.T, s.H);
        var mask = masked ? TestMask(s.N, s.T) : null;
        string layer = masked ? "RnnSequence (masked)" : "RnnSequence";
        var (hOut, cache) = RnnLayers.RnnForward(x, h0, wx, wh, b, mask);
        var (dx, dh0, dwx, dwh, db) = RnnLayers.RnnBackward(dout, cache);
        Tensor F() => RnnLayers.RnnForward(x, h0, wx, wh, b, mask).h;
        var rows = Numeric(layer, F, dout, ("dx", x, dx, NumericTolerance), ("dh0", h0, dh0, NumericTolerance),
            ("dWx", wx, dwx, NumericTolerance), ("dWh", wh, dwh, NumericTolerance), ("db", b, db, NumericTolerance)).ToList();
        rows.AddRange(AgainstAutograd(layer, RecurrentReference.RnnForward, hOut, dout, mask,
            (x, dx, "dx"), (h0, dh0, "dh0"), (wx, dwx, "dWx"), (wh, dwh, "dWh"), (b, db, "db")));
        return rows;
    }

    /// <summary>LSTM step: the gradients of x, prev_h, prev_c, Wx, Wh and b against centred differences.</summary>
    public static IReadOnlyList<GradientCheckRow> LstmStep(int seed, Sizes s)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed + 2);
        var (x, h, c) = (R(s.N, s.D), R(s.N, s.H), R(s.N, s.H));
        var (wx, wh, b) = (Weights(s.D, 4 * s.H), Weights(s.H, 4 * s.H), R(4 * s.H));
        var (dnh, dnc) = (R(s.N, s.H), R(s.N, s.H));
        var (_, _, cache) = LstmLayers.LstmStepForward(x, h, c, wx, wh, b);
        var (dx, dh, dc, dwx, dwh, db) = LstmLayers.LstmStepBackward(dnh, dnc, cache);
        // Both outputs at once: L = Σ next_h ⊙ dnext_h + Σ next_c ⊙ dnext_c.
        Tensor F()
        {
            var (nh, nc, _) = LstmLayers.LstmStepForward(x, h, c, wx, wh, b);
            return torch.cat(new[] { nh, nc }, 1);
        }
        var dout = torch.cat(new[] { dnh, dnc }, 1);
        return Numeric("LstmStep", F, dout, ("dx", x, dx, NumericTolerance), ("dprev_h", h, dh, NumericTolerance),
            ("dprev_c", c, dc, NumericTolerance), ("dWx", wx, dwx, NumericTolerance), ("dWh", wh, dwh, NumericTolerance),
            ("db", b, db, NumericTolerance)).ToList();
    }

    /// <summary>LSTM sequence (optionally with the <see cref="TestMask"/> padding mask): every gradient against centred differences (dWh with <see cref="LstmSequenceWhTolerance"/>), and the output and gradients against autograd.</summary>
    public static IReadOnlyList<GradientCheckRow> LstmSequence(int seed, Sizes s, bool masked)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed + 3);
        var (x, h0) = (R(s.N, s.T, s.D), R(s.N, s.H));
        var (wx, wh, b) = (Weights(s.D, 4 * s.H), Weights(s.H, 4 * s.H), R(4 * s.H));
        var dout = R(s.N, s.T, s.H);
        var mask = masked ? TestMask(s.N, s.T) : null;
        string layer = masked ? "LstmSequence (masked)" : "LstmSequence";
        var (hOut, cache) = LstmLayers.LstmForward(x, h0, wx, wh, b, mask);
        var (dx, dh0, dwx, dwh, db) = LstmLayers.LstmBackward(dout, cache);
        Tensor F() => LstmLayers.LstmForward(x, h0, wx, wh, b, mask).h;
        var rows = Numeric(layer, F, dout, ("dx", x, dx, NumericTolerance), ("dh0", h0, dh0, NumericTolerance),
            ("dWx", wx, dwx, NumericTolerance), ("dWh", wh, dwh, LstmSequenceWhTolerance), ("db", b, db, NumericTolerance)).ToList();
        rows.AddRange(AgainstAutograd(layer, RecurrentReference.LstmForward, hOut, dout, mask,
            (x, dx, "dx"), (h0, dh0, "dh0"), (wx, dwx, "dWx"), (wh, dwh, "dWh"), (b, db, "db")));
        return rows;
    }

    delegate Tensor SequenceForward(Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor b, Tensor? mask);

    /// <summary>Forward output and all five gradients against TorchSharp autograd of the reference forward.</summary>
    static IEnumerable<GradientCheckRow> AgainstAutograd(string layer, SequenceForward reference, Tensor hManual, Tensor dout,
        Tensor? mask, params (Tensor value, Tensor manualGrad, string name)[] inputs)
    {
        using var scope = torch.NewDisposeScope();
        var leaves = inputs.Select(p => p.value.detach().clone().requires_grad_(true)).ToArray();
        var h = reference(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], mask);
        var rows = new List<GradientCheckRow> { Row(layer, "h (forward)", hManual, h.detach(), AutogradTolerance, "autograd") };
        (h * dout).sum().backward();
        for (int i = 0; i < inputs.Length; i++)
            rows.Add(Row(layer, inputs[i].name, inputs[i].manualGrad, leaves[i].grad!, AutogradTolerance, "autograd"));
        return rows;
    }

    /// <summary>Word embedding: dW against centred differences.</summary>
    public static IReadOnlyList<GradientCheckRow> WordEmbedding(int seed, Sizes s)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed + 4);
        var x = torch.randint(0, s.V, new long[] { s.N, s.T }, ScalarType.Int64);
        x[0, 0] = x[1, 1] = x[2, 2]; // make sure at least one word repeats
        var w = R(s.V, s.D);
        var dout = R(s.N, s.T, s.D);
        var (_, cache) = WordEmbeddingLayer.Forward(x, w);
        var dw = WordEmbeddingLayer.Backward(dout, cache);
        return Numeric("WordEmbedding", () => WordEmbeddingLayer.Forward(x, w).output, dout, ("dW", w, dw, NumericTolerance)).ToList();
    }

    /// <summary>Temporal affine: dx, dw and db against centred differences.</summary>
    public static IReadOnlyList<GradientCheckRow> TemporalAffine(int seed, Sizes s)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed + 5);
        var (x, w, b) = (R(s.N, s.T, s.D), R(s.D, s.V), R(s.V));
        var dout = R(s.N, s.T, s.V);
        var (_, cache) = TemporalAffineLayer.Forward(x, w, b);
        var (dx, dw, db) = TemporalAffineLayer.Backward(dout, cache);
        return Numeric("TemporalAffine", () => TemporalAffineLayer.Forward(x, w, b).output, dout,
            ("dx", x, dx, NumericTolerance), ("dw", w, dw, NumericTolerance), ("db", b, db, NumericTolerance)).ToList();
    }

    /// <summary>Temporal softmax loss with a mask: dx against centred differences, and the loss and dx against autograd.</summary>
    public static IReadOnlyList<GradientCheckRow> SoftmaxLoss(int seed, Sizes s)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed + 6);
        var x = R(s.N, s.T, s.V);
        var y = torch.randint(0, s.V, new long[] { s.N, s.T }, ScalarType.Int64);
        var mask = TestMask(s.N, s.T);
        var (lossValue, dx) = TemporalSoftmaxLoss.Compute(x, y, mask);
        var rows = Numeric("TemporalSoftmaxLoss", () => TemporalSoftmaxLoss.ComputeTensor(x, y, mask).loss,
            torch.tensor(1.0, ScalarType.Float64), ("dx", x, dx, NumericTolerance)).ToList();
        var leaf = x.detach().clone().requires_grad_(true);
        var refLoss = RecurrentReference.TemporalSoftmaxLoss(leaf, y, mask);
        rows.Add(Row("TemporalSoftmaxLoss", "loss (forward)", torch.tensor(lossValue, ScalarType.Float64), refLoss.detach(), AutogradTolerance, "autograd"));
        refLoss.backward();
        rows.Add(Row("TemporalSoftmaxLoss", "dx", dx, leaf.grad!, AutogradTolerance, "autograd"));
        return rows;
    }
}
