using MlNetHw.Recurrent;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Captioning;

/// <summary>The recurrent cell of a captioner.</summary>
public enum CaptionCell
{
    /// <summary>Vanilla RNN: h_t = tanh(x_t Wx + h_{t-1} Wh + b).</summary>
    Rnn,
    /// <summary>LSTM with input, forget, output and candidate gates.</summary>
    Lstm,
}

/// <summary>Sizes of a <see cref="CaptionerNetwork"/>; the defaults are the homework's (cs231n) settings.</summary>
public sealed record CaptioningModelShape(int FeatureDim = 512, int WordDim = 256, int HiddenDim = 512, int VocabSize = 1004, CaptionCell Cell = CaptionCell.Lstm);

/// <summary>
/// cs231n's <c>CaptioningRNN</c> on MlNetHw's hand-written layers (every backward below is written by hand in
/// <c>MlNetHw.Recurrent</c>; autograd only chains them):
/// <code>
/// features (N, D) ─ minus training mean ─ affine ─► h0 (N, H)
/// captions[:, :-1] (N, T) ─ word embedding ─► x (N, T, W) ─ RNN/LSTM(h0) ─► h (N, T, H) ─ temporal affine ─► scores (N, T, V)
/// loss = temporal softmax(scores, captions[:, 1:], mask = captions[:, 1:] != NULL)   (summed over time, / N)
/// </code>
/// </summary>
public sealed class CaptionerNetwork : nn.Module
{
    /// <summary>Image features → initial hidden state (an affine applied as a one-step temporal affine).</summary>
    public readonly ManualTemporalAffine FeatureProjection;
    /// <summary>Word index → word vector (V, W).</summary>
    public readonly ManualWordEmbedding Embedding;
    /// <summary>Set when <see cref="CaptioningModelShape.Cell"/> is RNN.</summary>
    public readonly ManualRnn? Rnn;
    /// <summary>Set when <see cref="CaptioningModelShape.Cell"/> is LSTM.</summary>
    public readonly ManualLstm? Lstm;
    /// <summary>Hidden states → vocabulary scores.</summary>
    public readonly ManualTemporalAffine Output;

    /// <summary>The sizes and cell this network was built with.</summary>
    public CaptioningModelShape Shape { get; }

    /// <summary>Name of the feature-mean buffer (D) in the state dict.</summary>
    public const string FeatureMeanName = "feature_mean";

    /// <summary>
    /// Mean of the training features (D), subtracted before the projection to h0; zeros until
    /// <see cref="SetFeatureMean"/>. Saved with the weights (a buffer, not trained).
    /// </summary>
    public Tensor FeatureMean => get_buffer(FeatureMeanName)!;

    /// <summary>Builds the layers for <paramref name="shape"/> with fresh weights (from the current torch seed) and a zero feature mean.</summary>
    public CaptionerNetwork(CaptioningModelShape shape) : base("CaptionerNetwork")
    {
        if (shape.VocabSize <= CaptionCodec.Unk) throw new ArgumentException($"VocabSize must exceed the {CaptionCodec.SpecialTokens.Count} special tokens (got {shape.VocabSize}).");
        Shape = shape;
        FeatureProjection = new ManualTemporalAffine(shape.FeatureDim, shape.HiddenDim);
        Embedding = new ManualWordEmbedding(shape.VocabSize, shape.WordDim);
        if (shape.Cell == CaptionCell.Rnn) Rnn = new ManualRnn(shape.WordDim, shape.HiddenDim);
        else Lstm = new ManualLstm(shape.WordDim, shape.HiddenDim);
        Output = new ManualTemporalAffine(shape.HiddenDim, shape.VocabSize);
        // cs231n initialises the word vectors as randn / 100 (ManualWordEmbedding's own default is N(0, 1), like
        // nn.Embedding). Small word inputs leave the first steps to h0 (the image) and let Adam shape the vectors.
        using (torch.no_grad()) Embedding.W.div_(100);
        RegisterComponents();
        register_buffer(FeatureMeanName, torch.zeros(shape.FeatureDim));
    }

    /// <summary>
    /// Sets the feature mean (D) subtracted from every input (the mean of the training features). Why: CNN
    /// features taken after a ReLU and average pooling (ResNet18's 512) are all non-negative and share a large
    /// common component (mean pairwise cosine ≈ 0.77 on the generated scenes), which dominates h0 and conditions
    /// the projection badly; cs231n's PCA features are centred by construction. Centring takes the RNN overfit run
    /// from a final loss of 0.3–2.7 to 0.01–0.04 (9 runs each, docs/captioning.md).
    /// </summary>
    public void SetFeatureMean(Tensor mean)
    {
        if (mean.dim() != 1 || mean.shape[0] != Shape.FeatureDim)
            throw new ArgumentException($"feature mean must be ({Shape.FeatureDim}); got ({string.Join(", ", mean.shape)}).");
        using var noGrad = torch.no_grad();
        FeatureMean.copy_(mean);
    }

    /// <summary>h0 (N, H) from features (N, D): (features − feature mean) · W_proj + b_proj.</summary>
    public Tensor InitialHidden(Tensor features) =>
        FeatureProjection.forward((features - FeatureMean).unsqueeze(1)).squeeze(1);

    /// <summary>Vocabulary scores (N, T-1, V) for teacher-forced input <c>captions[:, :-1]</c>.</summary>
    /// <remarks>
    /// No inner dispose scope here or in <see cref="Loss"/>: the manual layers keep their forward caches as tensors
    /// of the caller's scope until backward runs, so the caller's per-batch scope must own them.
    /// </remarks>
    public Tensor Scores(Tensor features, Tensor captions)
    {
        long t = captions.shape[1];
        var input = captions.narrow(1, 0, t - 1);
        var h0 = InitialHidden(features);
        var x = Embedding.forward(input);
        var h = Rnn is not null ? Rnn.forward(x, h0, null) : Lstm!.forward(x, h0, null);
        return Output.forward(h);
    }

    /// <summary>
    /// The training loss: masked temporal softmax of the scores against <c>captions[:, 1:]</c>, summed over time
    /// and divided by N (cs231n's scale, so 50 overfit examples end near 0.1).
    /// </summary>
    /// <param name="features">(N, D) image features.</param>
    /// <param name="captions">(N, T) int64 word indices: START w… END NULL….</param>
    public Tensor Loss(Tensor features, Tensor captions)
    {
        CheckInputs(features, captions);
        long t = captions.shape[1];
        var scores = Scores(features, captions);
        var target = captions.narrow(1, 1, t - 1);
        var mask = target.ne(CaptionCodec.Null);
        return ManualLosses.TemporalSoftmaxLoss(scores, target, mask);
    }

    void CheckInputs(Tensor features, Tensor captions)
    {
        if (features.dim() != 2 || features.shape[1] != Shape.FeatureDim)
            throw new ArgumentException($"features must be (N, {Shape.FeatureDim}); got ({string.Join(", ", features.shape)}).");
        if (captions.dim() != 2 || captions.shape[0] != features.shape[0] || captions.shape[1] < 2)
            throw new ArgumentException($"captions must be (N={features.shape[0]}, T>=2) word indices; got ({string.Join(", ", captions.shape)}).");
        if (captions.dtype != ScalarType.Int64) throw new ArgumentException($"captions must be int64 indices (got {captions.dtype}).");
    }

    /// <summary>
    /// One decoding step for a batch of partial captions: embeds <paramref name="words"/> (B), advances the cell
    /// with the step forward of <c>MlNetHw.Recurrent</c> on this model's own parameters, and returns the new state
    /// and the log-probabilities of the next word (B, V).
    /// </summary>
    internal (Tensor H, Tensor? C, Tensor LogProbs) Step(Tensor words, Tensor h, Tensor? c)
    {
        var x = Embedding.forward(words.unsqueeze(1)).squeeze(1);
        Tensor nextH;
        Tensor? nextC = null;
        if (Rnn is not null) nextH = RecurrentSteps.Rnn(x, h, Rnn);
        else (nextH, nextC) = RecurrentSteps.Lstm(x, h, c!, Lstm!);
        var scores = Output.forward(nextH.unsqueeze(1)).squeeze(1);
        return (nextH, nextC, nn.functional.log_softmax(scores, 1));
    }
}
