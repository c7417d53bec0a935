using static TorchSharp.torch;

namespace MlNetHw.MlNet.Training;

/// <summary>
/// Training examples the model author turns into tensors (a PyTorch <c>Dataset</c> + <c>collate_fn</c>): the trainer
/// picks example indices (shuffled per epoch), the source builds one batch of tensors for them on the device.
/// Tensors created in <see cref="GetBatch"/> live in the trainer's per-batch dispose scope.
/// </summary>
public interface IBatchSource<out TBatch>
{
    /// <summary>Number of examples.</summary>
    int Count { get; }

    /// <summary>The batch holding examples <paramref name="indices"/>, with tensors on <paramref name="device"/>.</summary>
    TBatch GetBatch(ReadOnlySpan<int> indices, Device device);
}

/// <summary>
/// A batch source whose examples change from epoch to epoch (random augmentation: crops, flips, noise). The trainer
/// calls <see cref="StartEpoch"/> on its training source before the first batch of every epoch, including epochs run
/// after resuming from a checkpoint, so a source that draws its randomness only from <c>seed</c> (and the example index)
/// gives the same batches in an interrupted-and-resumed run as in an uninterrupted one. Validation sources are not called.
/// </summary>
public interface IEpochAwareBatchSource
{
    /// <summary>Called before (0-based) <paramref name="epoch"/>; <paramref name="seed"/> is <see cref="TorchTrainer{TBatch}.EpochSeed"/> of the run's seed and the epoch.</summary>
    void StartEpoch(int epoch, int seed);
}

/// <summary>A batch source over an in-memory list of examples and a collate function.</summary>
public sealed class ListBatchSource<TExample, TBatch> : IBatchSource<TBatch>
{
    readonly IReadOnlyList<TExample> _examples;
    readonly Func<IReadOnlyList<TExample>, Device, TBatch> _collate;

    /// <param name="examples">The examples.</param>
    /// <param name="collate">Builds one batch (tensors on the device) from the selected examples.</param>
    public ListBatchSource(IReadOnlyList<TExample> examples, Func<IReadOnlyList<TExample>, Device, TBatch> collate)
    {
        _examples = examples;
        _collate = collate;
    }

    /// <inheritdoc/>
    public int Count => _examples.Count;

    /// <inheritdoc/>
    public TBatch GetBatch(ReadOnlySpan<int> indices, Device device)
    {
        var picked = new TExample[indices.Length];
        for (int i = 0; i < indices.Length; i++) picked[i] = _examples[indices[i]];
        return _collate(picked, device);
    }
}

/// <summary>
/// What the model author's step function returns for one batch: the mean loss (a scalar tensor on the autograd
/// graph when training) and, for classifiers, how many of the batch's examples were predicted correctly.
/// </summary>
/// <param name="Loss">Mean loss over the batch (scalar).</param>
/// <param name="Count">Examples in the batch.</param>
/// <param name="Correct">Correct predictions, or null when the model has no accuracy.</param>
public readonly record struct BatchOutcome(Tensor Loss, int Count, long? Correct = null);
