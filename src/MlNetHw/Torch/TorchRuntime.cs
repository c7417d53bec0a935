using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Torch;

/// <summary>Loads TorchSharp's native libraries once and picks the compute device at run time.</summary>
public static class TorchRuntime
{
    static readonly object Gate = new();
    static bool _loaded;

    /// <summary>
    /// Makes sure libtorch and LibTorchSharp are loaded; throws an <see cref="InvalidOperationException"/> that says
    /// what to do when they cannot be (the usual cause on Linux: a libstdc++ older than GCC 13 and a build output
    /// that skipped MlNetHw's compatibility step).
    /// </summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
            try
            {
                // Touching a tensor forces TorchSharp to resolve and load its native libraries.
                using var probe = torch.zeros(1);
                _loaded = true;
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
            {
                throw new InvalidOperationException(
                    "TorchSharp's native libraries could not be loaded. Build through `dotnet build`/`run`/`test` so that " +
                    "MlNetHw's libstdc++ compatibility step runs on the output folder (see README, 'System requirements'), " +
                    "and check that the libtorch package for this OS was restored. Inner error: " + (e.InnerException ?? e).Message, e);
            }
        }
    }

    /// <summary>
    /// Resolves a device name: <c>auto</c> (CUDA when <c>torch.cuda.is_available()</c>, else CPU), <c>cpu</c> or
    /// <c>cuda</c> / <c>cuda:N</c>. Asking for CUDA without a CUDA build or GPU fails with a clear message.
    /// </summary>
    public static Device ResolveDevice(string? name = "auto")
    {
        EnsureLoaded();
        string n = (name ?? "auto").Trim().ToLowerInvariant();
        if (n is "" or "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (n == "cpu") return torch.CPU;
        if (n.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException(
                    $"--device {name}: CUDA is not available in this process (this build uses the '{BuildBackend}' TorchSharp backend" +
                    " or no NVIDIA GPU/driver is present). Rebuild with -p:MlNetHwTorchBackend=cuda on a machine with a GPU, or use --device cpu.");
            return torch.device(n);
        }
        throw new ArgumentException($"--device must be auto, cpu or cuda[:N] (got '{name}').");
    }

    /// <summary>The TorchSharp backend this assembly was built against ("cpu" or "cuda"), from the MSBuild property.</summary>
    public static string BuildBackend =>
        typeof(TorchRuntime).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "MlNetHwTorchBackend")?.Value ?? "cpu";

    /// <summary>Seeds every random source MlNetHw uses (libtorch CPU and CUDA generators).</summary>
    public static void Seed(int seed)
    {
        EnsureLoaded();
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }

    /// <summary>One line describing the runtime, printed by every pipeline at start.</summary>
    public static string Describe(Device device) =>
        $"TorchSharp backend={BuildBackend} device={device.type}{(device.index >= 0 ? ":" + device.index : "")} threads={torch.get_num_threads()} native-memory={NativeHeap.Describe()}";
}
