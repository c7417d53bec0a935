using MlNetHw.Vision;

namespace MlNetHw.Tests.Vision;

[TestClass]
[TestCategory("Vision")]
public sealed class TransferLearningExperimentTests
{
    [TestMethod]
    public void FreezeAndBaselineRunOnAFolderAndWriteReports()
    {
        string root = TinyImageFolder.Create(trainPerClass: 4, valPerClass: 3);
        string outDir = Path.Combine(root, "out");
        try
        {
            var result = TransferLearningExperiment.Run(new TransferLearningOptions
            {
                Mode = TransferMode.Freeze, DataFolder = root, Run = new() { OutputDirectory = outDir, Seed = 1 },
            });
            CollectionAssert.AreEqual(new[] { "baseline", "freeze" }, result.Models.Select(m => m.Name).ToArray());
            foreach (var m in result.Models)
            {
                int total = 0;
                foreach (var c in m.ConfusionMatrix) total += c;
                Assert.AreEqual(6, total, $"{m.Name}: confusion matrix should count every val image");
                Assert.IsTrue(File.Exists(m.ModelPath), $"{m.Name}: zip missing");
                Assert.IsTrue(File.Exists(m.MisclassifiedGridPath), $"{m.Name}: grid missing");
                Assert.IsTrue(m.ValAccuracy is >= 0 and <= 1);
            }
            foreach (var f in new[] { result.AccuracyCurvesPath, result.ConfusionMatrixPath, result.SummaryPath })
                Assert.IsTrue(File.Exists(f), $"{f} missing");
            StringAssert.Contains(File.ReadAllText(result.ConfusionMatrixPath!), "| **boxes** |");
        }
        finally { Directory.Delete(root, true); }
    }
}
