using MlNetHw.Cli;
using MlNetHw.Vision;

// Homework part 1: transfer learning with the packaged ResNet18 ('freeze' in ML.NET, 'finetune' in TorchSharp),
// plus a raw-pixel baseline. All logic is in MlNetHw.Vision.TransferLearningExperiment.
const string Usage = """
    TransferLearning [options]
      --mode freeze|finetune|both   scenarios to run (default both)
      --data FOLDER                 image folder with train/<class>/ and val/<class>/ (default: catalog fashion-mnist-2class)
      --epochs N                    finetune epochs (default 25)
      --batch N                     finetune batch size (default 4)
      --lr X                        finetune SGD learning rate (default 0.001)
      --momentum X                  SGD momentum (default 0.9)
      --step N --gamma X            StepLR schedule (default 7, 0.1)
      --bn-momentum X|file          BatchNorm momentum while training (default 0.1; 'file' keeps the CNTK value)
      --freeze-backbone             finetune trains only the new head
      --max-train N --max-val N     use at most N images per split (default all)
      --no-baseline                 skip the raw-pixel logistic regression
      --skip-non-images             skip non-image files in the data folder instead of failing
      --quick                       smoke run: 2 epochs, 32 train / 32 val images
      --seed N                      seed of everything random (default 0)
      --device auto|cpu|cuda        TorchSharp device (default auto)
      --threads N                   libtorch CPU threads (default: libtorch's, one per core; 1 is faster on a busy shared machine)
      --out FOLDER                  output folder (default out/transfer-learning)
    """;

var a = new CommandLineArgs(args);
if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
try
{
    var o = new TransferLearningOptions
    {
        Mode = a.Choice("--mode", "both", "freeze", "finetune", "both") switch
        {
            "freeze" => TransferMode.Freeze, "finetune" => TransferMode.Finetune, _ => TransferMode.Both,
        },
        DataFolder = a.String("--data"),
        OutputFolder = a.String("--out", Path.Combine("out", "transfer-learning"))!,
        Seed = a.Number("--seed", 0),
        Device = a.String("--device", "auto")!,
        Quick = a.Flag("--quick"),
        RunBaseline = !a.Flag("--no-baseline"),
        SkipNonImages = a.Flag("--skip-non-images"),
        MaxTrainImages = a.Number("--max-train", 0),
        MaxValImages = a.Number("--max-val", 0),
        Threads = a.Number("--threads", 0),
    };
    var f = o.Finetune;
    f.Epochs = a.Number("--epochs", f.Epochs);
    f.BatchSize = a.Number("--batch", f.BatchSize);
    f.LearningRate = a.Number("--lr", f.LearningRate);
    f.Momentum = a.Number("--momentum", f.Momentum);
    f.LrStepEpochs = a.Number("--step", f.LrStepEpochs);
    f.LrGamma = a.Number("--gamma", f.LrGamma);
    string bn = a.String("--bn-momentum", "0.1")!;
    f.BatchNormMomentum = bn == "file" ? null : double.Parse(bn, System.Globalization.CultureInfo.InvariantCulture);
    f.FreezeBackbone = a.Flag("--freeze-backbone");
    a.ThrowOnUnknown();

    var result = TransferLearningExperiment.Run(o);
    Console.WriteLine($"wrote {result.SummaryPath}, {result.ConfusionMatrixPath}, {result.AccuracyCurvesPath}");
    return 0;
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or FormatException
                              or MlNetHw.Onnx.OnnxFormatException or InvalidOperationException)
{
    // The innermost message is the useful one (ML.NET wraps worker exceptions).
    var messages = new List<string>();
    for (Exception? x = e; x is not null; x = x.InnerException) messages.Add(x.Message);
    Console.Error.WriteLine("error: " + string.Join(" ← ", messages.Distinct()));
    return 1;
}
