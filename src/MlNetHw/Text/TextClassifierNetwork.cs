using MlNetHw.Recurrent;
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

    /// <summary>Base constructor: the module's name and its sizes.</summary>
    protected TextClassifierNetwork(string name, TextNetworkShape shape) : base(name) => Shape = shape;

    /// <summary>The word-vector table (V, D).</summary>
    public abstract Parameter EmbeddingWeight { get; }

    /// <summary>Builds the network for <paramref name="shape"/> with fresh (seeded) weights.</summary>
    public static TextClassifierNetwork Create(TextNetworkShape shape) => shape.Kind switch
    {
        TextNetworkKind.Averaged => new AveragedEmbeddingNetwork(shape),
        TextNetworkKind.Rnn or TextNetworkKind.Lstm => new RecurrentTextNetwork(shape),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape.Kind, "unknown network kind"),
    };

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

}

/// <summary>
/// Averaged word vectors → linear → logit: <c>s = w · (Σ_t m_t e_t / max(1, Σ_t m_t)) + b</c> with <c>m</c> the mask
/// (and, when <see cref="TextNetworkShape.AverageSkipsUnknown"/>, also 0 on &lt;unk&gt;: frozen pretrained vectors have
/// nothing to say about a word they do not know).
/// </summary>
public sealed class AveragedEmbeddingNetwork : TextClassifierNetwork
{
    readonly ManualWordEmbedding embedding;
    readonly Linear output;

    /// <summary>An embedding table (V, D) and a linear layer D → 1, freshly initialised from the current torch seed.</summary>
    public AveragedEmbeddingNetwork(TextNetworkShape shape) : base(nameof(AveragedEmbeddingNetwork), shape)
    {
        embedding = new ManualWordEmbedding(shape.VocabularySize, shape.EmbeddingDimension);
        output = nn.Linear(shape.EmbeddingDimension, 1);
        RegisterComponents();
        // Learned vectors start small (N(0, 0.01)), so the first averages sit near the origin of the sigmoid.
        using (torch.no_grad()) { embedding.W.mul_(0.1); embedding.W[TextVocabulary.PadId].zero_(); }
    }

    /// <inheritdoc/>
    public override Parameter EmbeddingWeight => embedding.W;

    /// <summary>ids (N, T) int64, mask (N, T) bool → logits (N).</summary>
    public override Tensor forward(Tensor ids, Tensor mask)
    {
        // No dispose scope here: the manual layers keep their backward caches in the caller's scope (the training loop's
        // per-batch scope), which must outlive this call until backward has run.
        var m = Shape.AverageSkipsUnknown ? mask.logical_and(ids.ne(TextVocabulary.UnknownId)) : mask;
        var weights = m.to_type(embedding.W.dtype).unsqueeze(-1);               // (N, T, 1)
        var sum = (embedding.forward(ids) * weights).sum(1);                    // (N, D)
        var count = weights.sum(1).clamp_min(1.0);                               // (N, 1)
        return output.forward(sum / count).squeeze(-1);
    }
}

/// <summary>
/// Word vectors → MlNetHw's hand-written RNN or LSTM (<see cref="ManualRnn"/>, <see cref="ManualLstm"/>) from a zero
/// state → the state after each sentence's last real word → linear → logit. The manual layers carry the state over
/// masked (padding) steps unchanged, so <c>h[:, T - 1]</c> is that state whatever the padding.
/// </summary>
public sealed class RecurrentTextNetwork : TextClassifierNetwork
{
    readonly ManualWordEmbedding embedding;
    readonly nn.Module<Tensor, Tensor, Tensor?, Tensor> recurrent;
    readonly Linear output;

    /// <summary>An embedding table, the RNN or LSTM of <paramref name="shape"/>'s kind (hidden size H) and a linear layer H → 1, freshly initialised; H &lt; 1 throws.</summary>
    public RecurrentTextNetwork(TextNetworkShape shape) : base(nameof(RecurrentTextNetwork), shape)
    {
        if (shape.HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(shape), shape.HiddenSize, "a recurrent network needs HiddenSize >= 1.");
        embedding = new ManualWordEmbedding(shape.VocabularySize, shape.EmbeddingDimension);
        recurrent = shape.Kind switch
        {
            TextNetworkKind.Rnn => new ManualRnn(shape.EmbeddingDimension, shape.HiddenSize),
            TextNetworkKind.Lstm => new ManualLstm(shape.EmbeddingDimension, shape.HiddenSize),
            _ => throw new ArgumentOutOfRangeException(nameof(shape), shape.Kind, "RecurrentTextNetwork is an RNN or an LSTM."),
        };
        output = nn.Linear(shape.HiddenSize, 1);
        RegisterComponents();
        using (torch.no_grad()) embedding.W[TextVocabulary.PadId].zero_();
    }

    /// <inheritdoc/>
    public override Parameter EmbeddingWeight => embedding.W;

    /// <summary>ids (N, T) int64, mask (N, T) bool → logits (N).</summary>
    public override Tensor forward(Tensor ids, Tensor mask)
    {
        // No dispose scope here: the manual layers keep their backward caches in the caller's scope (see above).
        var x = embedding.forward(ids);                                                   // (N, T, D)
        var h0 = torch.zeros(new[] { ids.shape[0], (long)Shape.HiddenSize }, x.dtype, x.device);
        var h = recurrent.forward(x, h0, mask);                                           // (N, T, H)
        var last = h.select(1, h.shape[1] - 1);                                           // (N, H)
        return output.forward(last).squeeze(-1);
    }
}
