using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MlNetHw.Vision;

namespace MlNetHw.Cli;

/// <summary>
/// pipelines/TransferLearning (homework part 1): the packaged ResNet18, 'freeze' in ML.NET and 'finetune' in TorchSharp,
/// plus a raw-pixel baseline.
/// </summary>
public static class TransferLearningCommand
{
    /// <summary>Parses <paramref name="args"/> and runs transfer learning; returns the exit code (<see cref="CliApp"/>: 0 ok, 1 failed, 2 usage error).</summary>
    public static int Run(string[] args) => CliApp.Run(Create(), args);

    /// <summary>The command tree of transfer learning: its options with defaults and help, and the action that runs it.</summary>
    public static RootCommand Create()
    {
        var d = FinetuneOptions.TutorialRecipe();
        var run = new RunOptionGroup(seed: 0, outDefault: Path.Combine("out", "transfer-learning"), quickDescription: "Smoke run: 2 epochs, 32 train / 32 val images");
        var mode = CliOptions.Choice("--mode", "both", "Scenarios to run", "freeze", "finetune", "both");
        var data = CliOptions.ExistingFolder("--data", "Image folder with train/<class>/ and val/<class>/ (default: catalog fashion-mnist-2class)", "FOLDER");
        var epochs = CliOptions.Int("--epochs", d.Epochs, "Finetune epochs", min: 1);
        var batch = CliOptions.Int("--batch", d.BatchSize, "Finetune batch size", min: 1);
        var lr = CliOptions.Double("--lr", d.LearningRate, "Finetune SGD learning rate");
        var momentum = CliOptions.Double("--momentum", d.Momentum, "SGD momentum");
        var step = CliOptions.Int("--step", d.StepSize, "StepLR: epochs between learning-rate drops", min: 1);
        var gamma = CliOptions.Double("--gamma", d.Gamma, "StepLR: factor of each drop");
        var bn = CliOptions.String("--bn-momentum", "0.1", "BatchNorm momentum while training ('file' keeps the CNTK value)", "X|file");
        bn.Validators.Add(r =>
        {
            string v = r.GetValueOrDefault<string?>() ?? "";
            if (v != "file" && !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                r.AddError($"--bn-momentum must be a number or 'file' (got '{v}').");
        });
        var freezeBackbone = CliOptions.Flag("--freeze-backbone", "Finetune trains only the new head");
        var maxTrain = CliOptions.Int("--max-train", 0, "Use at most N training images (0 = all)", min: 0);
        var maxVal = CliOptions.Int("--max-val", 0, "Use at most N validation images (0 = all)", min: 0);
        var noBaseline = CliOptions.Flag("--no-baseline", "Skip the raw-pixel logistic regression");
        var skipNonImages = CliOptions.Flag("--skip-non-images", "Skip non-image files in the data folder instead of failing");
        var model = CliOptions.ExistingFile("--model", "Your own backbone: an ONNX classification CNN (e.g. a torchvision export) used by freeze and finetune instead of the packaged ResNet18", "FILE.onnx");
        var cutAt = CliOptions.String("--cut-at", null, "With --model: the node output whose features feed the new head (default: detected, the input of the last Gemm/MatMul classifier)", "NODE_OUTPUT");
        var normalize = CliOptions.String("--normalize", null, "With --model: input normalisation (default imagenet)", "imagenet|cntk-bgr|none");
        CliOptions.AcceptOnly(normalize, "imagenet", "cntk-bgr", "none");
        var mean = CliOptions.DoubleList("--mean", "With --model: per-channel mean, R,G,B in [0,1] units (with --std; replaces --normalize)", "R,G,B");
        var std = CliOptions.DoubleList("--std", "With --model: per-channel std, R,G,B in [0,1] units (with --mean)", "R,G,B");
        var inputSize = CliOptions.OptionalInt("--input-size", "With --model: side of the square input (default: the graph's fixed input size, else 224)", min: 8);
        var root = new RootCommand("Homework part 1: transfer learning with the packaged ResNet18 or your own ONNX backbone ('freeze' in ML.NET, 'finetune' in TorchSharp), plus a raw-pixel baseline.");
        foreach (Option o in new Option[] { mode, data, model, cutAt, normalize, mean, std, inputSize, epochs, batch, lr, momentum, step, gamma, bn, freezeBackbone, maxTrain, maxVal, noBaseline, skipNonImages })
            root.Options.Add(o);
        run.AddTo(root);
        root.SetAction(r =>
        {
            var s = run.Read(r);
            var o = new TransferLearningOptions
            {
                Mode = r.GetValue(mode) switch { "freeze" => TransferMode.Freeze, "finetune" => TransferMode.Finetune, _ => TransferMode.Both },
                DataFolder = r.GetValue(data),
                Run = s,
                RunBaseline = !r.GetValue(noBaseline),
                SkipNonImages = r.GetValue(skipNonImages),
                MaxTrainImages = r.GetValue(maxTrain),
                MaxValImages = r.GetValue(maxVal),
            };
            var f = o.Finetune;
            var t = f.Training; // the shared loop's settings, set directly
            t.Epochs = r.GetValue(epochs);
            t.BatchSize = r.GetValue(batch);
            t.LearningRate = r.GetValue(lr);
            t.Momentum = r.GetValue(momentum);
            t.StepSize = r.GetValue(step);
            t.Gamma = r.GetValue(gamma);
            string bnValue = r.GetValue(bn)!;
            f.BatchNormMomentum = bnValue == "file" ? null : double.Parse(bnValue, CultureInfo.InvariantCulture);
            f.FreezeBackbone = r.GetValue(freezeBackbone);
            var m = r.GetValue(mean) ?? Array.Empty<double>();
            var sd = r.GetValue(std) ?? Array.Empty<double>();
            if (r.GetValue(model) is { } modelPath)
                o.Backbone = new BackboneOptions
                {
                    ModelPath = modelPath, CutAt = r.GetValue(cutAt), Normalization = r.GetValue(normalize), InputSize = r.GetValue(inputSize),
                    Mean = m.Count > 0 ? m.Select(v => (float)v).ToList() : null,
                    Std = sd.Count > 0 ? sd.Select(v => (float)v).ToList() : null,
                };
            else if (r.GetValue(cutAt) is not null || r.GetValue(normalize) is not null || r.GetValue(inputSize) is not null || m.Count > 0 || sd.Count > 0)
                throw new CliUsageException("--cut-at, --normalize, --mean, --std and --input-size need --model FILE.onnx (the packaged ResNet18 has fixed settings).");

            var result = TransferLearningExperiment.Run(o);
            Console.WriteLine($"wrote {result.SummaryPath}, {result.ConfusionMatrixPath}, {result.AccuracyCurvesPath}");
            return CliApp.Success;
        });
        root.Subcommands.Add(PredictCommand());
        return root;
    }

    /// <summary><c>predict --model-file finetune.zip img.png ...</c>: one JSON line per image (label and class probabilities).</summary>
    static Command PredictCommand() => CliOptions.ImagePredictCommand(
        "Classify images with a saved model (baseline.zip, freeze.zip or finetune.zip); no image: read paths from stdin, one per line. One JSON line per image on stdout",
        "A model written by a run, e.g. out/transfer-learning/finetune.zip",
        (modelFile, paths, ml) =>
        {
            var predictor = new ImageClassifierPredictor(ml, modelFile);
            foreach (var p in predictor.Predict(paths))
            {
                var probabilities = new JsonObject();
                foreach (var (c, v) in p.Probabilities) probabilities[c] = v;
                Console.WriteLine(new JsonObject { ["image"] = p.ImagePath, ["label"] = p.Label, ["probabilities"] = probabilities }.ToJsonString(CliOptions.PredictJson));
            }
            return CliApp.Success;
        });
}
