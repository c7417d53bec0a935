using System.Diagnostics;
using Microsoft.ML.Runtime;
using MlNetHw.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.MlNet.Training;

/// <summary>
/// The one training loop every MlNetHw model uses (minGPT's <c>Trainer</c> in spirit): mini-batches from an
/// <see cref="IBatchSource{TBatch}"/>, optimizer and learning-rate schedule from <see cref="TrainerOptions"/>,
/// a validation pass per epoch with the best-validation weights kept, early stopping, deterministic seeding,
/// cancellation, progress (events, <see cref="IProgress{T}"/> and the ML.NET log) and a checkpoint at each epoch end
/// from which an interrupted run resumes to the same final weights.
/// <para>The model author supplies only <c>step</c>: forward pass + loss for one batch.</para>
/// </summary>
/// <typeparam name="TBatch">Whatever the batch source builds (tensors of one batch).</typeparam>
public sealed class TorchTrainer<TBatch>
{
    readonly nn.Module _module;
    readonly TrainerOptions _options;
    readonly Func<TBatch, BatchOutcome> _step;
    readonly IChannel? _log;

    /// <param name="module">The module to train (moved to the options' device).</param>
    /// <param name="options">Loop settings (copied).</param>
    /// <param name="step">Forward pass and loss of one batch; called in train mode with gradients, and in eval mode under no_grad for validation.</param>
    /// <param name="log">ML.NET channel for log lines (e.g. from <c>((IHostEnvironment)mlContext).Register("X").Start("Fit")</c>); null = none.</param>
    public TorchTrainer(nn.Module module, TrainerOptions options, Func<TBatch, BatchOutcome> step, IChannel? log = null)
    {
        _module = module ?? throw new ArgumentNullException(nameof(module));
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Clone();
        _options.Validate();
        _step = step ?? throw new ArgumentNullException(nameof(step));
        _log = log;
        Device = TorchRuntime.ResolveDevice(_options.Device);
    }

    /// <summary>The device training runs on.</summary>
    public Device Device { get; }

    /// <summary>
    /// The model's settings that change the result (architecture, hidden sizes, dropout, vocabulary size ...), recorded
    /// in the checkpoint beside the loop's settings and the data's content hash, so that a resume with another model is
    /// refused naming the setting. Estimators pass every hyperparameter they give the module.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ModelSettings { get; init; } = Array.Empty<KeyValuePair<string, string>>();

    /// <summary>Raised after every training batch.</summary>
    public event Action<TrainingProgress>? BatchEnd;

    /// <summary>Raised after every epoch (validation done, checkpoint written).</summary>
    public event Action<TrainingProgress>? EpochEnd;

    /// <summary>Receives every batch and epoch report (e.g. a <see cref="MlNetHw.IO.TextTrainingProgress"/>).</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>The seed of libtorch's generator and of the shuffle for (0-based) <paramref name="epoch"/>.</summary>
    public static int EpochSeed(int seed, int epoch) => unchecked((int)(((uint)seed * 2654435761u) ^ ((uint)(epoch + 1) * 40503u + 0x9E3779B9u)) & 0x7FFFFFFF);

    /// <summary>
    /// Trains for up to <see cref="TrainerOptions.Epochs"/> epochs. Throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> fires (the last epoch-end checkpoint is kept for resuming).
    /// </summary>
    public TrainingResult Fit(IBatchSource<TBatch> train, IBatchSource<TBatch>? validation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException("the training set is empty", nameof(train));
        if (validation is { Count: 0 }) throw new ArgumentException("the validation set is empty (pass null for none)", nameof(validation));
        var o = _options;
        _module.to(Device);
        using var optimizer = CreateOptimizer();

        int startEpoch = 0, bestEpoch = 0, sinceImprovement = 0;
        double? bestMetric = null;
        long globalStep = 0;
        bool stoppedEarly = false, finished = false;
        var history = new List<EpochRecord>();
        TensorFile? bestWeights = null;
        string fingerprint = "";
        if (o.CheckpointPath is { } ckPathForFingerprint)
        {
            // Everything that changes the result: the loop's settings, the model's, and the data (sizes and a content
            // hash of the rows in order), so that a checkpoint of another run is never resumed silently.
            var settings = o.Fingerprint.Concat(ModelSettings.Select(kv => new KeyValuePair<string, string>("model." + kv.Key, kv.Value))).ToList();
            // The architecture as the module has it (every trainer, whatever settings its estimator passes): type, parameter shapes, trainable ones.
            settings.Add(new("model.architecture", CheckpointFingerprint.Architecture(_module)));
            settings.Add(new("train-rows", train.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            settings.Add(new("validation-rows", (validation?.Count ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            settings.Add(new("train-data-sha256", CheckpointFingerprint.ContentHash(train, o.BatchSize) ?? "not hashed"));
            settings.Add(new("validation-data-sha256", validation is null ? "none" : CheckpointFingerprint.ContentHash(validation, o.BatchSize) ?? "not hashed"));
            fingerprint = CheckpointFingerprint.Join(settings);
        }

        if (o.CheckpointPath is { } ckPath && File.Exists(ckPath))
        {
            var ck = TrainingCheckpoint.Load(ckPath);
            if (CheckpointFingerprint.FirstDifference(ck.Info.Fingerprint, fingerprint) is { } d)
                throw new CheckpointMismatchException(
                    $"checkpoint '{ckPath}' was written with {d.Name} = {d.Checkpoint}, this run has {d.Name} = {d.Run}; " +
                    "run with the checkpoint's settings and data, or start afresh (delete the checkpoint / run without resuming)");
            ck.Weights.LoadInto(_module, $"checkpoint '{ckPath}'");
            TrainingCheckpoint.LoadOptimizer(optimizer, ck.OptimizerState);
            startEpoch = ck.Info.EpochsDone;
            bestEpoch = ck.Info.BestEpoch;
            bestMetric = ck.Info.BestMetric;
            sinceImprovement = ck.Info.EpochsWithoutImprovement;
            globalStep = ck.Info.GlobalStep;
            history.AddRange(ck.Info.History);
            stoppedEarly = ck.Info.StoppedEarly;
            finished = ck.Info.Finished;
            if (ck.BestWeights.Tensors.Count > 0) bestWeights = ck.BestWeights;
            Info($"resuming from checkpoint '{ckPath}' after epoch {startEpoch}{(finished ? " (training had finished)" : "")}");
        }

        int stepsPerEpoch = o.StepsPerEpoch(train.Count);
        long totalSteps = (long)stepsPerEpoch * o.Epochs;
        long stepsAtStart = globalStep;
        var clock = Stopwatch.StartNew();
        Info($"training {train.Count} examples{(validation is null ? "" : $", validating on {validation.Count}")}, {o.Epochs} epochs of {stepsPerEpoch} batches, " +
             $"{o.Optimizer} lr {o.LearningRate:R} schedule {o.Schedule}, seed {o.Seed}, device {Device.type}");

        for (int epoch = startEpoch; epoch < o.Epochs && !finished; epoch++)
        {
            double lr = o.LearningRateAt(epoch);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            int epochSeed = EpochSeed(o.Seed, epoch);
            torch.manual_seed(epochSeed);
            if (train is IEpochAwareBatchSource augmenting) augmenting.StartEpoch(epoch, epochSeed);
            var order = Enumerable.Range(0, train.Count).ToArray();
            if (o.Shuffle) new Random(epochSeed).Shuffle(order);

            _module.train();
            double lossSum = 0;
            long seen = 0, correct = 0;
            bool hasAccuracy = false;
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // The last step takes the rest: at most BatchSize, or BatchSize + 1 with MergeLastBatchOfOne.
                int from = s * o.BatchSize, count = s == stepsPerEpoch - 1 ? train.Count - from : o.BatchSize;
                if (o.Schedule == LearningRateSchedule.WarmupLinear)
                {
                    lr = o.LearningRateAtStep((long)epoch * stepsPerEpoch + s, totalSteps, epoch);
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                }
                double loss;
                using (var scope = torch.NewDisposeScope())
                {
                    var batch = train.GetBatch(order.AsSpan(from, count), Device);
                    var outcome = _step(batch);
                    optimizer.zero_grad();
                    outcome.Loss.backward();
                    if (o.GradientClipNorm is { } clip) nn.utils.clip_grad_norm_(_module.parameters().Where(p => p.requires_grad), clip);
                    optimizer.step();
                    loss = outcome.Loss.ToDouble();
                    if (!double.IsFinite(loss))
                        throw new InvalidOperationException($"training diverged: loss is {loss} at epoch {epoch + 1} batch {s + 1} (lower the learning rate)");
                    lossSum += loss * outcome.Count;
                    seen += outcome.Count;
                    if (outcome.Correct is { } c) { correct += c; hasAccuracy = true; }
                }
                globalStep++;
                var p = Report(false, epoch, s + 1, stepsPerEpoch, globalStep, totalSteps, loss, lossSum / seen,
                    hasAccuracy ? correct / (double)seen : null, null, null, lr, clock.Elapsed, globalStep - stepsAtStart);
                BatchEnd?.Invoke(p);
                Progress?.Report(p);
                if (o.LogEveryBatches > 0 && (s + 1) % o.LogEveryBatches == 0) Trace(p.ToString());
            }

            double? valLoss = null, valAcc = null;
            if (validation is not null) (valLoss, valAcc) = Evaluate(validation, cancellationToken);
            var record = new EpochRecord(epoch + 1, lossSum / seen, hasAccuracy ? correct / (double)seen : null, valLoss, valAcc, lr);
            history.Add(record);

            if (validation is not null)
            {
                double? metric = o.Metric == ValidationMetric.Accuracy ? valAcc : valLoss;
                if (metric is null)
                    throw new InvalidOperationException("ValidationMetric is Accuracy but the step function reports no correct counts; use ValidationMetric.Loss");
                bool improved = bestMetric is null || (o.Metric == ValidationMetric.Accuracy ? metric > bestMetric : metric < bestMetric);
                if (improved)
                {
                    bestMetric = metric;
                    bestEpoch = epoch + 1;
                    sinceImprovement = 0;
                    if (o.KeepBestWeights) bestWeights = TensorFile.FromModule(_module);
                }
                else sinceImprovement++;
            }
            else bestEpoch = epoch + 1;

            stoppedEarly = o.EarlyStoppingPatience is { } patience && validation is not null && sinceImprovement >= patience && epoch + 1 < o.Epochs;
            finished = stoppedEarly || epoch + 1 == o.Epochs;
            if (o.CheckpointPath is { } path)
            {
                new TrainingCheckpoint
                {
                    Info = new TrainingCheckpoint.Header
                    {
                        Fingerprint = fingerprint, EpochsDone = epoch + 1, Finished = finished, StoppedEarly = stoppedEarly,
                        BestEpoch = bestEpoch, BestMetric = bestMetric, EpochsWithoutImprovement = sinceImprovement,
                        GlobalStep = globalStep, History = history,
                    },
                    Weights = TensorFile.FromModule(_module),
                    BestWeights = bestWeights ?? new TensorFile(),
                    OptimizerState = TrainingCheckpoint.SaveOptimizer(optimizer),
                }.Save(path);
            }
            var end = Report(true, epoch, stepsPerEpoch, stepsPerEpoch, globalStep, totalSteps, record.TrainLoss, record.TrainLoss,
                record.TrainAccuracy, valLoss, valAcc, lr, clock.Elapsed, globalStep - stepsAtStart);
            Info(end.ToString() + (stoppedEarly ? $"  early stop: no improvement for {sinceImprovement} epochs" : ""));
            EpochEnd?.Invoke(end);
            Progress?.Report(end);
        }

        if (validation is not null && o.KeepBestWeights && bestWeights is not null)
        {
            bestWeights.LoadInto(_module, "best-epoch weights");
            Info($"restored the weights of epoch {bestEpoch} (best validation {o.Metric.ToString().ToLowerInvariant()} {bestMetric:0.0000})");
        }
        _module.eval();
        return new TrainingResult
        {
            History = history, BestEpoch = bestEpoch, BestMetric = bestMetric, StoppedEarly = stoppedEarly, ResumedAfterEpoch = startEpoch,
        };
    }

    /// <summary>Mean loss and accuracy (null when the step reports none) over <paramref name="data"/>, in eval mode without gradients.</summary>
    public (double Loss, double? Accuracy) Evaluate(IBatchSource<TBatch> data, CancellationToken cancellationToken = default)
    {
        bool wasTraining = _module.training;
        _module.eval();
        double lossSum = 0;
        long seen = 0, correct = 0;
        bool hasAccuracy = false;
        using (torch.no_grad())
        {
            var all = Enumerable.Range(0, data.Count).ToArray();
            for (int from = 0; from < data.Count; from += _options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                int count = Math.Min(_options.BatchSize, data.Count - from);
                var outcome = _step(data.GetBatch(all.AsSpan(from, count), Device));
                lossSum += outcome.Loss.ToDouble() * outcome.Count;
                seen += outcome.Count;
                if (outcome.Correct is { } c) { correct += c; hasAccuracy = true; }
            }
        }
        _module.train(wasTraining);
        return (lossSum / Math.Max(1, seen), hasAccuracy ? correct / (double)Math.Max(1, seen) : null);
    }

    // Only parameters that require gradients: a frozen part of the model (requires_grad = false) gets no momentum or
    // weight-decay updates, as with PyTorch's filter(lambda p: p.requires_grad, model.parameters()).
    optim.Optimizer CreateOptimizer()
    {
        var trainable = Trainable();
        double lr = _options.LearningRate, wd = _options.WeightDecay;
        // One parameter group, or two when vectors (biases, normalisation) are spared the weight decay.
        var groups = _options.ExcludeVectorsFromWeightDecay && wd != 0
            ? new[] { (trainable.Where(p => p.dim() >= 2).ToList(), wd), (trainable.Where(p => p.dim() < 2).ToList(), 0.0) }.Where(g => g.Item1.Count > 0).ToList()
            : new List<(List<Parameter> Parameters, double Decay)> { (trainable, wd) };
        return _options.Optimizer switch
        {
            OptimizerKind.Sgd => new TorchSharp.Modules.SGD(groups.Select(g => new TorchSharp.Modules.SGD.ParamGroup(g.Item1, lr, _options.Momentum, 0, g.Item2, false, false)),
                lr, _options.Momentum, 0, wd, false, false),
            // TorchSharp's Adam update, bit for bit, with fewer temporaries (see ManagedAdam); AdamW decouples the decay.
            var kind => new ManagedAdam(groups.Select(g => new TorchSharp.Modules.Adam.ParamGroup(g.Item1, lr, 0.9, 0.999, 1e-8, g.Item2, false, false)),
                lr, weightDecay: wd, decoupledWeightDecay: kind == OptimizerKind.AdamW),
        };
    }

    List<Parameter> Trainable()
    {
        var trainable = _module.parameters().Where(p => p.requires_grad).ToList();
        if (trainable.Count == 0)
            throw new InvalidOperationException($"module '{_module.GetName()}' has no parameter that requires gradients: nothing to train");
        return trainable;
    }

    static TrainingProgress Report(bool epochEnd, int epoch, int step, int stepsPerEpoch, long globalStep, long totalSteps, double loss,
        double epochLoss, double? trainAcc, double? valLoss, double? valAcc, double lr, TimeSpan elapsed, long stepsThisRun) =>
        new()
        {
            EpochEnd = epochEnd, Epoch = epoch + 1, Epochs = (int)(totalSteps / Math.Max(1, stepsPerEpoch)), Step = step, StepsPerEpoch = stepsPerEpoch,
            GlobalStep = globalStep, TotalSteps = totalSteps, Loss = loss, EpochLoss = epochLoss, TrainAccuracy = trainAcc,
            ValidationLoss = valLoss, ValidationAccuracy = valAcc, LearningRate = lr, Elapsed = elapsed,
            Eta = stepsThisRun > 0 ? TimeSpan.FromTicks((long)(elapsed.Ticks / (double)stepsThisRun * (totalSteps - globalStep))) : null,
        };

    void Info(string message) => _log?.Info(MessageSensitivity.None, message);
    void Trace(string message) => _log?.Trace(MessageSensitivity.None, message);
}
