using MlNetHw.Recurrent;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Recurrent;

/// <summary>
/// Every hand-written backward against centred differences (float64, h = 1e-5, relative error below 1e-7, 1e-6 for
/// the LSTM sequence's dWh) and, for the sequence layers and the loss, against TorchSharp autograd (1e-10).
/// </summary>
[TestClass]
[TestCategory("Recurrent")]
public sealed class GradientCheckTests
{
    static readonly RecurrentGradientChecks.Sizes Sizes = new();

    [ClassInitialize]
    public static void Load(TestContext _) => TorchRuntime.EnsureLoaded();

    static void AssertAllPass(IReadOnlyList<GradientCheckRow> rows, int expectedRows)
    {
        Assert.HasCount(expectedRows, rows);
        var failed = rows.Where(r => !r.Passed).ToList();
        Assert.IsEmpty(failed, "failed: " + string.Join("; ", failed.Select(r => $"{r.Layer} {r.Parameter} ({r.Method}) {r.RelativeError:E2} >= {r.Tolerance:E0}")));
    }

    [TestMethod]
    public void RnnStepBackwardMatchesNumericGradients() => AssertAllPass(RecurrentGradientChecks.RnnStep(0, Sizes), 5);

    [TestMethod]
    public void RnnSequenceBackwardMatchesNumericAndAutogradGradients() =>
        AssertAllPass(RecurrentGradientChecks.RnnSequence(0, Sizes, masked: false), 11);

    [TestMethod]
    public void MaskedRnnSequenceBackwardMatchesNumericAndAutogradGradients() =>
        AssertAllPass(RecurrentGradientChecks.RnnSequence(0, Sizes, masked: true), 11);

    [TestMethod]
    public void LstmStepBackwardMatchesNumericGradients() => AssertAllPass(RecurrentGradientChecks.LstmStep(0, Sizes), 6);

    [TestMethod]
    public void LstmSequenceBackwardMatchesNumericAndAutogradGradients() =>
        AssertAllPass(RecurrentGradientChecks.LstmSequence(0, Sizes, masked: false), 11);

    [TestMethod]
    public void MaskedLstmSequenceBackwardMatchesNumericAndAutogradGradients() =>
        AssertAllPass(RecurrentGradientChecks.LstmSequence(0, Sizes, masked: true), 11);

    [TestMethod]
    public void WordEmbeddingBackwardAccumulatesRepeatedWords() => AssertAllPass(RecurrentGradientChecks.WordEmbedding(0, Sizes), 1);

    [TestMethod]
    public void TemporalAffineBackwardMatchesNumericGradients() => AssertAllPass(RecurrentGradientChecks.TemporalAffine(0, Sizes), 3);

    [TestMethod]
    public void TemporalSoftmaxLossGradientMatchesNumericAndAutograd() => AssertAllPass(RecurrentGradientChecks.SoftmaxLoss(0, Sizes), 3);

    [TestMethod]
    public void TheCheckCatchesAWrongGradient()
    {
        // The key's Part 4.2 error: o·(1 - o²) in place of o·(1 - tanh²(c)). A check that passed this would prove nothing.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var (x, h, c) = (torch.randn(3, 4, ScalarType.Float64), torch.randn(3, 5, ScalarType.Float64), torch.randn(3, 5, ScalarType.Float64));
        var (wx, wh, b) = (torch.randn(4, 20, ScalarType.Float64), torch.randn(5, 20, ScalarType.Float64), torch.randn(20, ScalarType.Float64));
        var dnh = torch.randn(3, 5, ScalarType.Float64);
        var (_, _, cache) = LstmLayers.LstmStepForward(x, h, c, wx, wh, b);
        var o = cache.Gates.narrow(1, 10, 5);
        var wrongDc = dnh * o * (1 - o * o);                  // what the key writes (with dnext_c = 0)
        var (_, _, rightDc, _, _, _) = LstmLayers.LstmStepBackward(dnh, torch.zeros_like(dnh), cache);
        var f = cache.Gates.narrow(1, 5, 5);
        var numeric = GradientCheck.Numeric(() => LstmLayers.LstmStepForward(x, h, c, wx, wh, b).nextH, c, dnh);
        Assert.IsLessThan(1e-7, GradientCheck.RelativeError(rightDc, numeric));
        Assert.IsGreaterThan(1e-3, GradientCheck.RelativeError(wrongDc * f, numeric));
    }
}
