using MlNetHw.RecurrentLayers;
using System.CommandLine;
using MlNetHw.Recurrent;

namespace MlNetHw.Cli;

/// <summary>pipelines/RecurrentLayers: gradient checks of the hand-written RNN/LSTM layers and a ManualLstm demo (parts 3 and 4).</summary>
public static class RecurrentLayersCommand
{
    /// <summary>Parses <paramref name="args"/> and runs the gradient checks and the ManualLstm demo; returns the exit code (<see cref="CliApp"/>: 0 ok, 1 failed, 2 usage error).</summary>
    public static int Run(string[] args) => CliApp.Run(Create(), args);

    /// <summary>The command tree of the gradient checks and the ManualLstm demo: its options with defaults and help, and the action that runs it.</summary>
    public static RootCommand Create()
    {
        var run = new RunOptionGroup(seed: 0, outDefault: Path.Combine("out", "recurrent-layers"),
            quickDescription: "Small sizes and a short demo (smoke run)", threads: 1);
        run.Threads.Description = "libtorch CPU threads during the run (the tensors are tiny: 1 is fastest; 0 = libtorch's default)";
        var noChecks = CliOptions.Flag("--no-checks", "Skip the gradient checks");
        var noDemo = CliOptions.Flag("--no-demo", "Skip the ManualLstm training demo");
        var iterations = CliOptions.OptionalInt("--iterations", "Demo: optimizer steps (default 400; 80 with --quick)", min: 1);
        var batch = CliOptions.Int("--batch", 64, "Demo: sequences per batch", min: 1);
        var hidden = CliOptions.Int("--hidden", 64, "Demo: LSTM hidden size", min: 1);
        var lr = CliOptions.Double("--lr", 1e-2, "Demo: Adam learning rate");
        var root = new RootCommand("Homework parts 3 and 4: gradient checks of the hand-written RNN/LSTM layers and a ManualLstm training demo.");
        run.AddTo(root);
        foreach (Option o in new Option[] { noChecks, noDemo, iterations, batch, hidden, lr }) root.Options.Add(o);
        root.SetAction(r =>
        {
            var s = run.Read(r);
            var options = new RecurrentLayersOptions
            {
                Run = s,
                RunGradientChecks = !r.GetValue(noChecks),
                RunDemo = !r.GetValue(noDemo),
                Iterations = r.GetValue(iterations),
                BatchSize = r.GetValue(batch),
                HiddenSize = r.GetValue(hidden),
                LearningRate = r.GetValue(lr),
            };
            var result = RecurrentLayersExperiment.Run(options);
            if (result.TablePath is { } table) Console.WriteLine($"gradient checks: {result.Checks.Count(c => c.Passed)}/{result.Checks.Count} passed, table {table}");
            Console.WriteLine($"summary: {result.SummaryPath}");
            return result.AllChecksPassed ? CliApp.Success : CliApp.Failure;
        });
        return root;
    }
}
