using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>Losses with hand-written gradients, usable in TorchSharp autograd graphs.</summary>
public static class ManualLosses
{
    /// <summary>
    /// cs231n's masked temporal softmax loss (summed over time, divided by N) as a 0-dim tensor whose backward is
    /// <see cref="TemporalSoftmaxLoss"/>'s dx.
    /// </summary>
    /// <param name="scores">(N, T, V).</param>
    /// <param name="targets">(N, T) int64.</param>
    /// <param name="mask">(N, T) bool, false where the target is padding.</param>
    public static Tensor TemporalSoftmaxLoss(Tensor scores, Tensor targets, Tensor mask) =>
        TemporalSoftmaxLossFunction.apply(scores, targets, mask);
}
