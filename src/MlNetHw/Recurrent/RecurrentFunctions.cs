using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

// TorchSharp custom autograd functions whose backward IS the hand-written backward of this folder: autograd calls
// the forward below with grad recording off, keeps the cache in the node, and calls the matching backward when
// loss.backward() reaches it. The gradients returned line up one-to-one with the apply(...) arguments (null for
// arguments that are not tensors or need no gradient).
//
// The cache is kept with save_data rather than save_for_backward: it holds the forward's intermediate tensors, none
// of which is an output of the node (outputs are separate tensors), so no reference cycle node -> cache -> output ->
// node is created. The tensors belong to the caller's dispose scope, as any tensor made in forward would.

/// <summary>apply(x, h0, Wx, Wh, b, mask?) → [h]. Backward: <see cref="RnnLayers.RnnBackward"/>.</summary>
internal sealed class RnnFunction : autograd.SingleTensorFunction<RnnFunction>
{
    public override string Name => "ManualRnnBackward";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, h0, wx, wh, b) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
        var (h, cache) = RnnLayers.RnnForward(x, h0, wx, wh, b, vars[5] as Tensor);
        ctx.save_data("cache", cache);
        ctx.save_data("needDx", x.requires_grad);
        return h;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var cache = (RnnCache)ctx.get_data("cache");
        var (dx, dh0, dWx, dWh, db) = RnnLayers.RnnBackward(gradOutput, cache, (bool)ctx.get_data("needDx"));
        return new List<Tensor> { dx, dh0, dWx, dWh, db, null! };
    }
}

/// <summary>apply(x, h0, Wx, Wh, b, mask?) → [h]. Backward: <see cref="LstmLayers.LstmBackward"/>.</summary>
internal sealed class LstmFunction : autograd.SingleTensorFunction<LstmFunction>
{
    public override string Name => "ManualLstmBackward";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, h0, wx, wh, b) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
        var (h, cache) = LstmLayers.LstmForward(x, h0, wx, wh, b, vars[5] as Tensor);
        ctx.save_data("cache", cache);
        ctx.save_data("needDx", x.requires_grad);
        return h;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var cache = (LstmCache)ctx.get_data("cache");
        var (dx, dh0, dWx, dWh, db) = LstmLayers.LstmBackward(gradOutput, cache, (bool)ctx.get_data("needDx"));
        return new List<Tensor> { dx, dh0, dWx, dWh, db, null! };
    }
}

/// <summary>apply(x, W) → [out]. Backward: <see cref="WordEmbeddingLayer.Backward"/> (no gradient for the indices).</summary>
internal sealed class WordEmbeddingFunction : autograd.SingleTensorFunction<WordEmbeddingFunction>
{
    public override string Name => "ManualWordEmbeddingBackward";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (output, cache) = WordEmbeddingLayer.Forward((Tensor)vars[0], (Tensor)vars[1]);
        ctx.save_data("cache", cache);
        return output;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
        new() { null!, WordEmbeddingLayer.Backward(gradOutput, (WordEmbeddingCache)ctx.get_data("cache")) };
}

/// <summary>apply(x, w, b) → [out]. Backward: <see cref="TemporalAffineLayer.Backward"/>.</summary>
internal sealed class TemporalAffineFunction : autograd.SingleTensorFunction<TemporalAffineFunction>
{
    public override string Name => "ManualTemporalAffineBackward";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (output, cache) = TemporalAffineLayer.Forward((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        ctx.save_data("cache", cache);
        return output;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var (dx, dw, db) = TemporalAffineLayer.Backward(gradOutput, (TemporalAffineCache)ctx.get_data("cache"));
        return new() { dx, dw, db };
    }
}

/// <summary>apply(scores, targets, mask) → [loss] (0-dim). Backward: upstream scalar × the loss's dx.</summary>
internal sealed class TemporalSoftmaxLossFunction : autograd.SingleTensorFunction<TemporalSoftmaxLossFunction>
{
    public override string Name => "ManualTemporalSoftmaxLossBackward";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (loss, dx) = TemporalSoftmaxLoss.ComputeTensor((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        ctx.save_data("dx", new TensorBox(dx));
        return loss;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var dx = ((TensorBox)ctx.get_data("dx")).Value;
        return new() { dx * gradOutput, null!, null! };
    }

    /// <summary>save_data refuses bare tensors (it wants save_for_backward); a box carries a non-output tensor.</summary>
    sealed record TensorBox(Tensor Value);
}
