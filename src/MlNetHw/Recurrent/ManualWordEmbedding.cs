using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// A word-embedding table as a TorchSharp module whose gradient is the hand-written
/// <see cref="WordEmbeddingLayer.Backward"/> (repeated words accumulate). Parameter <c>W</c> (V, D), initialised
/// N(0, 1) like nn.Embedding; <see cref="LoadVectors"/> copies pretrained vectors (GloVe) in and
/// <see cref="Freeze"/> stops training them.
/// </summary>
public sealed class ManualWordEmbedding : nn.Module<Tensor, Tensor>
{
    /// <summary>The table (V, D).</summary>
    public Parameter W;

    /// <summary>V, the number of rows (words).</summary>
    public long VocabularySize { get; }
    /// <summary>D, the size of each word vector.</summary>
    public long Dimension { get; }

    /// <summary>A (V = <paramref name="vocab"/>, D = <paramref name="dim"/>) table, N(0, 1); non-positive sizes throw.</summary>
    public ManualWordEmbedding(long vocab, long dim, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(ManualWordEmbedding))
    {
        if (vocab <= 0 || dim <= 0)
            throw new ArgumentOutOfRangeException(nameof(vocab), $"sizes must be positive (vocab={vocab}, dim={dim}).");
        VocabularySize = vocab;
        Dimension = dim;
        W = new Parameter(torch.randn(new[] { vocab, dim }, dtype, device));
        RegisterComponents();
    }

    /// <summary>Looks the words up.</summary>
    /// <param name="x">Word indices (N, T), int64.</param>
    /// <returns>(N, T, D).</returns>
    public override Tensor forward(Tensor x) => WordEmbeddingFunction.apply(x, W);

    /// <summary>Copies <paramref name="vectors"/> (V, D) into the table (converted to its dtype and device).</summary>
    public ManualWordEmbedding LoadVectors(Tensor vectors)
    {
        Shapes.Require(vectors, nameof(vectors), "(V, D)", VocabularySize, Dimension);
        using var noGrad = torch.no_grad();
        W.copy_(vectors);
        return this;
    }

    /// <summary>Stops (or, with false, resumes) training the table: W.requires_grad = !frozen.</summary>
    public ManualWordEmbedding Freeze(bool frozen = true)
    {
        W.requires_grad_(!frozen);
        return this;
    }

    /// <summary>True when the table is not trained.</summary>
    public bool IsFrozen => !W.requires_grad;

    /// <summary>A table initialised from <paramref name="vectors"/> (V, D), frozen when <paramref name="freeze"/>.</summary>
    public static ManualWordEmbedding FromPretrained(Tensor vectors, bool freeze = true)
    {
        Shapes.Require(vectors, nameof(vectors), "(V, D)", -1, -1);
        var e = new ManualWordEmbedding(vectors.shape[0], vectors.shape[1], vectors.dtype, vectors.device);
        return e.LoadVectors(vectors).Freeze(freeze);
    }
}
