using System.Diagnostics;
using Microsoft.ML.Runtime;
using MlNetHw.Data;
using MlNetHw.MlNet.Training;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Vision;

/// <summary>A finished finetune run: the network (best-validation weights when kept), per-epoch history, val predictions.</summary>
public sealed class FinetuneRun
{
    /// <summary>The trained network.</summary>
    public required FinetuneNetwork Model { get; init; }
    /// <summary>Class names, in label order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>Loss, accuracy and learning rate of every epoch.</summary>
    public required IReadOnlyList<FinetuneEpoch> History { get; init; }
    /// <summary>1-based epoch whose weights the model holds (the best validation accuracy, or the last epoch).</summary>
    public required int SelectedEpoch { get; init; }
    /// <summary>Validation predictions of the selected epoch.</summary>
    public required ClassificationOutcome Val { get; init; }
    /// <summary>Wall time of the training run.</summary>
    public required TimeSpan Elapsed { get; init; }
}

/// <summary>
/// 'finetune': the imported backbone (the packaged ResNet18, or <see cref="FinetuneOptions.Backbone"/>) plus a new linear head trained end to end on the shared training loop
/// (<see cref="TorchTrainer{TBatch}"/>: SGD with momentum, StepLR, per-epoch validation, best-validation weights kept,
/// progress with loss/accuracy/ETA) with torchvision-style augmentation from <see cref="ImageBatchSource"/>
/// (RandomResizedCrop + horizontal flip for training, Resize + CenterCrop for validation). Everything is seeded from
/// the seed of <see cref="FinetuneOptions.Training"/>: the head's initial weights, the shuffle and the crops of every epoch.
/// </summary>
public static class ResNet18FinetuneTrainer
{
    /// <summary>Trains on <paramref name="data"/>'s train split, validating every epoch on its validation split; see the other overload.</summary>
    public static FinetuneRun Train(ImageFolderDataset data, FinetuneOptions options, TextWriter? log = null, IChannel? channel = null) =>
        Train(data.Train, data.Validation, options, log, channel);

    /// <summary>
    /// Trains on <paramref name="train"/>, validating every epoch on <paramref name="validation"/> (null or empty:
    /// no validation, the last epoch's weights are kept). <see cref="FinetuneOptions.MaxTrainImages"/> and
    /// <see cref="FinetuneOptions.MaxValImages"/> take seeded class-balanced subsets. Progress goes to
    /// <paramref name="log"/> (nowhere by default; a progress bar on a terminal, one line per epoch otherwise) and,
    /// when given, to the ML.NET <paramref name="channel"/>.
    /// </summary>
    public static FinetuneRun Train(ImageFolderSplit train, ImageFolderSplit? validation, FinetuneOptions options, TextWriter? log = null,
        IChannel? channel = null)
    {
        options.Validate();
        log ??= TextWriter.Null;
        var clock = Stopwatch.StartNew();
        var classes = train.Classes;
        if (validation is not null && !validation.Classes.SequenceEqual(classes))
            throw new ArgumentException($"validation classes ({string.Join(", ", validation.Classes)}) differ from the training classes ({string.Join(", ", classes)}).", nameof(validation));
        int seed = options.Training.Seed;
        train = train.Take(options.MaxTrainImages, seed);
        var val = (validation ?? ImageFolderSplit.FromRows(classes, Array.Empty<ImageRow>())).Take(options.MaxValImages, seed + 1);

        TorchRuntime.Seed(seed); // the new head's initial weights
        FinetuneNetwork model = options.Backbone is { } backbone
            ? backbone.CreateNetwork(classes.Count, options.BatchNormMomentum)
            : new ResNet18Network(classes.Count, options.BatchNormMomentum);
        model.FreezeBackbone = options.FreezeBackbone;
        // A last batch of one image is added to the one before (train-mode BatchNorm; TrainerOptions.MergeLastBatchOfOne).
        var loop = options.Training.Clone();
        loop.MergeLastBatchOfOne = true;
        var trainer = new TorchTrainer<ImageBatch>(model, loop, batch => Step(model, batch), channel)
        {
            Progress = new MlNetHw.IO.TextTrainingProgress("finetune", log),
            ModelSettings = new KeyValuePair<string, string>[]
            {
                new("classes", string.Join(",", classes)), new("freeze-backbone", options.FreezeBackbone.ToString()),
                new("backbone", options.Backbone is { } b ? $"{Path.GetFileName(b.ModelPath)}@{b.CutAt}" : "packaged-resnet18"),
                new("batch-norm-momentum", options.BatchNormMomentum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "file"),
            },
        };
        var epochSeconds = new List<double>();
        var lastEnd = TimeSpan.Zero;
        trainer.EpochEnd += p => { epochSeconds.Add((p.Elapsed - lastEnd).TotalSeconds); lastEnd = p.Elapsed; };
        var t = options.Training;
        log.WriteLine($"finetune: {train.Count} train / {val.Count} val images, {t.Epochs} epochs of batch {t.BatchSize}, " +
                      $"{t.Optimizer} lr {t.LearningRate} momentum {t.Momentum}, {t.Schedule}({t.StepSize}, {t.Gamma}), seed {seed}, " +
                      $"{TorchRuntime.Describe(trainer.Device)}");

        var result = trainer.Fit(
            ImageBatchSource.Training(train, options),
            val.Count > 0 ? ImageBatchSource.Evaluation(val, options) : null);

        // Without validation images there is nothing to select on: NaN metrics, the last epoch's weights are kept.
        int selected = options.Training.KeepBestWeights && val.Count > 0 ? result.BestEpoch : result.History.Count;
        if (selected != result.History.Count)
            log.WriteLine($"kept the weights of epoch {selected} (best val accuracy {result.BestMetric:P1}; last epoch {result.History[^1].ValidationAccuracy:P1})");
        var outcome = val.Count > 0
            ? Predict(model, val, options, trainer.Device)
            : new ClassificationOutcome(classes, Array.Empty<ImageClassification>());
        var history = result.History.Select((e, i) => new FinetuneEpoch(e.Epoch, e.LearningRate, e.TrainLoss, e.TrainAccuracy ?? double.NaN,
            e.ValidationLoss ?? double.NaN, e.ValidationAccuracy ?? double.NaN, i < epochSeconds.Count ? epochSeconds[i] : double.NaN)).ToList();
        return new FinetuneRun
        {
            Model = model, Classes = classes, History = history, SelectedEpoch = selected, Val = outcome, Elapsed = clock.Elapsed,
        };
    }

    /// <summary>Forward pass and cross-entropy of one batch, with the number of correct predictions.</summary>
    static BatchOutcome Step(FinetuneNetwork model, ImageBatch batch)
    {
        var logits = model.forward(batch.Pixels);
        var loss = nn.functional.cross_entropy(logits, batch.Labels);
        long correct = logits.argmax(1).eq(batch.Labels).sum().item<long>();
        return new BatchOutcome(loss, (int)batch.Labels.shape[0], correct);
    }

    /// <summary>Per-image predictions (eval mode, no gradients, Resize + CenterCrop) of <paramref name="model"/> on <paramref name="split"/>.</summary>
    public static ClassificationOutcome Predict(FinetuneNetwork model, ImageFolderSplit split, FinetuneOptions options, Device device)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        var source = ImageBatchSource.Evaluation(split, options);
        var truth = split.ClassIndices();
        int batch = Math.Max(options.Training.BatchSize, 16);
        var predictions = new List<ImageClassification>();
        var all = Enumerable.Range(0, split.Count).ToArray();
        for (int start = 0; start < split.Count; start += batch)
        {
            using var scope = torch.NewDisposeScope();
            int n = Math.Min(batch, split.Count - start);
            var probs = model.forward(source.GetBatch(all.AsSpan(start, n), device).Pixels).softmax(1).cpu();
            var pred = probs.argmax(1).data<long>().ToArray();
            for (int b = 0; b < n; b++)
                predictions.Add(new ImageClassification(split.Rows[start + b].ImagePath, truth[start + b], (int)pred[b], probs[b].data<float>().ToArray()));
        }
        return new ClassificationOutcome(split.Classes, predictions);
    }
}
