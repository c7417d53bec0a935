using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Text;

/// <summary>The network behind a text classifier.</summary>
public enum TextNetworkKind
{
    /// <summary>Word vectors averaged over the sentence's real words → linear → one logit.</summary>
    Averaged,
    /// <summary>Word vectors → vanilla RNN (manual layer) → last real step's state → linear → one logit.</summary>
    Rnn,
    /// <summary>Word vectors → LSTM (manual layer) → last real step's state → linear → one logit.</summary>
    Lstm,
}

/// <summary>Sizes that rebuild a <see cref="TextClassifierNetwork"/> before its weights are loaded.</summary>
public sealed record TextNetworkShape(TextNetworkKind Kind, int VocabularySize, int EmbeddingDimension, int HiddenSize, bool AverageSkipsUnknown);

/// <summary>
/// Base of the TorchSharp text classifiers: <c>forward(ids (N, T) int64, mask (N, T) bool) → logits (N)</c>,
/// where <c>mask</c> is false on padding. Sentences may have no real word (mask all false): the averaged network then
/// sees a zero vector, the recurrent ones their initial zero state, so the output is the bias, never NaN.
/// </summary>
public abstract class TextClassifierNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Sizes of this network.</summary>
    public TextNetworkShape Shape { get; }

    protected TextClassifierNetwork(string name, TextNetworkShape shape) : base(name) => Shape = shape;

    /// <summary>The word-vector table (V, D).</summary>
    public abstract Parameter EmbeddingWeight { get; }

    /// <summary>Builds the network for <paramref name="shape"/> with fresh (seeded) weights.</summary>
    public static TextClassifierNetwork Create(TextNetworkShape shape) => shape.Kind switch
    {
        TextNetworkKind.Averaged => new AveragedEmbeddingNetwork(shape),
        TextNetworkKind.Rnn or TextNetworkKind.Lstm => throw new NotSupportedException("recurrent networks arrive with the manual layers (branch rnn)"),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape.Kind, "unknown network kind"),
    };

    /// <summary>True when this build has the manual recurrent layers the RNN/LSTM networks are built on.</summary>
    public static bool RecurrentAvailable => false;

    /// <summary>Copies <paramref name="vectors"/> (V, D) into the word-vector table and sets whether it trains.</summary>
    public void SetEmbeddings(Tensor? vectors, bool trainable)
    {
        using (torch.no_grad())
            if (vectors is not null)
            {
                if (!vectors.shape.SequenceEqual(EmbeddingWeight.shape))
                    throw new ArgumentException($"initial word vectors have shape ({string.Join(", ", vectors.shape)}), the network expects ({string.Join(", ", EmbeddingWeight.shape)}).");
                EmbeddingWeight.copy_(vectors);
            }
        EmbeddingWeight.requires_grad_(trainable);
    }

    /// <summary>Looks the ids up: (N, T) → (N, T, D).</summary>
    protected Tensor Embed(Tensor ids)
    {
        var flat = EmbeddingWeight.index_select(0, ids.reshape(-1));
        return flat.view(ids.shape[0], ids.shape[1], EmbeddingWeight.shape[1]);
    }
}

/// <summary>
/// Averaged word vectors → linear → logit: <c>s = w · (Σ_t m_t e_t / max(1, Σ_t m_t)) + b</c> with <c>m</c> the mask
/// (and, when <see cref="TextNetworkShape.AverageSkipsUnknown"/>, also 0 on &lt;unk&gt;: frozen pretrained vectors have
/// nothing to say about a word they do not know).
/// </summary>
public sealed class AveragedEmbeddingNetwork : TextClassifierNetwork
{
    readonly Parameter embedding;
    readonly Linear output;

    public AveragedEmbeddingNetwork(TextNetworkShape shape) : base(nameof(AveragedEmbeddingNetwork), shape)
    {
        embedding = new Parameter(torch.randn(shape.VocabularySize, shape.EmbeddingDimension) * 0.1);
        output = nn.Linear(shape.EmbeddingDimension, 1);
        RegisterComponents();
        using (torch.no_grad()) embedding[TextVocabulary.PadId].zero_();
    }

    /// <inheritdoc/>
    public override Parameter EmbeddingWeight => embedding;

    /// <summary>ids (N, T) int64, mask (N, T) bool → logits (N).</summary>
    public override Tensor forward(Tensor ids, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var m = Shape.AverageSkipsUnknown ? mask.logical_and(ids.ne(TextVocabulary.UnknownId)) : mask;
        var weights = m.to_type(embedding.dtype).unsqueeze(-1);                 // (N, T, 1)
        var sum = (Embed(ids) * weights).sum(1);                                // (N, D)
        var count = weights.sum(1).clamp_min(1.0);                               // (N, 1)
        return output.forward(sum / count).squeeze(-1).MoveToOuterDisposeScope();
    }
}
