using System.Globalization;
using MlNetHw.Captioning;
using MlNetHw.Cli;

// Thin entry point: parse the options, run the experiment from the library, print the numbers.
var a = new CommandLineArgs(args);
if (a.HelpRequested)
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project pipelines/ImageCaptioning -- [options]
          --experiment overfit|train   overfit: the homework's 50-example check (default); train: full generated set, BLEU on held-out scenes
          --cell rnn|lstm|both         recurrent cell(s) to train (default both)
          --epochs N --batch N --lr X --decay X   training (defaults per experiment: overfit 50/25/5e-3/0.995, train 20/50/2e-3/0.95)
          --hidden N --word-dim N      sizes (default 512 / 256)
          --beam K                     beam width for decoding (default 1 = greedy)
          --min-count N --max-words N  vocabulary minimum count (1) and caption length limit (16)
          --data generated|PATH        generated shape scenes (default), COCO captions JSON, or cs231n HDF5 folder
          --train-scenes N --val-scenes N  size of the generated set
          --no-center                  feed the raw features (default: subtract the training mean feature first)
          --threads N                  libtorch CPU threads (default one per core; 1 on a busy shared machine)
          --quick                      small sizes for a smoke run
          --seed N --device auto|cpu|cuda --out DIR
        """);
    return 0;
}
var options = new CaptioningOptions
{
    Experiment = a.Choice("--experiment", "overfit", "overfit", "train"),
    Cell = a.Choice("--cell", "both", "rnn", "lstm", "both"),
    Epochs = a.String("--epochs") is null ? null : a.Number("--epochs", 0),
    BatchSize = a.String("--batch") is null ? null : a.Number("--batch", 0),
    LearningRate = a.String("--lr") is null ? null : a.Number("--lr", 0.0),
    LearningRateDecay = a.String("--decay") is null ? null : a.Number("--decay", 0.0),
    HiddenDim = a.Number("--hidden", 512),
    WordDim = a.Number("--word-dim", 256),
    BeamWidth = a.Number("--beam", 1),
    MinWordCount = a.Number("--min-count", 1),
    MaxWords = a.Number("--max-words", 16),
    Data = a.String("--data", "generated")!,
    TrainScenes = a.String("--train-scenes") is null ? null : a.Number("--train-scenes", 0),
    ValScenes = a.String("--val-scenes") is null ? null : a.Number("--val-scenes", 0),
    CenterFeatures = !a.Flag("--no-center"),
    Threads = a.Number("--threads", 0),
    Quick = a.Flag("--quick"),
    Seed = a.Number("--seed", 0),
    Device = a.String("--device", "auto")!,
    OutputDirectory = a.String("--out"),
};
a.ThrowOnUnknown();
var result = CaptioningExperiment.Run(options);

Console.WriteLine();
Console.WriteLine($"{"cell",-5} {"final loss",10} {"train BLEU-4",12} {"val BLEU-1",10} {"val BLEU-4",10} {"train exact",11} {"val exact",9}");
foreach (var c in result.Cells)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{c.Cell,-5} {c.FinalLoss,10:0.0000} {c.TrainBleu.Bleu4,12:0.000} {c.ValBleu.Bleu1,10:0.000} {c.ValBleu.Bleu4,10:0.000} {c.TrainExactMatch,11:P0} {c.ValExactMatch,9:P0}"));
foreach (var c in result.Cells)
{
    Console.WriteLine($"\n{c.Cell} validation samples (generated | first reference):");
    foreach (var s in c.ValSamples.Take(options.SheetSamples)) Console.WriteLine($"  {s.Id}: {s.Generated} | {s.References.FirstOrDefault()}");
}
Console.WriteLine($"\nsheet {result.SheetPath}\nmetrics {result.MetricsMarkdownPath}");
return 0;
