using System.Globalization;
using MlNetHw.Cli;
using MlNetHw.Style;

// Thin entry point: parse options, run MlNetHw.Style.StyleTransferExperiment, print where the files are.
var cli = new CommandLineArgs(args);
const string Usage = """
usage: dotnet run -c Release --project pipelines/StyleTransfer -- [options]
  --content FILE          photo (default: astronaut.png from the dataset catalog)
  --style FILE            painting (default: starry_night.jpg from the dataset catalog)
  --size N                longer side of the result in pixels (default 256)
  --steps N               loss evaluations, forward + backward (default 300)
  --style-weight W        default: tuned for the packaged ResNet18 (see docs/style-transfer.md); 1e6 with --model
  --content-weight W      default 1
  --tv-weight W           total-variation weight (default 0)
  --smoothing none|softmax  activation smoothing before the Gram matrices (Wang et al. 2021)
  --optimizer lbfgs|adam  default lbfgs;  --lr X  (default 1 for L-BFGS, 0.02 for Adam)
  --init content|noise    starting image (default content)
  --model FILE.onnx       your own CNN (with --style-layers a,b,c --content-layer d, ONNX node output names)
  --normalize cntk-bgr|imagenet|none   input normalisation of --model (default imagenet)
  --style-layers a,b,c    --content-layer d
  --sweep w1,w2,...       also run each style weight and write style-sweep.png
  --compare-smoothing     also run the other smoothing and write smoothing-comparison.png
  --threads N             libtorch CPU threads (default: one per core; 1 is faster on a busy shared machine)
  --seed N  --device auto|cpu|cuda  --out DIR (default out/style-transfer)  --quick (128 px, 60 evaluations)
""";
try
{
    bool quick = cli.Flag("--quick");
    var o = new StyleTransferOptions
    {
        ContentPath = cli.String("--content"),
        StylePath = cli.String("--style"),
        ModelPath = cli.String("--model"),
        Normalization = cli.String("--normalize"),
        Size = cli.Number("--size", quick ? 128 : 256),
        Steps = cli.Number("--steps", quick ? 60 : 300),
        ContentWeight = cli.Number("--content-weight", 1.0),
        Optimizer = cli.Choice("--optimizer", "lbfgs", "lbfgs", "adam") == "adam" ? StyleOptimizer.Adam : StyleOptimizer.Lbfgs,
        InitFromNoise = cli.Choice("--init", "content", "content", "noise") == "noise",
        Seed = cli.Number("--seed", 0),
        Device = cli.String("--device", "auto")!,
        OutputDirectory = cli.String("--out", Path.Combine("out", "style-transfer"))!,
        CompareSmoothing = cli.Flag("--compare-smoothing"),
    };
    if (cli.String("--style-weight") is { } sw) o.StyleWeight = Parse(sw, "--style-weight");
    if (cli.String("--tv-weight") is { } tv) o.TvWeight = Parse(tv, "--tv-weight");
    if (cli.String("--lr") is { } lr) o.LearningRate = Parse(lr, "--lr");
    if (cli.String("--threads") is { } th) o.Threads = (int)Parse(th, "--threads");
    if (cli.String("--smoothing") is { } sm)
        o.Smoothing = sm switch { "none" => ActivationSmoothing.None, "softmax" => ActivationSmoothing.Softmax, _ => throw new ArgumentException($"--smoothing must be none or softmax (got '{sm}').") };
    var styleLayers = cli.List("--style-layers", Array.Empty<string>());
    if (styleLayers.Count > 0) o.StyleLayers = styleLayers;
    o.ContentLayer = cli.String("--content-layer");
    var sweep = cli.List("--sweep", Array.Empty<string>());
    if (sweep.Count > 0) o.SweepStyleWeights = sweep.Select(s => Parse(s, "--sweep")).ToList();
    if (cli.HelpRequested) { Console.WriteLine(Usage); return 0; }
    cli.ThrowOnUnknown();

    var r = StyleTransferExperiment.Run(o);
    Console.WriteLine($"style loss {r.Main.InitialStyleLoss:G4} -> {r.Main.FinalStyleLoss:G4} ({r.Main.StyleReduction:0.#}x), " +
                      $"content loss {r.Main.InitialContentLoss:G4} -> {r.Main.FinalContentLoss:G4}");
    Console.WriteLine($"result {r.ResultPng}\nsheet  {r.SheetPng}\ncurves {r.LossCurvePng}" +
                      (r.SweepSheetPng is { } s1 ? $"\nsweep  {s1}" : "") + (r.SmoothingSheetPng is { } s2 ? $"\nsmoothing comparison {s2}" : ""));
    return 0;
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or InvalidDataException or MlNetHw.Datasets.DatasetUnavailableException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("run with --help for the options.");
    return 2;
}

static double Parse(string s, string option) =>
    double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
        : throw new ArgumentException($"{option} must be a number (got '{s}').");
