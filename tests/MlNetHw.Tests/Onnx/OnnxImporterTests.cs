using MlNetHw.Backbones;
using MlNetHw.Tests.Vision;
using MlNetHw.Vision;
using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Onnx;

/// <summary>The ONNX → TorchSharp importer against ONNX Runtime on the packaged ResNet18 and on a net built here.</summary>
[TestClass]
[TestCategory("Vision")]
public sealed class OnnxImporterTests
{
    static string TempDir() => Directory.CreateTempSubdirectory("mlnethw-onnx").FullName;

    static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.AreEqual(a.Length, b.Length, "output lengths differ");
        float m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    [TestMethod]
    public void PackagedResNet18MatchesOnnxRuntimeOn20Images()
    {
        const int n = 20, s = PackagedResNet18.ImageSize;
        var pixels = Enumerable.Range(0, n).Select(i => { using var b = TestImages.Draw(100 + i); return TestImages.Planes(b); }).ToArray();

        using var prepOrt = new OrtRunner(PackagedResNet18.PreprocessPath);
        using var netOrt = new OrtRunner(PackagedResNet18.BackbonePath);
        using var prep = PackagedResNet18.LoadPreprocessGraph();
        using var net = PackagedResNet18.LoadBackbone();
        Assert.AreEqual("Input247", net.InputName);
        Assert.AreEqual(PackagedResNet18.FeatureOutput, net.OutputNames.Single());

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var batch = torch.tensor(pixels.SelectMany(p => p).ToArray(), new long[] { n, 3, s, s });
        var prepTorch = prep.forward(batch);
        var prepByHand = PackagedResNet18.Preprocess(batch);
        var features = net.forward(prepTorch);
        CollectionAssert.AreEqual(new long[] { n, 512, 1, 1 }, features.shape);

        float worstPrep = 0, worstHand = 0, worstNet = 0, maxFeature = 0;
        for (int i = 0; i < n; i++)
        {
            var p = prepOrt.Run(pixels[i], new long[] { 1, 3, s, s }, "PreprocessedInput")["PreprocessedInput"];
            worstPrep = Math.Max(worstPrep, MaxAbsDiff(p, prepTorch[i].data<float>().ToArray()));
            worstHand = Math.Max(worstHand, MaxAbsDiff(p, prepByHand[i].data<float>().ToArray()));
            var f = netOrt.Run(p, new long[] { 1, 3, s, s }, PackagedResNet18.FeatureOutput)[PackagedResNet18.FeatureOutput];
            worstNet = Math.Max(worstNet, MaxAbsDiff(f, features[i].flatten().data<float>().ToArray()));
            maxFeature = Math.Max(maxFeature, f.Max());
        }
        Console.WriteLine($"preprocess graph diff {worstPrep:E2}, by-hand diff {worstHand:E2}, ResNet18 diff {worstNet:E2} (max feature {maxFeature:F3})");
        Assert.AreEqual(0f, worstPrep, "imported preprocessing must reproduce ONNX Runtime exactly");
        Assert.AreEqual(0f, worstHand, "hand-written preprocessing must reproduce the packaged graph exactly");
        Assert.IsTrue(maxFeature > 0.1f, "features should not be all zero");
        Assert.IsTrue(worstNet < 1e-4f, $"ResNet18 max abs diff {worstNet} >= 1e-4");
    }

    [TestMethod]
    public void SmallConvNetMatchesOnnxRuntimeIncludingIntermediatesAndAfterTraining()
    {
        string dir = TempDir();
        try
        {
            var model = SmallConvNet.Build(seed: 7);
            string path = Path.Combine(dir, "small.onnx");
            model.Save(path);

            var rng = new Random(3);
            var input = Enumerable.Range(0, 2 * 3 * 20 * 20).Select(_ => (float)(rng.NextDouble() * 255)).ToArray();
            var shape = new long[] { 2, 3, 20, 20 };

            using var module = OnnxModule.Load(path);
            module.eval();
            Assert.IsTrue(module.NodeOutputNames.Contains("r1"));
            CompareWithOrt(path, module, input, shape, "eval");

            // One SGD step in train mode: every weight gets a gradient, BatchNorm statistics move.
            var meanBefore = module.Constant("bn1_mean").clone();
            module.train();
            var opt = torch.optim.SGD(module.parameters(), 0.01);
            using (var scope = torch.NewDisposeScope())
            {
                var x = torch.tensor(input, shape);
                var y = module.forward(x);
                var loss = -(y[.., 0].log()).mean();
                opt.zero_grad();
                loss.backward();
                foreach (var (name, p) in module.named_parameters())
                    Assert.IsNotNull(p.grad, $"no gradient for {name}");
                opt.step();
            }
            Assert.IsFalse(torch.allclose(meanBefore, module.Constant("bn1_mean")), "train mode should update running mean");
            module.eval();

            // Export the trained weights and check ONNX Runtime agrees with the module again.
            string trained = Path.Combine(dir, "trained.onnx");
            module.ToOnnxModel().Save(trained);
            CompareWithOrt(trained, module, input, shape, "after one training step");
        }
        finally { Directory.Delete(dir, true); }
    }

    static void CompareWithOrt(string path, OnnxModule module, float[] input, long[] shape, string when)
    {
        // Expose an intermediate value as a graph output so ONNX Runtime can report it too.
        var withIntermediate = OnnxModel.Load(path);
        withIntermediate.Graph.Outputs.Add(OnnxValueInfo.Tensor("r1", null, 8, 20, 20));
        string path2 = path + ".r1.onnx";
        withIntermediate.Save(path2);
        using var ort = new OrtRunner(path2);
        var expected = ort.Run(input, shape, "out", "r1");

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = torch.tensor(input, shape);
        var outs = module.Run(x, new[] { "out" });
        var early = module.ForwardCollect(x, new[] { "r1" });
        Assert.AreEqual(1, early.Count);
        float dOut = MaxAbsDiff(expected["out"], outs["out"].data<float>().ToArray());
        float dR1 = MaxAbsDiff(expected["r1"], early["r1"].data<float>().ToArray());
        Console.WriteLine($"{when}: out diff {dOut:E2}, r1 diff {dR1:E2}");
        Assert.IsTrue(dOut < 1e-4f, $"{when}: output max abs diff {dOut}");
        Assert.IsTrue(dR1 < 1e-4f, $"{when}: intermediate max abs diff {dR1}");
        Assert.IsTrue(expected["out"].Max() - expected["out"].Min() > 1e-3f, "the test net's output should vary");
    }

    [TestMethod]
    public void EvalBatchNormFoldingAndInPlaceOpsGiveTheUnfoldedResult()
    {
        var model = SmallConvNet.Build(seed: 5);
        using var module = new OnnxModule(model);
        module.eval();
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        var x = torch.rand(2, 3, 20, 20) * 255;
        Tensor Out(bool fold, bool inPlace, bool grad, string name = "out")
        {
            module.FoldBatchNormInEval = fold; module.InPlaceWhenNoGrad = inPlace;
            using var mode = torch.set_grad_enabled(grad);
            return module.Run(x, new[] { name })[name].detach();
        }
        var reference = Out(false, false, true);
        foreach (var (fold, inPlace) in new[] { (true, false), (false, true), (true, true) })
        {
            var y = Out(fold, inPlace, grad: false);
            double d = (y - reference).abs().max().item<float>();
            Assert.IsTrue(d < 1e-5, $"fold={fold} inPlace={inPlace}: max abs diff {d}");
        }
        // Asking for the Conv's own output turns folding off for that call: it is the pre-BatchNorm value.
        var c1Folded = Out(true, true, false, "c1");
        var c1 = Out(false, false, true, "c1");
        Assert.IsTrue((c1Folded - c1).abs().max().item<float>() < 1e-5, "c1 must be the convolution before BatchNorm");
        // Gradients flow through the folded path to the Conv weight and the BatchNorm scale.
        module.FoldBatchNormInEval = true;
        var loss = module.forward(x).log().mean();
        loss.backward();
        Assert.IsNotNull(module.Constant("w1").grad);
        Assert.IsNotNull(module.Constant("bn1_scale").grad);
    }

    [TestMethod]
    public void ChannelsLastLayoutGivesTheSameValuesAndGradientsAsNchw()
    {
        var model = SmallConvNet.Build(seed: 7);
        using var module = new OnnxModule(model);
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var x = torch.rand(2, 3, 20, 20) * 255;
        (Tensor Out, Tensor R1, Tensor Grad) Pass(bool channelsLast, bool train)
        {
            module.ChannelsLast = channelsLast;
            module.train(train);
            module.zero_grad();
            torch.manual_seed(11); // the same Dropout mask in both layouts
            var outs = module.Run(x, new[] { "out", "r1" });
            Assert.AreEqual(channelsLast, module.LastRunChannelsLast, "the layout switch must take effect");
            Assert.IsTrue(outs["r1"].is_contiguous(), "a returned 4-D value is contiguous (NCHW order) whatever the layout inside");
            outs["out"].log().mean().backward();
            return (outs["out"].detach().clone(), outs["r1"].detach().clone(), module.Constant("w1").grad!.clone());
        }
        foreach (bool train in new[] { false, true })
        {
            var nchw = Pass(false, train);
            var nhwc = Pass(true, train);
            foreach (var (what, a, b) in new[] { ("out", nchw.Out, nhwc.Out), ("r1", nchw.R1, nhwc.R1), ("dL/dw1", nchw.Grad, nhwc.Grad) })
            {
                double scale = Math.Max(1e-6, a.abs().max().item<float>());
                double d = (a - b).abs().max().item<float>() / scale;
                Assert.IsTrue(d < 1e-5, $"train={train} {what}: max rel diff {d}");
            }
            Assert.IsTrue(nchw.Grad.abs().max().item<float>() > 0, "the gradient should not vanish");
        }
        // The layout is a property of the activations only: the stored weights keep their usual order.
        Assert.IsTrue(module.Constant("w1").is_contiguous());
    }

    /// <summary>
    /// A residual block and two traps for in-place training: Conv → BN → Relu → Conv → BN → Add(·, skip) → Relu (three
    /// in-place candidates autograd allows), then a Relu after a Sigmoid (whose backward reads its output) and a Relu of
    /// a value a Mul read earlier (which saved it for its backward): those two must run out of place.
    /// </summary>
    static OnnxModel ResidualWithInPlaceTraps(int seed)
    {
        var rng = new Random(seed);
        float[] Rand(int n, double scale, double offset = 0) => Enumerable.Range(0, n).Select(_ => (float)(offset + scale * (rng.NextDouble() * 2 - 1))).ToArray();
        var g = new OnnxGraphBuilder("inplace");
        string x = g.Input("x", OnnxDataType.Float, null, 4, 6, 6);
        string Bn(string input, string name) => g.Op("BatchNormalization", new[] { input,
            g.Floats(name + "_s", Rand(4, 0.2, 1), 4), g.Floats(name + "_b", Rand(4, 0.1), 4),
            g.Floats(name + "_m", Rand(4, 0.1), 4), g.Floats(name + "_v", Rand(4, 0.2, 1), 4) });
        string Conv(string input, string name) => g.Op("Conv", new[] { input, g.Floats(name, Rand(4 * 4 * 9, 0.3), 4, 4, 3, 3) },
            OnnxAttribute.IntList("kernel_shape", 3, 3), OnnxAttribute.IntList("pads", 1, 1, 1, 1));
        string r = g.Op("Relu", Bn(Conv(x, "w1"), "bn1"));
        string a = g.Op("Add", Bn(Conv(r, "w2"), "bn2"), r);
        string ra = g.Op("Relu", a);
        string sr = g.Op("Relu", g.Op("Sigmoid", ra));
        string c3 = Conv(sr, "w3");
        string mul = g.Op("Mul", c3, g.Floats("k", Rand(4, 0.5, 1), 1, 4, 1, 1));
        string rc = g.Op("Relu", c3);
        g.Node("Add", new[] { rc, mul }, new[] { "out" });
        g.Output("out", OnnxDataType.Float, null, 4, 6, 6);
        return g.Model("in-place training test");
    }

    [TestMethod]
    public void InPlaceReluAndAddInTrainingGiveTheSameValuesAndGradients()
    {
        using var module = new OnnxModule(ResidualWithInPlaceTraps(seed: 4));
        module.train();
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var x = torch.randn(3, 4, 6, 6);
        (Tensor Out, Dictionary<string, Tensor> Grads, int InPlace) Pass(bool inPlace)
        {
            module.InPlaceWithGrad = inPlace;
            module.zero_grad();
            var y = module.forward(x);
            int count = module.LastRunInPlaceCount;
            (y * y).mean().backward(); // would throw "modified by an inplace operation" if a saved value were overwritten
            return (y.detach().clone(), module.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()), count);
        }
        var off = Pass(false);
        var on = Pass(true);
        Assert.AreEqual(0, off.InPlace);
        Assert.AreEqual(3, on.InPlace, "Relu after BN, Add of a BN output and Relu after Add run in place; Relu after Sigmoid and of a value Mul read do not");
        Assert.IsTrue((on.Out - off.Out).abs().max().item<float>() < 1e-6, "values differ");
        Assert.AreEqual(off.Grads.Count, on.Grads.Count);
        foreach (var (name, g) in off.Grads)
        {
            double scale = Math.Max(1e-6, g.abs().max().item<float>());
            double d = (on.Grads[name] - g).abs().max().item<float>() / scale;
            Assert.IsTrue(d < 1e-6, $"dL/d{name}: max rel diff {d}");
            Assert.IsTrue(g.abs().max().item<float>() > 0, $"dL/d{name} should not vanish");
        }
    }

    [TestMethod]
    public void UnknownOperatorFailsAtImportNamingNodeAndOp()
    {
        var model = SmallConvNet.Build(seed: 1);
        var node = model.Graph.Nodes.First(n => n.OpType == "Relu");
        node.OpType = "FancyActivation";
        var e = Assert.ThrowsExactly<OnnxFormatException>(() => new OnnxModule(model));
        StringAssert.Contains(e.Message, node.Name);
        StringAssert.Contains(e.Message, "FancyActivation");
    }

    [TestMethod]
    public void CorruptedOnnxFileFailsClearly()
    {
        string dir = TempDir();
        try
        {
            string truncated = Path.Combine(dir, "truncated.onnx");
            var bytes = File.ReadAllBytes(PackagedResNet18.PreprocessPath);
            File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
            var e1 = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModule.Load(truncated));
            StringAssert.Contains(e1.Message, truncated);

            string garbage = Path.Combine(dir, "garbage.onnx");
            File.WriteAllText(garbage, "this is not a protobuf file at all\n");
            var e2 = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModule.Load(garbage));
            StringAssert.Contains(e2.Message, garbage);

            var e3 = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModule.Load(Path.Combine(dir, "missing.onnx")));
            StringAssert.Contains(e3.Message, "not found");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void WriterRoundTripsThePackagedPreprocessGraph()
    {
        var model = OnnxModel.Load(PackagedResNet18.PreprocessPath);
        var again = OnnxReader.Read(OnnxWriter.Write(model));
        Assert.AreEqual(model.Graph.Nodes.Count, again.Graph.Nodes.Count);
        CollectionAssert.AreEqual(model.Graph.Initializers[0].FloatData, again.Graph.Initializers[0].FloatData);
        CollectionAssert.AreEqual(model.Graph.Nodes[0].Attribute("split")!.Ints, again.Graph.Nodes[0].Attribute("split")!.Ints);
        Assert.AreEqual(8, again.DefaultOpset);
    }
}
