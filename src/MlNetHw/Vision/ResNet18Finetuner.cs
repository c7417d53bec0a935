using System.Diagnostics;
using MlNetHw.Cli;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Vision;

/// <summary>A finished finetune run: the network (best-validation weights when kept), per-epoch history, val predictions.</summary>
public sealed class FinetuneRun
{
    public required ResNet18Classifier Model { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required IReadOnlyList<FinetuneEpoch> History { get; init; }
    /// <summary>1-based epoch whose weights the model holds (the best validation accuracy, or the last epoch).</summary>
    public required int SelectedEpoch { get; init; }
    /// <summary>Validation predictions of the selected epoch.</summary>
    public required ClassificationOutcome Val { get; init; }
    public required TimeSpan Elapsed { get; init; }
}

/// <summary>
/// 'finetune': the imported ResNet18 backbone plus a new linear head trained end to end with SGD + StepLR on
/// torchvision-style augmentation (RandomResizedCrop + horizontal flip for training, Resize + CenterCrop for
/// validation). Plain TorchSharp, one loop; everything is seeded.
/// </summary>
public static class ResNet18Finetuner
{
    /// <summary>Trains on <paramref name="data"/>'s train split, validating every epoch. Progress goes to <paramref name="log"/> (Console by default).</summary>
    public static FinetuneRun Train(ImageFolderDataset data, FinetuneOptions options, TextWriter? log = null)
    {
        options.Validate();
        log ??= Console.Out;
        var device = TorchRuntime.ResolveDevice(options.Device);
        TorchRuntime.Seed(options.Seed);
        var clock = Stopwatch.StartNew();

        var train = ImageFolderDataset.Take(data.Train, options.MaxTrainImages, options.Seed);
        var val = ImageFolderDataset.Take(data.Val, options.MaxValImages, options.Seed + 1);
        var model = new ResNet18Classifier(data.Classes.Count, options.BatchNormMomentum);
        model.to(device);
        if (options.FreezeBackbone) model.Backbone.SetTrainable(false);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        var optimizer = torch.optim.SGD(trainable, options.LearningRate, options.Momentum, weight_decay: options.WeightDecay);
        var scheduler = torch.optim.lr_scheduler.StepLR(optimizer, options.LrStepEpochs, options.LrGamma);

        var history = new List<FinetuneEpoch>();
        Dictionary<string, Tensor>? best = null;
        ClassificationOutcome? bestVal = null, lastVal = null;
        int bestEpoch = 0; double bestAcc = double.NegativeInfinity;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            double lr = optimizer.ParamGroups.First().LearningRate;
            var (trainLoss, trainAcc) = TrainEpoch(model, optimizer, train, options, epoch, device, log);
            scheduler.step();
            // Without validation images there is nothing to select on: NaN metrics, the last epoch's weights are kept.
            var (valLoss, outcome) = val.Count > 0
                ? Evaluate(model, data.Classes, val, options, device, log, $"epoch {epoch}/{options.Epochs} val")
                : (double.NaN, new ClassificationOutcome(data.Classes, Array.Empty<ImageClassification>()));
            bool hasVal = val.Count > 0;
            lastVal = outcome;
            var record = new FinetuneEpoch(epoch, lr, trainLoss, trainAcc, valLoss, hasVal ? outcome.Accuracy : double.NaN, epochClock.Elapsed.TotalSeconds);
            history.Add(record);
            log.WriteLine($"epoch {epoch}/{options.Epochs}  lr {lr:G3}  train loss {trainLoss:F4} acc {trainAcc:P1}  " +
                          $"val loss {valLoss:F4} acc {outcome.Accuracy:P1}  ({record.Seconds:F0} s)");
            if (hasVal && outcome.Accuracy > bestAcc)
            {
                bestAcc = outcome.Accuracy; bestEpoch = epoch; bestVal = outcome;
                if (options.KeepBestWeights)
                {
                    if (best is not null) foreach (var t in best.Values) t.Dispose();
                    best = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                }
            }
        }
        int selected = options.Epochs;
        var selectedVal = lastVal!;
        if (options.KeepBestWeights && best is not null && bestEpoch != options.Epochs)
        {
            model.load_state_dict(best);
            selected = bestEpoch; selectedVal = bestVal!;
            log.WriteLine($"kept the weights of epoch {bestEpoch} (best val accuracy {bestAcc:P1})");
        }
        if (best is not null) foreach (var t in best.Values) t.Dispose();
        model.eval();
        return new FinetuneRun
        {
            Model = model, Classes = data.Classes, History = history, SelectedEpoch = selected, Val = selectedVal,
            Elapsed = clock.Elapsed,
        };
    }

    static (double Loss, double Accuracy) TrainEpoch(ResNet18Classifier model, optim.Optimizer optimizer,
        IReadOnlyList<LabeledImage> train, FinetuneOptions o, int epoch, Device device, TextWriter log)
    {
        model.train();
        if (o.FreezeBackbone) model.Backbone.eval();
        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(HashCode.Combine(o.Seed, epoch, 17)).Shuffle(order);
        var progress = new ConsoleProgress($"epoch {epoch}/{o.Epochs} train", train.Count, log == Console.Out ? null : log) { Unit = "img" };
        double lossSum = 0; long correct = 0, seen = 0;
        int s = o.CropSize, plane = 3 * s * s;
        for (int start = 0; start < order.Length; start += o.BatchSize)
        {
            int n = Math.Min(o.BatchSize, order.Length - start);
            var pixels = new float[n * plane];
            var labels = new long[n];
            for (int b = 0; b < n; b++)
            {
                int i = order[start + b];
                var rng = new Random(HashCode.Combine(o.Seed, epoch, i));
                using var bmp = ImageTransforms.Decode(train[i].Path);
                var crop = ImageTransforms.RandomResizedCrop(bmp, s, rng, o.HorizontalFlip, o.MinCropScale);
                Array.Copy(crop, 0, pixels, b * plane, plane);
                labels[b] = train[i].Label;
            }
            using var scope = torch.NewDisposeScope();
            var x = torch.tensor(pixels, new long[] { n, 3, s, s }, device: device);
            var y = torch.tensor(labels, device: device);
            var logits = model.forward(x);
            var loss = nn.functional.cross_entropy(logits, y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            lossSum += loss.item<float>() * n;
            correct += logits.argmax(1).eq(y).sum().item<long>();
            seen += n;
            progress.Report(seen, $"loss {lossSum / seen:F4} acc {correct / (double)seen:P1}");
        }
        return (lossSum / Math.Max(1, seen), correct / (double)Math.Max(1, seen));
    }

    /// <summary>Validation pass (eval mode, no gradients): mean loss and per-image predictions.</summary>
    public static (double Loss, ClassificationOutcome Outcome) Evaluate(ResNet18Classifier model, IReadOnlyList<string> classes,
        IReadOnlyList<LabeledImage> items, FinetuneOptions o, Device device, TextWriter? log = null, string label = "val")
    {
        model.eval();
        using var noGrad = torch.no_grad();
        var progress = new ConsoleProgress(label, items.Count, log is null || log == Console.Out ? null : log) { Unit = "img" };
        int s = o.CropSize, plane = 3 * s * s, batch = Math.Max(o.BatchSize, 16);
        double lossSum = 0;
        var predictions = new List<ImageClassification>();
        for (int start = 0; start < items.Count; start += batch)
        {
            int n = Math.Min(batch, items.Count - start);
            var pixels = new float[n * plane];
            var labels = new long[n];
            for (int b = 0; b < n; b++)
            {
                using var bmp = ImageTransforms.Decode(items[start + b].Path);
                Array.Copy(ImageTransforms.ResizeCenterCrop(bmp, o.ResizeSize, s), 0, pixels, b * plane, plane);
                labels[b] = items[start + b].Label;
            }
            using var scope = torch.NewDisposeScope();
            var x = torch.tensor(pixels, new long[] { n, 3, s, s }, device: device);
            var y = torch.tensor(labels, device: device);
            var logits = model.forward(x);
            lossSum += nn.functional.cross_entropy(logits, y).item<float>() * n;
            var probs = logits.softmax(1).cpu();
            var pred = probs.argmax(1);
            for (int b = 0; b < n; b++)
                predictions.Add(new ImageClassification(items[start + b].Path, items[start + b].Label, (int)pred[b].item<long>(),
                    probs[b].data<float>().ToArray()));
            progress.Report(start + n);
        }
        return (lossSum / Math.Max(1, items.Count), new ClassificationOutcome(classes, predictions));
    }
}
