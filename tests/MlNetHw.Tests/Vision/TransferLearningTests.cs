using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Data;
using MlNetHw.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Vision;

/// <summary>Freeze (ML.NET) and finetune (TorchSharp → ONNX → ML.NET) on a tiny drawn image folder.</summary>
[TestClass]
[TestCategory("Vision")]
public sealed class TransferLearningTests
{
    [TestMethod]
    public void FreezePipelineRoundTripsThroughZip()
    {
        string root = TinyImageFolder.Create(trainPerClass: 4, valPerClass: 2);
        try
        {
            var data = ImageFolderReader.Read(root);
            var ml = new MLContext(seed: 0);
            var model = FreezeClassifier.Fit(ml, data.Train);
            var before = ImageRows.Evaluate(ml, model, data.Validation);
            string zip = Path.Combine(root, "freeze.zip");
            ml.Model.Save(model, null, zip);
            var loaded = new MLContext(seed: 0).Model.Load(zip, out _);
            var after = ImageRows.Evaluate(ml, loaded, data.Validation);
            Assert.AreEqual(data.Validation.Count, after.Predictions.Count);
            for (int i = 0; i < after.Predictions.Count; i++)
            {
                Assert.AreEqual(2, after.Predictions[i].Probabilities.Length);
                Assert.AreEqual(before.Predictions[i].Predicted, after.Predictions[i].Predicted);
                for (int k = 0; k < 2; k++)
                    Assert.AreEqual(before.Predictions[i].Probabilities[k], after.Predictions[i].Probabilities[k], 1e-6);
            }
            Assert.IsTrue(after.Predictions.All(p => p.Predicted >= 0), "every predicted label should be a known class");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void FinetunedZipGivesTorchSharpProbabilitiesInProcessAndInAFreshMlNetOnlyProcess()
    {
        string root = TinyImageFolder.Create(trainPerClass: 4, valPerClass: 2);
        try
        {
            var data = ImageFolderReader.Read(root);
            var options = new FinetuneOptions { Training = { Epochs = 1, BatchSize = 4, Seed = 3, Device = "cpu" } };
            var run = ResNet18FinetuneTrainer.Train(data, options, TextWriter.Null);
            Assert.AreEqual(1, run.History.Count);
            Assert.IsTrue(double.IsFinite(run.History[0].TrainLoss));

            var ml = new MLContext(seed: 0);
            string zip = Path.Combine(root, "finetune.zip"), onnx = Path.Combine(root, "finetune.onnx");
            FinetuneExport.Save(ml, run.Model, data.Classes, onnx, zip);

            // The pixels ML.NET feeds the ONNX model (256² IsoCrop), run through the TorchSharp model (centre 224²).
            var paths = data.Validation.Rows.Select(v => v.ImagePath).ToArray();
            var pixelChain = ml.Transforms.LoadImages("Image", "", nameof(ImageRow.ImagePath))
                .Append(ml.Transforms.ResizeImages("Image", 256, 256, resizing: Microsoft.ML.Transforms.Image.ImageResizingEstimator.ResizingKind.IsoCrop))
                .Append(ml.Transforms.ExtractPixels("Pixels", "Image"));
            var rows = ml.Data.LoadFromEnumerable(paths.Select(p => new ImageRow { ImagePath = p }));
            var pixels = pixelChain.Fit(rows).Transform(rows).GetColumn<float[]>("Pixels").ToList();
            float[][] torchProbs;
            using (var scope = torch.NewDisposeScope())
            using (var noGrad = torch.no_grad())
            {
                run.Model.eval();
                var x = torch.tensor(pixels.SelectMany(p => p).ToArray(), new long[] { paths.Length, 3, 256, 256 })[.., .., 16..240, 16..240];
                var probs = run.Model.forward(x).softmax(1);
                torchProbs = Enumerable.Range(0, paths.Length).Select(i => probs[i].data<float>().ToArray()).ToArray();
            }

            var loaded = new MLContext(seed: 0).Model.Load(zip, out _);
            var inProcess = ImageRows.Evaluate(ml, loaded, data.Validation);
            float worst = 0;
            for (int i = 0; i < paths.Length; i++)
            {
                var p = inProcess.Predictions[i];
                for (int k = 0; k < 2; k++) worst = Math.Max(worst, Math.Abs(p.Probabilities[k] - torchProbs[i][k]));
                Assert.AreEqual(Array.IndexOf(torchProbs[i], torchProbs[i].Max()), p.Predicted, $"image {i}: predicted class differs");
            }
            Console.WriteLine($"in-process ML.NET vs TorchSharp max prob diff {worst:E2}");
            Assert.IsTrue(worst < 1e-4f, $"ML.NET zip vs TorchSharp max prob diff {worst}");

            // A separate process that references only ML.NET packages (no MlNetHw, no TorchSharp).
            var lines = RunConsumer(zip, paths);
            Assert.AreEqual(paths.Length, lines.Count);
            float worstFresh = 0;
            for (int i = 0; i < paths.Length; i++)
            {
                var parts = lines[i].Split('\t');
                Assert.AreEqual(data.Classes[inProcess.Predictions[i].Predicted], parts[0]);
                var scores = parts[1].Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                for (int k = 0; k < 2; k++) worstFresh = Math.Max(worstFresh, Math.Abs(scores[k] - torchProbs[i][k]));
            }
            Console.WriteLine($"fresh ML.NET-only process vs TorchSharp max prob diff {worstFresh:E2}");
            Assert.IsTrue(worstFresh < 1e-4f, $"fresh-process max prob diff {worstFresh}");
        }
        finally { Directory.Delete(root, true); }
    }

    internal static List<string> RunConsumer(string zip, string[] images)
    {
        string config = AppContext.BaseDirectory.Contains("/Debug/") || AppContext.BaseDirectory.Contains("\\Debug\\") ? "Debug" : "Release";
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "MlNetHw.OnnxConsumer", "bin", config, "net10.0", "MlNetHw.OnnxConsumer.dll"));
        Assert.IsTrue(File.Exists(dll), $"consumer app not built: {dll}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll); psi.ArgumentList.Add(zip);
        foreach (var i in images) psi.ArgumentList.Add(i);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.AreEqual(0, p.ExitCode, $"consumer failed: {stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [TestMethod]
    public void AugmentationIsDeterministicForASeedAndVariesAcrossSeeds()
    {
        using var bmp = TestImages.Draw(5, 300, 200);
        var a = ImageTransforms.RandomResizedCrop(bmp, 224, new Random(11));
        var b = ImageTransforms.RandomResizedCrop(bmp, 224, new Random(11));
        var c = ImageTransforms.RandomResizedCrop(bmp, 224, new Random(12));
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreNotEqual(a, c);
        var val = ImageTransforms.ResizeCenterCrop(bmp, 256, 224);
        Assert.AreEqual(3 * 224 * 224, val.Length);
        Assert.IsTrue(val.Max() > val.Min());
    }

    [TestMethod]
    public void TrainingBatchesDependOnlyOnTheEpochSeedAndValidationBatchesOnNothing()
    {
        string root = TinyImageFolder.Create(trainPerClass: 2, valPerClass: 1);
        try
        {
            var data = ImageFolderReader.Read(root);
            var paths = data.Train.Rows.Select(x => x.ImagePath).ToList();
            var labels = data.Train.ClassIndices();
            var o = new FinetuneOptions();
            int[] picked = { 3, 0, 2 };
            float[] Pixels(ImageBatchSource source)
            {
                using var scope = torch.NewDisposeScope();
                var batch = source.GetBatch(picked, torch.CPU);
                Assert.AreEqual(ScalarType.Int64, batch.Labels.dtype);
                CollectionAssert.AreEqual(picked.Select(i => (long)labels[i]).ToArray(), batch.Labels.data<long>().ToArray());
                CollectionAssert.AreEqual(new long[] { 3, 3, 224, 224 }, batch.Pixels.shape);
                return batch.Pixels.data<float>().ToArray();
            }

            var a = ImageBatchSource.Training(data.Train, o);
            var b = ImageBatchSource.Training(data.Train, o);
            Assert.ThrowsExactly<InvalidOperationException>(() => a.GetBatch(picked, torch.CPU), "no epoch seed yet");
            a.StartEpoch(0, 11);
            b.StartEpoch(4, 11);
            var first = Pixels(a);
            CollectionAssert.AreEqual(first, Pixels(b), "same epoch seed, same crops and flips");
            using (var bmp = ImageTransforms.Decode(paths[0]))
                CollectionAssert.AreEqual(ImageTransforms.RandomResizedCrop(bmp, 224, new Random(ImageBatchSource.ImageSeed(11, 0))),
                    first[(3 * 224 * 224)..(2 * 3 * 224 * 224)], "image 0 (second in the batch) is cropped from its own seed");
            b.StartEpoch(5, 12);
            CollectionAssert.AreNotEqual(first, Pixels(b), "another epoch seed, other crops");

            var v = ImageBatchSource.Evaluation(data.Train, o);
            var centre = Pixels(v);
            v.StartEpoch(1, 99);
            CollectionAssert.AreEqual(centre, Pixels(v), "validation batches are not random");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void NonImageFileInDataFolderFailsNamingIt()
    {
        string root = TinyImageFolder.Create(2, 1);
        try
        {
            string bad = Path.Combine(root, "train", "circles", "notes.txt");
            File.WriteAllText(bad, "not an image");
            var strict = new ImageFolderOptions { RejectNonImageFiles = true, Strict = true }; // what the pipeline reads with
            var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(root, strict));
            StringAssert.Contains(e.Message, bad);
            StringAssert.Contains(e.Message, "is not an image");
            var lenient = ImageFolderReader.Read(root); // --skip-non-images
            CollectionAssert.Contains(lenient.Train.Ignored.ToList(), bad);
            Assert.IsFalse(lenient.Train.Rows.Any(r => r.ImagePath == bad));

            // A file with an image extension that is not an image fails at reading, naming the file, and when decoded.
            string fake = Path.Combine(root, "train", "circles", "fake.jpg");
            File.WriteAllText(fake, "not a jpeg");
            File.Delete(bad);
            var e1 = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(root, strict));
            StringAssert.Contains(e1.Message, fake);
            StringAssert.StartsWith(ImageFolderReader.Read(root).Train.Skipped.Single(), fake);
            var e2 = Assert.ThrowsExactly<InvalidDataException>(() => ImageTransforms.Decode(fake));
            StringAssert.Contains(e2.Message, fake);
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void FolderWithOneClassFails()
    {
        string root = TinyImageFolder.Create(2, 1, new[] { "only" });
        try
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(root));
            StringAssert.Contains(e.Message, "at least two");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void EmptyValSplitFails()
    {
        string root = TinyImageFolder.Create(2, 0);
        try
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderReader.Read(root));
            StringAssert.Contains(e.Message, "val split is empty");
        }
        finally { Directory.Delete(root, true); }
    }
}
