using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>Shape and dtype checks shared by the recurrent layers, with messages that name the argument.</summary>
internal static class Shapes
{
    /// <summary>Throws unless <paramref name="t"/> has exactly the given sizes (-1 = any size).</summary>
    public static void Require(Tensor? t, string name, string layout, params long[] sizes)
    {
        if (t is null) throw new ArgumentNullException(name, $"{name} {layout} is required.");
        bool ok = t.dim() == sizes.Length;
        for (int i = 0; ok && i < sizes.Length; i++) ok = sizes[i] < 0 || t.shape[i] == sizes[i];
        if (!ok)
            throw new ArgumentException(
                $"{name} must have shape {layout} = ({string.Join(", ", sizes.Select(s => s < 0 ? "*" : s.ToString()))}), got ({string.Join(", ", t.shape)}).", name);
    }

    /// <summary>Throws unless <paramref name="t"/> is floating point and has the same dtype as <paramref name="reference"/>.</summary>
    public static void SameFloatType(Tensor t, string name, Tensor reference, string referenceName)
    {
        if (!t.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor (float32 or float64), got {t.dtype}.", name);
        if (t.dtype != reference.dtype)
            throw new ArgumentException($"{name} has dtype {t.dtype} but {referenceName} has {reference.dtype}; convert them to one dtype.", name);
    }

    /// <summary>
    /// Checks the forward arguments of a sequence layer: x (N, T, D) with T ≥ 1, h0 (N, H), Wx (D, G·H), Wh (H, G·H) and
    /// b (G·H), all of x's floating-point dtype, where G is the number of gate blocks (1 for the RNN, 4 for the LSTM).
    /// </summary>
    /// <returns>N, T, D and H.</returns>
    public static (long N, long T, long D, long H) RequireSequenceArguments(Tensor x, Tensor h0, Tensor Wx, Tensor Wh, Tensor b, int gates)
    {
        Require(x, nameof(x), "(N, T, D)", -1, -1, -1);
        long n = x.shape[0], t = x.shape[1], d = x.shape[2], h = Wh.shape[0];
        string gh = gates == 1 ? "H" : $"{gates}H";
        Require(h0, nameof(h0), "(N, H)", n, h);
        Require(Wx, nameof(Wx), $"(D, {gh})", d, gates * h);
        Require(Wh, nameof(Wh), $"(H, {gh})", h, gates * h);
        Require(b, nameof(b), $"({gh})", gates * h);
        SameFloatType(h0, nameof(h0), x, nameof(x));
        SameFloatType(Wx, nameof(Wx), x, nameof(x));
        SameFloatType(Wh, nameof(Wh), x, nameof(x));
        SameFloatType(b, nameof(b), x, nameof(x));
        if (t == 0) throw new ArgumentException("x has no time steps (T = 0).", nameof(x));
        return (n, t, d, h);
    }

    /// <summary>Checks an optional (N, T) padding mask and returns it time-major as (T, N, 1) in <paramref name="dtype"/>, or null.</summary>
    public static Tensor? TimeMajorMask(Tensor? mask, long n, long t, ScalarType dtype)
    {
        if (mask is null) return null;
        Require(mask, "mask", "(N, T)", n, t);
        if (mask.dtype != ScalarType.Bool)
            throw new ArgumentException($"mask must be a bool tensor (true = real token, false = padding), got {mask.dtype}.", nameof(mask));
        return mask.transpose(0, 1).unsqueeze(2).to_type(dtype).contiguous();
    }

    /// <summary>Checks that <paramref name="x"/> is an int64 index tensor.</summary>
    public static void RequireIndices(Tensor x, string name)
    {
        if (x.dtype != ScalarType.Int64)
            throw new ArgumentException($"{name} must be an int64 index tensor, got {x.dtype}.", name);
    }
}
