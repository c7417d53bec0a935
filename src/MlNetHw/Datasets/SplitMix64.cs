namespace MlNetHw.Datasets;

/// <summary>
/// A tiny seeded generator (SplitMix64) used to draw and shuffle dataset items. <see cref="System.Random"/>'s sequence
/// is an implementation detail of the runtime; this one is fixed here, so a seed gives the same split on every
/// machine and .NET version, which the manifest checksums rely on.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    ulong _state = seed;

    /// <summary>The next 64 pseudo-random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n) (rejection sampling, no modulo bias).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong limit = ulong.MaxValue - ulong.MaxValue % (ulong)n;
        ulong r;
        do r = Next(); while (r >= limit);
        return (int)(r % (ulong)n);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
