using System.Globalization;
using MlNetHw.Torch;
using TorchSharp;

namespace MlNetHw.Runs;

/// <summary>
/// The settings every experiment run shares, stated once: seed, device, libtorch threads, output folder, size, and
/// where progress and settings lines go. Each experiment's options carry one (<c>options.Run</c>), with that
/// experiment's defaults; the main job hands the same record to every part.
/// </summary>
public sealed record RunOptions
{
    /// <summary>Seed of everything random in the run.</summary>
    public int Seed { get; init; }

    /// <summary>TorchSharp device: auto (CUDA when available), cpu, cuda or cuda:N. Default auto.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>libtorch CPU threads; 0 keeps libtorch's default (one per core). Default 0.</summary>
    public int Threads { get; init; }

    /// <summary>Where the run writes its files; null (default): the experiment's own folder (e.g. <c>out/text-classification</c>).</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Small sizes for a smoke run (numbers mean little). Default false.</summary>
    public bool Quick { get; init; }

    /// <summary>Progress and settings lines (the command line passes the console's error stream). Default: nowhere.</summary>
    public TextWriter Log { get; init; } = TextWriter.Null;

    /// <summary>Cancels the run between steps.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Threads < 0) throw new ArgumentException($"threads must be 0 (libtorch's default) or more (got {Threads}).");
        if (OutputDirectory is not null && string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("the output folder must not be empty.");
        TorchRuntime.ResolveDevice(Device); // throws naming a bad device
    }

    /// <summary>One line for logs and reports: "seed 1, device cpu, threads 2, out DIR".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"seed {Seed}, device {Device}, threads {(Threads > 0 ? Threads.ToString(CultureInfo.InvariantCulture) : "libtorch default")}, out {OutputDirectory ?? "(default)"}{(Quick ? ", quick" : "")}");

    /// <summary>
    /// Sets libtorch's CPU threads to <see cref="Threads"/> (when positive) until the returned scope is disposed,
    /// so one experiment's setting does not leak into the next one of the main job.
    /// </summary>
    public IDisposable UseThreads()
    {
        TorchRuntime.EnsureLoaded();
        int previous = torch.get_num_threads();
        if (Threads > 0) torch.set_num_threads(Threads);
        return new Restore(() => { if (Threads > 0) torch.set_num_threads(previous); });
    }

    sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
