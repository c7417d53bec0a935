using System.CommandLine;
using MlNetHw.Style;

namespace MlNetHw.Cli;

/// <summary>pipelines/StyleTransfer: Gatys style transfer on a CNN's features (homework part 2).</summary>
public static class StyleTransferCommand
{
    /// <summary>Parses <paramref name="args"/> and runs style transfer; returns the exit code (<see cref="CliApp"/>: 0 ok, 1 failed, 2 usage error).</summary>
    public static int Run(string[] args) => CliApp.Run(Create(), args);

    /// <summary>The command tree of style transfer: its options with defaults and help, and the action that runs it.</summary>
    public static RootCommand Create()
    {
        var run = new RunOptionGroup(seed: 0, outDefault: Path.Combine("out", "style-transfer"), quickDescription: "128 px, 60 evaluations");
        var content = CliOptions.ExistingFile("--content", "Photo (default: astronaut.png from the dataset catalog)");
        var style = CliOptions.ExistingFile("--style", "Painting (default: starry_night.jpg from the dataset catalog)");
        var size = CliOptions.OptionalInt("--size", "Longer side of the result in pixels (default 256; 128 with --quick)", min: 1);
        var steps = CliOptions.OptionalInt("--steps", "Loss evaluations, forward + backward (default 300; 60 with --quick)", min: 1);
        var styleWeight = CliOptions.OptionalDouble("--style-weight", "Style weight (default: tuned for the packaged ResNet18, see docs/style-transfer.md; 1e6 with --model)");
        var contentWeight = CliOptions.Double("--content-weight", 1.0, "Content weight");
        var tvWeight = CliOptions.OptionalDouble("--tv-weight", "Total-variation weight (default: the packaged ResNet18's; 0 with --model)");
        var smoothing = new Option<string?>("--smoothing") { Description = "Activation smoothing before the Gram matrices, Wang et al. 2021 (default: softmax for the packaged ResNet18, none with --model)" };
        CliOptions.AcceptOnly(smoothing, "none", "softmax");
        var optimizer = CliOptions.Choice("--optimizer", "lbfgs", "Optimizer of the pixels", "lbfgs", "adam");
        var lr = CliOptions.OptionalDouble("--lr", "Learning rate (default 1 for L-BFGS, 0.02 for Adam)");
        var init = CliOptions.Choice("--init", "content", "Starting image", "content", "noise");
        var model = CliOptions.ExistingFile("--model", "Your own CNN as ONNX (with --style-layers and --content-layer, ONNX node output names)", "FILE.onnx");
        var normalize = CliOptions.String("--normalize", null, "Input normalisation of --model (default imagenet; pixels, RGB 0..255, for a graph MlNetHw exported such as finetune.onnx; cntk-bgr for the packaged ResNet18)", "cntk-bgr|imagenet|none|pixels");
        var styleLayers = CliOptions.List("--style-layers", "ONNX node outputs whose Gram matrices are matched (required with --model)", helpName: "a,b,c");
        var contentLayer = CliOptions.String("--content-layer", null, "ONNX node output of the content loss (required with --model)", "NAME");
        var sweep = CliOptions.DoubleList("--sweep", "Also run each style weight and write style-sweep.png", "w1,w2,...");
        var compare = CliOptions.Flag("--compare-smoothing", "Also run the other smoothing and write smoothing-comparison.png");
        var root = new RootCommand("Homework part 2: Gatys neural style transfer on the packaged ResNet18's features (or your own ONNX CNN).");
        foreach (Option o in new Option[] { content, style, size, steps, styleWeight, contentWeight, tvWeight, smoothing, optimizer, lr, init, model, normalize, styleLayers, contentLayer, sweep, compare })
            root.Options.Add(o);
        run.AddTo(root);
        root.SetAction(r =>
        {
            var s = run.Read(r);
            var o = new StyleTransferOptions
            {
                ContentPath = r.GetValue(content),
                StylePath = r.GetValue(style),
                ModelPath = r.GetValue(model),
                Normalization = r.GetValue(normalize),
                Size = r.GetValue(size) ?? (s.Quick ? 128 : 256),
                Steps = r.GetValue(steps) ?? (s.Quick ? 60 : 300),
                ContentWeight = r.GetValue(contentWeight),
                Optimizer = r.GetValue(optimizer) == "adam" ? StyleOptimizer.Adam : StyleOptimizer.Lbfgs,
                InitFromNoise = r.GetValue(init) == "noise",
                Run = s,
                CompareSmoothing = r.GetValue(compare),
                StyleWeight = r.GetValue(styleWeight),
                TvWeight = r.GetValue(tvWeight),
                LearningRate = r.GetValue(lr),
                Smoothing = r.GetValue(smoothing) switch { "none" => ActivationSmoothing.None, "softmax" => ActivationSmoothing.Softmax, _ => null },
            };
            if (r.GetValue(styleLayers) is { Count: > 0 } layers) o.StyleLayers = layers;
            if (r.GetValue(contentLayer) is { } cl) o.ContentLayer = cl;
            if (r.GetValue(sweep) is { Count: > 0 } weights) o.SweepStyleWeights = weights;

            var result = StyleTransferExperiment.Run(o);
            Console.WriteLine($"style loss {result.Main.InitialStyleLoss:G4} -> {result.Main.FinalStyleLoss:G4} ({result.Main.StyleReduction:0.#}x), " +
                              $"content loss {result.Main.InitialContentLoss:G4} -> {result.Main.FinalContentLoss:G4}");
            Console.WriteLine($"result {result.ResultPng}\nsheet  {result.SheetPng}\ncurves {result.LossCurvePng}" +
                              (result.SweepSheetPng is { } s1 ? $"\nsweep  {s1}" : "") + (result.SmoothingSheetPng is { } s2 ? $"\nsmoothing comparison {s2}" : ""));
            return CliApp.Success;
        });
        return root;
    }
}
