using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.Text;

/// <summary>
/// Base of the text transformers: a fitted, stateful row-to-row map (vocabulary lookup, classifier forward pass)
/// run by ML.NET's <c>CustomMapping</c> machinery, so the result is a lazy <see cref="IDataView"/>, works in
/// <see cref="TransformerChain{TLastTransformer}"/>s and prediction engines, and <c>Evaluate</c> reads its columns.
/// The state itself is saved by the owning model archive (ML.NET's own <c>.zip</c> cannot hold third-party
/// transformers), which is why <see cref="ICanSaveModel.Save"/> explains that instead of writing.
/// </summary>
/// <typeparam name="TSrc">Row class with the input columns (property names are remapped to real column names).</typeparam>
/// <typeparam name="TDst">Row class with the output columns.</typeparam>
public abstract class RowMappingTransformer<TSrc, TDst> : ITransformer
    where TSrc : class, new() where TDst : class, new()
{
    readonly MLContext _mlContext;
    readonly SchemaDefinition _inputDefinition;
    readonly SchemaDefinition _outputDefinition;
    ITransformer? _mapper;

    /// <param name="mlContext">Context the mapping runs in.</param>
    /// <param name="inputColumns">Property of <typeparamref name="TSrc"/> → column name in the data.</param>
    /// <param name="outputColumns">Property of <typeparamref name="TDst"/> → output column name.</param>
    protected RowMappingTransformer(MLContext mlContext, IReadOnlyDictionary<string, string> inputColumns,
        IReadOnlyDictionary<string, string> outputColumns)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        _inputDefinition = Rename(SchemaDefinition.Create(typeof(TSrc)), inputColumns);
        _outputDefinition = Rename(SchemaDefinition.Create(typeof(TDst)), outputColumns);
    }

    /// <summary>
    /// The output shape an estimator of this transformer reports before fitting: the input shape plus the
    /// <typeparamref name="TDst"/> columns (computed by the same CustomMapping machinery the fitted transformer runs).
    /// </summary>
    protected internal static SchemaShape OutputShape(MLContext mlContext, SchemaShape inputShape,
        IReadOnlyDictionary<string, string> inputColumns, IReadOnlyDictionary<string, string> outputColumns)
    {
        foreach (var (_, column) in inputColumns)
            if (!inputShape.Any(c => c.Name == column))
                throw new ArgumentException($"input column '{column}' not found (columns: {string.Join(", ", inputShape.Select(c => c.Name))}).");
        var inDef = Rename(SchemaDefinition.Create(typeof(TSrc)), inputColumns);
        var outDef = Rename(SchemaDefinition.Create(typeof(TDst)), outputColumns);
        return mlContext.Transforms.CustomMapping<TSrc, TDst>((_, _) => { }, contractName: null, inDef, outDef).GetOutputSchema(inputShape);
    }

    static SchemaDefinition Rename(SchemaDefinition definition, IReadOnlyDictionary<string, string> names)
    {
        foreach (var (member, column) in names)
        {
            if (string.IsNullOrWhiteSpace(column)) throw new ArgumentException($"column name for '{member}' is empty.");
            definition[member].ColumnName = column;
        }
        return definition;
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="source"/>; called once per row, possibly from several threads.</summary>
    protected abstract void Map(TSrc source, TDst destination);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the missing or mistyped column.</summary>
    protected abstract void CheckInputSchema(DataViewSchema inputSchema);

    ITransformer Mapper
    {
        get
        {
            if (_mapper is not null) return _mapper;
            // CustomMapping is a trivial estimator: fitting it on an empty view with the input columns only checks them.
            var empty = _mlContext.Data.LoadFromEnumerable(Array.Empty<TSrc>(), _inputDefinition);
            _mapper = _mlContext.Transforms.CustomMapping<TSrc, TDst>(Map, contractName: null, _inputDefinition, _outputDefinition).Fit(empty);
            return _mapper;
        }
    }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInputSchema(inputSchema);
        return Mapper.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        CheckInputSchema(inputSchema);
        return Mapper.GetRowToRowMapper(inputSchema);
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        CheckInputSchema(input.Schema);
        return Mapper.Transform(input);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(
        $"{GetType().Name} is saved with MlNetHw's model archive (TextClassificationModel.Save), not mlContext.Model.Save: " +
        "ML.NET cannot load third-party transformers from its own .zip.");

    /// <summary>Checks that <paramref name="name"/> exists and has the expected type, with a message that says what to do.</summary>
    protected static DataViewSchema.Column RequireColumn(DataViewSchema schema, string name, Func<DataViewType, bool> typeOk,
        string expected, string hint)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"input column '{name}' not found (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}). {hint}");
        if (!typeOk(column.Type))
            throw new ArgumentException($"input column '{name}' has type {column.Type}, expected {expected}. {hint}");
        return column;
    }
}
