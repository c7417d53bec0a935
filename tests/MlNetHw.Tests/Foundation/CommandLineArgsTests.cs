using MlNetHw.Cli;

namespace MlNetHw.Tests.Foundation;

[TestClass]
public sealed class CommandLineArgsTests
{
    [TestMethod]
    public void ParsesValuesFlagsListsAndPositionals()
    {
        var a = new CommandLineArgs(new[] { "train", "--epochs", "7", "--quick", "--lr=0.5", "--parts", "1,3, 6", "file.txt" });
        Assert.AreEqual(7, a.Number("--epochs", 25));
        Assert.AreEqual(0.5, a.Number("--lr", 0.1), 1e-15);
        Assert.IsTrue(a.Flag("--quick"));
        Assert.IsFalse(a.Flag("--full"));
        CollectionAssert.AreEqual(new[] { "1", "3", "6" }, a.List("--parts", Array.Empty<string>()).ToArray());
        CollectionAssert.AreEqual(new[] { "train", "file.txt" }, a.Positional.ToArray());
        Assert.AreEqual(3, a.Number("--missing", 3));
        a.ThrowOnUnknown();
    }

    [TestMethod]
    public void RejectsBadNumbersBadChoicesAndUnknownOptions()
    {
        var a = new CommandLineArgs(new[] { "--epochs", "many", "--mode", "thaw", "--typo", "1" });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => a.Number("--epochs", 1)).Message, "--epochs");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => a.Choice("--mode", "freeze", "freeze", "finetune")).Message, "freeze|finetune");
        var e = Assert.ThrowsExactly<ArgumentException>(() => a.ThrowOnUnknown());
        StringAssert.Contains(e.Message, "--typo");
        StringAssert.Contains(e.Message, "--epochs");
    }

    [TestMethod]
    public void ProgressLineShowsCountRateAndEta()
    {
        var p = new ConsoleProgress("epoch 1", 100, TextWriter.Null);
        string line = p.Format(50, TimeSpan.FromSeconds(10), "loss 0.5");
        StringAssert.Contains(line, "50/100");
        StringAssert.Contains(line, "5.0 it/s");
        StringAssert.Contains(line, "ETA 00:10");
        StringAssert.Contains(line, "loss 0.5");
    }

    [TestMethod]
    public void ProgressRateCountsFromTheFirstReportSoABarStartedAfterItsFirstItemShowsNoAbsurdRate()
    {
        var output = new StringWriter();
        var p = new ConsoleProgress("train", 100, output);
        p.Report(1, "first batch");                 // the bar is created after one item is already done
        StringAssert.Contains(output.ToString(), "0.0 it/s");
        StringAssert.Contains(output.ToString(), "ETA --:--");
        // Later lines measure the items done since that first report.
        string line = p.Format(11, p.Elapsed + TimeSpan.FromSeconds(10), null);
        StringAssert.Contains(line, "ETA ");
        Assert.IsFalse(line.Contains("ETA --:--"), line);
    }
}
