using MlNetHw.MlNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Captioning;

/// <summary>Loss history of one training run.</summary>
/// <param name="BatchLosses">Loss of every Adam step, in order (cs231n's <c>loss_history</c>).</param>
/// <param name="EpochLosses">Mean batch loss of each epoch.</param>
/// <param name="Seconds">Wall-clock training time.</param>
public sealed record CaptionTrainingHistory(IReadOnlyList<double> BatchLosses, IReadOnlyList<double> EpochLosses, double Seconds)
{
    /// <summary>Loss of the last Adam step (the homework's "final loss").</summary>
    public double FinalLoss => BatchLosses.Count > 0 ? BatchLosses[^1] : double.NaN;
}

/// <summary>The network-level half of <see cref="CaptionerTrainer"/>: the training loop on tensors.</summary>
public sealed partial class CaptionerTrainer
{
    /// <summary>
    /// cs231n's captioning settings for the shared loop: 50 epochs of 25 captions, Adam 5e-3, the learning rate times
    /// 0.995 after every epoch (exponential schedule), reshuffled every epoch from seed 0, the last epoch's weights kept.
    /// </summary>
    public static TrainerOptions DefaultTraining() => new()
    {
        Epochs = 50, BatchSize = 25, Optimizer = OptimizerKind.Adam, LearningRate = 5e-3, Schedule = LearningRateSchedule.Exponential,
        Gamma = 0.995, Seed = 0, Shuffle = true, KeepBestWeights = false, Device = "auto",
    };

    /// <summary>Rows of two tensors picked by index: the trainer's batch source for in-memory features and captions.</summary>
    sealed class TensorRows(Tensor features, Tensor captions) : IBatchSource<(Tensor Features, Tensor Captions)>
    {
        public int Count => (int)features.shape[0];

        public (Tensor Features, Tensor Captions) GetBatch(ReadOnlySpan<int> indices, Device device)
        {
            var idx = new long[indices.Length];
            for (int i = 0; i < idx.Length; i++) idx[i] = indices[i];
            var index = tensor(idx, device: features.device);
            return (features.index_select(0, index).to(device), captions.index_select(0, index).to(device));
        }
    }

    /// <summary>
    /// Trains a <see cref="CaptionerNetwork"/> on (features, captions) with MlNetHw's shared training loop
    /// (<see cref="TorchTrainer{TBatch}"/>): Adam, the learning rate multiplied by the decay after every epoch
    /// (its exponential schedule), captions reshuffled every epoch from the seed.
    /// </summary>
    /// <param name="model">The model (float32; moved to the device of <paramref name="features"/>).</param>
    /// <param name="features">(M, D) features, one row per caption.</param>
    /// <param name="captions">(M, T) int64 encoded captions.</param>
    /// <param name="options">The loop's settings (used as they are, on the device of <paramref name="features"/>).</param>
    /// <param name="progress">Receives every batch and epoch report (e.g. <see cref="MlNetHw.IO.TextTrainingProgress"/>).</param>
    /// <param name="log">Optional ML.NET channel for log lines.</param>
    public static CaptionTrainingHistory TrainNetwork(CaptionerNetwork model, Tensor features, Tensor captions, TrainerOptions options,
        IProgress<TrainingProgress>? progress = null, Microsoft.ML.Runtime.IChannel? log = null)
    {
        if (features.shape[0] != captions.shape[0]) throw new ArgumentException($"{features.shape[0]} feature rows but {captions.shape[0]} caption rows.");
        if (features.shape[0] == 0) throw new ArgumentException("no training captions.");
        var trainerOptions = options.Clone();
        trainerOptions.Device = features.device.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, features.device.index)}" : "cpu";
        var trainer = new TorchTrainer<(Tensor Features, Tensor Captions)>(model, trainerOptions,
            batch => new BatchOutcome(model.Loss(batch.Features, batch.Captions), (int)batch.Features.shape[0]), log)
        {
            Progress = progress,
        };
        var batchLosses = new List<double>();
        trainer.BatchEnd += p => batchLosses.Add(p.Loss);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = trainer.Fit(new TensorRows(features, captions));
        model.eval();
        return new CaptionTrainingHistory(batchLosses, result.History.Select(h => h.TrainLoss).ToArray(), clock.Elapsed.TotalSeconds);
    }
}
