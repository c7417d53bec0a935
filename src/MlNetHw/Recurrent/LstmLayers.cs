using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>What <see cref="LstmLayers.LstmStepBackward"/> needs from <see cref="LstmLayers.LstmStepForward"/>.</summary>
/// <param name="X">Input (N, D).</param>
/// <param name="PrevH">Previous hidden state (N, H).</param>
/// <param name="PrevC">Previous cell state (N, H).</param>
/// <param name="Wx">(D, 4H).</param>
/// <param name="Wh">(H, 4H).</param>
/// <param name="Gates">Activated gates (N, 4H): columns [i | f | o | g] = [σ | σ | σ | tanh].</param>
/// <param name="TanhC">tanh(next_c) (N, H).</param>
public sealed record LstmStepCache(Tensor X, Tensor PrevH, Tensor PrevC, Tensor Wx, Tensor Wh, Tensor Gates, Tensor TanhC);

/// <summary>What <see cref="LstmLayers.LstmBackward"/> needs from <see cref="LstmLayers.LstmForward"/>. Time-major.</summary>
/// <param name="XFlat">The input, time-major and flattened: (T·N, D), row t·N + n = x[n, t].</param>
/// <param name="States">Hidden states (T+1, N, H): States[0] = h0, States[t+1] = h after step t (after masking).</param>
/// <param name="Cells">Cell states (T+1, N, H): Cells[0] = 0, Cells[t+1] = c after step t (after masking).</param>
/// <param name="Gates">Activated gates of every step (T, N, 4H), columns [i | f | o | g].</param>
/// <param name="TanhC">tanh of every step's candidate cell state (T, N, H).</param>
/// <param name="Wx">(D, 4H).</param>
/// <param name="Wh">(H, 4H).</param>
/// <param name="Mask">Padding mask time-major (T, N, 1) in the input's dtype (1 = real step), or null.</param>
public sealed record LstmCache(Tensor XFlat, Tensor States, Tensor Cells, Tensor Gates, Tensor TanhC, Tensor Wx, Tensor Wh, Tensor? Mask)
{
    /// <summary>N, the batch size.</summary>
    public long N => States.shape[1];
    /// <summary>T, the number of time steps.</summary>
    public long T => Gates.shape[0];
    /// <summary>D, the size of each input vector.</summary>
    public long D => XFlat.shape[1];
    /// <summary>H, the hidden size.</summary>
    public long H => States.shape[2];
}

/// <summary>
/// An LSTM written by hand on TorchSharp tensors, cs231n style (forward returns output and cache, backward takes the
/// upstream gradient and the cache, no autograd inside, no input modified, float32 or float64). The four gates live in
/// one (D, 4H) and one (H, 4H) matrix in the order i, f, o, g (input, forget, output, candidate), as in cs231n:
/// a = x·Wx + h·Wh + b; i = σ(a[0:H]), f = σ(a[H:2H]), o = σ(a[2H:3H]), g = tanh(a[3H:4H]);
/// c' = f⊙c + i⊙g; h' = o⊙tanh(c'). TorchSharp's nn.LSTM orders its gates i, f, g, o: see <see cref="TorchRecurrentWeights"/>.
/// The derivations are in docs/recurrent-derivations.md.
/// </summary>
public static class LstmLayers
{
    /// <summary>One LSTM step.</summary>
    /// <param name="x">Input (N, D).</param>
    /// <param name="prevH">Previous hidden state (N, H).</param>
    /// <param name="prevC">Previous cell state (N, H).</param>
    /// <param name="Wx">Input-to-gates weights (D, 4H), gate blocks i, f, o, g.</param>
    /// <param name="Wh">Hidden-to-gates weights (H, 4H).</param>
    /// <param name="b">Gate biases (4H).</param>
    /// <returns>next_h (N, H), next_c (N, H) and the cache for <see cref="LstmStepBackward"/>.</returns>
    public static (Tensor nextH, Tensor nextC, LstmStepCache cache) LstmStepForward(
        Tensor x, Tensor prevH, Tensor prevC, Tensor Wx, Tensor Wh, Tensor b)
    {
        long n = x.shape[0], d = Wx.shape[0], h = Wh.shape[0];
        Shapes.Require(x, nameof(x), "(N, D)", -1, d);
        Shapes.Require(prevH, nameof(prevH), "(N, H)", n, h);
        Shapes.Require(prevC, nameof(prevC), "(N, H)", n, h);
        Shapes.Require(Wx, nameof(Wx), "(D, 4H)", d, 4 * h);
        Shapes.Require(Wh, nameof(Wh), "(H, 4H)", h, 4 * h);
        Shapes.Require(b, nameof(b), "(4H)", 4 * h);
        using var scope = torch.NewDisposeScope();
        var gates = torch.addmm(b, x, Wx, 1, 1).addmm_(prevH, Wh);
        gates.narrow(1, 0, 3 * h).sigmoid_();
        gates.narrow(1, 3 * h, h).tanh_();
        var (i, f, o, g) = GateBlocks(gates, h);
        var nextC = (f * prevC).addcmul_(i, g, 1);
        var tanhC = nextC.tanh();
        var nextH = o * tanhC;
        scope.MoveToOuter(nextH, nextC, gates, tanhC);
        return (nextH, nextC, new LstmStepCache(x, prevH, prevC, Wx, Wh, gates, tanhC));
    }

    /// <summary>
    /// Backward of one LSTM step. dc = dnext_c + dnext_h⊙o⊙(1 - tanh²(c')); then
    /// di = dc⊙g, df = dc⊙prev_c, do = dnext_h⊙tanh(c'), dg = dc⊙i, each times its gate's derivative
    /// (σ' = s(1 - s), tanh' = 1 - t²) to give dA (N, 4H); dx = dA·Wxᵀ, dprev_h = dA·Whᵀ, dprev_c = dc⊙f,
    /// dWx = xᵀ·dA, dWh = prev_hᵀ·dA, db = Σ_n dA.
    /// </summary>
    /// <param name="dnextH">dL/dnext_h (N, H).</param>
    /// <param name="dnextC">dL/dnext_c (N, H).</param>
    /// <param name="cache">From <see cref="LstmStepForward"/>.</param>
    /// <returns>dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H).</returns>
    public static (Tensor dx, Tensor dprevH, Tensor dprevC, Tensor dWx, Tensor dWh, Tensor db) LstmStepBackward(
        Tensor dnextH, Tensor dnextC, LstmStepCache cache)
    {
        long n = cache.PrevH.shape[0], h = cache.PrevH.shape[1];
        Shapes.Require(dnextH, nameof(dnextH), "(N, H)", n, h);
        Shapes.Require(dnextC, nameof(dnextC), "(N, H)", n, h);
        using var scope = torch.NewDisposeScope();
        var gates = cache.Gates;
        var (i, f, o, g) = GateBlocks(gates, h);
        var dc = dnextC + dnextH * o * (1 - cache.TanhC * cache.TanhC);
        var dA = torch.cat(new[] { dc * g, dc * cache.PrevC, dnextH * cache.TanhC, dc * i }, 1)
            .mul_(GateDerivatives(gates, h));
        var dx = dA.mm(cache.Wx.t());
        var dprevH = dA.mm(cache.Wh.t());
        var dprevC = dc * f;
        var dWx = cache.X.t().mm(dA);
        var dWh = cache.PrevH.t().mm(dA);
        var db = dA.sum(0L);
        scope.MoveToOuter(dx, dprevH, dprevC, dWx, dWh, db);
        return (dx, dprevH, dprevC, dWx, dWh, db);
    }

    /// <summary>The four gate blocks i, f, o, g (views along the last dimension) of gates (…, 4H).</summary>
    static (Tensor i, Tensor f, Tensor o, Tensor g) GateBlocks(Tensor gates, long h)
    {
        long last = gates.dim() - 1;
        return (gates.narrow(last, 0, h), gates.narrow(last, h, h), gates.narrow(last, 2 * h, h), gates.narrow(last, 3 * h, h));
    }

    /// <summary>
    /// d(activation)/d(pre-activation) from the activated gates (…, 4H): s(1 - s) for i, f, o and 1 - g² for g.
    /// Works on one step (N, 4H) or all steps (T, N, 4H) at once.
    /// </summary>
    static Tensor GateDerivatives(Tensor gates, long h)
    {
        int last = (int)gates.dim() - 1;
        var sig = gates.narrow(last, 0, 3 * h);
        var tg = gates.narrow(last, 3 * h, h);
        return torch.cat(new[] { sig * (1 - sig), 1 - tg * tg }, last);
    }

    /// <summary>
    /// Runs the LSTM over a sequence from h0 and c0 = 0. The input projection x·Wx + b of all T steps is one GEMM
    /// written straight into the gate buffer; each step adds h_{t-1}·Wh in place and activates its gates in place.
    /// With a mask, a padded step (mask[n, t] = false) carries both states over: h_t = h_{t-1}, c_t = c_{t-1}.
    /// </summary>
    /// <param name="x">Inputs (N, T, D).</param>
    /// <param name="h0">Initial hidden state (N, H).</param>
    /// <param name="Wx">(D, 4H), gate blocks i, f, o, g.</param>
    /// <param name="Wh">(H, 4H).</param>
    /// <param name="b">(4H).</param>
    /// <param name="mask">Optional bool (N, T): true for real steps, false for padding; null = every step is real.</param>
    /// <returns>h (N, T, H) and the cache for <see cref="LstmBackward"/>.</returns>
    public static (Tensor h, LstmCache cache) LstmForward(Tensor x, Tensor h0, Tensor Wx, Tensor Wh, Tensor b, Tensor? mask = null)
        => LstmForwardCore(x, h0, Wx, Wh, b, mask, allowFused: true);

    /// <summary><see cref="LstmForward"/>; allowFused = false forces
    /// the libtorch-op recurrence on the CPU too (tests compare the two).</summary>
    internal static (Tensor h, LstmCache cache) LstmForwardCore(Tensor x, Tensor h0, Tensor Wx, Tensor Wh, Tensor b, Tensor? mask, bool allowFused)
    {
        var (n, t, d, hs) = Shapes.RequireSequenceArguments(x, h0, Wx, Wh, b, gates: 4);

        using var scope = torch.NewDisposeScope();
        var m = Shapes.TimeMajorMask(mask, n, t, x.dtype);
        var keep = mask?.transpose(0, 1).unsqueeze(2); // (T, N, 1) bool view, for exact selects
        var xFlat = x.transpose(0, 1).reshape(t * n, d);
        var gates = torch.addmm(b, xFlat, Wx, 1, 1).view(t, n, 4 * hs);
        var states = torch.empty(new[] { t + 1, n, hs }, x.dtype, x.device);
        var cells = torch.empty(new[] { t + 1, n, hs }, x.dtype, x.device);
        var tanhC = torch.empty(new[] { t, n, hs }, x.dtype, x.device);
        states[0].copy_(h0);
        cells[0].zero_();
        if (allowFused && LstmFusedCpu.Applies(x, h0, Wx, Wh, b))
            LstmFusedCpu.ForwardLoop(gates, states, cells, tanhC, m, Wh);
        else
            ForwardLoopOps(gates, states, cells, tanhC, keep, Wh);
        var h = states.narrow(0, 1, t).transpose(0, 1).contiguous(); // (N, T, H), a tensor of its own
        var cache = new LstmCache(xFlat, states, cells, gates, tanhC, Wx, Wh, m);
        scope.MoveToOuter(h, xFlat, states, cells, gates, tanhC);
        if (m is not null) scope.MoveToOuter(m);
        return (h, cache);
    }

    /// <summary>
    /// The recurrence of <see cref="LstmForward"/> written with libtorch ops (any device and dtype; the same formulas
    /// as <see cref="LstmFusedCpu.ForwardStep{T}"/>). keep: the (T, N, 1) bool mask view, or null.
    /// </summary>
    static void ForwardLoopOps(Tensor gates, Tensor states, Tensor cells, Tensor tanhC, Tensor? keep, Tensor Wh)
    {
        long t = gates.shape[0], hs = states.shape[2];
        for (long s = 0; s < t; s++)
        {
            using var step = torch.NewDisposeScope();
            var prevH = states[s];
            var prevC = cells[s];
            var a = gates[s].addmm_(prevH, Wh);
            a.narrow(1, 0, 3 * hs).sigmoid_();
            a.narrow(1, 3 * hs, hs).tanh_();
            var (i, f, o, g) = GateBlocks(a, hs);
            var nextC = cells[s + 1];
            var nextH = states[s + 1];
            var tc = tanhC[s];
            nextC.copy_(f).mul_(prevC).addcmul_(i, g, 1);
            tc.copy_(nextC).tanh_();
            nextH.copy_(o).mul_(tc);
            if (keep is not null)
            {
                var k = keep[s];
                nextC.copy_(torch.where(k, nextC, prevC));
                nextH.copy_(torch.where(k, nextH, prevH));
            }
        }
    }

    /// <summary>
    /// Backpropagation through time for <see cref="LstmForward"/>. The recurrence carries dL/dh and dL/dc backwards;
    /// a padded step passes both straight to step t-1. Gate gradients of all steps are collected in one (T·N, 4H)
    /// buffer so the weight gradients are single GEMMs: dWx = X_flatᵀ·dA, dWh = H_prevᵀ·dA, db = Σ dA.
    /// </summary>
    /// <param name="dh">Upstream gradient of every hidden state (N, T, H).</param>
    /// <param name="cache">From <see cref="LstmForward"/>.</param>
    /// <param name="needDx">False to skip the dx GEMM when the input needs no gradient (dx is then null).</param>
    /// <returns>dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H).</returns>
    public static (Tensor dx, Tensor dh0, Tensor dWx, Tensor dWh, Tensor db) LstmBackward(Tensor dh, LstmCache cache, bool needDx = true)
        => LstmBackwardCore(dh, cache, needDx, allowFused: true);

    /// <summary><see cref="LstmBackward"/>; allowFused = false forces the libtorch-op
    /// recurrence on the CPU too.</summary>
    internal static (Tensor dx, Tensor dh0, Tensor dWx, Tensor dWh, Tensor db) LstmBackwardCore(Tensor dh, LstmCache cache, bool needDx, bool allowFused)
    {
        long n = cache.N, t = cache.T, d = cache.D, hs = cache.H;
        Shapes.Require(dh, nameof(dh), "(N, T, H)", n, t, hs);
        using var scope = torch.NewDisposeScope();
        var dtype = cache.States.dtype;
        var device = cache.States.device;
        // gradH[s + 1] accumulates dL/dh_s: the upstream dh[:, s] (copied in time-major up front) plus what step s+1
        // sends back (added in place by addmm_); gradH[0] collects dL/dh0. dcFuture carries dL/dc_s from step s+1.
        var gradH = torch.empty(new[] { t + 1, n, hs }, dtype, device);
        gradH[0].zero_();
        gradH.narrow(0, 1, t).copy_(dh.transpose(0, 1));
        var dcFuture = torch.zeros(new[] { n, hs }, dtype, device);
        var dA = torch.empty(new[] { t, n, 4 * hs }, dtype, device);

        // Whᵀ as a contiguous copy (1 MB for H = 256): the per-step GEMM reads it T times, and libtorch's BLAS runs a
        // plain row-major operand faster than a transposed view on this machine.
        var WhT = cache.Wh.t().contiguous();
        if (allowFused && LstmFusedCpu.Applies(dA, cache.Gates, cache.Cells, cache.TanhC, cache.States))
            LstmFusedCpu.BackwardLoop(cache, gradH, dcFuture, dA, WhT);
        else
            BackwardLoopOps(cache, gradH, dcFuture, dA, WhT);
        var dnextH = gradH[0].clone();
        var dAFlat = dA.view(t * n, 4 * hs);
        var dWx = cache.XFlat.t().mm(dAFlat);
        var dWh = cache.States.narrow(0, 0, t).reshape(t * n, hs).t().mm(dAFlat);
        var db = dAFlat.sum(0L);
        Tensor? dx = needDx ? dAFlat.mm(cache.Wx.t().contiguous()).view(t, n, d).transpose(0, 1).contiguous() : null;
        scope.MoveToOuter(dnextH, dWx, dWh, db);
        if (dx is not null) scope.MoveToOuter(dx);
        return (dx!, dnextH, dWx, dWh, db);
    }

    /// <summary>
    /// The recurrence of <see cref="LstmBackward"/> written with libtorch ops (any device and
    /// dtype; the same formulas as <see cref="LstmFusedCpu.BackwardStep{T}"/>).
    /// </summary>
    static void BackwardLoopOps(LstmCache cache, Tensor gradH, Tensor dcFuture, Tensor dA, Tensor WhT)
    {
        long n = cache.N, t = cache.T, hs = cache.H;
        // Everything that does not depend on the recurrence, for all steps at once (a few big vectorised ops):
        // K = [g·σ'(i) | c_prev·σ'(f) | tanh(c)·σ'(o) | i·tanh'(g)], so that dA = [dc | dc | dh | dc] ⊙ K,
        // and oHat = o ⊙ (1 - tanh²(c)), so that dc = dh ⊙ oHat + dc_future.
        var gates = cache.Gates;
        var (i, f, o, g) = GateBlocks(gates, hs);
        var K = GateDerivatives(gates, hs).mul_(torch.cat(new[] { g, cache.Cells.narrow(0, 0, t), cache.TanhC, i }, 2));
        var oHat = o * (1 - cache.TanhC * cache.TanhC);
        Tensor? keep = cache.Mask, pass = keep is null ? null : 1 - keep;
        for (long s = t - 1; s >= 0; s--)
        {
            using var step = torch.NewDisposeScope();
            var dhs = gradH[s + 1];                          // dL/dh_s, complete now
            var prevH = gradH[s];
            Tensor? carriedC = null;
            if (keep is not null)
            {
                // Padding (mask 0): h_s = h_{s-1} and c_s = c_{s-1}, so both gradients pass straight through;
                // the step's own candidate only sees mask ⊙ gradient.
                prevH.addcmul_(dhs, pass![s], 1);
                dhs.mul_(keep[s]);
                carriedC = dcFuture * pass[s];
                dcFuture.mul_(keep[s]);
            }
            var dc = dcFuture.addcmul_(dhs, oHat[s], 1);    // dL/dc_s (candidate), in place
            var dAs = dA[s];
            var blocks = dAs.view(n, 4, hs);
            blocks.copy_(dc.unsqueeze(1).expand(n, 4, hs));
            blocks.select(1, 2).copy_(dhs);                 // the output gate sees dh, the others dc
            dAs.mul_(K[s]);
            prevH.addmm_(dAs, WhT);                         // dL/dh_{s-1} += dA_s · Whᵀ
            dc.mul_(f[s]);                                  // dL/dc_{s-1} = dc ⊙ f (+ the carried part)
            if (carriedC is not null) dc.add_(carriedC);
        }
    }
}
