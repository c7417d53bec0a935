using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.MlNet;

/// <summary>
/// Scores one row at a time for prediction engines: the output row passes input columns through and computes the
/// model's columns on first access after the input moved (cached by the input's position).
/// </summary>
internal sealed class TorchRowMapper : IRowToRowMapper
{
    readonly TorchModel _model;

    public TorchRowMapper(TorchModel model, DataViewSchema inputSchema, DataViewSchema outputSchema)
    {
        _model = model;
        InputSchema = inputSchema;
        OutputSchema = outputSchema;
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }

    bool IsOwn(DataViewSchema.Column c) => c.Index >= InputSchema.Count;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var list = dependingColumns.ToList();
        var needed = list.Where(c => !IsOwn(c)).Select(c => InputSchema[c.Index]).ToList();
        if (list.Any(IsOwn))
            needed.AddRange(_model.InputColumns.Select(c => InputSchema[c.Name]));
        return needed.DistinctBy(c => c.Index).ToList();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new MappedRow(this, input, activeColumns);

    sealed class MappedRow : DataViewRow
    {
        readonly TorchRowMapper _parent;
        readonly DataViewRow _input;
        readonly bool[] _active;
        readonly ColumnTable _inputs;
        readonly Action<int>[] _readers;
        ColumnTable? _outputs;
        long _scoredPosition = long.MinValue;

        public MappedRow(TorchRowMapper parent, DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            _parent = parent;
            _input = input;
            _active = new bool[parent.OutputSchema.Count];
            foreach (var c in activeColumns) _active[c.Index] = true;
            var model = parent._model;
            _inputs = new ColumnTable(model.InputColumns, 1);
            var readers = new List<Action<int>>();
            if (_active.Skip(parent.InputSchema.Count).Any(a => a))
                foreach (var c in model.InputColumns)
                {
                    var conversion = _inputs.ConversionOf(c.Name);
                    var values = conversion.CreateArray(1);
                    _inputs.SetRaw(c.Name, values);
                    readers.Add(conversion.CreateReader(input, input.Schema[c.Name], values));
                }
            _readers = readers.ToArray();
        }

        public override DataViewSchema Schema => _parent.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _parent.InputSchema.Count ? _input.IsColumnActive(_input.Schema[column.Index]) : _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _parent.InputSchema.Count) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            if (!_active[column.Index]) throw new InvalidOperationException($"column '{column.Name}' is not active in this row");
            var spec = _parent._model.OutputColumns[column.Index - _parent.InputSchema.Count];
            var conversion = ValueConversion.For(spec.Type);
            var getter = conversion.CreateGetter(() => (Current().Raw(spec.Name)!, 0));
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"column '{column.Name}' ({TorchColumn.Describe(spec.Type)}) is read as {spec.Type.RawType.Name}, not {typeof(TValue).Name}");
        }

        ColumnTable Current()
        {
            if (_outputs is null || _scoredPosition != _input.Position)
            {
                foreach (var r in _readers) r(0);
                _outputs = _parent._model.Score(_inputs);
                _scoredPosition = _input.Position;
            }
            return _outputs;
        }
    }
}
