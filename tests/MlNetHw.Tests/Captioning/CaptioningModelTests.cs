using MlNetHw.Captioning;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Captioning;

/// <summary>
/// The captioner's loss and gradients against an independent float64 implementation of the same formula written
/// with plain TorchSharp autograd ops, and against centred numeric differences.
/// </summary>
[TestClass]
[TestCategory("Captioning")]
public sealed class CaptioningModelTests
{
    const int N = 4, D = 6, W = 5, H = 7, V = 11, T = 7;

    static (CaptionerNetwork Model, Tensor Features, Tensor Captions) Tiny(CaptionCell cell, int seed)
    {
        TorchRuntime.Seed(seed);
        var model = new CaptionerNetwork(new CaptioningModelShape(D, W, H, V, cell));
        model.to(ScalarType.Float64);
        // Non-zero biases, so a bias that is ignored or mis-indexed changes the loss.
        using (no_grad())
        {
            foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.3);
            // Word vectors at unit scale (the model starts them at randn / 100, as cs231n does): the checks want
            // every gradient well above the rounding noise of the loss, and Wx's gradient scales with them.
            model.Embedding.W.copy_(randn_like(model.Embedding.W));
        }
        // A non-zero feature mean, so centring that is skipped or applied twice changes the loss.
        model.SetFeatureMean(randn(D, dtype: ScalarType.Float64));
        var features = randn(N, D, dtype: ScalarType.Float64);
        // START w w ... END NULL ...: different lengths so the NULL mask matters.
        var caps = new long[N, T];
        var rng = new Random(seed);
        for (int i = 0; i < N; i++)
        {
            int len = 1 + i % (T - 2);
            caps[i, 0] = CaptionCodec.Start;
            for (int t = 1; t <= len; t++) caps[i, t] = rng.Next(CaptionCodec.End, V);
            caps[i, len + 1] = CaptionCodec.End;
        }
        return (model, features, tensor(caps));
    }

    /// <summary>The same formula, written from scratch with autograd ops on the model's parameter tensors.</summary>
    static Tensor ReferenceLoss(CaptionerNetwork m, Tensor features, Tensor captions)
    {
        var h = (features - m.FeatureMean).matmul(m.FeatureProjection.w) + m.FeatureProjection.b;
        var c = zeros_like(h);
        long steps = captions.shape[1] - 1;
        Tensor total = zeros(1, dtype: ScalarType.Float64);
        for (long t = 0; t < steps; t++)
        {
            var x = m.Embedding.W.index_select(0, captions[.., t]);
            if (m.Rnn is { } rnn) h = tanh(x.matmul(rnn.Wx) + h.matmul(rnn.Wh) + rnn.b);
            else
            {
                var lstm = m.Lstm!;
                var a = x.matmul(lstm.Wx) + h.matmul(lstm.Wh) + lstm.b;
                var gates = a.chunk(4, 1); // i, f, o, g (cs231n order)
                c = sigmoid(gates[1]) * c + sigmoid(gates[0]) * tanh(gates[3]);
                h = sigmoid(gates[2]) * tanh(c);
            }
            var scores = h.matmul(m.Output.w) + m.Output.b;
            var logp = scores - scores.exp().sum(1, keepdim: true).log();
            var target = captions[.., t + 1];
            var picked = logp.gather(1, target.unsqueeze(1)).squeeze(1);
            total = total - (picked * target.ne(CaptionCodec.Null).to_type(ScalarType.Float64)).sum();
        }
        return total.squeeze() / captions.shape[0];
    }

    [TestMethod]
    [DataRow(CaptionCell.Rnn)]
    [DataRow(CaptionCell.Lstm)]
    public void LossAndGradientsEqualAnIndependentAutogradComputation(CaptionCell cell)
    {
        var (model, features, captions) = Tiny(cell, seed: 3);
        var loss = model.Loss(features, captions);
        loss.backward();
        var manual = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        model.zero_grad();
        var reference = ReferenceLoss(model, features, captions);
        reference.backward();
        double a = loss.item<double>(), b = reference.item<double>();
        Console.WriteLine($"{cell}: loss {a:R} reference {b:R} |diff| {Math.Abs(a - b):E2}");
        Assert.AreEqual(b, a, 1e-10);
        Assert.IsTrue(a > 1.0, "an untrained model's loss is large");
        foreach (var (name, p) in model.named_parameters())
        {
            double rel = (manual[name] - p.grad!).norm().item<double>() / Math.Max(p.grad!.norm().item<double>(), 1e-300);
            Console.WriteLine($"  d{name}: normwise relative error {rel:E2}");
            Assert.IsTrue(rel < 1e-10, $"gradient of {name} differs from autograd by {rel:E2}");
        }
    }

    [TestMethod]
    [DataRow(CaptionCell.Rnn)]
    [DataRow(CaptionCell.Lstm)]
    public void GradientsPassANumericGradientCheck(CaptionCell cell)
    {
        var (model, features, captions) = Tiny(cell, seed: 5);
        model.Loss(features, captions).backward();
        const double step = 1e-5;
        var rng = new Random(1);
        double worst = 0;
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            var flat = p.view(-1);
            var grad = p.grad!.view(-1);
            for (int k = 0; k < 6; k++)
            {
                long i = rng.NextInt64(flat.shape[0]);
                double old = flat[i].item<double>();
                flat[i] = old + step;
                double plus = model.Loss(features, captions).item<double>();
                flat[i] = old - step;
                double minus = model.Loss(features, captions).item<double>();
                flat[i] = old;
                double numeric = (plus - minus) / (2 * step), analytic = grad[i].item<double>();
                double rel = Math.Abs(numeric - analytic) / Math.Max(Math.Max(Math.Abs(numeric), Math.Abs(analytic)), 1e-8);
                worst = Math.Max(worst, rel);
                Assert.IsTrue(rel < 1e-6, $"{cell} d{name}[{i}]: analytic {analytic:E6} numeric {numeric:E6} rel {rel:E2}");
            }
        }
        Console.WriteLine($"{cell}: worst relative error over sampled entries {worst:E2}");
    }

    [TestMethod]
    public void NullTargetsAreMaskedAndBadShapesAreRejected()
    {
        var (model, features, captions) = Tiny(CaptionCell.Lstm, seed: 2);
        double baseLoss = model.Loss(features, captions).item<double>();
        // Appending NULL columns changes nothing: padding carries no loss.
        var padded = cat(new[] { captions, zeros(N, 3, dtype: ScalarType.Int64) }, 1);
        Assert.AreEqual(baseLoss, model.Loss(features, padded).item<double>(), 1e-10);
        // Changing a word that is a target changes the loss.
        var changed = captions.clone();
        changed[0, 1] = (long)(captions[0, 1].item<long>() == 4 ? 5 : 4);
        Assert.AreNotEqual(baseLoss, model.Loss(features, changed).item<double>(), 1e-6);
        Assert.ThrowsExactly<ArgumentException>(() => model.Loss(randn(N, D + 1, dtype: ScalarType.Float64), captions));
        Assert.ThrowsExactly<ArgumentException>(() => model.Loss(features, captions.to_type(ScalarType.Float32)));
    }

    [TestMethod]
    public void GreedyAndBeamDecodingReproduceAMemorisedCaption()
    {
        TorchRuntime.Seed(4);
        var vocab = CaptionCodec.Build(new[] { "a small red circle", "a large blue square left of a small green triangle" }, maxWords: 12);
        var caps = vocab.EncodeAll(new[] { "a small red circle", "a large blue square left of a small green triangle" }, out _, out _);
        var captions = tensor(caps).reshape(2, vocab.SequenceLength);
        var features = randn(2, 8);
        foreach (var cell in new[] { CaptionCell.Rnn, CaptionCell.Lstm })
        {
            var model = new CaptionerNetwork(new CaptioningModelShape(8, 16, 32, vocab.Count, cell));
            var history = CaptionerTrainer.TrainNetwork(model, features, captions, Loop.Of(150, 2, lr: 1e-2, decay: 0.99));
            Assert.IsTrue(history.FinalLoss < history.BatchLosses[0] / 20, $"{cell}: loss {history.BatchLosses[0]} -> {history.FinalLoss}");
            var greedy = CaptionDecoder.Greedy(model, features, vocab.MaxWords);
            var beam = CaptionDecoder.Beam(model, features, vocab.MaxWords, beamWidth: 3);
            var beam1 = CaptionDecoder.Beam(model, features, vocab.MaxWords, beamWidth: 1);
            Assert.AreEqual("a small red circle", vocab.Decode(greedy[0]), cell.ToString());
            Assert.AreEqual("a large blue square left of a small green triangle", vocab.Decode(greedy[1]), cell.ToString());
            Assert.AreEqual("a small red circle", vocab.Decode(beam[0]));
            Assert.AreEqual("a large blue square left of a small green triangle", vocab.Decode(beam[1]));
            CollectionAssert.AreEqual(greedy[1], beam1[1], "beam width 1 is greedy decoding");
        }
    }

    [TestMethod]
    public void DecodingStopsAtTheMaximumLength()
    {
        TorchRuntime.Seed(9);
        var model = new CaptionerNetwork(new CaptioningModelShape(4, 4, 4, 9, CaptionCell.Rnn));
        using (no_grad()) { model.Output.b.zero_(); model.Output.b[5] = 100.0; } // always says word 5, never END
        var rows = CaptionDecoder.Greedy(model, randn(2, 4), maxWords: 6);
        Assert.AreEqual(7, rows[0].Length);
        CollectionAssert.AreEqual(new long[] { 5, 5, 5, 5, 5, 5, CaptionCodec.End }, rows[0]);
        var beams = CaptionDecoder.Beam(model, randn(1, 4), maxWords: 6, beamWidth: 2);
        Assert.AreEqual(CaptionCodec.End, beams[0][6]);
    }
}
