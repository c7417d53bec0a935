using MlNetHw.RecurrentLayers;
using MlNetHw.Cli;
using MlNetHw.Recurrent;

// Homework parts 3 and 4: gradient checks of the hand-written RNN/LSTM layers and a ManualLstm training demo.
var cli = new CommandLineArgs(args);
var options = new RecurrentLayersOptions
{
    OutputDirectory = cli.String("--out", Path.Combine("out", "recurrent-layers"))!,
    Seed = cli.Number("--seed", 0),
    Device = cli.String("--device", "auto")!,
    Quick = cli.Flag("--quick"),
    RunGradientChecks = !cli.Flag("--no-checks"),
    RunDemo = !cli.Flag("--no-demo"),
    Iterations = cli.String("--iterations") is null ? null : cli.Number("--iterations", 0),
    BatchSize = cli.Number("--batch", 64),
    HiddenSize = cli.Number("--hidden", 64),
    LearningRate = cli.Number("--lr", 1e-2),
    Threads = cli.Number("--threads", 1),
};
if (cli.HelpRequested)
{
    Console.WriteLine("usage: dotnet run -c Release --project pipelines/RecurrentLayers -- [--out DIR] [--seed 0] [--device auto|cpu|cuda]\n" +
                      "       [--quick] [--no-checks] [--no-demo] [--iterations 400] [--batch 64] [--hidden 64] [--lr 0.01] [--threads 1]");
    return 0;
}
cli.ThrowOnUnknown();
var result = RecurrentLayersExperiment.Run(options);
Console.WriteLine($"summary: {result.SummaryPath}");
return result.AllChecksPassed ? 0 : 1;
