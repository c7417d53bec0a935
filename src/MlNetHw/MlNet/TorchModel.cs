using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.MlNet;

/// <summary>
/// The per-model part of a TorchSharp-backed transformer: what a model author writes. It declares the input columns
/// it reads and the output columns it adds, owns the TorchSharp module and the state that goes with it
/// (hyperparameters, vocabulary/labels), and scores one batch of rows. <see cref="TorchTransformer"/> does the rest:
/// schema checks, lazy batched <c>Transform</c>, row-to-row mapping for prediction engines, thread safety, and saving
/// through <see cref="ModelArchive"/>.
/// <para>
/// To be loadable from an archive, a subclass carries <see cref="TorchArchitectureAttribute"/> and a
/// <c>public static TSelf Load(TorchModelState state)</c> method (or is registered with
/// <see cref="TorchModelRegistry.Register"/>).
/// </para>
/// </summary>
public abstract class TorchModel : IDisposable
{
    readonly object _gate = new();
    bool _disposed;

    /// <summary>Registry key of this model type, written to the archive manifest (e.g. <c>"mlp-binary"</c>).</summary>
    public abstract string Architecture { get; }

    /// <summary>Columns read from the input, with their accepted types.</summary>
    public abstract IReadOnlyList<TorchColumn> InputColumns { get; }

    /// <summary>Columns added to the output.</summary>
    public abstract IReadOnlyList<TorchColumn> OutputColumns { get; }

    /// <summary>The TorchSharp module whose <c>state_dict()</c> is saved as the weights.</summary>
    public abstract nn.Module Module { get; }

    /// <summary>Rows scored per forward pass by <c>Transform</c> (default 256). Prediction engines score one row at a time.</summary>
    public int ScoringBatchSize { get; set; } = 256;

    /// <summary>
    /// Scores one batch: read inputs with <c>inputs.Get&lt;T&gt;(name)</c> and set every output column with
    /// <c>outputs.Set(name, values)</c>. Called under the model's lock, with <c>torch.no_grad()</c> and a dispose
    /// scope already open, so implementations only build the input tensors, run the module and copy the results out.
    /// </summary>
    protected abstract void ScoreBatch(ColumnTable inputs, ColumnTable outputs);

    /// <summary>
    /// Writes the model's hyperparameters, vocabularies and extra files into <paramref name="state"/>; the module's
    /// weights are saved by the archive itself.
    /// </summary>
    protected abstract void WriteState(TorchModelState state);

    /// <summary>Scores a batch with the safeguards described on <see cref="ScoreBatch"/>.</summary>
    public ColumnTable Score(ColumnTable inputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var outputs = new ColumnTable(OutputColumns, inputs.Count);
        if (inputs.Count == 0)
        {
            foreach (var c in OutputColumns) outputs.SetRaw(c.Name, outputs.ConversionOf(c.Name).CreateArray(0));
            return outputs;
        }
        // One module, many callers (several prediction engines on several threads): libtorch modules are not safe to
        // run concurrently when they hold per-call state (e.g. recurrent hidden state), so calls are serialised.
        lock (_gate)
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            ScoreBatch(inputs, outputs);
        }
        foreach (var c in OutputColumns)
            if (outputs.Raw(c.Name) is null)
                throw new InvalidOperationException($"{GetType().Name}.ScoreBatch did not set output column '{c.Name}'");
        return outputs;
    }

    /// <summary>The state the archive saves: architecture, hyperparameters, vocabularies, extra files and the module's weights.</summary>
    public TorchModelState GetState()
    {
        var state = new TorchModelState(Architecture);
        WriteState(state);
        state.Weights = TensorFile.FromModule(Module);
        return state;
    }

    /// <summary>Switches the module to evaluation mode (dropout off, batch-norm running statistics) before scoring.</summary>
    protected internal void PrepareForScoring() => Module.eval();

    /// <summary>Disposes the module (once; later calls do nothing).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the module; override to release more.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) Module.Dispose();
    }
}

/// <summary>Marks a <see cref="TorchModel"/> subclass as loadable from archives under an architecture name.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TorchArchitectureAttribute(string name) : Attribute
{
    /// <summary>The architecture name written to manifests.</summary>
    public string Name { get; } = name;
}
