using MlNetHw.IO;
using MlNetHw.Reporting;

namespace MlNetHw.Tests.Cli;

[TestClass]
public sealed class ProgressTests
{
    [TestMethod]
    public void ProgressLineShowsCountRateAndEta()
    {
        var p = new TextProgressBar("epoch 1", 100, TextWriter.Null);
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
        var p = new TextProgressBar("train", 100, output);
        p.Report(1, "first batch");                 // the bar is created after one item is already done
        StringAssert.Contains(output.ToString(), "0.0 it/s");
        StringAssert.Contains(output.ToString(), "ETA --:--");
        // Later lines measure the items done since that first report.
        string line = p.Format(11, p.Elapsed + TimeSpan.FromSeconds(10), null);
        StringAssert.Contains(line, "ETA ");
        Assert.IsFalse(line.Contains("ETA --:--"), line);
    }

    [TestMethod]
    public void ABarRedrawsInPlaceOnlyOnAWriterRegisteredAsATerminal()
    {
        var log = new StringWriter();
        new TextProgressBar("plain", 10, log).Report(10);
        Assert.IsFalse(log.ToString().Contains('\r'), log.ToString());
        var terminal = new StringWriter();
        InteractiveWriters.Register(terminal);
        var bar = new TextProgressBar("tty", 10, terminal);
        bar.Report(5);
        bar.Report(10);
        StringAssert.StartsWith(terminal.ToString(), "\rtty [");
        Assert.AreEqual(2, terminal.ToString().Count(c => c == '\r'));
    }
}
