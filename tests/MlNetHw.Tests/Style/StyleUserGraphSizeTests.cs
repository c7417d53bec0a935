using MlNetHw.Backbones;
using MlNetHw.Onnx;
using MlNetHw.Style;
using MlNetHw.Vision;
using TorchSharp;

namespace MlNetHw.Tests.Style;

/// <summary>
/// Issue 17, part 2: style transfer with --model graphs at a size other than their declared input. A graph with
/// built-in preprocessing (the finetune export: fixed 256×256 'Pixels', a 224×224 mean image inside) used to fail
/// inside libtorch; images are now resized to its input size, which the log and the result say. A plain torchvision
/// graph keeps the requested size.
/// </summary>
[TestClass]
[TestCategory("Style")]
[DoNotParallelize]
public sealed class StyleUserGraphSizeTests
{
    static string _dir = "";

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("mlnethw-style-user-graph").FullName;
        using (var c = Vision.TestImages.Draw(31, 64, 40)) Vision.TestImages.Save(c, Path.Combine(_dir, "photo.png"));
        using (var s = Vision.TestImages.Draw(32, 60, 60)) Vision.TestImages.Save(s, Path.Combine(_dir, "painting.jpg"));
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    static StyleTransferOptions Options(string model, string name, IReadOnlyList<string> styleLayers, string contentLayer, TextWriter? log = null) => new()
    {
        ContentPath = Path.Combine(_dir, "photo.png"), StylePath = Path.Combine(_dir, "painting.jpg"), ModelPath = model,
        StyleLayers = styleLayers, ContentLayer = contentLayer, Size = 48, Steps = 2,
        Run = new() { Seed = 1, Device = "cpu", OutputDirectory = Path.Combine(_dir, name), Threads = 2, Log = log ?? TextWriter.Null },
    };

    [TestMethod]
    public void TheFinetuneExportRunsAtAnotherSizeByResizingToItsInput()
    {
        string onnx = Path.Combine(_dir, "finetune.onnx");
        torch.manual_seed(0);
        using (var net = new ResNet18Network(2)) FinetuneExport.ToOnnx(net, 256).Save(onnx);
        var log = new StringWriter();
        var o = Options(onnx, "finetune", new[] { "ReLU253_Output_0", "ReLU283_Output_0" }, "ReLU283_Output_0", log);
        var r = StyleTransferExperiment.Run(o);
        Console.WriteLine(log);
        Assert.IsNotNull(r.ModelInputNote, "the result says the images were resized");
        StringAssert.Contains(r.ModelInputNote, "256x256");
        StringAssert.Contains(log.ToString(), "note: finetune.onnx only runs at its fixed 256x256 input");
        StringAssert.Contains(r.Settings, "pixels", "an MlNetHw export takes RGB 0..255 (its preprocessing is inside)");
        StringAssert.Contains(File.ReadAllText(r.SummaryMarkdown), "resized to 256x256");
        Assert.AreEqual(48, r.Width, "the result keeps the requested size");
        Assert.AreEqual(2, r.Main.Samples.Count);
        Assert.IsTrue(r.Main.Samples.All(s => double.IsFinite(s.Total)) && r.Main.InitialStyleLoss > 0, "finite, non-zero losses");
    }

    [TestMethod]
    public void APlainTorchvisionGraphKeepsTheRequestedSize()
    {
        string onnx = Vision.TorchvisionGraphs.Path("resnet18");
        var relus = OnnxModel.Load(onnx).Graph.Nodes.Where(n => n.OpType == "Relu").Select(n => n.Outputs[0]).Take(3).ToList();
        var r = StyleTransferExperiment.Run(Options(onnx, "torchvision", relus, relus[^1]));
        Assert.IsNull(r.ModelInputNote, "a torchvision graph runs at any size: no resize (its declared input is 64x64)");
        Assert.AreEqual(48, r.Width);
        StringAssert.Contains(r.Settings, "imagenet");
        Assert.IsTrue(r.Main.Samples.All(s => double.IsFinite(s.Total)));
    }

    [TestMethod]
    public void TheMemoryEstimateOfAFixedSizeGraphIsItsActivationsAtThatSizeWhateverTheRequestedSize()
    {
        string onnx = Path.Combine(_dir, "finetune-estimate.onnx");
        torch.manual_seed(0);
        using (var net = new ResNet18Network(2)) FinetuneExport.ToOnnx(net, 256).Save(onnx);
        var layers = new[] { "ReLU253_Output_0", "ReLU283_Output_0" };
        using var extractor = OnnxFeatureExtractor.FromFile(onnx, ImageNormalization.FromName(OnnxFeatureExtractor.DefaultNormalization(onnx).Name), torch.CPU);
        Assert.IsNotNull(extractor.FitInput(48, 48, layers), "images are resized to the graph's 256x256 input");
        var small = MemoryEstimate.For(extractor, layers, 48, 48, lbfgsHistory: 10);
        var large = MemoryEstimate.For(extractor, layers, 480, 480, lbfgsHistory: 10);
        Assert.AreEqual(small.ActivationBytes, large.ActivationBytes, "the network only ever sees 256x256");
        Assert.IsTrue(large.OptimizerBytes > small.OptimizerBytes, "the image and L-BFGS buffers do grow with the requested size");
        // What the network really holds for one image: every feature map up to the deepest layer asked for.
        long held;
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
        {
            var names = extractor.LayerNames;
            var upTo = names.Take(names.ToList().IndexOf(layers[^1]) + 1).ToList();
            held = extractor.Extract(torch.full(new long[] { 1, 3, 48, 48 }, 0.5f), upTo).Values.Sum(t => t.numel()) * 4;
        }
        Assert.AreEqual(held, small.ActivationBytes, "activations at the graph's own size, not scaled by 48x48 / 96x96");
    }
}
