using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;
using MlNetHw.MlNet.Training;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.MlNet;

/// <summary>The one training loop: resume after cancel, schedules, early stopping with best weights, logging.</summary>
[TestClass]
[TestCategory("MlNet")]
public sealed class TorchTrainerTests
{
    static readonly BlobRow[] Train = TestData.Blobs(240, seed: 41);
    static readonly BlobRow[] Valid = TestData.Blobs(80, seed: 42);

    static ListBatchSource<BlobRow, (Tensor X, Tensor Y)> Source(BlobRow[] rows) => new(rows, (picked, device) =>
        (torch.tensor(picked.SelectMany(r => r.Features).ToArray(), new long[] { picked.Count, 4 }, device: device),
         torch.tensor(picked.Select(r => r.Label ? 1f : 0f).ToArray(), device: device)));

    static (MlpNetwork Module, TorchTrainer<(Tensor X, Tensor Y)> Trainer) Make(TrainerOptions options, int initSeed)
    {
        TorchRuntime.Seed(initSeed);
        var module = new MlpNetwork(4, new[] { 16 }, 1, dropout: 0.2); // dropout: the resumed run must redraw the same masks
        var trainer = new TorchTrainer<(Tensor X, Tensor Y)>(module, options, b =>
        {
            var logits = module.forward(b.X).squeeze(1);
            var loss = nn.functional.binary_cross_entropy_with_logits(logits, b.Y);
            return new BatchOutcome(loss, (int)b.Y.shape[0], logits.gt(0).eq(b.Y.gt(0.5)).sum().item<long>());
        });
        return (module, trainer);
    }

    static Dictionary<string, float[]> Weights(nn.Module m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().data<float>().ToArray());

    [TestMethod]
    [DataRow(OptimizerKind.Adam, LearningRateSchedule.Step, false)]
    [DataRow(OptimizerKind.Sgd, LearningRateSchedule.Exponential, false)]
    [DataRow(OptimizerKind.AdamW, LearningRateSchedule.Step, true)] // two parameter groups (no decay on biases)
    public void CancelledMidEpochThenResumedReachesTheSameWeightsAsAnUninterruptedRun(OptimizerKind optimizer, LearningRateSchedule schedule, bool groups)
    {
        string dir = TestData.TempDir();
        try
        {
            TrainerOptions Options(string ck) => new()
            {
                Epochs = 5, BatchSize = 16, Optimizer = optimizer, LearningRate = 0.02, Schedule = schedule, StepSize = 2, Gamma = 0.7,
                Seed = 7, Device = "cpu", CheckpointPath = Path.Combine(dir, ck),
                WeightDecay = groups ? 0.05 : 0, ExcludeVectorsFromWeightDecay = groups,
            };
            var (reference, refTrainer) = Make(Options("a.ckpt"), initSeed: 100);
            var refResult = refTrainer.Fit(Source(Train), Source(Valid));
            Assert.AreEqual(0, refResult.ResumedAfterEpoch);

            // Same seeds, interrupted in the middle of epoch 3 (15 batches per epoch).
            var (first, interrupted) = Make(Options("b.ckpt"), initSeed: 100);
            using var cts = new CancellationTokenSource();
            interrupted.BatchEnd += p => { if (p.GlobalStep == 2 * 15 + 7) cts.Cancel(); };
            Assert.ThrowsExactly<OperationCanceledException>(() => interrupted.Fit(Source(Train), Source(Valid), cts.Token));
            first.Dispose();

            // A new process would build a new module: different initial weights prove they come from the checkpoint.
            var (resumed, resumer) = Make(Options("b.ckpt"), initSeed: 555);
            var progress = new List<TrainingProgress>();
            resumer.EpochEnd += progress.Add;
            var result = resumer.Fit(Source(Train), Source(Valid));
            Assert.AreEqual(2, result.ResumedAfterEpoch, "the checkpoint of epoch 2 is the last complete one");
            CollectionAssert.AreEqual(new[] { 3, 4, 5 }, progress.Select(p => p.Epoch).ToArray());
            Assert.AreEqual(5, result.History.Count);
            Assert.AreEqual(refResult.BestEpoch, result.BestEpoch);

            var expected = Weights(reference);
            var actual = Weights(resumed);
            double maxDiff = expected.Max(kv => kv.Value.Zip(actual[kv.Key], (a, b) => (double)Math.Abs(a - b)).Max());
            Assert.IsTrue(maxDiff < 1e-6, $"resumed weights differ from the uninterrupted run by {maxDiff:E2}");
            for (int e = 0; e < 5; e++)
                Assert.AreEqual(refResult.History[e].ValidationLoss!.Value, result.History[e].ValidationLoss!.Value, 1e-6, $"epoch {e + 1} validation loss");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void CheckpointWrittenWithOtherSettingsModelOrDataIsRefusedNamingTheSettingAndBothValues()
    {
        string dir = TestData.TempDir();
        try
        {
            string ck = Path.Combine(dir, "c.ckpt");
            TorchTrainer<(Tensor X, Tensor Y)> With(int seed = 1, string dropout = "0.2")
            {
                var (module, _) = Make(new TrainerOptions(), 1);
                return new TorchTrainer<(Tensor X, Tensor Y)>(module, new TrainerOptions { Epochs = 1, Seed = seed, Device = "cpu", CheckpointPath = ck }, b =>
                {
                    var logits = module.forward(b.X).squeeze(1);
                    return new BatchOutcome(nn.functional.binary_cross_entropy_with_logits(logits, b.Y), (int)b.Y.shape[0]);
                }) { ModelSettings = [new("dropout", dropout)] };
            }
            With().Fit(Source(Train));
            byte[] before = File.ReadAllBytes(ck);

            var e = Assert.ThrowsExactly<CheckpointMismatchException>(() => With(seed: 2).Fit(Source(Train)));
            StringAssert.Contains(e.Message, ck);
            StringAssert.Contains(e.Message, "seed = 1");
            StringAssert.Contains(e.Message, "seed = 2");
            // A model hyperparameter the estimator passes (dropout) counts as much as a loop setting.
            var d = Assert.ThrowsExactly<CheckpointMismatchException>(() => With(dropout: "0.5").Fit(Source(Train)));
            StringAssert.Contains(d.Message, "model.dropout = 0.2");
            StringAssert.Contains(d.Message, "model.dropout = 0.5");
            var n = Assert.ThrowsExactly<CheckpointMismatchException>(() => With().Fit(Source(Train.Take(100).ToArray())));
            StringAssert.Contains(n.Message, "train-rows = 240");
            StringAssert.Contains(n.Message, "train-rows = 100");
            // Other data of the same size, and the same rows in another order, are different data.
            var other = TestData.Blobs(240, seed: 99);
            var h = Assert.ThrowsExactly<CheckpointMismatchException>(() => With().Fit(Source(other)));
            StringAssert.Contains(h.Message, "train-data-sha256");
            var o = Assert.ThrowsExactly<CheckpointMismatchException>(() => With().Fit(Source(Train.Reverse().ToArray())));
            StringAssert.Contains(o.Message, "train-data-sha256");
            CollectionAssert.AreEqual(before, File.ReadAllBytes(ck), "a refused resume leaves the checkpoint as it was");
            Assert.AreEqual(1, With().Fit(Source(Train)).ResumedAfterEpoch, "the same settings and data resume");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void LearningRateFollowsTheScheduleEpochByEpoch()
    {
        var options = new TrainerOptions { Epochs = 5, BatchSize = 80, LearningRate = 0.1, Schedule = LearningRateSchedule.Step, StepSize = 2, Gamma = 0.5, Device = "cpu" };
        var (_, trainer) = Make(options, 1);
        var seen = new SortedDictionary<int, double>();
        trainer.BatchEnd += p => seen[p.Epoch] = p.LearningRate;
        trainer.Fit(Source(Train));
        CollectionAssert.AreEqual(new[] { 0.1, 0.1, 0.05, 0.05, 0.025 }, seen.Values.ToArray());
        var exp = new TrainerOptions { LearningRate = 1e-3, Schedule = LearningRateSchedule.Exponential, Gamma = 0.95 };
        Assert.AreEqual(1e-3 * Math.Pow(0.95, 3), exp.LearningRateAt(3), 1e-15);
    }

    [TestMethod]
    public void EarlyStoppingStopsAfterPatienceAndRestoresTheBestEpochsWeights()
    {
        // A scripted validation loss (best at epoch 2) drives the decision; the weights still come from real training.
        TorchRuntime.Seed(3);
        var module = new MlpNetwork(4, new[] { 8 }, 1, 0);
        var scripted = new[] { 0.9, 0.5, 0.6, 0.7, 0.8, 0.9 };
        int epoch = 0;
        var trainer = new TorchTrainer<(Tensor X, Tensor Y)>(module,
            new TrainerOptions { Epochs = 6, BatchSize = 40, LearningRate = 0.05, Metric = ValidationMetric.Loss, EarlyStoppingPatience = 2, Device = "cpu" },
            b =>
            {
                var logits = module.forward(b.X).squeeze(1);
                var loss = module.training ? nn.functional.binary_cross_entropy_with_logits(logits, b.Y) : torch.tensor((float)scripted[epoch]);
                return new BatchOutcome(loss, (int)b.Y.shape[0]);
            });
        var snapshots = new Dictionary<int, Dictionary<string, float[]>>();
        // EpochEnd fires after validation; the snapshot of each epoch is taken at the next epoch's first batch... so
        // keep the weights as they are when validation of that epoch runs: after the last batch of the epoch.
        trainer.BatchEnd += p => { if (p.Step == p.StepsPerEpoch) snapshots[p.Epoch] = Weights(module); };
        trainer.EpochEnd += p => epoch = p.Epoch;
        var result = trainer.Fit(Source(Train), Source(Valid));

        Assert.IsTrue(result.StoppedEarly);
        Assert.AreEqual(4, result.History.Count, "epochs 3 and 4 did not improve on epoch 2: stop after 4");
        Assert.AreEqual(2, result.BestEpoch);
        Assert.AreEqual(0.5, result.BestMetric!.Value, 1e-6);
        var final = Weights(module);
        foreach (var (name, values) in snapshots[2]) CollectionAssert.AreEqual(values, final[name], $"tensor {name} should hold epoch 2's weights");
        CollectionAssert.AreNotEqual(snapshots[4]["_layers.out.weight"], final["_layers.out.weight"]);
    }

    [TestMethod]
    public void ProgressReachesTheMlContextLogAndTheProgressCallback()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Source.Contains("TorchMlp", StringComparison.Ordinal)) lock (messages) messages.Add(e.Message); };
        var reports = new List<TrainingProgress>();
        var text = new StringWriter();
        var bar = new MlNetHw.IO.TextTrainingProgress("mlp", text);
        ml.BinaryClassification.Trainers.TorchMlp(new TorchMlpBinaryOptions
        {
            HiddenSizes = new[] { 4 },
            Training = { Epochs = 2, BatchSize = 50, Device = "cpu" },
            Progress = new Progress(p => { reports.Add(p); bar.Report(p); }),
        }).Fit(ml.Data.LoadFromEnumerable(Train));

        Assert.IsTrue(messages.Any(m => m.Contains("epoch 1/2", StringComparison.Ordinal) && m.Contains("val_acc", StringComparison.Ordinal)),
            "epoch lines in MLContext.Log: " + string.Join(" / ", messages));
        int steps = (int)Math.Ceiling(Train.Length * 0.9 / 50);
        Assert.AreEqual(2 * steps + 2, reports.Count, "one report per batch plus one per epoch end");
        Assert.AreEqual(2 * steps, reports[^1].GlobalStep);
        Assert.IsTrue(reports.Where(r => !r.EpochEnd).All(r => r.Eta is not null));
        var epochLines = text.ToString().Split('\n').Where(l => l.StartsWith("mlp epoch", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(2, epochLines.Count, "one summary line per epoch in a log: " + text);
        Assert.IsTrue(epochLines.All(l => l.Contains("val_acc", StringComparison.Ordinal)), epochLines[0]);
    }

    /// <summary>Adds seeded noise per (epoch seed, example): an augmenting source as the image finetuner has one.</summary>
    sealed class NoisySource(BlobRow[] rows) : IBatchSource<(Tensor X, Tensor Y)>, IEpochAwareBatchSource
    {
        public List<(int Epoch, int Seed)> Calls { get; } = new();
        int _seed = -1;
        public int Count => rows.Length;
        public void StartEpoch(int epoch, int seed) { Calls.Add((epoch, seed)); _seed = seed; }
        public (Tensor X, Tensor Y) GetBatch(ReadOnlySpan<int> indices, Device device)
        {
            var x = new float[indices.Length * 4];
            var y = new float[indices.Length];
            for (int i = 0; i < indices.Length; i++)
            {
                var rng = new Random(_seed * 7919 + indices[i]);
                for (int k = 0; k < 4; k++) x[i * 4 + k] = rows[indices[i]].Features[k] + (float)(rng.NextDouble() - 0.5);
                y[i] = rows[indices[i]].Label ? 1f : 0f;
            }
            return (torch.tensor(x, new long[] { indices.Length, 4 }, device: device), torch.tensor(y, device: device));
        }
    }

    [TestMethod]
    public void AnEpochAwareSourceIsToldEveryEpochAndItsSeedAlsoAfterAResume()
    {
        string dir = TestData.TempDir();
        try
        {
            TrainerOptions Options(string ck) => new() { Epochs = 4, BatchSize = 40, Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, Seed = 5, Device = "cpu", CheckpointPath = Path.Combine(dir, ck) };
            var (reference, refTrainer) = Make(Options("a.ckpt"), initSeed: 9);
            var refSource = new NoisySource(Train);
            refTrainer.Fit(refSource, Source(Valid));
            CollectionAssert.AreEqual(Enumerable.Range(0, 4).Select(e => (e, TorchTrainer<int>.EpochSeed(5, e))).ToArray(), refSource.Calls.ToArray());

            var (_, interrupted) = Make(Options("b.ckpt"), initSeed: 9);
            using var cts = new CancellationTokenSource();
            interrupted.EpochEnd += p => { if (p.Epoch == 2) cts.Cancel(); };
            Assert.ThrowsExactly<OperationCanceledException>(() => interrupted.Fit(new NoisySource(Train), Source(Valid), cts.Token));
            var (resumed, resumer) = Make(Options("b.ckpt"), initSeed: 9);
            var resumedSource = new NoisySource(Train);
            resumer.Fit(resumedSource, Source(Valid));
            CollectionAssert.AreEqual(new[] { 2, 3 }, resumedSource.Calls.Select(c => c.Epoch).ToArray(), "only the epochs still to run");
            var expected = Weights(reference);
            var actual = Weights(resumed);
            double maxDiff = expected.Max(kv => kv.Value.Zip(actual[kv.Key], (a, b) => (double)Math.Abs(a - b)).Max());
            Assert.IsTrue(maxDiff < 1e-6, $"the resumed run drew other augmentations: weights differ by {maxDiff:E2}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void FrozenParametersAreNotUpdatedEvenWithMomentumAndWeightDecay()
    {
        var (module, _) = Make(new TrainerOptions(), initSeed: 4);
        var frozen = module.parameters().First();
        frozen.requires_grad = false;
        var before = frozen.detach().clone().data<float>().ToArray();
        var trainer = new TorchTrainer<(Tensor X, Tensor Y)>(module,
            new TrainerOptions { Epochs = 2, BatchSize = 40, Optimizer = OptimizerKind.Sgd, Momentum = 0.9, WeightDecay = 0.1, Device = "cpu" },
            b => new BatchOutcome(nn.functional.binary_cross_entropy_with_logits(module.forward(b.X).squeeze(1), b.Y), (int)b.Y.shape[0]));
        trainer.Fit(Source(Train));
        CollectionAssert.AreEqual(before, frozen.detach().data<float>().ToArray(), "a parameter with requires_grad = false must not move");
        Assert.IsTrue(module.parameters().Skip(1).Any(p => p.requires_grad), "the rest trains");

        foreach (var p in module.parameters()) p.requires_grad = false;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new TorchTrainer<(Tensor X, Tensor Y)>(module,
            new TrainerOptions { Epochs = 1, Device = "cpu" }, _ => default).Fit(Source(Train)));
        StringAssert.Contains(e.Message, "no parameter that requires gradients");
    }

    [TestMethod]
    public void BadOptionsNameTheSetting()
    {
        var module = new MlpNetwork(4, new[] { 2 }, 1, 0);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new TorchTrainer<int>(module, new TrainerOptions { Epochs = 0 }, _ => default));
        Assert.AreEqual("Epochs", e.ParamName);
    }

    sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [TestMethod]
    public void ALastBatchOfOneIsAddedToTheOneBeforeWhenAskedSoTrainModeBatchNormKeepsFiniteStatistics()
    {
        // 9 examples, batch 4: 4, 4, 1. BatchNorm over a 1×1 map given a batch of one in training mode updates its
        // running variance with an unbiased estimate of one value, 0/0: NaN, and every eval-mode output after it is NaN.
        var rows = Enumerable.Range(0, 9).Select(i => (float)i).ToArray();
        var source = new ListBatchSource<float, Tensor>(rows, (picked, device) => torch.tensor(picked.ToArray(), device: device).view(-1, 1, 1, 1));
        float[] RunningVarianceAfter(bool merge, List<int> sizes)
        {
            TorchRuntime.Seed(3);
            var bn = nn.BatchNorm2d(2);
            var module = nn.Sequential(("conv", nn.Conv2d(1, 2, 1)), ("bn", bn));
            var trainer = new TorchTrainer<Tensor>(module, new TrainerOptions { Epochs = 2, BatchSize = 4, Optimizer = OptimizerKind.Sgd, Seed = 1, Device = "cpu", MergeLastBatchOfOne = merge }, x =>
            {
                sizes.Add((int)x.shape[0]);
                return new BatchOutcome(module.forward(x).pow(2).mean(), (int)x.shape[0]);
            });
            trainer.Fit(source, null);
            return bn.running_var!.data<float>().ToArray();
        }
        var merged = new List<int>();
        var good = RunningVarianceAfter(merge: true, merged);
        CollectionAssert.AreEqual(new[] { 4, 5, 4, 5 }, merged, "two epochs of 4 + 5");
        Assert.IsTrue(good.All(float.IsFinite), $"running variance {string.Join(", ", good)}");
        var plain = new List<int>();
        var bad = RunningVarianceAfter(merge: false, plain);
        CollectionAssert.AreEqual(new[] { 4, 4, 1, 4, 4, 1 }, plain, "without merging each epoch ends with a batch of one");
        Assert.IsTrue(bad.All(float.IsNaN), $"the batch of one should poison the statistics (that is what merging prevents): {string.Join(", ", bad)}");
        // Only a remainder of exactly one is merged.
        Assert.AreEqual(3, new TrainerOptions { BatchSize = 4, MergeLastBatchOfOne = true }.StepsPerEpoch(10));
        Assert.AreEqual(1, new TrainerOptions { BatchSize = 4, MergeLastBatchOfOne = true }.StepsPerEpoch(1));
        Assert.AreEqual(3, new TrainerOptions { BatchSize = 4 }.StepsPerEpoch(9));
    }

    [TestMethod]
    [DataRow(OptimizerKind.AdamW)]
    [DataRow(OptimizerKind.Adam)]
    [DataRow(OptimizerKind.Sgd)]
    public void WeightDecayCanSpareBiasesAndNormalisationParameters(OptimizerKind optimizer)
    {
        // With zero gradients only the weight decay moves a parameter: the matrix shrinks, the vectors (Linear bias,
        // LayerNorm weight and bias) stay put when excluded and shrink too when not.
        var rows = Enumerable.Range(0, 4).Select(i => (float)i).ToArray();
        var source = new ListBatchSource<float, Tensor>(rows, (picked, device) => torch.tensor(picked.ToArray(), device: device).view(-1, 1).expand(-1, 3));
        Dictionary<string, (float[] Before, float[] After)> OneStep(bool exclude)
        {
            TorchRuntime.Seed(5);
            var module = nn.Sequential(("fc", nn.Linear(3, 3)), ("norm", nn.LayerNorm(3)));
            using (torch.no_grad()) foreach (var p in module.parameters()) p.uniform_(0.5, 1.5); // LayerNorm starts at 1 and 0
            var before = module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone().data<float>().ToArray());
            var trainer = new TorchTrainer<Tensor>(module, new TrainerOptions
            {
                Epochs = 1, BatchSize = 4, Optimizer = optimizer, LearningRate = 0.1, WeightDecay = 0.5, Seed = 1, Device = "cpu",
                ExcludeVectorsFromWeightDecay = exclude, KeepBestWeights = false,
            }, x => new BatchOutcome(module.forward(x).sum() * 0, (int)x.shape[0]));
            trainer.Fit(source, null);
            return module.named_parameters().ToDictionary(p => p.name, p => (before[p.name], p.parameter.detach().data<float>().ToArray()));
        }
        static bool Moved((float[] Before, float[] After) w) => w.Before.Zip(w.After).Any(t => Math.Abs(t.First - t.Second) > 1e-6);
        var spared = OneStep(exclude: true);
        Assert.IsTrue(Moved(spared["fc.weight"]), "the weight matrix decays");
        foreach (var name in new[] { "fc.bias", "norm.weight", "norm.bias" })
            Assert.IsFalse(Moved(spared[name]), $"{name} must not decay");
        var all = OneStep(exclude: false);
        foreach (var name in new[] { "fc.weight", "fc.bias", "norm.weight", "norm.bias" })
            Assert.IsTrue(Moved(all[name]), $"{name} decays when vectors are not excluded");
        // The matrix decays by the same amount either way.
        Assert.AreEqual(all["fc.weight"].After[0], spared["fc.weight"].After[0], 1e-6f);
    }
}
