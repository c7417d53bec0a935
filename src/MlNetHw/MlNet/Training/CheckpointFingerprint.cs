using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace MlNetHw.MlNet.Training;

/// <summary>
/// Everything that changes a training run's result, as ordered <c>name=value</c> settings: the loop's
/// (<see cref="TrainerOptions"/>), the model's (architecture and hyperparameters the estimator passes in
/// <see cref="TorchTrainer{TBatch}.ModelSettings"/>) and the data's (row counts and a sha256 of every training and
/// validation tensor in row order). Stored in each checkpoint; a resume with any difference is refused naming it.
/// </summary>
internal static class CheckpointFingerprint
{
    /// <summary>The settings joined as <c>a=1;b=2</c> (the checkpoint header's form).</summary>
    public static string Join(IEnumerable<KeyValuePair<string, string>> settings) =>
        string.Join(";", settings.Select(kv => kv.Key + "=" + kv.Value.Replace(";", ",", StringComparison.Ordinal)));

    /// <summary>The <c>a=1;b=2</c> form back into ordered settings (also reads the older checkpoints' form).</summary>
    public static List<KeyValuePair<string, string>> Split(string fingerprint) =>
        fingerprint.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.IndexOf('=') is var i and >= 0 ? new KeyValuePair<string, string>(p[..i], p[(i + 1)..]) : new(p, ""))
            .ToList();

    /// <summary>Null when they agree; otherwise the first differing setting with both values.</summary>
    public static (string Name, string Checkpoint, string Run)? FirstDifference(string checkpoint, string run)
    {
        var a = Split(checkpoint);
        var b = Split(run);
        var aMap = a.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        var bMap = b.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        foreach (var key in b.Select(kv => kv.Key).Concat(a.Select(kv => kv.Key)).Distinct())
        {
            string x = aMap.TryGetValue(key, out var v1) ? v1 : "(not recorded)";
            string y = bMap.TryGetValue(key, out var v2) ? v2 : "(not recorded)";
            if (x != y) return (key, x, y);
        }
        return null;
    }

    /// <summary>"Type, N parameters in K tensors (T trainable), shapes #hash": changes with any layer size, layer count or frozen part.</summary>
    public static string Architecture(TorchSharp.torch.nn.Module module)
    {
        var parameters = module.named_parameters().ToList();
        string shapes = string.Join(";", parameters.Select(p => $"{p.name}:{string.Join("x", p.parameter.shape)}:{(p.parameter.requires_grad ? "t" : "f")}"));
        long count = parameters.Sum(p => p.parameter.numel());
        int trainable = parameters.Count(p => p.parameter.requires_grad);
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(shapes)))[..12].ToLowerInvariant();
        return string.Create(CultureInfo.InvariantCulture, $"{module.GetType().Name} with {count} parameters in {parameters.Count} tensors ({trainable} trainable), shapes #{hash}");
    }

    /// <summary>
    /// sha256 of the examples in row order, as the model sees them: every tensor of every batch (a tensor, or a tuple of
    /// tensors) of the natural order. Null when the batches hold something else.
    /// </summary>
    public static string? ContentHash<TBatch>(IBatchSource<TBatch> source, int batchSize)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var all = Enumerable.Range(0, source.Count).ToArray();
        if (source is IEpochAwareBatchSource) return null; // augmented: the examples are drawn per epoch (the seed is recorded)
        for (int from = 0; from < source.Count; from += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = source.GetBatch(all.AsSpan(from, Math.Min(batchSize, source.Count - from)), CPU);
            if (!AddTensors(sha, batch)) return null;
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..32].ToLowerInvariant();
    }

    static bool AddTensors(IncrementalHash sha, object? value)
    {
        switch (value)
        {
            case Tensor t:
                using (var c = t.detach().cpu().contiguous())
                {
                    sha.AppendData(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{c.dtype}[{string.Join(",", c.shape)}]")));
                    sha.AppendData(c.bytes);
                }
                return true;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++)
                    if (!AddTensors(sha, tuple[i])) return false;
                return true;
            case null:
                return true;
            default:
                return false;
        }
    }
}

/// <summary>A checkpoint written with other settings, model or data than this run (a usage error: it names the setting).</summary>
public sealed class CheckpointMismatchException(string message) : ArgumentException(message);
