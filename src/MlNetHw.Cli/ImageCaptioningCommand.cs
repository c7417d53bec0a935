using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MlNetHw.Captioning;

namespace MlNetHw.Cli;

/// <summary>pipelines/ImageCaptioning: RNN/LSTM captioning on ResNet18 features (homework part 5).</summary>
public static class ImageCaptioningCommand
{
    /// <summary>Parses <paramref name="args"/> and runs image captioning; returns the exit code (<see cref="CliApp"/>: 0 ok, 1 failed, 2 usage error).</summary>
    public static int Run(string[] args) => CliApp.Run(Create(), args);

    /// <summary>The command tree of image captioning: its options with defaults and help, and the action that runs it.</summary>
    public static RootCommand Create()
    {
        var run = new RunOptionGroup(seed: 0, outDefault: null, quickDescription: "Small sizes for a smoke run",
            outDescription: "Output folder (default out/image-captioning-<experiment>)");
        var experiment = CliOptions.Choice("--experiment", "overfit", "overfit: the homework's 50-example check; train: full generated set, BLEU on held-out scenes", "overfit", "train");
        var cell = CliOptions.Choice("--cell", "both", "Recurrent cell(s) to train", "rnn", "lstm", "both");
        var epochs = CliOptions.OptionalInt("--epochs", "Training epochs (default: overfit 50, train 20)", min: 1);
        var batch = CliOptions.OptionalInt("--batch", "Batch size (default: overfit 25, train 50)", min: 1);
        var lr = CliOptions.OptionalDouble("--lr", "Learning rate (default: overfit 5e-3, train 2e-3)");
        var decay = CliOptions.OptionalDouble("--decay", "Learning-rate decay per epoch (default: overfit 0.995, train 0.95)");
        var hidden = CliOptions.Int("--hidden", 512, "Hidden size of the recurrent cell", min: 1);
        var wordDim = CliOptions.Int("--word-dim", 256, "Word-vector size", min: 1);
        var beam = CliOptions.Int("--beam", 1, "Beam width for decoding (1 = greedy)", min: 1);
        var minCount = CliOptions.Int("--min-count", 1, "Vocabulary: minimum count of a word", min: 1);
        var maxWords = CliOptions.Int("--max-words", 16, "Caption length limit", min: 1);
        var data = CliOptions.String("--data", "generated", "generated shape scenes, a COCO captions JSON, or a cs231n HDF5 folder", "generated|PATH");
        var trainScenes = CliOptions.OptionalInt("--train-scenes", "Size of the generated training set (default: the experiment's)", min: 1);
        var valScenes = CliOptions.OptionalInt("--val-scenes", "Size of the generated validation set (default: the experiment's)", min: 1);
        var noCenter = CliOptions.Flag("--no-center", "Feed the raw features (default: subtract the training mean feature first)");
        var root = new RootCommand("Homework part 5: image captioning with the hand-written RNN/LSTM on ResNet18 features.");
        foreach (Option o in new Option[] { experiment, cell, epochs, batch, lr, decay, hidden, wordDim, beam, minCount, maxWords, data, trainScenes, valScenes, noCenter })
            root.Options.Add(o);
        run.AddTo(root);
        root.SetAction(r =>
        {
            var s = run.Read(r);
            var options = new CaptioningOptions
            {
                Experiment = r.GetValue(experiment)!,
                Cell = r.GetValue(cell)!,
                Captioner =
                {
                    HiddenDim = r.GetValue(hidden), WordDim = r.GetValue(wordDim), BeamWidth = r.GetValue(beam),
                    MinWordCount = r.GetValue(minCount), MaxWords = r.GetValue(maxWords), CenterFeatures = !r.GetValue(noCenter),
                },
                Data = r.GetValue(data)!,
                TrainScenes = r.GetValue(trainScenes),
                ValScenes = r.GetValue(valScenes),
                Run = s,
            };
            // Loop settings: the experiment's defaults, with what the command line gives.
            if (r.GetValue(epochs) is not null || r.GetValue(batch) is not null || r.GetValue(lr) is not null || r.GetValue(decay) is not null)
            {
                var t = CaptioningExperiment.DefaultTraining(options.Experiment, s.Quick);
                if (r.GetValue(epochs) is { } ev) t.Epochs = ev;
                if (r.GetValue(batch) is { } bv) t.BatchSize = bv;
                if (r.GetValue(lr) is { } lv) t.LearningRate = lv;
                if (r.GetValue(decay) is { } dv) t.Gamma = dv;
                options.Training = t;
            }
            var result = CaptioningExperiment.Run(options);

            Console.WriteLine($"{"cell",-5} {"final loss",10} {"train BLEU-4",12} {"val BLEU-1",10} {"val BLEU-4",10} {"train exact",11} {"val exact",9}");
            foreach (var c in result.Cells)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Cell,-5} {c.FinalLoss,10:0.0000} {c.TrainBleu.Bleu4,12:0.000} {c.ValBleu.Bleu1,10:0.000} {c.ValBleu.Bleu4,10:0.000} {c.TrainExactMatch,11:P0} {c.ValExactMatch,9:P0}"));
            foreach (var c in result.Cells)
            {
                Console.WriteLine($"\n{c.Cell} validation samples (generated | first reference):");
                foreach (var x in c.ValSamples.Take(options.SheetSamples)) Console.WriteLine($"  {x.Id}: {x.Generated} | {x.References.FirstOrDefault()}");
            }
            Console.WriteLine($"\nsheet {result.SheetPath}\nmetrics {result.MetricsMarkdownPath}");
            return CliApp.Success;
        });
        root.Subcommands.Add(PredictCommand());
        return root;
    }

    /// <summary><c>predict --model-file captioner-lstm.zip img.png ...</c>: one JSON line per image with its (greedy) caption.</summary>
    static Command PredictCommand() => CliOptions.ImagePredictCommand(
        "Caption images with a saved captioner (captioner-rnn.zip / captioner-lstm.zip, greedy decoding); no image: read paths from stdin, one per line. One JSON line per image on stdout",
        "A captioner written by a run, e.g. out/image-captioning-overfit/captioner-lstm.zip",
        (modelFile, paths, ml) =>
        {
            foreach (var p in paths) if (!File.Exists(p)) throw new FileNotFoundException($"image '{p}' not found", p);
            using var predictor = ImageCaptionPredictor.Load(modelFile, ml);
            foreach (var p in paths)
                Console.WriteLine(new JsonObject { ["image"] = p, ["caption"] = predictor.Caption(Path.GetFullPath(p)) }.ToJsonString(CliOptions.PredictJson));
            return CliApp.Success;
        });
}
