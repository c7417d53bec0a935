using MlNetHw.IO;
using MlNetHw.MlNet.Training;
using MlNetHw.Reporting;

namespace MlNetHw.Cli;

/// <summary>
/// Progress bars on the console's standard error (results keep stdout to themselves): redrawn in place on a
/// terminal, plain rate-limited lines when stderr is redirected. The rendering is the library's <see cref="TextProgressBar"/>.
/// </summary>
public static class ConsoleProgress
{
    /// <summary>The writer every program logs to: <c>Console.Error</c>, registered as a terminal when it is one.</summary>
    public static TextWriter Log
    {
        get
        {
            var error = Console.Error;
            if (!Console.IsErrorRedirected) InteractiveWriters.Register(error);
            return error;
        }
    }

    /// <summary>A progress bar on stderr.</summary>
    public static TextProgressBar Bar(string label, long total, string unit = "it") => new(label, total, Log) { Unit = unit };
}

/// <summary>Renders training progress on stderr (a bar redrawn in place on a terminal, one line per epoch in a log).</summary>
public sealed class ConsoleTrainingProgress(string label = "train") : IProgress<TrainingProgress>
{
    readonly TextTrainingProgress _inner = new(label, ConsoleProgress.Log);

    /// <summary>Draws <paramref name="value"/> on stderr.</summary>
    public void Report(TrainingProgress value) => _inner.Report(value);
}
