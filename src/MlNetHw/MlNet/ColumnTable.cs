using Microsoft.ML;

namespace MlNetHw.MlNet;

/// <summary>
/// A batch of rows held column by column as plain .NET arrays (<c>float[][]</c> for a vector column, <c>string[]</c>
/// for text...). Scoring receives its inputs as one, and fills another with its outputs; estimators read their
/// training data into one with <see cref="Read"/>.
/// </summary>
public sealed class ColumnTable
{
    readonly Dictionary<string, (TorchColumn Column, ValueConversion Conversion, Array? Values)> _columns;

    /// <summary>Number of rows.</summary>
    public int Count { get; internal set; }

    internal ColumnTable(IEnumerable<TorchColumn> columns, int count)
    {
        _columns = new(StringComparer.Ordinal);
        foreach (var c in columns)
            if (!_columns.TryAdd(c.Name, (c, ValueConversion.For(c.Type), null)))
                throw new ArgumentException($"column '{c.Name}' is declared twice");
        Count = count;
    }

    /// <summary>The columns this table holds.</summary>
    public IEnumerable<TorchColumn> Columns => _columns.Values.Select(v => v.Column);

    /// <summary>
    /// The values of <paramref name="column"/>, one per row. <typeparamref name="T"/> is the .NET element type:
    /// <c>float[]</c> for Vector&lt;Single&gt;, <c>string</c> for text, <c>bool</c>, <c>float</c>, <c>uint</c> for keys.
    /// </summary>
    public T[] Get<T>(string column)
    {
        var entry = Entry(column);
        if (entry.Values is null) throw new InvalidOperationException($"column '{column}' has no values yet");
        if (entry.Values is not T[] typed)
            throw new InvalidCastException($"column '{column}' ({TorchColumn.Describe(entry.Column.Type)}) holds {entry.Conversion.ValueType.Name} values, not {typeof(T).Name}");
        return typed;
    }

    /// <summary>Sets the values of an output column; <paramref name="values"/> must have exactly <see cref="Count"/> items.</summary>
    public void Set<T>(string column, T[] values)
    {
        var entry = Entry(column);
        if (typeof(T) != entry.Conversion.ValueType)
            throw new InvalidCastException($"column '{column}' ({TorchColumn.Describe(entry.Column.Type)}) takes {entry.Conversion.ValueType.Name} values, not {typeof(T).Name}");
        if (values.Length != Count)
            throw new ArgumentException($"column '{column}': {values.Length} values for a batch of {Count} rows");
        _columns[column] = (entry.Column, entry.Conversion, values);
    }

    internal Array? Raw(string column) => Entry(column).Values;

    internal void SetRaw(string column, Array values)
    {
        var entry = Entry(column);
        _columns[column] = (entry.Column, entry.Conversion, values);
    }

    internal ValueConversion ConversionOf(string column) => Entry(column).Conversion;

    (TorchColumn Column, ValueConversion Conversion, Array? Values) Entry(string column) =>
        _columns.TryGetValue(column, out var e) ? e
            : throw new KeyNotFoundException($"no column '{column}' in this batch (columns: {string.Join(", ", _columns.Keys)})");

    /// <summary>
    /// Reads <paramref name="columns"/> of every row of <paramref name="data"/> (training data is small enough to hold;
    /// scoring never uses this). The schema is checked first, with a message naming column, expected and actual type.
    /// </summary>
    public static ColumnTable Read(IDataView data, IReadOnlyList<TorchColumn> columns, string? who = null)
    {
        SchemaChecks.CheckInputs(data.Schema, columns, who ?? "ColumnTable.Read");
        var lists = columns.Select(c => (Column: c, Conversion: ValueConversion.For(c.Type), Chunks: new List<Array>())).ToList();
        var active = columns.Select(c => data.Schema[c.Name]).ToList();
        const int chunk = 4096;
        int total = 0;
        using (var cursor = data.GetRowCursor(active))
        {
            var buffers = lists.Select(l => l.Conversion.CreateArray(chunk)).ToArray();
            var readers = lists.Select((l, i) => l.Conversion.CreateReader(cursor, cursor.Schema[l.Column.Name], buffers[i])).ToArray();
            int inChunk = 0;
            while (cursor.MoveNext())
            {
                foreach (var r in readers) r(inChunk);
                inChunk++;
                total++;
                if (inChunk == chunk)
                {
                    for (int i = 0; i < lists.Count; i++) lists[i].Chunks.Add((Array)buffers[i].Clone());
                    inChunk = 0;
                }
            }
            for (int i = 0; i < lists.Count; i++)
            {
                var tail = lists[i].Conversion.CreateArray(inChunk);
                Array.Copy(buffers[i], tail, inChunk);
                lists[i].Chunks.Add(tail);
            }
        }
        var table = new ColumnTable(columns, total);
        foreach (var l in lists)
        {
            var all = l.Conversion.CreateArray(total);
            int at = 0;
            foreach (var c in l.Chunks) { Array.Copy(c, 0, all, at, c.Length); at += c.Length; }
            table.SetRaw(l.Column.Name, all);
        }
        return table;
    }
}
