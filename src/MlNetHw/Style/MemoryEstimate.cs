using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Style;

/// <summary>
/// Estimated memory of one style-transfer run, computed before any full-size tensor exists: the network is probed
/// once at a small size (no gradients) and its activations are scaled to the requested size (not for a graph that
/// runs at its fixed input size, to which every image is resized).
/// </summary>
/// <param name="ActivationBytes">Bytes of every feature map up to the deepest requested layer, at the requested size.</param>
/// <param name="OptimizerBytes">Image-sized buffers: the image, its gradient and the L-BFGS history (2 per remembered step).</param>
/// <param name="DeepestLayer">The last layer evaluated.</param>
public sealed record MemoryEstimate(long ActivationBytes, long OptimizerBytes, string DeepestLayer)
{
    /// <summary>
    /// Peak bytes: activations twice (autograd keeps them for the backward pass, which then produces gradients of the
    /// same size) plus the optimiser's buffers. Errs on the high side: freed intermediates are counted as kept.
    /// </summary>
    public long TotalBytes => 2 * ActivationBytes + OptimizerBytes;

    /// <summary>Side of the square probe image.</summary>
    public const int ProbeSize = 96;

    /// <summary>Estimates the run at <paramref name="height"/>×<paramref name="width"/> for the given layers.</summary>
    public static MemoryEstimate For(IFeatureExtractor extractor, IReadOnlyCollection<string> layers, int height, int width, int lbfgsHistory)
    {
        var names = extractor.LayerNames;
        int deepest = layers.Select(l => IndexOf(names, l)).Max();
        var upTo = names.Take(deepest + 1).ToList();
        long probeElements = 0;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var probe = full(new long[] { 1, 3, ProbeSize, ProbeSize }, 0.5f, device: extractor.Device);
            foreach (var t in extractor.Extract(probe, upTo).Values) probeElements += t.numel();
        }
        // A graph run at its fixed input size (OnnxFeatureExtractor.ResizeTo) sees every image, the probe included, at
        // that size: its activations do not grow with the requested one.
        double scale = extractor is OnnxFeatureExtractor { ResizeTo: not null } ? 1 : (double)height * width / (ProbeSize * ProbeSize);
        long activations = (long)(probeElements * 4 * scale);
        long imageBytes = 3L * height * width * 4;
        long optimizer = (2L * lbfgsHistory + 8) * imageBytes;
        return new MemoryEstimate(activations, optimizer, names[deepest]);
    }

    static int IndexOf(IReadOnlyList<string> names, string layer)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == layer) return i;
        throw new ArgumentException($"layer '{layer}' is not in the graph.");
    }

    /// <summary>
    /// Memory this process can still use on <paramref name="device"/>: MemAvailable on Linux, the GC's view elsewhere;
    /// null for GPUs (TorchSharp does not report free GPU memory; set a limit explicitly there).
    /// </summary>
    public static long? AvailableBytes(Device device)
    {
        if (device.type != DeviceType.CPU) return null;
        try
        {
            if (File.Exists("/proc/meminfo"))
                foreach (var line in File.ReadLines("/proc/meminfo"))
                    if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>Human-readable size (1.2 GiB).</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        _ => $"{bytes / 1024.0:0.0} KiB",
    };
}
