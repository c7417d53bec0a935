using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;
using TorchSharp;

namespace MlNetHw.Benchmarks;

/// <summary>
/// Scoring throughput of a TorchSharp-backed transformer: the batched, lazy <c>Transform</c> (256 rows per forward
/// pass) against the same model called row by row through a <c>PredictionEngine</c>. Model: the worked-example MLP
/// (64 features, hidden 256-256, untrained weights: speed does not depend on training).
/// </summary>
public sealed class TorchScoringBenchmark : IBenchmarkSection
{
    public string Name => "mlnet-scoring";
    public string Description => "TorchMlp scoring rows/s: batched Transform vs PredictionEngine row by row (64 features, hidden 256x256)";

    sealed class Row
    {
        [VectorType(64)] public float[] Features { get; set; } = Array.Empty<float>();
    }

    sealed class Prediction
    {
        public float Score { get; set; }
    }

    public void Run(BenchmarkContext context)
    {
        const int features = 64;
        int rows = context.Quick ? 2_000 : 20_000;
        var ml = new MLContext(seed: 1);
        var rng = new Random(1);
        var data = Enumerable.Range(0, rows).Select(_ => new Row { Features = Enumerable.Range(0, features).Select(_ => (float)rng.NextDouble()).ToArray() }).ToArray();
        var view = ml.Data.LoadFromEnumerable(data);
        torch.manual_seed(1);
        var model = new TorchMlpBinaryModel("Features", features, new[] { 256, 256 }, 0.0);
        var transformer = TorchTransformer.Create(model);

        float Sum(IDataView scored)
        {
            float total = 0;
            using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "Score"));
            var getter = cursor.GetGetter<float>(scored.Schema["Score"]);
            float s = 0;
            while (cursor.MoveNext()) { getter(ref s); total += s; }
            return total;
        }

        // Reading the input alone (the floor under any scorer of this data view).
        context.Measure($"read Features only (no model), {rows} rows", () =>
        {
            using var cursor = view.GetRowCursor(view.Schema);
            var getter = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
            VBuffer<float> v = default;
            while (cursor.MoveNext()) getter(ref v);
        }, warmup: 1, iterations: context.Quick ? 3 : 5, workPerIteration: rows, unit: "rows");

        foreach (int batch in new[] { 256, 32 })
        {
            model.ScoringBatchSize = batch;
            context.Measure($"Transform batched ({batch} rows/forward), {rows} rows", () => Sum(transformer.Transform(view)),
                warmup: 1, iterations: context.Quick ? 3 : 5, workPerIteration: rows, unit: "rows");
        }

        using var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(transformer);
        int engineRows = context.Quick ? 500 : 5_000;
        var output = new Prediction();
        context.Measure($"PredictionEngine row by row, {engineRows} rows", () =>
        {
            for (int i = 0; i < engineRows; i++) engine.Predict(data[i], ref output);
        }, warmup: 1, iterations: context.Quick ? 3 : 5, workPerIteration: engineRows, unit: "rows");

        // The same on one libtorch thread: on a busy machine, intra-op threads waiting for each other can cost more
        // than they give (seen with load average 25 on 2 cores), so both settings are reported.
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
            model.ScoringBatchSize = 256;
            context.Measure($"Transform batched (256 rows/forward, 1 torch thread), {rows} rows", () => Sum(transformer.Transform(view)),
                warmup: 1, iterations: context.Quick ? 3 : 5, workPerIteration: rows, unit: "rows");
            context.Measure($"PredictionEngine row by row (1 torch thread), {engineRows} rows", () =>
            {
                for (int i = 0; i < engineRows; i++) engine.Predict(data[i], ref output);
            }, warmup: 1, iterations: context.Quick ? 3 : 5, workPerIteration: engineRows, unit: "rows");
        }
        finally { torch.set_num_threads(threads); }

        var results = context.Results.Where(r => r.Section == Name && r.Throughput is not null).ToList();
        double Rate(string prefix) => results.First(r => r.Name.StartsWith(prefix, StringComparison.Ordinal)).Throughput!.Value;
        context.Record($"speed-up batched(256) / row-by-row, {threads} torch threads",
            Rate("Transform batched (256 rows/forward), ") / Rate("PredictionEngine row by row, "), "x");
        context.Record("speed-up batched(256) / row-by-row, 1 torch thread",
            Rate("Transform batched (256 rows/forward, 1 torch thread)") / Rate("PredictionEngine row by row (1 torch thread)"), "x");
    }
}
