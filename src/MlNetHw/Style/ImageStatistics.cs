using static TorchSharp.torch;

namespace MlNetHw.Style;

/// <summary>
/// Network-independent measures of how much an image looks like the painting, used to compare loss variants whose
/// own loss values are not comparable (raw vs smoothed activations). Both are overlaps of normalised histograms
/// (Σ min(p, q)): 1 = identical distributions, 0 = disjoint.
/// </summary>
public static class ImageStatistics
{
    /// <summary>Overlap of the 8×8×8-bin RGB colour histograms of two (1, 3, H, W) images in [0, 1] (palette similarity).</summary>
    public static double ColourOverlap(Tensor a, Tensor b) => Overlap(ColourHistogram(a), ColourHistogram(b));

    /// <summary>
    /// Overlap of the 32-bin histograms of local gradient magnitude (|∂x| + |∂y| of the grey image, 32 bins of 1/64; larger values share the last): how much
    /// fine edge and brush-stroke energy the two images share.
    /// </summary>
    public static double TextureOverlap(Tensor a, Tensor b) => Overlap(GradientHistogram(a), GradientHistogram(b));

    static double Overlap(double[] p, double[] q) => p.Zip(q, Math.Min).Sum();

    static float[] Planes(Tensor image, out int plane)
    {
        using var cpu = image.detach().to(CPU).to_type(ScalarType.Float32).reshape(3, -1).clamp(0, 1).contiguous();
        plane = (int)cpu.shape[1];
        return cpu.data<float>().ToArray();
    }

    static double[] ColourHistogram(Tensor image)
    {
        var v = Planes(image, out int n);
        var h = new double[512];
        for (int i = 0; i < n; i++)
        {
            int r = Math.Min(7, (int)(v[i] * 8)), g = Math.Min(7, (int)(v[n + i] * 8)), b = Math.Min(7, (int)(v[2 * n + i] * 8));
            h[r * 64 + g * 8 + b] += 1.0 / n;
        }
        return h;
    }

    static double[] GradientHistogram(Tensor image)
    {
        int hgt = (int)image.shape[^2], wid = (int)image.shape[^1];
        var v = Planes(image, out int n);
        var grey = new float[n];
        for (int i = 0; i < n; i++) grey[i] = 0.299f * v[i] + 0.587f * v[n + i] + 0.114f * v[2 * n + i];
        const int bins = 32;
        var h = new double[bins];
        int count = (hgt - 1) * (wid - 1);
        for (int y = 0; y < hgt - 1; y++)
            for (int x = 0; x < wid - 1; x++)
            {
                int i = y * wid + x;
                float g = Math.Abs(grey[i + 1] - grey[i]) + Math.Abs(grey[i + wid] - grey[i]);
                h[Math.Min(bins - 1, (int)(g * 2 * bins))] += 1.0 / Math.Max(1, count);
            }
        return h;
    }
}
