using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetHw.MlNet.Training;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.MlNet.Mlp;

/// <summary>Options of <see cref="TorchMlpBinaryTrainer"/>. Defaults in brackets.</summary>
public sealed class TorchMlpBinaryOptions
{
    /// <summary>Feature column, Vector&lt;Single&gt; of known size ["Features"].</summary>
    public string FeatureColumnName { get; set; } = "Features";
    /// <summary>Label column, Boolean ["Label"].</summary>
    public string LabelColumnName { get; set; } = "Label";
    /// <summary>Hidden layer widths [32].</summary>
    public int[] HiddenSizes { get; set; } = { 32 };
    /// <summary>Dropout after each hidden layer [0].</summary>
    public double Dropout { get; set; }
    /// <summary>Fraction of the training rows held out (deterministically, from the seed) for validation; 0 = none [0.1].</summary>
    public double ValidationFraction { get; set; } = 0.1;
    /// <summary>Validation rows (same columns as the training data); when set, <see cref="ValidationFraction"/> is ignored [null].</summary>
    public IDataView? ValidationData { get; set; }
    /// <summary>The training loop settings [Epochs 20, BatchSize 32, Adam, LearningRate 1e-2, Metric Accuracy, Seed 1].</summary>
    public TrainerOptions Training { get; set; } = new() { Epochs = 20, BatchSize = 32, LearningRate = 1e-2 };
    /// <summary>Progress receiver (e.g. <see cref="MlNetHw.IO.TextTrainingProgress"/>) [null].</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
    /// <summary>Cancels training (the last epoch checkpoint, if any, is kept) [none].</summary>
    public CancellationToken CancellationToken { get; set; }
}

/// <summary>
/// Trains a <see cref="TorchMlpBinaryModel"/>: <c>mlContext.BinaryClassification.Trainers.TorchMlp(...)</c>.
/// The worked example of <see cref="TorchEstimator{TModel}"/> + <see cref="TorchTrainer{TBatch}"/>.
/// </summary>
public sealed class TorchMlpBinaryTrainer : TorchEstimator<TorchMlpBinaryModel>
{
    readonly TorchMlpBinaryOptions _options;

    /// <summary>The trainer with its settings; bad settings (validation fraction outside [0, 1), a non-positive hidden size) throw.</summary>
    public TorchMlpBinaryTrainer(IHostEnvironment environment, TorchMlpBinaryOptions options) : base(environment, "TorchMlp")
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.ValidationFraction is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, "ValidationFraction must be in [0, 1)");
        if (options.HiddenSizes.Any(h => h < 1)) throw new ArgumentOutOfRangeException(nameof(options), "HiddenSizes must all be positive");
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<TorchColumn> TrainingColumns =>
        new[] { TorchColumn.FloatVector(_options.FeatureColumnName), TorchColumn.Boolean(_options.LabelColumnName) };

    /// <inheritdoc/>
    protected override IReadOnlyList<TorchColumn> OutputColumns => TorchMlpBinaryModel.BinaryOutputColumns;

    (float[] Features, bool Label)[] Read(IDataView data)
    {
        var table = ColumnTable.Read(data, TrainingColumns, Name);
        var features = table.Get<float[]>(_options.FeatureColumnName);
        var labels = table.Get<bool>(_options.LabelColumnName);
        return features.Zip(labels, (f, l) => (f, l)).ToArray();
    }

    /// <inheritdoc/>
    protected override TorchMlpBinaryModel Train(IDataView trainData, IChannel channel)
    {
        var featureType = (Microsoft.ML.Data.VectorDataViewType)trainData.Schema[_options.FeatureColumnName].Type;
        if (featureType.Size == 0)
            throw new SchemaMismatchException(_options.FeatureColumnName,
                $"TorchMlp: feature column '{_options.FeatureColumnName}' must have a known size (got a variable-size vector)");
        int d = featureType.Size;
        var examples = Read(trainData);
        // One label only trains a constant classifier (AUC 0.5) without complaint: refuse it, naming the column.
        if (examples.Length > 0 && examples.All(e => e.Label == examples[0].Label))
            throw new ArgumentException($"{Name}: every one of the {examples.Length} training rows has {_options.LabelColumnName} = {examples[0].Label}; a binary classifier needs rows of both labels.");
        (float[] Features, bool Label)[] train, validation;
        if (_options.ValidationData is { } validationData)
        {
            var fixedColumns = new[] { TorchColumn.FloatVector(_options.FeatureColumnName, d), TorchColumn.Boolean(_options.LabelColumnName) };
            SchemaChecks.CheckInputs(validationData.Schema, fixedColumns, Name + " (validation data)");
            train = examples;
            validation = Read(validationData);
        }
        else
        {
            // Split rows into train/validation with the seed, so a fit is reproducible.
            var order = Enumerable.Range(0, examples.Length).ToArray();
            new Random(_options.Training.Seed).Shuffle(order);
            int validationCount = (int)Math.Round(examples.Length * _options.ValidationFraction);
            validation = order.Take(validationCount).Select(i => examples[i]).ToArray();
            train = order.Skip(validationCount).Select(i => examples[i]).ToArray();
        }

        var device = TorchRuntime.ResolveDevice(_options.Training.Device);
        TorchRuntime.Seed(_options.Training.Seed); // initial weights depend on the seed only
        var model = new TorchMlpBinaryModel(_options.FeatureColumnName, d, _options.HiddenSizes, _options.Dropout, device);
        try
        {
            Func<IReadOnlyList<(float[] Features, bool Label)>, Device, (Tensor X, Tensor Y)> collate = (rows, dev) =>
            {
                var flat = new float[rows.Count * d];
                for (int i = 0; i < rows.Count; i++) rows[i].Features.AsSpan().CopyTo(flat.AsSpan(i * d, d));
                return (torch.tensor(flat, new long[] { rows.Count, d }, device: dev),
                        torch.tensor(rows.Select(r => r.Label ? 1f : 0f).ToArray(), device: dev));
            };
            var trainer = new TorchTrainer<(Tensor X, Tensor Y)>(model.Module, _options.Training, batch =>
            {
                var logits = model.Logits(batch.X);
                var loss = nn.functional.binary_cross_entropy_with_logits(logits, batch.Y);
                long correct = logits.gt(0).eq(batch.Y.gt(0.5)).sum().item<long>();
                return new BatchOutcome(loss, (int)batch.Y.shape[0], correct);
            }, channel)
            {
                Progress = _options.Progress,
                ModelSettings = new KeyValuePair<string, string>[]
                {
                    new("features", $"{_options.FeatureColumnName}[{d}]"), new("label", _options.LabelColumnName),
                    new("hidden", string.Join(",", _options.HiddenSizes)), new("dropout", _options.Dropout.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
                    new("validation", _options.ValidationData is null ? _options.ValidationFraction.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + " of the rows" : "given"),
                },
            };
            model.Training = trainer.Fit(new ListBatchSource<(float[], bool), (Tensor, Tensor)>(train, collate),
                validation.Length > 0 ? new ListBatchSource<(float[], bool), (Tensor, Tensor)>(validation, collate) : null,
                _options.CancellationToken);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
