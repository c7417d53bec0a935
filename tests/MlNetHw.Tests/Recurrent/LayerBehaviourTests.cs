using MlNetHw.Recurrent;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Recurrent;

/// <summary>Masking semantics, no in-place changes to inputs, float32 support and clear errors on bad input.</summary>
[TestClass]
[TestCategory("Recurrent")]
public sealed class LayerBehaviourTests
{
    const long N = 3, T = 6, D = 4, H = 5;

    [ClassInitialize]
    public static void Load(TestContext _) => TorchRuntime.EnsureLoaded();

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static (Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor b) Inputs(long gates, ScalarType dtype = ScalarType.Float64)
    {
        return (torch.randn(new[] { N, T, D }, dtype), torch.randn(new[] { N, H }, dtype),
            torch.randn(new[] { D, gates * H }, dtype).div_(2), torch.randn(new[] { H, gates * H }, dtype).div_(2), torch.randn(new[] { gates * H }, dtype));
    }

    static Tensor LengthMask(params long[] lengths) =>
        torch.arange(T, ScalarType.Int64).unsqueeze(0).lt(torch.tensor(lengths).unsqueeze(1));

    [TestMethod]
    [DataRow("rnn")]
    [DataRow("lstm")]
    public void PaddedStepsCarryTheStateSoTheLastStepIsTheStateAfterTheLastRealToken(string cell)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(21);
        var (x, h0, wx, wh, b) = Inputs(cell == "lstm" ? 4 : 1);
        long[] lengths = { 6, 3, 1 };
        var mask = LengthMask(lengths);
        // Padding positions hold garbage: the mask alone must keep them out.
        var h = cell == "lstm" ? LstmLayers.LstmForward(x, h0, wx, wh, b, mask).h : RnnLayers.RnnForward(x, h0, wx, wh, b, mask).h;
        for (int n = 0; n < N; n++)
        {
            long len = lengths[n];
            var xs = x.narrow(0, n, 1).narrow(1, 0, len);
            var hs = cell == "lstm"
                ? LstmLayers.LstmForward(xs, h0.narrow(0, n, 1), wx, wh, b).h
                : RnnLayers.RnnForward(xs, h0.narrow(0, n, 1), wx, wh, b).h;
            var expected = hs[0, len - 1];
            for (long t = len - 1; t < T; t++)
                Assert.IsTrue(h[n, t].allclose(expected, 0, 1e-14), $"{cell} sequence {n} (length {len}) step {t} should hold the state after its last token");
        }
    }

    [TestMethod]
    [DataRow("rnn")]
    [DataRow("lstm")]
    public void PaddedStepsGetNoGradientAndPassTheirGradientBack(string cell)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(22);
        var (x, h0, wx, wh, b) = Inputs(cell == "lstm" ? 4 : 1);
        var mask = LengthMask(6, 2, 4);
        var dh = torch.randn(N, T, H, ScalarType.Float64);
        var dx = cell == "lstm"
            ? LstmLayers.LstmBackward(dh, LstmLayers.LstmForward(x, h0, wx, wh, b, mask).cache).dx
            : RnnLayers.RnnBackward(dh, RnnLayers.RnnForward(x, h0, wx, wh, b, mask).cache).dx;
        Assert.AreEqual(0.0, dx[1, TensorIndex.Slice(2)].abs().max().item<double>(), "padded inputs of sequence 1 must get zero gradient");
        Assert.AreEqual(0.0, dx[2, TensorIndex.Slice(4)].abs().max().item<double>(), "padded inputs of sequence 2 must get zero gradient");
        Assert.IsGreaterThan(0.0, dx[1, 1].abs().max().item<double>(), "the last real input must get the padding steps' upstream gradient");
    }

    [TestMethod]
    public void NoLayerModifiesItsInputs()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(23);
        var mask = LengthMask(6, 3, 2);
        foreach (long gates in new long[] { 1, 4 })
        {
            var inputs = Inputs(gates);
            var all = new[] { inputs.x, inputs.h0, inputs.wx, inputs.wh, inputs.b };
            var copies = all.Select(t => t.clone()).ToArray();
            var dh = torch.randn(N, T, H, ScalarType.Float64);
            var dhCopy = dh.clone();
            if (gates == 4)
            {
                LstmLayers.LstmBackward(dh, LstmLayers.LstmForward(inputs.x, inputs.h0, inputs.wx, inputs.wh, inputs.b, mask).cache);
                var c = torch.randn(N, H, ScalarType.Float64);
                var cCopy = c.clone();
                var x0 = inputs.x.select(1, 0);
                var (nh, nc, stepCache) = LstmLayers.LstmStepForward(x0, inputs.h0, c, inputs.wx, inputs.wh, inputs.b);
                LstmLayers.LstmStepBackward(nh, nc, stepCache);
                Assert.IsTrue(Same(c, cCopy), "LstmStep changed prev_c");
            }
            else
            {
                RnnLayers.RnnBackward(dh, RnnLayers.RnnForward(inputs.x, inputs.h0, inputs.wx, inputs.wh, inputs.b, mask).cache);
                var (nh, stepCache) = RnnLayers.RnnStepForward(inputs.x.select(1, 0), inputs.h0, inputs.wx, inputs.wh, inputs.b);
                RnnLayers.RnnStepBackward(nh, stepCache);
            }
            for (int i = 0; i < all.Length; i++) Assert.IsTrue(Same(all[i], copies[i]), $"input {i} changed (gates {gates})");
            Assert.IsTrue(Same(dh, dhCopy), "dh changed");
        }
        var idx = torch.tensor(new long[,] { { 1, 2, 1 } });
        var w = torch.randn(4, 3, ScalarType.Float64);
        var wCopy = w.clone();
        var (emb, ec) = WordEmbeddingLayer.Forward(idx, w);
        var dout = torch.randn(emb.shape, ScalarType.Float64);
        WordEmbeddingLayer.Backward(dout, ec);
        Assert.IsTrue(Same(w, wCopy), "embedding table changed");
        var scores = torch.randn(1, 3, 4, ScalarType.Float64);
        var sCopy = scores.clone();
        TemporalSoftmaxLoss.Compute(scores, idx, torch.ones(1, 3, ScalarType.Bool)).dx.Dispose();
        Assert.IsTrue(Same(scores, sCopy), "scores changed");
    }

    [TestMethod]
    public void Float32LstmAgreesWithFloat64()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(24);
        var (x, h0, wx, wh, b) = Inputs(4);
        var mask = LengthMask(6, 4, 2);
        var dh = torch.randn(N, T, H, ScalarType.Float64);
        var (h64, c64) = LstmLayers.LstmForward(x, h0, wx, wh, b, mask);
        var g64 = LstmLayers.LstmBackward(dh, c64);
        Tensor F(Tensor t) => t.to_type(ScalarType.Float32);
        var (h32, c32) = LstmLayers.LstmForward(F(x), F(h0), F(wx), F(wh), F(b), mask);
        var g32 = LstmLayers.LstmBackward(F(dh), c32);
        Assert.AreEqual(ScalarType.Float32, h32.dtype);
        Assert.IsLessThan(1e-5, GradientCheck.RelativeError(h32, h64));
        Assert.IsLessThan(1e-5, GradientCheck.RelativeError(g32.dWh, g64.dWh));
        Assert.IsLessThan(1e-5, GradientCheck.RelativeError(g32.dx, g64.dx));
    }

    [TestMethod]
    public void BadInputsFailWithMessagesNamingTheArgument()
    {
        using var scope = torch.NewDisposeScope();
        var (x, h0, wx, wh, b) = Inputs(4);
        var e1 = Assert.ThrowsExactly<ArgumentException>(() => LstmLayers.LstmForward(x, h0, wx.narrow(1, 0, 4), wh, b));
        StringAssert.Contains(e1.Message, "Wx must have shape (D, 4H)");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => LstmLayers.LstmForward(x, h0, wx, wh, b, torch.ones(N, T)));
        StringAssert.Contains(e2.Message, "mask must be a bool tensor");
        var e3 = Assert.ThrowsExactly<ArgumentException>(() => LstmLayers.LstmForward(x.to_type(ScalarType.Float32), h0, wx, wh, b));
        StringAssert.Contains(e3.Message, "h0 has dtype Float64 but x has Float32");
        var e4 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => WordEmbeddingLayer.Forward(torch.tensor(new long[,] { { 0, 9 } }), torch.randn(5, 2)));
        StringAssert.Contains(e4.Message, "word index 9 is outside the vocabulary [0, 5)");
        var e5 = Assert.ThrowsExactly<ArgumentException>(() => TemporalSoftmaxLoss.Compute(torch.randn(2, 3, 4), torch.zeros(2, 3, ScalarType.Int32), torch.ones(2, 3, ScalarType.Bool)));
        StringAssert.Contains(e5.Message, "int64");
    }
}
