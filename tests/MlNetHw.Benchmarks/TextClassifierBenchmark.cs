using System.Text.Json;
using MlNetHw.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// Training throughput of the part-6 text classifiers, measured like <c>../shared/bench/peers.py</c> measures PyTorch:
/// one step = zero_grad + forward + backward + Adam on a batch of 100 sentences of 40 word ids from a 20,000-word
/// vocabulary, sigmoid + BCE. The LSTM model (hand-written <c>ManualLstm</c>, hidden 64) and the averaged-embedding
/// model (dense embedding gradients), at the peer's dimension 50 and at MlNetHw's GloVe dimension 100.
/// </summary>
public sealed class TextClassifierBenchmark : IBenchmarkSection
{
    const int Vocabulary = 20_000, Length = 40, Batch = 100, Hidden = 64;

    public string Name => "text";
    public string Description => "text classifier training steps (vocab 20k, len 40, batch 100): manual LSTM h64 and averaged embeddings, sentences/s";

    public void Run(BenchmarkContext context)
    {
        var peers = PeerFigures();
        foreach (int dim in new[] { 50, 100 })
        {
            var lstm = Measure(context, TextNetworkKind.Lstm, dim, warmup: 2, iterations: 15);
            var avg = Measure(context, TextNetworkKind.Averaged, dim, warmup: 3, iterations: 40);
            if (dim == 50 && peers is { } p)
            {
                context.Record("lstm dim 50 vs torch peer (ratio)", lstm / p.Lstm, "x", new() { ["peer_sentences_per_s"] = p.Lstm });
                context.Record("averaged dim 50 vs torch peer (ratio)", avg / p.Mean, "x", new() { ["peer_sentences_per_s"] = p.Mean });
            }
        }
    }

    static double Measure(BenchmarkContext context, TextNetworkKind kind, int dim, int warmup, int iterations)
    {
        torch.manual_seed(0);
        var shape = new TextNetworkShape(kind, Vocabulary, dim, kind == TextNetworkKind.Averaged ? 0 : Hidden, AverageSkipsUnknown: false);
        using var net = TextClassifierNetwork.Create(shape);
        net.train();
        // The optimizer the shared training loop uses (TorchSharp's Adam update, with fewer temporaries).
        using var optimizer = new MlNetHw.MlNet.Training.ManagedAdam(net.parameters(), 1e-3);
        using var ids = torch.randint(2, Vocabulary, new long[] { Batch, Length }, dtype: ScalarType.Int64);
        using var mask = torch.ones(new long[] { Batch, Length }, ScalarType.Bool);
        using var labels = torch.randint(0, 2, new long[] { Batch }).to_type(ScalarType.Float32);
        string name = $"{(kind == TextNetworkKind.Lstm ? "manual LSTM h64" : "averaged embeddings")} dim {dim} train step";
        var r = context.Measure(name, () =>
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.binary_cross_entropy_with_logits(net.forward(ids, mask), labels);
            loss.backward();
            optimizer.step();
        }, warmup, iterations, workPerIteration: Batch, unit: "sentences",
            extra: new() { ["vocabulary"] = Vocabulary, ["length"] = Length, ["batch"] = Batch, ["dimension"] = dim, ["hidden"] = shape.HiddenSize });
        return r.Throughput!.Value;
    }

    /// <summary>The torch figures of peers.json (sentences/s), when the file is there.</summary>
    static (double Lstm, double Mean)? PeerFigures() =>
        Benchmarks.PeerFigures.Number("text_classifier", "lstm64_train", "sentences_per_s") is { } lstm
        && Benchmarks.PeerFigures.Number("text_classifier", "mean_embedding_train", "sentences_per_s") is { } mean
            ? (lstm, mean) : null;
}
