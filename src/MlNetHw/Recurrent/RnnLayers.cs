using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>What <see cref="RnnLayers.RnnStepBackward"/> needs from <see cref="RnnLayers.RnnStepForward"/>.</summary>
/// <param name="X">Input (N, D).</param>
/// <param name="PrevH">Previous hidden state (N, H).</param>
/// <param name="Wx">Input-to-hidden weights (D, H).</param>
/// <param name="Wh">Hidden-to-hidden weights (H, H).</param>
/// <param name="NextH">The output tanh(a) (N, H); tanh'(a) = 1 - NextH².</param>
public sealed record RnnStepCache(Tensor X, Tensor PrevH, Tensor Wx, Tensor Wh, Tensor NextH);

/// <summary>What <see cref="RnnLayers.RnnBackward"/> needs from <see cref="RnnLayers.RnnForward"/>. Time-major.</summary>
/// <param name="XFlat">The input, time-major and flattened: (T·N, D), row t·N + n = x[n, t].</param>
/// <param name="States">Hidden states (T+1, N, H): States[0] = h0, States[t+1] = h after step t (after masking).</param>
/// <param name="Candidates">tanh(a_t) for every step (T, N, H): the state a step proposes before the mask is applied.</param>
/// <param name="Wx">Input-to-hidden weights (D, H).</param>
/// <param name="Wh">Hidden-to-hidden weights (H, H).</param>
/// <param name="Mask">Padding mask time-major (T, N, 1) in the input's dtype (1 = real step), or null for no padding.</param>
public sealed record RnnCache(Tensor XFlat, Tensor States, Tensor Candidates, Tensor Wx, Tensor Wh, Tensor? Mask)
{
    /// <summary>N, the batch size.</summary>
    public long N => States.shape[1];
    /// <summary>T, the number of time steps.</summary>
    public long T => Candidates.shape[0];
    /// <summary>D, the size of each input vector.</summary>
    public long D => XFlat.shape[1];
    /// <summary>H, the hidden size.</summary>
    public long H => States.shape[2];
}

/// <summary>
/// A vanilla (tanh) recurrent layer written by hand on TorchSharp tensors, cs231n style: every forward returns
/// its output and a cache, every backward takes the upstream gradient and that cache. No autograd is used inside
/// (call these under any grad mode); no input is modified. float32 and float64 both work: all tensors of one call
/// must share a dtype and device. Step: h' = tanh(x·Wx + h·Wh + b). The derivations are in docs/recurrent-derivations.md.
/// </summary>
public static class RnnLayers
{
    /// <summary>
    /// One time step: next_h = tanh(x·Wx + prev_h·Wh + b).
    /// </summary>
    /// <param name="x">Input (N, D).</param>
    /// <param name="prevH">Previous hidden state (N, H).</param>
    /// <param name="Wx">Input-to-hidden weights (D, H).</param>
    /// <param name="Wh">Hidden-to-hidden weights (H, H).</param>
    /// <param name="b">Bias (H).</param>
    /// <returns>next_h (N, H) and the cache for <see cref="RnnStepBackward"/>.</returns>
    public static (Tensor nextH, RnnStepCache cache) RnnStepForward(Tensor x, Tensor prevH, Tensor Wx, Tensor Wh, Tensor b)
    {
        long n = x.shape[0], d = Wx.shape[0], h = Wh.shape[0];
        Shapes.Require(x, nameof(x), "(N, D)", -1, d);
        Shapes.Require(prevH, nameof(prevH), "(N, H)", n, h);
        Shapes.Require(Wx, nameof(Wx), "(D, H)", d, h);
        Shapes.Require(Wh, nameof(Wh), "(H, H)", h, h);
        Shapes.Require(b, nameof(b), "(H)", h);
        using var scope = torch.NewDisposeScope();
        var nextH = torch.addmm(b, x, Wx, 1, 1).addmm_(prevH, Wh).tanh_();
        return (scope.MoveToOuter(nextH), new RnnStepCache(x, prevH, Wx, Wh, nextH));
    }

    /// <summary>
    /// Backward of one step. With da = dnext_h ⊙ (1 - next_h²):
    /// dx = da·Wxᵀ, dprev_h = da·Whᵀ, dWx = xᵀ·da, dWh = prev_hᵀ·da, db = Σ_n da.
    /// </summary>
    /// <param name="dnextH">Upstream gradient dL/dnext_h (N, H).</param>
    /// <param name="cache">From <see cref="RnnStepForward"/>.</param>
    /// <returns>dx (N, D), dprev_h (N, H), dWx (D, H), dWh (H, H), db (H).</returns>
    public static (Tensor dx, Tensor dprevH, Tensor dWx, Tensor dWh, Tensor db) RnnStepBackward(Tensor dnextH, RnnStepCache cache)
    {
        Shapes.Require(dnextH, nameof(dnextH), "(N, H)", cache.NextH.shape[0], cache.NextH.shape[1]);
        using var scope = torch.NewDisposeScope();
        var da = dnextH * (1 - cache.NextH * cache.NextH);
        var dx = da.mm(cache.Wx.t());
        var dprevH = da.mm(cache.Wh.t());
        var dWx = cache.X.t().mm(da);
        var dWh = cache.PrevH.t().mm(da);
        var db = da.sum(0L);
        scope.MoveToOuter(dx, dprevH, dWx, dWh, db);
        return (dx, dprevH, dWx, dWh, db);
    }

    /// <summary>
    /// Runs the RNN over a whole sequence. The input projection x·Wx + b of all T steps is one GEMM; each step then
    /// adds h_{t-1}·Wh in place. With a mask, a padded step (mask[n, t] = false) carries the state over unchanged,
    /// h_t = h_{t-1}, so h[:, T-1] is the state after each sequence's last real token.
    /// </summary>
    /// <param name="x">Inputs (N, T, D).</param>
    /// <param name="h0">Initial hidden state (N, H).</param>
    /// <param name="Wx">Input-to-hidden weights (D, H).</param>
    /// <param name="Wh">Hidden-to-hidden weights (H, H).</param>
    /// <param name="b">Bias (H).</param>
    /// <param name="mask">Optional bool (N, T): true for real steps, false for padding; null = every step is real.</param>
    /// <returns>h (N, T, H), the hidden state after every step, and the cache for <see cref="RnnBackward"/>.</returns>
    public static (Tensor h, RnnCache cache) RnnForward(Tensor x, Tensor h0, Tensor Wx, Tensor Wh, Tensor b, Tensor? mask = null)
    {
        var (n, t, d, hs) = Shapes.RequireSequenceArguments(x, h0, Wx, Wh, b, gates: 1);

        using var scope = torch.NewDisposeScope();
        var m = Shapes.TimeMajorMask(mask, n, t, x.dtype);
        var keep = mask?.transpose(0, 1).unsqueeze(2); // (T, N, 1) bool view, for exact selects
        // Time-major copies so that every per-step slice [t] is one contiguous (N, ·) block.
        var xFlat = x.transpose(0, 1).reshape(t * n, d);
        var cand = torch.addmm(b, xFlat, Wx, 1, 1).view(t, n, hs); // becomes tanh(a_t) step by step
        var states = torch.empty(new[] { t + 1, n, hs }, x.dtype, x.device);
        states[0].copy_(h0);
        for (long s = 0; s < t; s++)
        {
            using var step = torch.NewDisposeScope();
            var prev = states[s];
            var c = cand[s].addmm_(prev, Wh).tanh_();
            if (m is null) states[s + 1].copy_(c);
            else states[s + 1].copy_(torch.where(keep![s], c, prev));
        }
        var h = states.narrow(0, 1, t).transpose(0, 1).contiguous(); // (N, T, H), a tensor of its own
        var cache = new RnnCache(xFlat, states, cand, Wx, Wh, m);
        scope.MoveToOuter(h, xFlat, states, cand);
        if (m is not null) scope.MoveToOuter(m);
        return (h, cache);
    }

    /// <summary>
    /// Backpropagation through time. Going backwards, dL/dh_t is the upstream dh[:, t] plus what step t+1 sends back;
    /// a padded step passes it straight to h_{t-1}. The weight gradients are one GEMM over all steps:
    /// dWx = X_flatᵀ·dA_flat, dWh = H_prev_flatᵀ·dA_flat (dA = pre-activation gradients, (T·N, H)), db = Σ dA.
    /// </summary>
    /// <param name="dh">Upstream gradient of every hidden state (N, T, H).</param>
    /// <param name="cache">From <see cref="RnnForward"/>.</param>
    /// <param name="needDx">False to skip the dx GEMM when the input needs no gradient (dx is then null).</param>
    /// <returns>dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H).</returns>
    public static (Tensor dx, Tensor dh0, Tensor dWx, Tensor dWh, Tensor db) RnnBackward(Tensor dh, RnnCache cache, bool needDx = true)
    {
        long n = cache.N, t = cache.T, d = cache.D, hs = cache.H;
        Shapes.Require(dh, nameof(dh), "(N, T, H)", n, t, hs);
        using var scope = torch.NewDisposeScope();
        // grads[s + 1] accumulates dL/dh_s: the upstream dh[:, s] (copied in time-major up front) plus, once step s+1
        // is done, what it sends back (added in place by addmm_). grads[0] collects dL/dh0. After step s has read it,
        // grads[s + 1] is turned in place into dA_s, the pre-activation gradient: no per-step allocation.
        var grads = torch.empty(new[] { t + 1, n, hs }, cache.States.dtype, cache.States.device);
        grads[0].zero_();
        grads.narrow(0, 1, t).copy_(dh.transpose(0, 1));
        // tanh' of every step (times the mask when there is one), one vectorised op instead of T small ones.
        var factor = 1 - cache.Candidates * cache.Candidates;
        Tensor? pass = null;
        if (cache.Mask is not null)
        {
            factor.mul_(cache.Mask);
            pass = 1 - cache.Mask;                     // padding: h_s = h_{s-1}, so dL/dh_s flows on unchanged
        }
        // Contiguous copies of the transposed weights: libtorch's BLAS runs plain row-major operands faster than
        // transposed views here (H = 256: 256 KB, copied once per backward).
        var WhT = cache.Wh.t().contiguous();
        for (long s = t - 1; s >= 0; s--)
        {
            using var step = torch.NewDisposeScope();
            var dhs = grads[s + 1];                    // dL/dh_s, complete now
            var prev = grads[s];
            if (pass is not null) prev.addcmul_(dhs, pass[s], 1);
            var da = dhs.mul_(factor[s]);             // dA_s (N, H), in place
            prev.addmm_(da, WhT);                      // dL/dh_{s-1} += dA_s · Whᵀ
        }
        var dA = grads.narrow(0, 1, t);
        var dnext = grads[0];
        var dAFlat = dA.reshape(t * n, hs);            // contiguous block of grads: a view, no copy
        var dWx = cache.XFlat.t().mm(dAFlat);
        var dWh = cache.States.narrow(0, 0, t).reshape(t * n, hs).t().mm(dAFlat);
        var db = dAFlat.sum(0L);
        Tensor? dx = needDx ? dAFlat.mm(cache.Wx.t().contiguous()).view(t, n, d).transpose(0, 1).contiguous() : null;
        dnext = dnext.clone();                         // dh0 as a tensor of its own, not a view of the work buffer
        scope.MoveToOuter(dnext, dWx, dWh, db);
        if (dx is not null) scope.MoveToOuter(dx);
        return (dx!, dnext, dWx, dWh, db);
    }
}
