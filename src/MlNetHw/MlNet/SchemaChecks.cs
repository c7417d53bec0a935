using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.MlNet;

/// <summary>Thrown when a data view's schema does not have a column a TorchSharp-backed component needs.</summary>
public sealed class SchemaMismatchException : ArgumentException
{
    /// <summary>The offending column.</summary>
    public string Column { get; }

    /// <summary>The error for <paramref name="column"/>, with a message saying what was expected and found.</summary>
    public SchemaMismatchException(string column, string message) : base(message, "inputSchema") => Column = column;
}

/// <summary>Schema checks with messages that name the column, the expected type and the actual type.</summary>
public static class SchemaChecks
{
    /// <summary>Checks that every column of <paramref name="required"/> exists in <paramref name="schema"/> with an accepted type.</summary>
    public static void CheckInputs(DataViewSchema schema, IEnumerable<TorchColumn> required, string who)
    {
        foreach (var c in required)
        {
            var actual = schema.GetColumnOrNull(c.Name);
            if (actual is null)
                throw new SchemaMismatchException(c.Name,
                    $"{who}: input column '{c.Name}' not found (expected {TorchColumn.Describe(c.Type)}); the input has: " +
                    string.Join(", ", schema.Where(col => !col.IsHidden).Select(col => $"{col.Name} ({TorchColumn.Describe(col.Type)})")));
            if (!c.Accepts(actual.Value.Type))
                throw new SchemaMismatchException(c.Name,
                    $"{who}: input column '{c.Name}' has type {TorchColumn.Describe(actual.Value.Type)}, expected {TorchColumn.Describe(c.Type)}");
        }
    }

    /// <summary>The same check on an estimator's <see cref="SchemaShape"/> (sizes of vectors are not known there).</summary>
    public static void CheckInputs(SchemaShape shape, IEnumerable<TorchColumn> required, string who)
    {
        foreach (var c in required)
        {
            var found = shape.FirstOrDefault(s => s.Name == c.Name);
            if (found.Name is null)
                throw new SchemaMismatchException(c.Name,
                    $"{who}: input column '{c.Name}' not found (expected {TorchColumn.Describe(c.Type)}); the input has: " +
                    string.Join(", ", shape.Select(s => s.Name)));
            var expected = ShapeOf(c);
            bool kindOk = expected.Kind == SchemaShape.Column.VectorKind.Scalar
                ? found.Kind == SchemaShape.Column.VectorKind.Scalar
                : found.Kind != SchemaShape.Column.VectorKind.Scalar;
            bool itemOk = expected.IsKey ? found.IsKey : !found.IsKey && found.ItemType.Equals(expected.ItemType);
            if (!kindOk || !itemOk)
                throw new SchemaMismatchException(c.Name,
                    $"{who}: input column '{c.Name}' has type {DescribeShape(found)}, expected {TorchColumn.Describe(c.Type)}");
        }
    }

    static string DescribeShape(SchemaShape.Column c) =>
        (c.IsKey ? "Key" : TorchColumn.Describe(c.ItemType)) switch
        {
            var item when c.Kind == SchemaShape.Column.VectorKind.Scalar => item,
            var item when c.Kind == SchemaShape.Column.VectorKind.Vector => $"Vector<{item}, known size>",
            var item => $"Vector<{item}> (variable size)",
        };

    // SchemaShape.Column's constructor is internal in ML.NET 5; estimators outside ML.NET can only produce output
    // shapes through it, so it is bound once by reflection (with a clear error if a future ML.NET renames it).
    static readonly ConstructorInfo ShapeColumnConstructor =
        typeof(SchemaShape.Column).GetConstructor(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, null,
            new[] { typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape) }, null)
        ?? throw new MissingMethodException("SchemaShape.Column(string, VectorKind, DataViewType, bool, SchemaShape) was not found in this ML.NET version");

    /// <summary>The <see cref="SchemaShape.Column"/> describing <paramref name="column"/> (for <c>GetOutputSchema(SchemaShape)</c>).</summary>
    public static SchemaShape.Column ShapeOf(TorchColumn column)
    {
        var type = column.Type;
        var kind = type is VectorDataViewType v
            ? (v.Size > 0 ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector)
            : SchemaShape.Column.VectorKind.Scalar;
        var item = type is VectorDataViewType vv ? vv.ItemType : type;
        SchemaShape? annotations = null;
        if (column.Annotations is { } a && a.Schema.Count > 0)
            annotations = new SchemaShape(a.Schema.Select(ac => ShapeOf(new TorchColumn(ac.Name, ac.Type))));
        return (SchemaShape.Column)ShapeColumnConstructor.Invoke(new object?[] { column.Name, kind, item, item is KeyDataViewType, annotations });
    }

    /// <summary><paramref name="input"/> with <paramref name="added"/> appended (a column of the same name is replaced).</summary>
    public static SchemaShape Append(SchemaShape input, IEnumerable<TorchColumn> added)
    {
        var result = input.ToDictionary(c => c.Name, c => c);
        var order = input.Select(c => c.Name).ToList();
        foreach (var c in added)
        {
            if (!result.ContainsKey(c.Name)) order.Add(c.Name);
            result[c.Name] = ShapeOf(c);
        }
        return new SchemaShape(order.Select(n => result[n]));
    }

    /// <summary><paramref name="input"/> with <paramref name="added"/> appended (same-named input columns become hidden).</summary>
    public static DataViewSchema Append(DataViewSchema input, IEnumerable<TorchColumn> added)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var c in added) builder.AddColumn(c.Name, c.Type, c.Annotations);
        return builder.ToSchema();
    }
}
