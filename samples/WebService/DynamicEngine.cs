using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.Samples.WebService;

/// <summary>A row the service refuses: which row (1-based), which field, why. Answered with 400.</summary>
public sealed class BadRowException(int row, string field, string message) : Exception(message)
{
    public int Row { get; } = row;
    public string Field { get; } = field;
}

/// <summary>
/// What ML.NET's <c>PredictionEngine</c> is, for a schema known only at run time: the model's row-to-row mapper over
/// one reusable input row, set from a JSON object, and the output columns read back as JSON. Like a PredictionEngine
/// it is not thread-safe and cheap to reuse, so the service keeps a pool of them (<see cref="EnginePolicy"/>).
/// </summary>
public sealed class DynamicEngine
{
    readonly InputRow _input;
    readonly DataViewRow _output;
    readonly List<(string Name, Func<JsonNode?> Read)> _readers = new();

    public DynamicEngine(ITransformer model, DataViewSchema inputSchema)
    {
        _input = new InputRow(inputSchema);
        var mapper = model.GetRowToRowMapper(inputSchema);
        var columns = mapper.OutputSchema.Where(c => !c.IsHidden && inputSchema.GetColumnOrNull(c.Name) is null && Renderable(c.Type)).ToList();
        _output = mapper.GetRow(_input, columns);
        foreach (var c in columns) _readers.Add((c.Name, Reader(_output, c)));
    }

    /// <summary>Output columns the service answers with (the model's new columns that have a JSON form).</summary>
    public IEnumerable<string> OutputColumns => _readers.Select(r => r.Name);

    /// <summary>Scores one row; <paramref name="rowNumber"/> (1-based) names it in errors.</summary>
    public JsonObject Predict(JsonObject row, int rowNumber)
    {
        _input.Set(row, rowNumber);
        var result = new JsonObject();
        foreach (var (name, read) in _readers) result[name] = read();
        return result;
    }

    static bool Renderable(DataViewType t)
    {
        var item = t is VectorDataViewType v ? v.ItemType : t;
        return item is TextDataViewType or BooleanDataViewType or KeyDataViewType || item == NumberDataViewType.Single || item == NumberDataViewType.Double
               || item == NumberDataViewType.Int64 || item == NumberDataViewType.Int32 || item == NumberDataViewType.UInt32;
    }

    static Func<JsonNode?> Reader(DataViewRow row, DataViewSchema.Column c)
    {
        if (c.Type is VectorDataViewType v)
        {
            if (v.ItemType == NumberDataViewType.Single) return Vec<float>(row, c, x => JsonValue.Create(x));
            if (v.ItemType == NumberDataViewType.Double) return Vec<double>(row, c, x => JsonValue.Create(x));
            if (v.ItemType == NumberDataViewType.Int64) return Vec<long>(row, c, x => JsonValue.Create(x));
            if (v.ItemType == NumberDataViewType.Int32) return Vec<int>(row, c, x => JsonValue.Create(x));
            if (v.ItemType is TextDataViewType) return Vec<ReadOnlyMemory<char>>(row, c, x => JsonValue.Create(x.ToString()));
            if (v.ItemType is BooleanDataViewType) return Vec<bool>(row, c, x => JsonValue.Create(x));
            return Vec<uint>(row, c, x => JsonValue.Create(x));
        }
        if (c.Type == NumberDataViewType.Single) return One<float>(row, c, x => JsonValue.Create(x));
        if (c.Type == NumberDataViewType.Double) return One<double>(row, c, x => JsonValue.Create(x));
        if (c.Type == NumberDataViewType.Int64) return One<long>(row, c, x => JsonValue.Create(x));
        if (c.Type == NumberDataViewType.Int32) return One<int>(row, c, x => JsonValue.Create(x));
        if (c.Type is TextDataViewType) return One<ReadOnlyMemory<char>>(row, c, x => JsonValue.Create(x.ToString()));
        if (c.Type is BooleanDataViewType) return One<bool>(row, c, x => JsonValue.Create(x));
        return One<uint>(row, c, x => JsonValue.Create(x));
    }

    static Func<JsonNode?> One<T>(DataViewRow row, DataViewSchema.Column c, Func<T, JsonNode?> json)
    {
        var get = row.GetGetter<T>(c);
        return () => { T value = default!; get(ref value); return json(value); };
    }

    static Func<JsonNode?> Vec<T>(DataViewRow row, DataViewSchema.Column c, Func<T, JsonNode?> json)
    {
        var get = row.GetGetter<VBuffer<T>>(c);
        return () => { VBuffer<T> value = default; get(ref value); return new JsonArray(value.DenseValues().Select(json).ToArray()); };
    }

    /// <summary>The reusable input row: values set from JSON, one position per prediction (so caches in the chain refresh).</summary>
    sealed class InputRow(DataViewSchema schema) : DataViewRow
    {
        readonly object?[] _values = new object?[schema.Count];
        long _position = -1;

        public override DataViewSchema Schema => schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => true;
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => (ref TValue value) => value = (TValue)_values[column.Index]!;

        public void Set(JsonObject row, int number)
        {
            foreach (var (name, _) in row)
                if (schema.GetColumnOrNull(name) is null)
                    throw new BadRowException(number, name, $"row {number}: unknown field '{name}' (the model reads {string.Join(", ", schema.Select(c => c.Name))}).");
            foreach (var c in schema)
            {
                row.TryGetPropertyValue(c.Name, out var node);
                _values[c.Index] = Convert(node, c, number);
            }
            _position++;
        }

        static object Convert(JsonNode? node, DataViewSchema.Column c, int number)
        {
            BadRowException Bad(string why) => new(number, c.Name, $"row {number}, field '{c.Name}' ({c.Type}): {why}.");
            bool label = c.Name == "Label";
            if (node is null)
            {
                // Only the label may be left out: it is part of the saved input schema but never read when scoring.
                if (!label) throw Bad("missing");
                return c.Type switch
                {
                    TextDataViewType => ReadOnlyMemory<char>.Empty, BooleanDataViewType => false,
                    VectorDataViewType vt => vt.ItemType is TextDataViewType ? new VBuffer<ReadOnlyMemory<char>>(0, Array.Empty<ReadOnlyMemory<char>>()) : (object)new VBuffer<float>(0, Array.Empty<float>()),
                    _ when c.Type == NumberDataViewType.Double => 0.0,
                    _ => 0f,
                };
            }
            try
            {
                switch (c.Type)
                {
                    case TextDataViewType:
                        string s = node.GetValue<string>();
                        if (c.Name.Contains("Image", StringComparison.Ordinal) && !File.Exists(s)) throw Bad($"image file '{s}' not found");
                        return s.AsMemory();
                    case BooleanDataViewType: return node.GetValue<bool>();
                    case NumberDataViewType n when n == NumberDataViewType.Single: return node.GetValue<float>();
                    case NumberDataViewType n when n == NumberDataViewType.Double: return node.GetValue<double>();
                    case VectorDataViewType v when v.ItemType == NumberDataViewType.Single:
                        var values = (node as JsonArray ?? throw Bad("expected an array of numbers")).Select(x => x?.GetValue<float>() ?? throw Bad("null in the array")).ToArray();
                        if (v.Size > 0 && values.Length != v.Size) throw Bad($"expected {v.Size} numbers, got {values.Length}");
                        return new VBuffer<float>(values.Length, values);
                    case VectorDataViewType v when v.ItemType is TextDataViewType:
                        var words = (node as JsonArray ?? throw Bad("expected an array of strings")).Select(x => (x?.GetValue<string>() ?? "").AsMemory()).ToArray();
                        if (v.Size > 0 && words.Length != v.Size) throw Bad($"expected {v.Size} strings, got {words.Length}");
                        return new VBuffer<ReadOnlyMemory<char>>(words.Length, words);
                    default: throw Bad("this column type is not supported by the service");
                }
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw Bad($"wrong JSON type ({node.GetValueKind().ToString().ToLower(CultureInfo.InvariantCulture)})");
            }
        }
    }
}

/// <summary>Creates engines for the pool: every engine shares the one loaded model (its ONNX Runtime sessions are thread-safe).</summary>
public sealed class EnginePolicy(ITransformer model, DataViewSchema inputSchema) : Microsoft.Extensions.ObjectPool.PooledObjectPolicy<DynamicEngine>
{
    public override DynamicEngine Create() => new(model, inputSchema);
    public override bool Return(DynamicEngine obj) => true;
}
