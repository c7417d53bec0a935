using MlNetHw.MlNet.Training;
using MlNetHw.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Tests.MlNet;

/// <summary>The training loop's Adam/AdamW and the warm-up + linear-decay schedule.</summary>
[TestClass]
[TestCategory("MlNet")]
public sealed class ManagedAdamTests
{
    static (Parameter A, Parameter B) Parameters(ScalarType dtype = ScalarType.Float32)
    {
        TorchRuntime.Seed(7);
        return (new Parameter(torch.randn(30, 5, dtype: dtype)), new Parameter(torch.randn(5, dtype: dtype)));
    }

    static void Steps(optim.Optimizer optimizer, Parameter a, Parameter b, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var x = (torch.arange(0, 30, dtype: a.dtype).reshape(6, 5).sin() * (i + 1));
            var loss = ((x.matmul(a.T) - 0.5).pow(2).sum() + (b * b.exp()).sum());
            loss.backward();
            optimizer.step();
        }
    }

    [TestMethod]
    public void TheFusedFloatStepIsTorchSharpsAdamUpToRounding()
    {
        foreach (double decay in new[] { 0.0, 0.01 })
        {
            var (a1, b1) = Parameters();
            var (a2, b2) = Parameters();
            using (var theirs = optim.Adam(new[] { a1, b1 }, 0.01, weight_decay: decay)) Steps(theirs, a1, b1, 12);
            using (var ours = new ManagedAdam(new[] { a2, b2 }, 0.01, weightDecay: decay)) Steps(ours, a2, b2, 12);
            Assert.IsTrue(a1.allclose(a2, rtol: 1e-5, atol: 1e-6), $"decay {decay}: max difference {(a1 - a2).abs().max().item<float>()}");
            Assert.IsTrue(b1.allclose(b2, rtol: 1e-5, atol: 1e-6), $"decay {decay}");
            Assert.IsFalse(a1.allclose(Parameters().A), "the weights moved");
        }
    }

    [TestMethod]
    public void OtherTensorsTakeTorchSharpsAdamOperationsBitForBit()
    {
        // float64 is not fused: the tensor-op path, the same operations in the same order as TorchSharp's Adam.
        foreach (double decay in new[] { 0.0, 0.01 })
        {
            var (a1, b1) = Parameters(ScalarType.Float64);
            var (a2, b2) = Parameters(ScalarType.Float64);
            using (var theirs = optim.Adam(new[] { a1, b1 }, 0.01, weight_decay: decay)) Steps(theirs, a1, b1, 12);
            using (var ours = new ManagedAdam(new[] { a2, b2 }, 0.01, weightDecay: decay)) Steps(ours, a2, b2, 12);
            CollectionAssert.AreEqual(a1.data<double>().ToArray(), a2.data<double>().ToArray(), $"decay {decay}");
            CollectionAssert.AreEqual(b1.data<double>().ToArray(), b2.data<double>().ToArray(), $"decay {decay}");
        }
    }

    [TestMethod]
    public void AdamWShrinksTheWeightsInsteadOfAddingTheDecayToTheGradient()
    {
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 }) AdamWShrinks(dtype);
    }

    static void AdamWShrinks(ScalarType dtype)
    {
        // With a zero gradient Adam's moments stay 0, so only the decay moves the weights: AdamW scales them by
        // (1 - lr·λ) per step, Adam (L2 in the gradient) moves each by about lr·sign(p).
        var p = new Parameter(torch.tensor(new[] { 2f, -4f }).to_type(dtype));
        using var adamW = new ManagedAdam(new[] { p }, lr: 0.1, weightDecay: 0.5, decoupledWeightDecay: true);
        for (int i = 0; i < 3; i++)
        {
            adamW.zero_grad();
            (p * 0).sum().backward();
            adamW.step();
        }
        var expected = new[] { 2 * Math.Pow(0.95, 3), -4 * Math.Pow(0.95, 3) };
        var got = p.to_type(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < 2; i++) Assert.AreEqual(expected[i], got[i], 1e-5, $"{dtype}");
    }

    [TestMethod]
    public void WarmupLinearRisesThenFallsToZeroPerStep()
    {
        var o = new TrainerOptions { LearningRate = 1.0, Schedule = LearningRateSchedule.WarmupLinear, WarmupFraction = 0.2 };
        var rates = Enumerable.Range(0, 10).Select(s => o.LearningRateAtStep(s, 10, 0)).ToArray();
        CollectionAssert.AreEqual(new[] { 0.5, 1.0, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125 }, rates);
        Assert.AreEqual(0.3, new TrainerOptions { LearningRate = 0.3 }.LearningRateAtStep(5, 10, 1), "other schedules: per epoch");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainerOptions { WarmupFraction = 1.5 }.Validate());
    }

    [TestMethod]
    public void TheTrainingLoopAppliesTheWarmupScheduleEveryStep()
    {
        TorchRuntime.Seed(3);
        var w = new Parameter(torch.zeros(1));
        var rows = Enumerable.Range(0, 8).ToArray();
        var source = new ListBatchSource<int, Tensor>(rows, (picked, device) => torch.tensor(picked.Select(x => (float)x).ToArray(), device: device));
        var module = new Holder(w);
        var seen = new List<double>();
        var options = new TrainerOptions
        {
            Epochs = 2, BatchSize = 4, LearningRate = 0.1, Optimizer = OptimizerKind.AdamW, Schedule = LearningRateSchedule.WarmupLinear,
            WarmupFraction = 0.5, KeepBestWeights = false, Device = "cpu",
        };
        var trainer = new TorchTrainer<Tensor>(module, options, batch => new BatchOutcome((w * batch).sum().pow(2), (int)batch.shape[0]));
        var result = trainer.Fit(source, null);
        // 4 steps: warm-up 0.05, 0.1, then decay 0.1, 0.05; the epoch records carry the rate of their last step.
        CollectionAssert.AreEqual(new[] { 0.1, 0.05 }, result.History.Select(h => Math.Round(h.LearningRate, 12)).ToArray());
    }

    sealed class Holder : nn.Module
    {
        public Holder(Parameter p) : base("holder") => register_parameter("w", p);
    }
}
