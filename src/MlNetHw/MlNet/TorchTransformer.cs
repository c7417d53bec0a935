using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MlNetHw.MlNet;

/// <summary>
/// An ML.NET transformer that scores a <see cref="TorchModel"/>: appends the model's output columns to the input.
/// <c>Transform</c> is lazy and batched (<see cref="TorchModel.ScoringBatchSize"/> rows per forward pass, pulled
/// inside the cursor); <see cref="GetRowToRowMapper"/> scores single rows, so prediction engines and
/// <c>TransformerChain</c>s work. Not IDisposable on purpose (see below). ML.NET cannot save third-party transformers into its own <c>.zip</c>: save chains
/// that contain this transformer with <see cref="ModelArchive.Save"/>.
/// </summary>
public class TorchTransformer : ITransformer
{
    /// <summary>The model this transformer scores.</summary>
    public TorchModel Model { get; }

    internal TorchTransformer(TorchModel model)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Model.PrepareForScoring();
    }

    /// <summary>Wraps <paramref name="model"/> in a <see cref="TorchTransformer{TModel}"/> of its runtime type.</summary>
    public static TorchTransformer Create(TorchModel model) =>
        (TorchTransformer)Activator.CreateInstance(typeof(TorchTransformer<>).MakeGenericType(model.GetType()),
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public,
            null, new object[] { model }, null)!;

    string Who => $"{GetType().Name.Split('`')[0]}({Model.Architecture})";

    /// <summary>Always true: every row is scored independently.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema plus the model's output columns; throws <see cref="SchemaMismatchException"/> when an input column is missing or mistyped.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        SchemaChecks.CheckInputs(inputSchema, Model.InputColumns, Who);
        return SchemaChecks.Append(inputSchema, Model.OutputColumns);
    }

    /// <summary>A lazy view that scores rows in batches as it is read.</summary>
    public IDataView Transform(IDataView input)
    {
        var schema = GetOutputSchema(input.Schema);
        return new BatchedScoringView(Model, input, schema);
    }

    /// <summary>A mapper scoring one row at a time (for prediction engines).</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new TorchRowMapper(Model, inputSchema, GetOutputSchema(inputSchema));

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException(
            $"{Who} cannot be saved by mlContext.Model.Save (ML.NET does not load third-party transformers). " +
            "Save the chain with MlNetHw.MlNet.ModelArchive.Save(mlContext, model, inputSchema, path).");

    // Deliberately not IDisposable: ML.NET disposes a transformer (and every IDisposable in a TransformerChain) when
    // a PredictionEngine built on it is disposed, which would break every other engine sharing the model. The
    // module's native memory is released by TorchSharp's finalizers, or at once with Model.Dispose() by an owner
    // that knows no engine uses it any more.
}

/// <summary>A <see cref="TorchTransformer"/> with typed access to its model.</summary>
public sealed class TorchTransformer<TModel> : TorchTransformer where TModel : TorchModel
{
    internal TorchTransformer(TModel model) : base(model) { }

    /// <summary>The model this transformer scores.</summary>
    public new TModel Model => (TModel)base.Model;
}
