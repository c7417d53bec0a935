using TorchSharp;
using static TorchSharp.torch;

using MlNetHw.Recurrent;

namespace MlNetHw.RecurrentLayers;

/// <summary>
/// A tiny sequence task that needs memory and variable lengths: each sequence is random tokens 1..V-1 of a random
/// length in [MinLength, T] padded with token 0; the target at step t is the input token <see cref="Delay"/> steps
/// earlier. Steps before the delay and padding are masked out of the loss. Chance accuracy is 1/(V-1); a recurrent
/// model has to carry the last <see cref="Delay"/> tokens in its state to solve it.
/// </summary>
public sealed record DelayedCopyTask(int Vocabulary = 10, int T = 12, int MinLength = 5, int Delay = 2)
{
    /// <summary>A batch: tokens x (N, T) int64, targets y (N, T) int64, input mask (N, T) bool, loss mask (N, T) bool.</summary>
    public (Tensor x, Tensor y, Tensor inputMask, Tensor lossMask) Batch(int n, Generator generator, Device device)
    {
        if (MinLength <= Delay || MinLength > T) throw new ArgumentException($"need Delay < MinLength <= T (got {Delay}, {MinLength}, {T}).");
        using var scope = torch.NewDisposeScope();
        var tokens = torch.randint(1, Vocabulary, new long[] { n, T }, ScalarType.Int64, generator: generator);
        var lengths = torch.randint(MinLength, T + 1, new long[] { n, 1 }, ScalarType.Int64, generator: generator);
        var steps = torch.arange(T, ScalarType.Int64).unsqueeze(0);
        var inputMask = steps.lt(lengths);
        var x = tokens.masked_fill(inputMask.logical_not(), 0);
        var y = torch.zeros(new long[] { n, T }, ScalarType.Int64);
        y.narrow(1, Delay, T - Delay).copy_(x.narrow(1, 0, T - Delay));
        var lossMask = inputMask.logical_and(steps.ge(Delay));
        var result = (x.to(device), y.to(device), inputMask.to(device), lossMask.to(device));
        scope.MoveToOuter(result.Item1, result.Item2, result.Item3, result.Item4);
        return result;
    }
}
