using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Onnx;

namespace MlNetHw.Onnx;

/// <summary>
/// ONNX Runtime session options for every <c>ApplyOnnxModel</c> an <see cref="MLContext"/> creates from now on
/// (ML.NET's context-wide <c>SetOnnxSessionOption</c>; they are not saved with a model: a loaded model gets them from
/// the context that loads it). ML.NET's per-transform <c>OnnxOptions</c> only set thread counts; this also chooses
/// whether ONNX Runtime's worker threads spin between operators or sleep.
/// </summary>
public static class OnnxSessionSettings
{
    /// <summary>
    /// From now on, sessions of <paramref name="ml"/> use <paramref name="threads"/> intra-op threads (0 = ONNX Runtime's
    /// default, the physical cores), one inter-op thread, all graph optimisations, and — unless <paramref name="spinning"/> —
    /// worker threads that sleep when they run out of work. ONNX Runtime's default is to spin, which costs nothing on an
    /// idle machine but on a shared one keeps a core busy between the operators of each image and slows every other
    /// process (and, when that core is taken, the session itself: each operator waits for its slowest thread).
    /// Overrides the thread counts of the context's <c>OnnxOptions</c>.
    /// </summary>
    public static void Configure(MLContext ml, int threads, bool spinning = false)
    {
        ArgumentNullException.ThrowIfNull(ml);
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be 0 (ONNX Runtime's default) or more.");
        ml.SetOnnxSessionOption(new OnnxSessionOptions { CreateSessionOptions = () => Create(threads, spinning) });
    }

    /// <summary>The session options <see cref="Configure"/> installs (for raw <c>InferenceSession</c>s that should match).</summary>
    public static SessionOptions Create(int threads, bool spinning = false)
    {
        var o = new SessionOptions
        {
            IntraOpNumThreads = threads, InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        o.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
        return o;
    }
}
