// The worked example of a TorchSharp-backed ML.NET estimator: featurizer → TorchMlp, trained, evaluated, saved as
// one .zip that pipelines/ModelConsumer loads. All logic lives in MlNetHw.MlNet.Mlp.TorchMlpExample.
using MlNetHw.Cli;
using MlNetHw.MlNet.Mlp;
using MlNetHw.Samples.TorchMlp;
using MlNetHw.MlNet.Training;
using MlNetHw.Torch;

var cli = new CommandLineArgs(args);
if (cli.HelpRequested)
{
    Console.WriteLine("usage: dotnet run -c Release --project pipelines/TorchMlpExample -- [--data DIR] [--out DIR] [--epochs N] [--lr X]");
    Console.WriteLine("         [--hidden 64,32] [--dropout P] [--patience N (0 = off)] [--seed N] [--device auto|cpu|cuda] [--quick] [--resume]");
    Console.WriteLine("  --data DIR  folder with train.txt/dev.txt/test.txt of 'LABEL sentence' lines (e.g. the sentiment-uci dataset);");
    Console.WriteLine("              without it, synthetic 4-feature blobs are used.");
    return 0;
}
var defaults = new TorchMlpExampleOptions();
var options = new TorchMlpExampleOptions
{
    DataDirectory = cli.String("--data"),
    OutputDirectory = cli.String("--out", Path.Combine("out", "torch-mlp"))!,
    Epochs = cli.Number("--epochs", defaults.Epochs),
    LearningRate = cli.Number("--lr", defaults.LearningRate),
    HiddenSizes = cli.List("--hidden", defaults.HiddenSizes.Select(h => h.ToString()).ToList()).Select(int.Parse).ToArray(),
    Dropout = cli.Number("--dropout", defaults.Dropout),
    Seed = cli.Number("--seed", defaults.Seed),
    Patience = cli.Number("--patience", defaults.Patience ?? 0) is > 0 and var p ? p : null,
    Device = cli.Choice("--device", "auto", "auto", "cpu", "cuda"),
    Quick = cli.Flag("--quick"),
    Resume = cli.Flag("--resume"),
    Progress = new ConsoleTrainingProgress("mlp"),
};
cli.ThrowOnUnknown();
Console.WriteLine(TorchRuntime.Describe(TorchRuntime.ResolveDevice(options.Device)));
Console.WriteLine($"seed {options.Seed}, epochs {options.Epochs}{(options.Quick ? " (quick: at most 3)" : "")}, lr {options.LearningRate}, " +
                  $"hidden {string.Join(",", options.HiddenSizes)}, dropout {options.Dropout}, data {options.DataDirectory ?? "synthetic blobs"}, out {options.OutputDirectory}");
var result = TorchMlpExample.Run(options);
Console.WriteLine($"data: {result.DataDescription}");
Console.WriteLine($"test accuracy {result.TestAccuracy:0.0000}  AUC {result.TestAuc:0.0000}  F1 {result.TestF1:0.0000}  (best epoch {result.Training.BestEpoch})");
Console.WriteLine($"wrote {result.ArchivePath}, {result.ReportPath}, {result.SampleInputPath}");
return 0;
