using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>What <see cref="WordEmbeddingLayer.Backward"/> needs: the indices and the table's shape and dtype.</summary>
/// <param name="X">Word indices (N, T), int64.</param>
/// <param name="W">The embedding table (V, D) that was read (not modified).</param>
public sealed record WordEmbeddingCache(Tensor X, Tensor W);

/// <summary>
/// Word embedding by hand: out[n, t] = W[x[n, t]]. The backward scatters dout back into a (V, D) gradient with
/// index_add, so a word that occurs several times in the batch accumulates the sum of its gradients.
/// </summary>
public static class WordEmbeddingLayer
{
    /// <summary>Looks up every index.</summary>
    /// <param name="x">Word indices (N, T), int64, each in [0, V).</param>
    /// <param name="W">Embedding table (V, D).</param>
    /// <returns>out (N, T, D) and the cache for <see cref="Backward"/>.</returns>
    public static (Tensor output, WordEmbeddingCache cache) Forward(Tensor x, Tensor W)
    {
        Shapes.Require(x, nameof(x), "(N, T)", -1, -1);
        Shapes.RequireIndices(x, nameof(x));
        Shapes.Require(W, nameof(W), "(V, D)", -1, -1);
        long v = W.shape[0];
        if (x.numel() > 0)
        {
            long lo = x.min().item<long>(), hi = x.max().item<long>();
            if (lo < 0 || hi >= v)
                throw new ArgumentOutOfRangeException(nameof(x), $"word index {(lo < 0 ? lo : hi)} is outside the vocabulary [0, {v}).");
        }
        using var scope = torch.NewDisposeScope();
        var output = W.index_select(0, x.reshape(-1)).view(x.shape[0], x.shape[1], W.shape[1]);
        return (scope.MoveToOuter(output), new WordEmbeddingCache(x, W));
    }

    /// <summary>Gradient of the table: dW[v] = Σ over positions with x[n, t] = v of dout[n, t].</summary>
    /// <param name="dout">Upstream gradient (N, T, D).</param>
    /// <param name="cache">From <see cref="Forward"/>.</param>
    /// <returns>dW (V, D).</returns>
    public static Tensor Backward(Tensor dout, WordEmbeddingCache cache)
    {
        Shapes.Require(dout, nameof(dout), "(N, T, D)", cache.X.shape[0], cache.X.shape[1], cache.W.shape[1]);
        using var scope = torch.NewDisposeScope();
        var dW = torch.zeros(cache.W.shape, dout.dtype, dout.device)
            .index_add_(0, cache.X.reshape(-1), dout.reshape(-1, cache.W.shape[1]), 1);
        return scope.MoveToOuter(dW);
    }
}
