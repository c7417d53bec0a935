using MlNetHw.Style;
using MlNetHw.Onnx;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Style;

/// <summary>
/// The experiment end to end at tiny sizes on the packaged ResNet18 and on a user ONNX file: files written,
/// same seed gives the same image, and bad input (files, layer names, sizes) fails early with clear messages.
/// </summary>
[TestClass]
[TestCategory("Style")]
public sealed class StyleTransferExperimentTests
{
    static string _dir = "";

    static int _threads;

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        _threads = torch.get_num_threads(); // the runs below use one thread (tiny images; see StyleTransferOptions.Threads)
        _dir = Path.Combine(Path.GetTempPath(), "mlnethw-style-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(_dir);
        using (var c = Vision.TestImages.Draw(21, 64, 40)) Vision.TestImages.Save(c, Path.Combine(_dir, "photo.png"));
        using (var s = Vision.TestImages.Draw(22, 60, 60)) Vision.TestImages.Save(s, Path.Combine(_dir, "painting.jpg"));
        File.WriteAllText(Path.Combine(_dir, "broken.png"), "this is not an image");
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        torch.set_num_threads(_threads);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    static StyleTransferOptions Tiny(string outName, int seed = 3) => new()
    {
        ContentPath = Path.Combine(_dir, "photo.png"),
        StylePath = Path.Combine(_dir, "painting.jpg"),
        Size = 48, Steps = 8, InitFromNoise = true,
        Run = new() { Seed = seed, Device = "cpu", OutputDirectory = Path.Combine(_dir, outName), Threads = 1 },
    };

    static Tensor Pixels(string png)
    {
        using var bmp = SKBitmap.Decode(png);
        Assert.IsNotNull(bmp, png);
        return StyleImages.ToTensor(bmp, bmp.Height, bmp.Width);
    }

    [TestMethod]
    public void SameSeedGivesTheSameImageAndAllFilesAreWritten()
    {
        var a = StyleTransferExperiment.Run(Tiny("a"));
        var b = StyleTransferExperiment.Run(Tiny("b"));
        using var scope = NewDisposeScope();
        var pa = Pixels(a.ResultPng);
        var pb = Pixels(b.ResultPng);
        CollectionAssert.AreEqual(new long[] { 1, 3, 32, 48 }, pa.shape, "longer side = --size, aspect kept (64x40 photo -> 48x30), sides multiples of 16");
        double diff = (pa - pb).abs().max().item<float>();
        Assert.IsTrue(diff <= 1 / 255.0 + 1e-6, $"same seed: max pixel difference {diff * 255:0.##}/255");
        Assert.AreEqual(8, a.Main.Samples.Count);
        Assert.AreEqual(a.Main.FinalStyleLoss, b.Main.FinalStyleLoss, Math.Abs(a.Main.FinalStyleLoss) * 1e-4);
        foreach (var f in new[] { a.SheetPng, a.LossCurvePng }) Assert.IsNotNull(SKBitmap.Decode(f), f);
        StringAssert.Contains(File.ReadAllText(a.SummaryMarkdown), "style loss");

        var other = Tiny("c", seed: 4);
        other.Steps = 1; // the start differs; one evaluation is enough to see it
        var c = StyleTransferExperiment.Run(other);
        var pc = Pixels(c.ResultPng);
        Assert.IsTrue((pa - pc).abs().max().item<float>() > 0.1, "a different seed starts from different noise");
    }

    [TestMethod]
    public void MissingOrUnreadableImagesAreNamed()
    {
        var o = Tiny("missing");
        o.ContentPath = Path.Combine(_dir, "nope.png");
        var e1 = Assert.ThrowsExactly<FileNotFoundException>(() => StyleTransferExperiment.Run(o));
        StringAssert.Contains(e1.Message, "--content");
        StringAssert.Contains(e1.Message, "nope.png");

        o = Tiny("broken");
        o.StylePath = Path.Combine(_dir, "broken.png");
        var e2 = Assert.ThrowsExactly<InvalidDataException>(() => StyleTransferExperiment.Run(o));
        StringAssert.Contains(e2.Message, "--style");
        StringAssert.Contains(e2.Message, "broken.png");
        Assert.IsFalse(Directory.Exists(o.Run.OutputDirectory), "nothing is written for bad input");
    }

    [TestMethod]
    public void UnknownLayerNamesListTheValidOnes()
    {
        var o = Tiny("layers");
        o.StyleLayers = new[] { "ReLU253_Output_0", "conv_1" };
        var e = Assert.ThrowsExactly<ArgumentException>(() => StyleTransferExperiment.Run(o));
        StringAssert.Contains(e.Message, "'conv_1' is not a node output");
        StringAssert.Contains(e.Message, "ReLU347_Output_0", "the message lists the valid names");
        Assert.IsFalse(e.Message.Contains("'ReLU253_Output_0' is not"), "only the bad name is reported");

        o = Tiny("content-layer");
        o.ContentLayer = "relu4_2";
        e = Assert.ThrowsExactly<ArgumentException>(() => StyleTransferExperiment.Run(o));
        StringAssert.Contains(e.Message, "--content-layer: 'relu4_2'");
    }

    [TestMethod]
    public void SizesTooLargeForMemoryFailBeforeAllocating()
    {
        var o = Tiny("huge");
        o.Size = 200_000; // about 10^11 activations: more than any machine this runs on
        var e = Assert.ThrowsExactly<ArgumentException>(() => StyleTransferExperiment.Run(o));
        StringAssert.Contains(e.Message, "--size 200000");
        StringAssert.Contains(e.Message, "Use --size");

        o = Tiny("limit");
        o.Size = 256;
        o.MemoryLimitBytes = 32L << 20;
        e = Assert.ThrowsExactly<ArgumentException>(() => StyleTransferExperiment.Run(o));
        StringAssert.Contains(e.Message, "32.0 MiB is available");
        // The suggested size really fits: the estimate scales with the number of pixels.
        int suggested = int.Parse(e.Message[(e.Message.LastIndexOf("--size ", StringComparison.Ordinal) + 7)..].Split(' ')[0]);
        o.Size = suggested;
        o.Steps = 2;
        var r = StyleTransferExperiment.Run(o);
        Assert.IsTrue(r.EstimatedBytes <= 32L << 20, $"estimate at --size {suggested}: {r.EstimatedBytes} bytes");
    }

    [TestMethod]
    public void AUserOnnxModelWorksWithNamedLayers()
    {
        string model = Path.Combine(_dir, "tiny.onnx");
        TinyOnnx(model);
        var o = Tiny("user-model");
        o.ModelPath = model;
        o.Normalization = "imagenet";
        var e = Assert.ThrowsExactly<ArgumentException>(() => StyleTransferExperiment.Run(o));
        StringAssert.Contains(e.Message, "--style-layers");

        o.StyleLayers = new[] { "relu1", "relu2" };
        o.ContentLayer = "relu2";
        o.Steps = 12;
        o.InitFromNoise = false;
        o.StyleWeight = 1e3;
        var r = StyleTransferExperiment.Run(o);
        Assert.AreEqual(12, r.Main.Samples.Count);
        // The kept image is the best evaluated one, so its loss is below the start even when L-BFGS overshoots.
        Assert.IsTrue(r.Main.Kept.Total < r.Main.Samples[0].Total, $"total {r.Main.Samples[0].Total:G4} -> {r.Main.Kept.Total:G4}");
        Assert.IsTrue(r.Main.FinalStyleLoss < r.Main.InitialStyleLoss, $"style {r.Main.InitialStyleLoss:G4} -> {r.Main.FinalStyleLoss:G4}");

        o.ModelPath = Path.Combine(_dir, "broken.png");
        Assert.ThrowsExactly<InvalidDataException>(() => StyleTransferExperiment.Run(o));
    }

    /// <summary>conv(3→6, 3×3) → relu1 → conv(6→8, 3×3, stride 2) → relu2, seeded weights, written as ONNX opset 11.</summary>
    static void TinyOnnx(string path)
    {
        var rng = new Random(9);
        float[] Rand(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)(scale * (rng.NextDouble() * 2 - 1))).ToArray();
        var g = new OnnxGraph { Name = "tiny" };
        g.Inputs.Add(OnnxValueInfo.Tensor("x", null, 3, null, null));
        g.Initializers.Add(OnnxTensor.FromFloats("w1", Rand(6 * 3 * 9, 0.4), 6, 3, 3, 3));
        g.Initializers.Add(OnnxTensor.FromFloats("w2", Rand(8 * 6 * 9, 0.3), 8, 6, 3, 3));
        void Node(string op, string[] inputs, string output, params OnnxAttribute[] attrs)
        {
            var n = new OnnxNode { Name = output + "_node", OpType = op };
            n.Inputs.AddRange(inputs); n.Outputs.Add(output); n.Attributes.AddRange(attrs);
            g.Nodes.Add(n);
        }
        Node("Conv", new[] { "x", "w1" }, "conv1", OnnxAttribute.IntList("kernel_shape", 3, 3), OnnxAttribute.IntList("pads", 1, 1, 1, 1));
        Node("Relu", new[] { "conv1" }, "relu1");
        Node("Conv", new[] { "relu1", "w2" }, "conv2", OnnxAttribute.IntList("kernel_shape", 3, 3), OnnxAttribute.IntList("strides", 2, 2), OnnxAttribute.IntList("pads", 1, 1, 1, 1));
        Node("Relu", new[] { "conv2" }, "relu2");
        g.Outputs.Add(OnnxValueInfo.Tensor("relu2", null, 8, null, null));
        var m = new OnnxModel { IrVersion = 6, Graph = g };
        m.OpsetImports.Add(("", 11));
        m.Save(path);
    }
}
