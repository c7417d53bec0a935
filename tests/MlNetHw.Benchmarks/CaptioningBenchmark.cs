using System.Text.Json.Nodes;
using MlNetHw.Captioning;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// Captioner training throughput: one step = forward + hand-written backward + Adam update of cs231n's
/// CaptioningRNN (features 512 → h0, H 512, W 256, vocabulary 1004, captions of T = 17 so 16 recurrent steps),
/// float32, at batch 25 (the homework's) and 128, for the LSTM and the RNN. Peers (numpy cs231n, torch nn.LSTM)
/// are read from ../shared/bench/peers.json (or $MLNETHW_PEERS) and the ratio recorded next to each figure.
/// </summary>
public sealed class CaptioningBenchmark : IBenchmarkSection
{
    public string Name => "captioning";
    public string Description => "captioner train step (fwd+bwd+Adam), H512 W256 V1004 T17, batch 25/128, LSTM and RNN, examples/s";

    const int D = 512, H = 512, W = 256, V = 1004, T = 17;

    public void Run(BenchmarkContext context)
    {
        var peers = PeerFigures.Root;
        foreach (var cell in new[] { CaptionCell.Lstm, CaptionCell.Rnn })
            foreach (int batch in new[] { 25, 128 })
            {
                using var scope = NewDisposeScope();
                torch.manual_seed(0);
                var model = new CaptionerNetwork(new CaptioningModelShape(D, W, H, V, cell));
                var features = randn(batch, D);
                var captions = randint(4, V, new long[] { batch, T });
                captions[.., 0] = CaptionCodec.Start;
                captions[.., T - 1] = CaptionCodec.End;
                captions[.., ^3..^1] = CaptionCodec.Null; // some padding, so the mask does work
                using var adam = optim.Adam(model.parameters(), lr: 5e-3);
                void Step()
                {
                    using var inner = NewDisposeScope();
                    adam.zero_grad();
                    var loss = model.Loss(features, captions);
                    loss.backward();
                    adam.step();
                }
                var extra = new Dictionary<string, object> { ["cell"] = cell.ToString().ToLowerInvariant(), ["batch"] = batch, ["T"] = T, ["H"] = H, ["W"] = W, ["V"] = V };
                if (cell == CaptionCell.Lstm)
                    foreach (var (peer, key) in new[] { ("numpy_cs231n", $"numpy_float32_b{batch}"), ("torch_nn_lstm", $"torch_nnlstm_float32_b{batch}") })
                        if (peers?["captioning"]?[key]?["examples_per_s"]?.GetValue<double>() is { } v) extra[$"peer_{peer}_examples_per_s"] = v;
                // Warm-up long enough for .NET's tiered JIT to finish optimising the hot methods (TensorPrimitives' kernels
                // start unoptimised and are recompiled after ~30 calls): the figure is the steady state a training run sees.
                var r = context.Measure($"{cell.ToString().ToLowerInvariant()} train step b{batch}", Step, warmup: batch == 25 ? 12 : 4, iterations: batch == 25 ? 15 : 7,
                    workPerIteration: batch, unit: "examples", extra: extra);
                if (r.Throughput is { } mine && extra.TryGetValue("peer_numpy_cs231n_examples_per_s", out var np))
                    context.Record($"{cell.ToString().ToLowerInvariant()} b{batch} / numpy cs231n", mine / (double)np, "ratio");
                if (r.Throughput is { } mine2 && extra.TryGetValue("peer_torch_nn_lstm_examples_per_s", out var tl))
                    context.Record($"{cell.ToString().ToLowerInvariant()} b{batch} / torch nn.LSTM", mine2 / (double)tl, "ratio");
            }
    }
}
