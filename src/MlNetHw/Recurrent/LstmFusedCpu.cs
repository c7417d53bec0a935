using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// The element-wise part of an LSTM time step, forward and backward, fused into one pass per batch row over CPU memory
/// (float32 or float64). <see cref="LstmLayers"/> uses it for CPU tensors; other devices and dtypes keep the
/// libtorch-op path, which computes the same formulas.
/// <para>
/// Why: with N=64, H=256 a step's GEMM takes about 0.3 ms here, and the 10-15 separate libtorch calls of the
/// element-wise part (activations, cell update, tanh, masking; in the backward the gate derivatives) cost as much
/// again. Each call pays dispatch and walks memory once more, and the backward's whole-sequence precomputation walked
/// 8 MB a dozen times. Fused, a step costs one GEMM plus one pass whose rows stay in L1.
/// </para>
/// Layouts (row-major, contiguous): gates (N, 4H) with blocks [i | f | o | g]; states and cells (N, H); the mask is
/// one value per row (1 = real step, 0 = padding), or null.
/// </summary>
internal static unsafe class LstmFusedCpu
{
    /// <summary>True when every tensor is a CPU float32/float64 tensor that fits a span (the fused kernels apply).</summary>
    public static bool Applies(params Tensor[] tensors)
    {
        foreach (var t in tensors)
            if (t.device_type != TorchSharp.DeviceType.CPU || (t.dtype != ScalarType.Float32 && t.dtype != ScalarType.Float64)
                || t.numel() * t.ElementSize > int.MaxValue)
                return false;
        return true;
    }

    /// <summary>Address of a contiguous CPU tensor's first element (the tensor must outlive every use of it).</summary>
    public static T* Ptr<T>(Tensor t) where T : unmanaged
    {
        if (!t.is_contiguous()) throw new InvalidOperationException("LstmFusedCpu needs contiguous tensors (internal error).");
        return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));
    }

    /// <summary>
    /// Forward of one step after the GEMM. <paramref name="a"/> (N, 4H) holds x·Wx + h·Wh + b and is activated in
    /// place: i, f, o = σ(·), g = tanh(·). Writes c' = f⊙c + i⊙g, tanh(c') and h' = o⊙tanh(c'); a padded row
    /// (mask 0) then carries both states over (h' = h, c' = c), its gates and tanh(c') kept for the cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot numeric loops: skip the unoptimised first JIT tier
    public static void ForwardStep<T>(T* a, T* prevH, T* prevC, T* nextH, T* nextC, T* tanhC, T* mask, int n, int h)
        where T : unmanaged, IExponentialFunctions<T>, IHyperbolicFunctions<T>
    {
        for (int r = 0; r < n; r++)
        {
            T* ar = a + (long)r * 4 * h;
            long o = (long)r * h;
            var sig = new Span<T>(ar, 3 * h);
            TensorPrimitives.Sigmoid<T>(sig, sig);
            var g = new Span<T>(ar + 3 * h, h);
            TensorPrimitives.Tanh<T>(g, g);
            var c = new Span<T>(nextC + o, h);
            TensorPrimitives.Multiply<T>(new ReadOnlySpan<T>(ar + h, h), new ReadOnlySpan<T>(prevC + o, h), c);
            TensorPrimitives.MultiplyAdd<T>(new ReadOnlySpan<T>(ar, h), g, c, c);
            var tc = new Span<T>(tanhC + o, h);
            TensorPrimitives.Tanh<T>(c, tc);
            TensorPrimitives.Multiply<T>(new ReadOnlySpan<T>(ar + 2 * h, h), tc, new Span<T>(nextH + o, h));
            if (mask is not null && mask[r] == T.Zero)
            {
                new ReadOnlySpan<T>(prevC + o, h).CopyTo(c);
                new ReadOnlySpan<T>(prevH + o, h).CopyTo(new Span<T>(nextH + o, h));
            }
        }
    }

    /// <summary>
    /// Backward of one step, before the dA·Whᵀ GEMM. In: the step's activated <paramref name="gates"/> (N, 4H),
    /// tanh(c') <paramref name="tanhC"/>, the previous cell <paramref name="prevC"/>, <paramref name="dh"/> = dL/dh'
    /// (complete), <paramref name="dc"/> = dL/dc' from the later steps. Out: <paramref name="dA"/> (N, 4H), the
    /// gradient of the pre-activations; <paramref name="dc"/> becomes dL/dc = dc'⊙f. With
    /// dc' = dc + dh⊙o⊙(1 - tanh²c'): dA = [dc'⊙g⊙i(1-i) | dc'⊙c⊙f(1-f) | dh⊙tanh(c')⊙o(1-o) | dc'⊙i⊙(1-g²)].
    /// A padded row (mask 0) passed both states through in the forward, so dh goes to
    /// <paramref name="dprevH"/> as is, dc stays, and its dA is 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot numeric loops: skip the unoptimised first JIT tier
    public static void BackwardStep<T>(T* gates, T* tanhC, T* prevC, T* dh, T* dprevH, T* dc, T* dA, T* mask, int n, int h)
        where T : unmanaged, INumber<T>
    {
        int width = Vector256.IsHardwareAccelerated ? Vector256<T>.Count : 0;
        for (int r = 0; r < n; r++)
        {
            T* ga = gates + (long)r * 4 * h, da = dA + (long)r * 4 * h;
            long o = (long)r * h;
            T* tc = tanhC + o, cp = prevC + o, dhr = dh + o, dcr = dc + o;
            if (mask is not null && mask[r] == T.Zero)
            {
                new Span<T>(da, 4 * h).Clear();
                TensorPrimitives.Add<T>(new ReadOnlySpan<T>(dprevH + o, h), new ReadOnlySpan<T>(dhr, h), new Span<T>(dprevH + o, h));
                continue;
            }
            int j = 0;
            if (width > 0)
            {
                var one = Vector256<T>.One;
                for (; j <= h - width; j += width)
                {
                    var i = Vector256.Load(ga + j);
                    var f = Vector256.Load(ga + h + j);
                    var og = Vector256.Load(ga + 2 * h + j);
                    var g = Vector256.Load(ga + 3 * h + j);
                    var t = Vector256.Load(tc + j);
                    var d = Vector256.Load(dhr + j);
                    var dcv = Vector256.Load(dcr + j) + d * og * (one - t * t);
                    (dcv * g * i * (one - i)).Store(da + j);
                    (dcv * Vector256.Load(cp + j) * f * (one - f)).Store(da + h + j);
                    (d * t * og * (one - og)).Store(da + 2 * h + j);
                    (dcv * i * (one - g * g)).Store(da + 3 * h + j);
                    (dcv * f).Store(dcr + j);
                }
            }
            for (; j < h; j++)
            {
                T i = ga[j], f = ga[h + j], og = ga[2 * h + j], g = ga[3 * h + j], t = tc[j], d = dhr[j];
                T dcv = dcr[j] + d * og * (T.One - t * t);
                da[j] = dcv * g * i * (T.One - i);
                da[h + j] = dcv * cp[j] * f * (T.One - f);
                da[2 * h + j] = d * t * og * (T.One - og);
                da[3 * h + j] = dcv * i * (T.One - g * g);
                dcr[j] = dcv * f;
            }
        }
    }

    /// <summary>
    /// The recurrence of <see cref="LstmLayers.LstmForward"/> on CPU: per step one GEMM (gates[s] += h·Wh) and one
    /// fused pass. Buffers as in <see cref="LstmCache"/>: gates (T, N, 4H) pre-filled with x·Wx + b, states/cells
    /// (T+1, N, H) with [0] = h0 / c0, tanhC (T, N, H); mask (T, N, 1) contiguous in the same dtype, or null.
    /// </summary>
    public static void ForwardLoop(Tensor gates, Tensor states, Tensor cells, Tensor tanhC, Tensor? mask, Tensor Wh)
    {
        if (gates.dtype == ScalarType.Float32) ForwardLoop<float>(gates, states, cells, tanhC, mask, Wh);
        else ForwardLoop<double>(gates, states, cells, tanhC, mask, Wh);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot numeric loops: skip the unoptimised first JIT tier
    static void ForwardLoop<T>(Tensor gates, Tensor states, Tensor cells, Tensor tanhC, Tensor? mask, Tensor Wh)
        where T : unmanaged, IExponentialFunctions<T>, IHyperbolicFunctions<T>
    {
        long t = gates.shape[0];
        int n = (int)gates.shape[1], h = (int)states.shape[2];
        long gateStep = (long)n * 4 * h, stateStep = (long)n * h;
        T* g = Ptr<T>(gates), st = Ptr<T>(states), ce = Ptr<T>(cells), tc = Ptr<T>(tanhC);
        T* m = mask is null ? null : Ptr<T>(mask);
        for (long s = 0; s < t; s++)
        {
            using (var scope = NewDisposeScope()) gates[s].addmm_(states[s], Wh);
            ForwardStep(g + s * gateStep, st + s * stateStep, ce + s * stateStep, st + (s + 1) * stateStep,
                ce + (s + 1) * stateStep, tc + s * stateStep, m is null ? null : m + s * n, n, h);
        }
    }

    /// <summary>
    /// The recurrence of <see cref="LstmLayers.LstmBackward"/> on CPU, from the last step to the first: one fused
    /// pass writes dA[s] and carries dc, then one GEMM adds dA[s]·Whᵀ to gradH[s]. gradH (T+1, N, H) holds the
    /// upstream dL/dh_s at [s+1] and 0 at [0] on entry, dL/dh0 at [0] on exit; dc (N, H) starts at 0.
    /// </summary>
    public static void BackwardLoop(LstmCache cache, Tensor gradH, Tensor dc, Tensor dA, Tensor WhT)
    {
        if (dA.dtype == ScalarType.Float32) BackwardLoop<float>(cache, gradH, dc, dA, WhT);
        else BackwardLoop<double>(cache, gradH, dc, dA, WhT);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot numeric loops: skip the unoptimised first JIT tier
    static void BackwardLoop<T>(LstmCache cache, Tensor gradH, Tensor dc, Tensor dA, Tensor WhT)
        where T : unmanaged, INumber<T>
    {
        long t = cache.T;
        int n = (int)cache.N, h = (int)cache.H;
        long gateStep = (long)n * 4 * h, stateStep = (long)n * h;
        T* g = Ptr<T>(cache.Gates), tc = Ptr<T>(cache.TanhC), ce = Ptr<T>(cache.Cells);
        T* gh = Ptr<T>(gradH), dcp = Ptr<T>(dc), da = Ptr<T>(dA);
        T* m = cache.Mask is null ? null : Ptr<T>(cache.Mask);
        for (long s = t - 1; s >= 0; s--)
        {
            BackwardStep(g + s * gateStep, tc + s * stateStep, ce + s * stateStep, gh + (s + 1) * stateStep,
                gh + s * stateStep, dcp, da + s * gateStep, m is null ? null : m + s * n, n, h);
            using var scope = NewDisposeScope();
            gradH[s].addmm_(dA[s], WhT);
        }
    }
}
