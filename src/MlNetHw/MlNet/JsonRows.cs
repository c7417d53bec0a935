using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.MlNet;

/// <summary>
/// Rows as JSON objects, in and out of ML.NET: build an <see cref="IDataView"/> of a given schema from
/// <c>{"Features": [0.1, 0.2], "Text": "..."}</c> objects, and turn scored rows back into JSON. Lets an app score a
/// saved model without compile-time row classes (see <c>samples/ModelConsumer</c>).
/// </summary>
public static class JsonRows
{
    /// <summary>
    /// An in-memory data view with <paramref name="schema"/>'s columns, filled from <paramref name="rows"/>.
    /// Bad rows fail with the row number, the column and the expected type.
    /// </summary>
    public static IDataView Load(DataViewSchema schema, IReadOnlyList<JsonObject> rows)
    {
        var columns = schema.Where(c => !c.IsHidden).Select(c => new TorchColumn(c.Name, c.Type)).ToList();
        var table = new ColumnTable(columns, rows.Count);
        foreach (var c in columns)
        {
            var conversion = table.ConversionOf(c.Name);
            var values = conversion.CreateArray(rows.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                var value = Convert(rows[i], c, conversion.ValueType, out string? problem);
                if (problem is not null) throw new InvalidDataException($"row {i + 1}: {problem}");
                values.SetValue(value, i);
            }
            table.SetRaw(c.Name, values);
        }
        return new ColumnTableView(table, schema);
    }

    /// <summary>
    /// What is wrong with <paramref name="row"/> for <paramref name="schema"/>'s columns, naming the field (a missing or
    /// null value, a wrong type or length, a number out of the column's range such as 1e40 for a Single); null when the
    /// row is good. Lets a caller score the good rows and report the bad ones by number.
    /// </summary>
    public static string? Problem(DataViewSchema schema, JsonObject row)
    {
        foreach (var c in schema.Where(c => !c.IsHidden))
        {
            var column = new TorchColumn(c.Name, c.Type);
            Convert(row, column, ValueConversion.For(c.Type).ValueType, out string? problem);
            if (problem is not null)
            {
                var unknown = row.Select(kv => kv.Key).Where(k => schema.GetColumnOrNull(k) is null).ToList();
                return unknown.Count > 0 && !row.ContainsKey(c.Name)
                    ? $"{problem}; the row has unknown field(s) {string.Join(", ", unknown.Select(k => $"'{k}'"))}"
                    : problem;
            }
        }
        return null;
    }

    static object? Convert(JsonObject row, TorchColumn c, Type valueType, out string? problem)
    {
        problem = null;
        if (!row.TryGetPropertyValue(c.Name, out var node) || node is null)
        {
            problem = $"field '{c.Name}': no value (expected {TorchColumn.Describe(c.Type)})";
            return null;
        }
        object? value;
        try { value = node.Deserialize(valueType); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or NotSupportedException)
        {
            problem = $"field '{c.Name}' = {Shorten(node.ToJsonString())} is not a {TorchColumn.Describe(c.Type)}";
            return null;
        }
        if (c.Type is VectorDataViewType { Size: > 0 } v && value is Array a && a.Length != v.Size)
        {
            problem = $"field '{c.Name}' has {a.Length} values, expected {v.Size}";
            return null;
        }
        int bad = value switch
        {
            float f => float.IsFinite(f) ? -1 : 0,
            double d => double.IsFinite(d) ? -1 : 0,
            float[] fa => Array.FindIndex(fa, x => !float.IsFinite(x)),
            double[] da => Array.FindIndex(da, x => !double.IsFinite(x)),
            null when c.Type is not TextDataViewType => -2,
            _ => -1,
        };
        if (bad == -2) problem = $"field '{c.Name}': no value (expected {TorchColumn.Describe(c.Type)})";
        else if (bad >= 0)
            problem = $"field '{c.Name}'{(value is Array ? $"[{bad}]" : "")} is out of range for {TorchColumn.Describe(c.Type)} (a finite number is needed; got {Shorten(node.ToJsonString())})";
        return problem is null ? value : null;
    }

    /// <summary>
    /// The values of <paramref name="columns"/> (default: every visible column whose type converts) of each row of
    /// <paramref name="data"/> as JSON objects.
    /// </summary>
    public static IEnumerable<JsonObject> Read(IDataView data, IEnumerable<string>? columns = null)
    {
        var chosen = (columns is null
            ? data.Schema.Where(c => !c.IsHidden && Convertible(c.Type))
            : columns.Select(n => data.Schema.GetColumnOrNull(n) ?? throw new ArgumentException($"no column '{n}' in the data"))).ToList();
        using var cursor = data.GetRowCursor(chosen);
        var table = new ColumnTable(chosen.Select(c => new TorchColumn(c.Name, c.Type)), 1);
        var readers = chosen.Select(c =>
        {
            var values = table.ConversionOf(c.Name).CreateArray(1);
            table.SetRaw(c.Name, values);
            return (c.Name, Values: values, Read: table.ConversionOf(c.Name).CreateReader(cursor, c, values));
        }).ToList();
        while (cursor.MoveNext())
        {
            var row = new JsonObject();
            foreach (var r in readers)
            {
                r.Read(0);
                row[r.Name] = ToNode(r.Values.GetValue(0));
            }
            yield return row;
        }
    }

    static bool Convertible(DataViewType t)
    {
        try { ValueConversion.For(t); return true; }
        catch (NotSupportedException) { return false; }
    }

    static JsonNode? ToNode(object? value) => value switch
    {
        float f when !float.IsFinite(f) => JsonValue.Create(f.ToString(CultureInfo.InvariantCulture)),
        double d when !double.IsFinite(d) => JsonValue.Create(d.ToString(CultureInfo.InvariantCulture)),
        float[] fa when fa.Any(x => !float.IsFinite(x)) => new JsonArray(fa.Select(x => ToNode(x)).ToArray()),
        _ => JsonSerializer.SerializeToNode(value),
    };

    static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";

    /// <summary>
    /// Parses a type as written by <see cref="TorchColumn.Describe"/> (and so in archive manifests):
    /// <c>Single</c>, <c>Boolean</c>, <c>String</c>, <c>Vector&lt;Single, 4&gt;</c>, <c>Vector&lt;String&gt; (any size)</c>, <c>Key&lt;UInt32, 3&gt;</c>.
    /// </summary>
    public static DataViewType ParseType(string description)
    {
        string d = description.Trim();
        if (d.StartsWith("Vector<", StringComparison.Ordinal))
        {
            int close = d.LastIndexOf('>');
            if (close < 0) throw new FormatException($"bad type '{description}'");
            var parts = d[7..close].Split(',', StringSplitOptions.TrimEntries);
            var item = ParseType(parts[0]) as PrimitiveDataViewType ?? throw new FormatException($"bad vector item type in '{description}'");
            int size = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0;
            return new VectorDataViewType(item, size);
        }
        if (d.StartsWith("Key<", StringComparison.Ordinal))
        {
            var parts = d[4..d.IndexOf('>')].Split(',', StringSplitOptions.TrimEntries);
            var raw = parts[0] switch { "UInt32" => typeof(uint), "UInt64" => typeof(ulong), "UInt16" => typeof(ushort), "Byte" => typeof(byte), _ => throw new FormatException($"bad key type '{description}'") };
            return new KeyDataViewType(raw, parts.Length > 1 ? ulong.Parse(parts[1], CultureInfo.InvariantCulture) : (raw == typeof(uint) ? uint.MaxValue : ulong.MaxValue));
        }
        return d switch
        {
            "Single" => NumberDataViewType.Single,
            "Double" => NumberDataViewType.Double,
            "Int32" => NumberDataViewType.Int32,
            "Int64" => NumberDataViewType.Int64,
            "UInt32" => NumberDataViewType.UInt32,
            "UInt64" => NumberDataViewType.UInt64,
            "Int16" => NumberDataViewType.Int16,
            "Byte" => NumberDataViewType.Byte,
            "SByte" => NumberDataViewType.SByte,
            "UInt16" => NumberDataViewType.UInt16,
            "Boolean" => BooleanDataViewType.Instance,
            "String" => TextDataViewType.Instance,
            _ => throw new FormatException($"type '{description}' cannot be rebuilt (supported: numbers, Boolean, String, vectors and keys of them)"),
        };
    }

    /// <summary>A read-only data view over a <see cref="ColumnTable"/> (rows in order; shuffling not supported).</summary>
    sealed class ColumnTableView(ColumnTable table, DataViewSchema schema) : IDataView
    {
        public DataViewSchema Schema { get; } = schema;
        public bool CanShuffle => false;
        public long? GetRowCount() => table.Count;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            new Cursor(this, table, columnsNeeded);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            new[] { GetRowCursor(columnsNeeded, rand) };

        sealed class Cursor : DataViewRowCursor
        {
            readonly ColumnTableView _view;
            readonly ColumnTable _table;
            readonly HashSet<int> _active;
            long _position = -1;

            public Cursor(ColumnTableView view, ColumnTable table, IEnumerable<DataViewSchema.Column> active)
            {
                _view = view;
                _table = table;
                _active = active.Select(c => c.Index).ToHashSet();
            }

            public override DataViewSchema Schema => _view.Schema;
            public override long Position => _position;
            public override long Batch => 0;
            public override bool MoveNext() => ++_position < _table.Count;
            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
            public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                var values = _table.Raw(column.Name)!;
                return _table.ConversionOf(column.Name).CreateGetter(() => (values, (int)_position)) as ValueGetter<TValue>
                       ?? throw new InvalidOperationException($"column '{column.Name}' is read as {column.Type.RawType.Name}, not {typeof(TValue).Name}");
            }
        }
    }
}
