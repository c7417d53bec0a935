using System.CommandLine;
using MlNetHw.MlNet.Mlp;
using MlNetHw.Torch;

using MlNetHw.Cli;

namespace MlNetHw.Samples.TorchMlp;

/// <summary>
/// The worked example of a TorchSharp-backed ML.NET estimator: featurizer → TorchMlp, trained, evaluated, saved as one
/// .zip that samples/ModelConsumer loads. It lives next to its example code (not in src/MlNetHw.Cli) so that it moves
/// with it; it uses MlNetHw.Cli's conventions like every other program.
/// </summary>
public static class TorchMlpExampleCommand
{
    public static int Run(string[] args) => CliApp.Run(Create(), args);

    public static RootCommand Create()
    {
        var d = new TorchMlpExampleOptions();
        var run = new RunOptionGroup(seed: d.Seed, outDefault: d.OutputDirectory, quickDescription: "At most 3 epochs (smoke run)", device: d.Device);
        var data = CliOptions.ExistingFolder("--data", "Folder with train.txt/dev.txt/test.txt of 'LABEL sentence' lines (e.g. the sentiment-uci dataset); default: synthetic 4-feature blobs");
        var epochs = CliOptions.Int("--epochs", d.Epochs, "Epochs", min: 1);
        var lr = CliOptions.Double("--lr", d.LearningRate, "Learning rate");
        var hidden = CliOptions.List("--hidden", "Hidden layer sizes", d.HiddenSizes.Select(h => h.ToString()).ToList(), "64,32");
        var dropout = CliOptions.Double("--dropout", d.Dropout, "Dropout probability");
        var patience = CliOptions.Int("--patience", d.Patience ?? 0, "Early-stopping patience in epochs (0 = off)", min: 0);
        var resume = CliOptions.Flag("--resume", "Continue from the last checkpoint in --out");
        var root = new RootCommand("The worked example of a TorchSharp-backed ML.NET estimator (TorchMlp): trained, evaluated, saved as one .zip.");
        foreach (Option o in new Option[] { data, epochs, lr, hidden, dropout, patience, resume }) root.Options.Add(o);
        run.AddTo(root);
        root.SetAction(r =>
        {
            var s = run.Read(r);
            var options = new TorchMlpExampleOptions
            {
                DataDirectory = r.GetValue(data),
                OutputDirectory = s.OutputDirectory!,
                Epochs = r.GetValue(epochs),
                LearningRate = r.GetValue(lr),
                HiddenSizes = r.GetValue(hidden)!.Select(h => int.TryParse(h, out int n) && n > 0 ? n
                    : throw new ArgumentException($"--hidden takes positive layer sizes such as 64,32 (got '{h}').")).ToArray(),
                Dropout = r.GetValue(dropout),
                Seed = s.Seed,
                Patience = r.GetValue(patience) is > 0 and var p ? p : null,
                Device = s.Device,
                Quick = s.Quick,
                Resume = r.GetValue(resume),
                Progress = new ConsoleTrainingProgress("mlp"),
            };
            CliOptions.ApplyThreads(s.Threads);
            var log = ConsoleProgress.Log;
            log.WriteLine(TorchRuntime.Describe(TorchRuntime.ResolveDevice(options.Device)));
            log.WriteLine($"seed {options.Seed}, epochs {options.Epochs}{(options.Quick ? " (quick: at most 3)" : "")}, lr {options.LearningRate}, " +
                          $"hidden {string.Join(",", options.HiddenSizes)}, dropout {options.Dropout}, data {options.DataDirectory ?? "synthetic blobs"}, out {options.OutputDirectory}");
            var result = TorchMlpExample.Run(options);
            Console.WriteLine($"data: {result.DataDescription}");
            Console.WriteLine($"test accuracy {result.TestAccuracy:0.0000}  AUC {result.TestAuc:0.0000}  F1 {result.TestF1:0.0000}  (best epoch {result.Training.BestEpoch})");
            Console.WriteLine($"wrote {result.ArchivePath}, {result.ReportPath}, {result.SampleInputPath}");
            return CliApp.Success;
        });
        return root;
    }
}
