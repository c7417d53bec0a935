using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.MlNet;

/// <summary>
/// The lazy output of <see cref="TorchTransformer.Transform"/>. A cursor over it runs two cursors over the input:
/// a <em>leader</em> that reads only the model's input columns up to <see cref="TorchModel.ScoringBatchSize"/> rows
/// ahead and scores them in one forward pass, and a <em>follower</em> that moves row by row and serves the
/// pass-through columns. Nothing beyond one batch is held in memory, the module runs once per batch, and the
/// pass-through columns keep their own types without being copied. Shuffled cursors give both input cursors
/// generators with the same seed, so they visit rows in the same order.
/// </summary>
internal sealed class BatchedScoringView : IDataView
{
    readonly TorchModel _model;
    readonly IDataView _input;

    public BatchedScoringView(TorchModel model, IDataView input, DataViewSchema schema)
    {
        _model = model;
        _input = input;
        Schema = schema;
    }

    public DataViewSchema Schema { get; }
    public bool CanShuffle => _input.CanShuffle;
    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int inputCount = _input.Schema.Count;
        var needed = columnsNeeded.ToList();
        var passThrough = needed.Where(c => c.Index < inputCount).Select(c => _input.Schema[c.Index]).ToList();
        bool scores = needed.Any(c => c.Index >= inputCount);
        int? seed = rand?.Next();
        var follower = _input.GetRowCursor(passThrough, seed is { } s1 ? new Random(s1) : null);
        DataViewRowCursor? leader = null;
        if (scores)
        {
            var modelInputs = _model.InputColumns.Select(c => _input.Schema[c.Name]).ToList();
            leader = _input.GetRowCursor(modelInputs, seed is { } s2 ? new Random(s2) : null);
        }
        return new Cursor(this, follower, leader, needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) }; // one cursor: batches are already the unit of parallel work

    sealed class Cursor : DataViewRowCursor
    {
        readonly BatchedScoringView _view;
        readonly DataViewRowCursor _follower;
        readonly DataViewRowCursor? _leader;
        readonly bool[] _active;
        readonly int _inputCount;
        readonly int _batchSize;
        readonly ColumnTable _batch;
        readonly Action<int>[] _readers = Array.Empty<Action<int>>();
        ColumnTable? _scored;
        int _indexInBatch = -1;
        bool _leaderDone;

        public Cursor(BatchedScoringView view, DataViewRowCursor follower, DataViewRowCursor? leader, List<DataViewSchema.Column> needed)
        {
            _view = view;
            _follower = follower;
            _leader = leader;
            _inputCount = view._input.Schema.Count;
            _active = new bool[view.Schema.Count];
            foreach (var c in needed) _active[c.Index] = true;
            _batchSize = Math.Max(1, view._model.ScoringBatchSize);
            _batch = new ColumnTable(view._model.InputColumns, 0);
            if (leader is not null)
            {
                var readers = new List<Action<int>>();
                foreach (var c in view._model.InputColumns)
                {
                    var conversion = _batch.ConversionOf(c.Name);
                    var values = conversion.CreateArray(_batchSize);
                    _batch.SetRaw(c.Name, values);
                    readers.Add(conversion.CreateReader(leader, leader.Schema[c.Name], values));
                }
                _readers = readers.ToArray();
            }
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _follower.Position;
        public override long Batch => _follower.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _follower.GetIdGetter();

        public override bool MoveNext()
        {
            if (!_follower.MoveNext()) return false;
            if (_leader is null) return true;
            _indexInBatch++;
            if (_scored is null || _indexInBatch >= _scored.Count) ScoreNextBatch();
            return true;
        }

        void ScoreNextBatch()
        {
            int n = 0;
            while (n < _batchSize && !_leaderDone)
            {
                if (!_leader!.MoveNext()) { _leaderDone = true; break; }
                foreach (var r in _readers) r(n);
                n++;
            }
            if (n == 0)
                throw new InvalidOperationException("the input data view returned fewer rows to the scoring cursor than to the pass-through cursor; " +
                                                    "TorchSharp-backed transformers need an input that yields the same rows to every cursor");
            _batch.Count = n; // the scorer sees only the first n values of each column
            var inputs = n == _batchSize ? _batch : Trim(_batch, n);
            _scored = _view._model.Score(inputs);
            _indexInBatch = 0;
        }

        static ColumnTable Trim(ColumnTable full, int n)
        {
            var t = new ColumnTable(full.Columns, n);
            foreach (var c in full.Columns)
            {
                var src = full.Raw(c.Name)!;
                var dst = full.ConversionOf(c.Name).CreateArray(n);
                Array.Copy(src, dst, n);
                t.SetRaw(c.Name, dst);
            }
            return t;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _inputCount ? _follower.IsColumnActive(_follower.Schema[column.Index]) : _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _inputCount) return _follower.GetGetter<TValue>(_follower.Schema[column.Index]);
            if (!_active[column.Index]) throw new InvalidOperationException($"column '{column.Name}' was not requested from this cursor");
            var spec = _view._model.OutputColumns[column.Index - _inputCount];
            var getter = ValueConversion.For(spec.Type).CreateGetter(() =>
                _scored is null ? throw new InvalidOperationException("the cursor is not on a row; call MoveNext first")
                                : (_scored.Raw(spec.Name)!, _indexInBatch));
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"column '{column.Name}' ({TorchColumn.Describe(spec.Type)}) is read as {spec.Type.RawType.Name}, not {typeof(TValue).Name}");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _follower.Dispose();
                _leader?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
