using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// Converts weights between the manual layers and TorchSharp's single-layer, unidirectional <c>nn.RNN</c> (tanh) and
/// <c>nn.LSTM</c>. TorchSharp stores weight_ih_l0 (G·H, D) and weight_hh_l0 (G·H, H) transposed relative to Wx (D, G·H)
/// and Wh (H, G·H), and two biases bias_ih_l0 + bias_hh_l0 where the manual layers have one. Its LSTM gate blocks are
/// ordered i, f, g, o; the manual LSTM's are i, f, o, g, so the last two blocks swap (the swap is its own inverse).
/// Going to TorchSharp, the manual b becomes bias_ih and bias_hh is set to zero; coming back, b = bias_ih + bias_hh.
/// </summary>
public static class TorchRecurrentWeights
{
    /// <summary>Swaps gate blocks 2 and 3 along <paramref name="dim"/> (i,f,o,g ↔ i,f,g,o); returns a new tensor.</summary>
    public static Tensor SwapLastTwoGates(Tensor t, long dim)
    {
        long h = t.shape[dim] / 4;
        if (h * 4 != t.shape[dim]) throw new ArgumentException($"dimension {dim} of size {t.shape[dim]} is not 4·H.", nameof(t));
        return torch.cat(new[] { t.narrow(dim, 0, 2 * h), t.narrow(dim, 3 * h, h), t.narrow(dim, 2 * h, h) }, dim);
    }

    /// <summary>Manual LSTM (Wx (D,4H), Wh (H,4H), b (4H), order i,f,o,g) → nn.LSTM (w_ih, w_hh, b_ih, b_hh, order i,f,g,o).</summary>
    public static (Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh) LstmToTorch(Tensor Wx, Tensor Wh, Tensor b) =>
        (SwapLastTwoGates(Wx, 1).t().contiguous(), SwapLastTwoGates(Wh, 1).t().contiguous(),
         SwapLastTwoGates(b, 0), torch.zeros_like(b));

    /// <summary>nn.LSTM (w_ih (4H,D), w_hh (4H,H), b_ih, b_hh, order i,f,g,o) → manual (Wx, Wh, b, order i,f,o,g).</summary>
    public static (Tensor Wx, Tensor Wh, Tensor b) LstmFromTorch(Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh) =>
        (SwapLastTwoGates(wIh, 0).t().contiguous(), SwapLastTwoGates(wHh, 0).t().contiguous(), SwapLastTwoGates(bIh + bHh, 0));

    /// <summary>Manual RNN (Wx (D,H), Wh (H,H), b (H)) → nn.RNN (w_ih (H,D), w_hh (H,H), b_ih = b, b_hh = 0).</summary>
    public static (Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh) RnnToTorch(Tensor Wx, Tensor Wh, Tensor b) =>
        (Wx.t().contiguous(), Wh.t().contiguous(), b.clone(), torch.zeros_like(b));

    /// <summary>nn.RNN weights → manual (Wx, Wh, b = b_ih + b_hh).</summary>
    public static (Tensor Wx, Tensor Wh, Tensor b) RnnFromTorch(Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh) =>
        (wIh.t().contiguous(), wHh.t().contiguous(), bIh + bHh);

    /// <summary>Copies a <see cref="ManualLstm"/>'s weights into a single-layer unidirectional nn.LSTM of the same sizes.</summary>
    public static void CopyTo(ManualLstm source, LSTM target)
    {
        using var scope = torch.NewDisposeScope();
        var (wIh, wHh, bIh, bHh) = LstmToTorch(source.Wx, source.Wh, source.b);
        Assign(target, wIh, wHh, bIh, bHh);
    }

    /// <summary>Copies a single-layer unidirectional nn.LSTM's weights into a <see cref="ManualLstm"/>.</summary>
    public static void CopyFrom(LSTM source, ManualLstm target)
    {
        using var scope = torch.NewDisposeScope();
        var (wIh, wHh, bIh, bHh) = Read(source);
        var (wx, wh, b) = LstmFromTorch(wIh, wHh, bIh, bHh);
        using var noGrad = torch.no_grad();
        Copy(target.Wx, wx, "Wx"); Copy(target.Wh, wh, "Wh"); Copy(target.b, b, "b");
    }

    /// <summary>Copies a <see cref="ManualRnn"/>'s weights into a single-layer unidirectional tanh nn.RNN.</summary>
    public static void CopyTo(ManualRnn source, RNN target)
    {
        using var scope = torch.NewDisposeScope();
        var (wIh, wHh, bIh, bHh) = RnnToTorch(source.Wx, source.Wh, source.b);
        Assign(target, wIh, wHh, bIh, bHh);
    }

    /// <summary>Copies a single-layer unidirectional tanh nn.RNN's weights into a <see cref="ManualRnn"/>.</summary>
    public static void CopyFrom(RNN source, ManualRnn target)
    {
        using var scope = torch.NewDisposeScope();
        var (wIh, wHh, bIh, bHh) = Read(source);
        var (wx, wh, b) = RnnFromTorch(wIh, wHh, bIh, bHh);
        using var noGrad = torch.no_grad();
        Copy(target.Wx, wx, "Wx"); Copy(target.Wh, wh, "Wh"); Copy(target.b, b, "b");
    }

    static readonly string[] Names = { "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0" };

    static (Tensor, Tensor, Tensor, Tensor) Read(nn.Module module)
    {
        var p = Names.Select(n => (Tensor?)module.get_parameter(n)
            ?? throw new ArgumentException($"{module.GetType().Name} has no parameter '{n}': only single-layer, unidirectional modules with biases convert.")).ToArray();
        return (p[0].detach(), p[1].detach(), p[2].detach(), p[3].detach());
    }

    static void Assign(nn.Module module, params Tensor[] values)
    {
        if (module.named_parameters().Count() != 4)
            throw new ArgumentException($"{module.GetType().Name} must be single-layer and unidirectional with biases (4 parameters), it has {module.named_parameters().Count()}.");
        using var noGrad = torch.no_grad();
        for (int i = 0; i < 4; i++)
            Copy(module.get_parameter(Names[i]) ?? throw new ArgumentException($"no parameter {Names[i]}"), values[i], Names[i]);
    }

    static void Copy(Tensor target, Tensor value, string name)
    {
        if (!target.shape.SequenceEqual(value.shape))
            throw new ArgumentException($"{name}: shapes differ, target ({string.Join(", ", target.shape)}) vs source ({string.Join(", ", value.shape)}).");
        target.copy_(value);
    }
}
