using MlNetHw.IO;
using System.Text;
using System.Text.Json;
using MlNetHw.Reporting;
using TorchSharp;

namespace MlNetHw.MlNet.Training;

/// <summary>
/// What the trainer writes at each epoch end so an interrupted run can resume: the module's weights, the optimizer
/// state (Adam moments / SGD momentum buffers), the epoch reached, the best-so-far weights and figures, the epoch
/// history and the options fingerprint. Random state needs no saving: every epoch reseeds libtorch and the shuffler
/// from (seed, epoch), so a resumed epoch draws exactly what the uninterrupted one drew.
/// Layout: "MLNHWCK1", header JSON (length-prefixed UTF-8), weights (<see cref="TensorFile"/>), best weights,
/// optimizer state (int64 length + TorchSharp's <c>save_state_dict</c> bytes).
/// </summary>
internal sealed class TrainingCheckpoint
{
    const string Magic = "MLNHWCK1";

    public sealed class Header
    {
        public int FormatVersion { get; set; } = 1;
        public string Fingerprint { get; set; } = "";
        public int EpochsDone { get; set; }
        public bool Finished { get; set; }
        public bool StoppedEarly { get; set; }
        public int BestEpoch { get; set; }
        public double? BestMetric { get; set; }
        public int EpochsWithoutImprovement { get; set; }
        public long GlobalStep { get; set; }
        public List<EpochRecord> History { get; set; } = new();
    }

    public Header Info { get; set; } = new();
    public TensorFile Weights { get; set; } = new();
    public TensorFile BestWeights { get; set; } = new();
    public byte[] OptimizerState { get; set; } = Array.Empty<byte>();

    public void Save(string path) => AtomicFile.Write(path, stream =>
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Encoding.ASCII.GetBytes(Magic));
        w.Write(JsonSerializer.Serialize(Info));
        w.Flush();
        Weights.Write(stream);
        BestWeights.Write(stream);
        w.Write((long)OptimizerState.Length);
        w.Write(OptimizerState);
    });

    public static TrainingCheckpoint Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            var magic = Encoding.ASCII.GetString(r.ReadBytes(Magic.Length));
            if (magic != Magic) throw new InvalidDataException($"checkpoint '{path}' is not an MlNetHw training checkpoint (header '{magic}')");
            var info = JsonSerializer.Deserialize<Header>(r.ReadString()) ?? throw new InvalidDataException($"checkpoint '{path}': empty header");
            if (info.FormatVersion != 1) throw new InvalidDataException($"checkpoint '{path}': format version {info.FormatVersion} is not supported (this library reads 1)");
            var weights = TensorFile.Read(stream, $"checkpoint '{path}' weights");
            var best = TensorFile.Read(stream, $"checkpoint '{path}' best weights");
            long n = r.ReadInt64();
            var opt = r.ReadBytes(checked((int)n));
            if (opt.Length != n) throw new InvalidDataException($"checkpoint '{path}': optimizer state is truncated");
            return new TrainingCheckpoint { Info = info, Weights = weights, BestWeights = best, OptimizerState = opt };
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"checkpoint '{path}' is truncated", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"checkpoint '{path}': unreadable header ({e.Message})", e);
        }
    }

    public static byte[] SaveOptimizer(torch.optim.Optimizer optimizer)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
            ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(w);
        return ms.ToArray();
    }

    public static void LoadOptimizer(torch.optim.Optimizer optimizer, byte[] state)
    {
        using var ms = new MemoryStream(state);
        using var r = new BinaryReader(ms);
        ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(r);
    }
}
