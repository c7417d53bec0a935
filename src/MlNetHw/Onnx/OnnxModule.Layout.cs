using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Onnx;

// Memory layout of 4-D activations. Shapes and values are the same in both layouts; only the order of the elements in
// memory differs, and with it the speed of libtorch's oneDNN convolutions on the CPU (docs/onnx-import.md, "Speed").
public sealed partial class OnnxModule
{
    /// <summary>
    /// On the CPU, run 4-D activations and 2-D convolution weights in channels-last (NHWC) memory order, the layout
    /// oneDNN's convolutions run fastest in (no reorder per convolution; measured 1.3–1.4× on ResNet18 features, see
    /// docs/onnx-import.md). Shapes and values are unchanged, and every tensor <see cref="Run(IReadOnlyDictionary{string, Tensor}, IEnumerable{string})"/> returns is contiguous
    /// in the usual (NCHW) order. Stored weights keep their usual layout (checkpoints and ONNX export unchanged).
    /// Default true; ignored on other devices (untested there).
    /// </summary>
    public bool ChannelsLast { get; set; } = true;

    /// <summary>Whether the last <see cref="Run(IReadOnlyDictionary{string, Tensor}, IEnumerable{string})"/> laid its activations out channels-last (for tests).</summary>
    internal bool LastRunChannelsLast { get; private set; }

    bool UseChannelsLast => ChannelsLast && Device.type == DeviceType.CPU;

    /// <summary>True when <paramref name="t"/> is 4-D with channels-last strides (the channel varies fastest).</summary>
    internal static bool IsChannelsLast(Tensor t) =>
        t.dim() == 4 && t.shape[1] > 1 && t.stride(1) == 1 && t.stride(3) == t.shape[1] && t.stride(2) == t.shape[1] * t.shape[3];

    /// <summary>A channels-last copy of a 4-D tensor (same shape, NHWC memory order); autograd flows through it.</summary>
    internal static Tensor ToChannelsLast(Tensor t)
    {
        using var nhwc = t.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// The graph inputs as the nodes see them: each 4-D input with more than one channel copied channels-last when
    /// <see cref="ChannelsLast"/> applies (the copies are listed in <paramref name="copies"/>, for the caller to dispose).
    /// </summary>
    Dictionary<string, Tensor> LayoutInputs(IReadOnlyDictionary<string, Tensor> inputs, out List<Tensor> copies)
    {
        copies = new List<Tensor>();
        var fed = new Dictionary<string, Tensor>();
        foreach (var (name, t) in inputs)
        {
            bool convert = UseChannelsLast && t.dim() == 4 && t.shape[1] > 1 && t.is_floating_point() && !IsChannelsLast(t);
            if (convert) copies.Add(fed[name] = ToChannelsLast(t));
            else fed[name] = t;
        }
        LastRunChannelsLast = copies.Count > 0;
        return fed;
    }

    /// <summary>A returned value in the usual contiguous order (a channels-last activation is copied once).</summary>
    static Tensor LayoutOutput(Tensor t)
    {
        if (t.dim() != 4 || t.is_contiguous()) return t;
        var c = t.contiguous();
        t.Dispose();
        return c;
    }
}
