using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetHw.Data;
using MlNetHw.Onnx;
using MlNetHw.Vision;
using TorchSharp;
using static MlNetHw.Tests.Cli.ProgramsCommandLineTests;

namespace MlNetHw.Tests.Vision;

/// <summary>
/// Issue 17, bring your own backbone: a torchvision graph (random weights, exported by the repository's script) used
/// by 'finetune' and 'freeze' instead of the packaged ResNet18 — the cut point is found, the saved zips are plain
/// ML.NET and reproduce the TorchSharp network, and a bad file, node or operator is refused naming it (exit 2).
/// </summary>
[TestClass]
[TestCategory("Vision")]
[DoNotParallelize]
public sealed class BringYourOwnBackboneTests
{
    static string _dir = "";
    static string _data = "";

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("mlnethw-byo").FullName;
        _data = TinyImageFolder.Create(trainPerClass: 4, valPerClass: 2);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        foreach (var d in new[] { _dir, _data }) try { Directory.Delete(d, true); } catch (IOException) { }
    }

    [TestMethod]
    public void TheCutPointIsTheInputOfTheClassifierOfTorchvisionGraphs()
    {
        foreach (var (arch, features) in new[] { ("resnet18", 512), ("mobilenet_v2", 1280) })
        {
            var b = OnnxBackbone.Load(new BackboneOptions { ModelPath = TorchvisionGraphs.Path(arch) });
            var model = OnnxModel.Load(TorchvisionGraphs.Path(arch));
            var producer = model.Graph.Nodes.Single(n => n.Outputs.Contains(b.CutAt));
            Console.WriteLine($"{arch}: {b.Describe()}");
            Assert.AreEqual("GlobalAveragePool", producer.OpType, $"{arch}: the pooled features, not '{b.CutAt}'");
            Assert.AreEqual(features, b.FeatureCount, arch);
            CollectionAssert.AreEqual(new long[] { 1, features, 1, 1 }, b.FeatureShape.ToArray(), arch);
            Assert.AreEqual(64, b.InputSize, $"{arch}: the graph's fixed input size");
            StringAssert.Contains(b.CutReason, "Gemm", arch);
            // The cut graph ends there: the old classifier is gone.
            Assert.IsFalse(b.CutModel.Graph.Nodes.Any(n => n.OpType == "Gemm"), $"{arch}: the cut graph still has the classifier");
        }
        // The hand-built graph: the same rule (Flatten skipped), and a graph without a classifier keeps its output.
        var tiny = OnnxGraphCut.DetectFeatureOutput(TorchvisionGraphs.TinyCnn());
        Assert.AreEqual("pooled", tiny.Name, tiny.Reason);
        var noHead = TorchvisionGraphs.TinyCnn();
        noHead.Graph.Nodes.RemoveAll(n => n.OpType is "Gemm" or "Flatten");
        noHead.Graph.Outputs.Clear();
        noHead.Graph.Outputs.Add(OnnxValueInfo.Tensor("pooled", null, 4, 1, 1));
        Assert.AreEqual("pooled", OnnxGraphCut.DetectFeatureOutput(noHead).Name);
    }

    [TestMethod]
    public void FinetuneOfATorchvisionGraphSavesAPlainZipThatReproducesTheNetwork()
    {
        var backbone = OnnxBackbone.Load(new BackboneOptions { ModelPath = TorchvisionGraphs.Path("resnet18"), InputSize = 32 });
        var data = ImageFolderReader.Read(_data);
        var options = new FinetuneOptions { Training = { Epochs = 1, BatchSize = 4, Seed = 3, Device = "cpu" } }.UseBackbone(backbone);
        Assert.AreEqual(37, options.ResizeSize, "the tutorial's 256:224 ratio");
        var run = ResNet18FinetuneTrainer.Train(data, options, TextWriter.Null);
        Assert.IsInstanceOfType<BackboneNetwork>(run.Model);
        Assert.IsTrue(double.IsFinite(run.History[0].TrainLoss));

        var ml = new MLContext(seed: 0);
        string zip = Path.Combine(_dir, "finetune.zip"), onnx = Path.Combine(_dir, "finetune.onnx");
        FinetuneExport.Save(ml, run.Model, data.Classes, onnx, zip, options.ResizeSize);

        // The pixels ML.NET feeds the graph (37² IsoCrop) through the TorchSharp network (centre 32², as the graph's Slice).
        var paths = data.Validation.Rows.Select(v => v.ImagePath).ToArray();
        var pixels = Pixels(ml, paths, options.ResizeSize);
        float[][] torchProbs;
        using (var scope = torch.NewDisposeScope())
        using (var noGrad = torch.no_grad())
        {
            run.Model.eval();
            var x = torch.tensor(pixels.SelectMany(p => p).ToArray(), new long[] { paths.Length, 3, 37, 37 })[.., .., 2..34, 2..34];
            var probs = run.Model.forward(x).softmax(1);
            torchProbs = Enumerable.Range(0, paths.Length).Select(i => probs[i].data<float>().ToArray()).ToArray();
        }
        var loaded = new MLContext(seed: 1).Model.Load(zip, out _);
        var fresh = ImageRows.Evaluate(new MLContext(seed: 1), loaded, data.Validation);
        float worst = 0;
        for (int i = 0; i < paths.Length; i++)
            for (int k = 0; k < 2; k++) worst = Math.Max(worst, Math.Abs(fresh.Predictions[i].Probabilities[k] - torchProbs[i][k]));
        Console.WriteLine($"fresh MLContext vs TorchSharp max probability difference {worst:E2}");
        Assert.IsTrue(worst <= 1e-5f, $"zip vs TorchSharp max probability difference {worst}");

        // A process with ML.NET packages only.
        var lines = TransferLearningTests.RunConsumer(zip, paths);
        float worstConsumer = 0;
        for (int i = 0; i < paths.Length; i++)
        {
            var parts = lines[i].Split('\t');
            Assert.AreEqual(data.Classes[Array.IndexOf(torchProbs[i], torchProbs[i].Max())], parts[0], $"image {i}");
            var scores = parts[1].Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            for (int k = 0; k < 2; k++) worstConsumer = Math.Max(worstConsumer, Math.Abs(scores[k] - torchProbs[i][k]));
        }
        Assert.IsTrue(worstConsumer <= 1e-5f, $"ML.NET-only process vs TorchSharp max probability difference {worstConsumer}");
        run.Model.Dispose();
    }

    [TestMethod]
    public void TheFreezeFeatureGraphGivesTheTorchSharpFeatures()
    {
        var backbone = OnnxBackbone.Load(new BackboneOptions { ModelPath = TorchvisionGraphs.Path("mobilenet_v2"), InputSize = 32, Normalization = "cntk-bgr" });
        string onnx = Path.Combine(_dir, "features.onnx");
        BackboneExport.Features(backbone, 32).Save(onnx);
        var ml = new MLContext(seed: 0);
        var paths = ImageFolderReader.Read(_data).Validation.Rows.Select(r => r.ImagePath).ToArray();
        var rows = ml.Data.LoadFromEnumerable(paths.Select(p => new ImageRow { ImagePath = p }));
        var chain = ml.Transforms.LoadImages("Image", "", nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", 32, 32, resizing: ImageResizingEstimator.ResizingKind.IsoCrop))
            .Append(ml.Transforms.ExtractPixels(FinetuneExport.InputName, "Image"))
            .Append(ml.Transforms.ApplyOnnxModel(new[] { BackboneExport.FeaturesName }, new[] { FinetuneExport.InputName }, onnx));
        var scored = chain.Fit(rows).Transform(rows);
        var ort = scored.GetColumn<float[]>(BackboneExport.FeaturesName).ToList();
        var pixels = scored.GetColumn<float[]>(FinetuneExport.InputName).ToList();
        using var net = backbone.CreateNetwork(2);
        net.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var features = net.Features(torch.tensor(pixels.SelectMany(p => p).ToArray(), new long[] { paths.Length, 3, 32, 32 }));
        Assert.AreEqual(1280L, features.shape[1]);
        double scale = features.abs().max().item<float>(), worst = 0;
        Assert.IsTrue(scale > 0, "features are all zero");
        for (int i = 0; i < paths.Length; i++)
        {
            var t = features[i].data<float>().ToArray();
            Assert.AreEqual(t.Length, ort[i].Length);
            for (int k = 0; k < t.Length; k++) worst = Math.Max(worst, Math.Abs(t[k] - ort[i][k]));
        }
        Console.WriteLine($"ONNX Runtime vs TorchSharp features: max difference {worst:E2} of max {scale:G3}");
        Assert.IsTrue(worst <= 1e-4 * scale, $"max difference {worst} (features up to {scale})");
    }

    [TestMethod]
    public void TheProgramFreezesAndFinetunesAUserGraphIntoPlainZips()
    {
        string outDir = Path.Combine(_dir, "run");
        var sw = Stopwatch.StartNew();
        var r = Start("TransferLearning", "--model", TorchvisionGraphs.Path("resnet18"), "--input-size", "32", "--data", _data,
            "--epochs", "1", "--batch", "4", "--no-baseline", "--threads", "2", "--out", outDir);
        Console.WriteLine($"{sw.Elapsed.TotalSeconds:F0} s\n{r.StdErr}");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        StringAssert.Contains(r.StdErr, "features from '/avgpool/GlobalAveragePool_output_0'", "the log names the cut");
        StringAssert.Contains(r.StdErr, "512 features", "and its size");
        StringAssert.Contains(r.StdErr, "input 32x32 (--input-size)");
        StringAssert.Contains(File.ReadAllText(Path.Combine(outDir, "summary.md")), "resnet18_op13_preserve.onnx");
        Assert.IsTrue(File.Exists(Path.Combine(outDir, "freeze-features.onnx")));
        var val = ImageFolderReader.Read(_data).Validation;
        foreach (var name in new[] { "freeze", "finetune" })
        {
            var ml = new MLContext(seed: 2);
            var model = ml.Model.Load(Path.Combine(outDir, $"{name}.zip"), out _);
            var outcome = ImageRows.Evaluate(ml, model, val);
            Assert.AreEqual(val.Count, outcome.Predictions.Count, name);
            foreach (var p in outcome.Predictions)
                Assert.AreEqual(1.0, p.Probabilities.Sum(), 1e-4, $"{name}: probabilities of {p.Path}");
            var lines = TransferLearningTests.RunConsumer(Path.Combine(outDir, $"{name}.zip"), val.Rows.Select(v => v.ImagePath).ToArray());
            Assert.AreEqual(val.Count, lines.Count, name);
            for (int i = 0; i < val.Count; i++)
                Assert.AreEqual(val.Classes[outcome.Predictions[i].Predicted], lines[i].Split('\t')[0], $"{name}: ML.NET-only process, image {i}");
        }
    }

    [TestMethod]
    public void ABadFileNodeOrOperatorIsRefusedNamingIt()
    {
        string notOnnx = Path.Combine(_dir, "notes.onnx");
        File.WriteAllText(notOnnx, "this is a text file, not a model");
        string tiny = Path.Combine(_dir, "tiny.onnx");
        TorchvisionGraphs.TinyCnn().Save(tiny);
        string odd = Path.Combine(_dir, "odd.onnx");
        TorchvisionGraphs.TinyCnn(unsupportedOp: "FancyPool").Save(odd);
        string[] Args(params string[] a) => a.Concat(new[] { "--data", _data, "--no-baseline", "--threads", "1", "--out", Path.Combine(_dir, "refused") }).ToArray();

        AssertUsageError(Start("TransferLearning", Args("--model", notOnnx)), "--model", "notes.onnx", "not a readable ONNX model");
        AssertUsageError(Start("TransferLearning", Args("--model", tiny, "--cut-at", "no_such_node")),
            "--cut-at 'no_such_node'", "tiny.onnx", "pooled (GlobalAveragePool)", "logits (Gemm)");
        AssertUsageError(Start("TransferLearning", Args("--model", tiny, "--cut-at", "maps3d")), "--cut-at 'maps3d'", "tiny.onnx", "3-D");
        AssertUsageError(Start("TransferLearning", Args("--model", odd)), "odd.onnx", "FancyPool");
        AssertUsageError(Start("TransferLearning", Args("--cut-at", "pooled")), "--cut-at", "--model");
        Assert.IsFalse(Directory.Exists(Path.Combine(_dir, "refused")), "a refused run writes nothing");
    }

    static List<float[]> Pixels(MLContext ml, string[] paths, int size)
    {
        var chain = ml.Transforms.LoadImages("Image", "", nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", size, size, resizing: ImageResizingEstimator.ResizingKind.IsoCrop))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"));
        var rows = ml.Data.LoadFromEnumerable(paths.Select(p => new ImageRow { ImagePath = p }));
        return chain.Fit(rows).Transform(rows).GetColumn<float[]>("Pixels").ToList();
    }
}
