using MlNetHw.RecurrentLayers;
using MlNetHw.Recurrent;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Recurrent;

/// <summary>The autograd modules: their gradients are the hand-written ones, optimizers train them, nothing leaks.</summary>
[TestClass]
[TestCategory("Recurrent")]
public sealed class ModuleTests
{
    [ClassInitialize]
    public static void Load(TestContext _) => TorchRuntime.EnsureLoaded();

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [TestMethod]
    public void ManualLstmModuleGradientsAreTheHandWrittenBackward()
    {
        using var scope = torch.NewDisposeScope();
        TorchRuntime.Seed(31);
        using var lstm = new ManualLstm(4, 5, dtype: ScalarType.Float64);
        var x = torch.randn(new long[] { 3, 6, 4 }, ScalarType.Float64).requires_grad_(true);
        var h0 = torch.randn(new long[] { 3, 5 }, ScalarType.Float64).requires_grad_(true);
        var mask = torch.arange(6).unsqueeze(0).lt(torch.tensor(new long[] { 6, 2, 4 }).unsqueeze(1));
        var dh = torch.randn(new long[] { 3, 6, 5 }, ScalarType.Float64);
        var h = lstm.forward(x, h0, mask);
        Assert.IsTrue(h.requires_grad, "the output must be part of the autograd graph");
        h.backward(new[] { dh });
        var (hRef, cache) = LstmLayers.LstmForward(x.detach(), h0.detach(), lstm.Wx.detach(), lstm.Wh.detach(), lstm.b.detach(), mask);
        var (dx, dh0, dWx, dWh, db) = LstmLayers.LstmBackward(dh, cache);
        Assert.IsTrue(Same(h.detach(), hRef));
        foreach (var (name, got, want) in new[] { ("x", x.grad!, dx), ("h0", h0.grad!, dh0), ("Wx", lstm.Wx.grad!, dWx), ("Wh", lstm.Wh.grad!, dWh), ("b", lstm.b.grad!, db) })
            Assert.IsTrue(Same(got, want), $"grad of {name} differs from LstmBackward");
        CollectionAssert.AreEquivalent(new[] { "Wx", "Wh", "b" }, lstm.named_parameters().Select(p => p.name).ToArray());
    }

    [TestMethod]
    public void ManualLossMatchesTheLayerAndScalesWithTheUpstreamGradient()
    {
        using var scope = torch.NewDisposeScope();
        TorchRuntime.Seed(32);
        var scores = torch.randn(new long[] { 2, 4, 6 }, ScalarType.Float64).requires_grad_(true);
        var y = torch.randint(0, 6, new long[] { 2, 4 }, ScalarType.Int64);
        var mask = torch.tensor(new bool[,] { { true, true, false, false }, { true, true, true, true } });
        var loss = ManualLosses.TemporalSoftmaxLoss(scores, y, mask);
        var (expected, dx) = TemporalSoftmaxLoss.Compute(scores.detach(), y, mask);
        Assert.AreEqual(expected, loss.item<double>(), 1e-12);
        (3.0 * loss).backward();
        Assert.IsLessThan(1e-12, GradientCheck.RelativeError(scores.grad!, 3.0 * dx));
    }

    [TestMethod]
    public void FrozenPretrainedEmbeddingIsNotTrainedButTheLstmIs()
    {
        using var scope = torch.NewDisposeScope();
        TorchRuntime.Seed(33);
        var vectors = torch.randn(7, 3);
        using var embed = ManualWordEmbedding.FromPretrained(vectors, freeze: true);
        using var lstm = new ManualRnn(3, 4);
        var x = torch.tensor(new long[,] { { 1, 2, 2, 6 } });
        var e = embed.forward(x);
        Assert.IsTrue(Same(e[0, 1], vectors[2]));
        lstm.forward(e, torch.zeros(1, 4)).sum().backward();
        Assert.IsTrue(embed.IsFrozen);
        Assert.IsNull(embed.W.grad);
        Assert.IsNotNull(lstm.Wx.grad);
        embed.Freeze(false);
        embed.forward(x).sum().backward();
        // Word 2 appears twice: its row accumulates two ones per dimension.
        Assert.AreEqual(2f, embed.W.grad![2, 0].item<float>());
        Assert.AreEqual(0f, embed.W.grad![0, 0].item<float>());
    }

    [TestMethod]
    public void TrainingStepsInDisposeScopesLeaveNoLiveTensors()
    {
        int threads = torch.get_num_threads();
        torch.set_num_threads(1); // tiny tensors: one thread is several times faster on a busy machine
        try { TrainSteps(); }
        finally { torch.set_num_threads(threads); }
    }

    static void TrainSteps()
    {
        TorchRuntime.Seed(34);
        using var embed = new ManualWordEmbedding(9, 4);
        using var lstm = new ManualLstm(4, 8);
        using var head = new ManualTemporalAffine(8, 9);
        var parameters = embed.parameters().Concat(lstm.parameters()).Concat(head.parameters()).ToList();
        using var optimizer = torch.optim.Adam(parameters, 1e-2);
        var task = new DelayedCopyTask(Vocabulary: 9, T: 7, MinLength: 3, Delay: 1);
        var gen = new Generator(5);
        void Step()
        {
            using var scope = torch.NewDisposeScope();
            var (x, y, inMask, lossMask) = task.Batch(16, gen, torch.CPU);
            optimizer.zero_grad();
            var scores = head.forward(lstm.forward(embed.forward(x), torch.zeros(16, 8), inMask));
            var loss = ManualLosses.TemporalSoftmaxLoss(scores, y, lossMask);
            loss.backward();
            optimizer.step();
        }
        for (int i = 0; i < 3; i++) Step(); // Adam's state is created on the first step
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 30; i++) Step();
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.AreEqual(before, after, "live tensors grew across training steps");
    }

    [TestMethod]
    public void ExperimentWritesTheTableTheCurveAndTheSummary()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mlnethw-recurrent-" + Guid.NewGuid().ToString("N"));
        try
        {
            var writer = new StringWriter();
            var result = RecurrentLayersExperiment.Run(new RecurrentLayersOptions
            {
                Run = new() { OutputDirectory = dir, Quick = true, Device = "cpu", Threads = 1, Log = writer }, Iterations = 40, BatchSize = 32,
            });
            Assert.IsTrue(result.AllChecksPassed, writer.ToString());
            Assert.HasCount(62, result.Checks);
            Assert.HasCount(40, result.Losses);
            Assert.IsTrue(File.Exists(result.TablePath) && File.Exists(result.LossCurvePath) && File.Exists(result.SummaryPath));
            StringAssert.Contains(File.ReadAllText(result.TablePath!), "| LstmSequence (masked) | dWh | numeric |");
            Assert.IsLessThan(result.InitialLoss!.Value * 0.8, result.FinalLoss!.Value, "demo loss should fall");
            Assert.IsGreaterThan(result.ChanceAccuracy, result.HeldOutAccuracy!.Value);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void StepByStepDecodingReproducesTheSequenceForward()
    {
        using var scope = torch.NewDisposeScope();
        TorchRuntime.Seed(35);
        using var lstm = new ManualLstm(3, 4, dtype: ScalarType.Float64);
        using var rnn = new ManualRnn(3, 4, dtype: ScalarType.Float64);
        var x = torch.randn(new long[] { 2, 5, 3 }, ScalarType.Float64);
        var h0 = torch.randn(new long[] { 2, 4 }, ScalarType.Float64);
        var hl = lstm.forward(x, h0);
        var hr = rnn.forward(x, h0);
        var (h, c, r) = (h0, torch.zeros_like(h0), h0);
        for (int t = 0; t < 5; t++)
        {
            (h, c) = lstm.Step(x.select(1, t), h, c);
            r = rnn.Step(x.select(1, t), r);
            Assert.IsTrue(h.allclose(hl.select(1, t), 0, 1e-14), $"lstm step {t}");
            Assert.IsTrue(r.allclose(hr.select(1, t), 0, 1e-14), $"rnn step {t}");
        }
        Assert.IsFalse(h.requires_grad, "inference steps record no graph");
    }
}
