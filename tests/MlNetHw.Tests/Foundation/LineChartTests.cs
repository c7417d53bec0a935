using System.Xml.Linq;
using MlNetHw.Reporting;
using SkiaSharp;

namespace MlNetHw.Tests.Foundation;

/// <summary>
/// Renders each chart type from fixed data (single panel, log axis, small multiples) to PNG and SVG. The files are
/// kept in <c>$TMPDIR/mlnethw-chart-tests/</c> after the run so a person can look at them.
/// </summary>
[TestClass]
[TestCategory("Reporting")]
public sealed class LineChartTests
{
    static readonly string Dir = Path.Combine(Path.GetTempPath(), "mlnethw-chart-tests");

    static double[] Curve(int n, Func<int, double> f) => Enumerable.Range(1, n).Select(f).ToArray();

    static (SKBitmap Png, XDocument Svg) SaveAndLoad(LineChart chart, string name)
    {
        string png = Path.Combine(Dir, name + ".png");
        chart.SavePng(png);
        string svg = Path.ChangeExtension(png, ".svg");
        Assert.IsTrue(File.Exists(svg), "an SVG is written beside every PNG");
        var bitmap = SKBitmap.Decode(png);
        Assert.IsNotNull(bitmap, "the PNG decodes");
        var doc = XDocument.Load(svg); // throws when the SVG is not well-formed XML
        Assert.AreEqual("svg", doc.Root!.Name.LocalName);
        var (w, h) = chart.PixelSize();
        Assert.AreEqual(w, bitmap.Width);
        Assert.AreEqual(h, bitmap.Height);
        Assert.AreEqual(w.ToString(), doc.Root.Attribute("width")!.Value);
        Assert.AreEqual(h.ToString(), doc.Root.Attribute("height")!.Value);
        return (bitmap, doc);
    }

    [TestMethod]
    public void SinglePanelWithLegendOutsideTheDataArea()
    {
        var chart = new LineChart { Title = "Accuracy", XLabel = "epoch", YLabel = "accuracy" }
            .Add("finetune train", Curve(5, i => 0.6 + 0.07 * i))
            .Add("finetune val", Curve(5, i => 0.649 + 0.066 * i))
            .AddReference("freeze val", 0.961)
            .AddReference("baseline val", 0.967);
        Assert.IsFalse(chart.UsesSmallMultiples);
        var (png, svg) = SaveAndLoad(chart, "single");
        using (png)
        {
            Assert.AreEqual(800, png.Width);
            // The legend sits right of the data area: the plot frame ends before the legend's text starts.
            var frame = svg.Descendants().Single(e => e.Name.LocalName == "rect" && e.Attribute("stroke") is not null);
            double frameRight = double.Parse(frame.Attribute("x")!.Value, System.Globalization.CultureInfo.InvariantCulture) +
                                double.Parse(frame.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture);
            var legendText = svg.Descendants().First(e => e.Name.LocalName == "text" && e.Value == "finetune train");
            Assert.IsTrue(frameRight < double.Parse(legendText.Attribute("x")!.Value, System.Globalization.CultureInfo.InvariantCulture), $"frame right {frameRight}");
            var texts = svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
            CollectionAssert.IsSubsetOf(new[] { "finetune train", "finetune val", "freeze val", "baseline val", "epoch" }, texts);
            CollectionAssert.IsSubsetOf(new[] { "0.6", "0.7", "0.8", "0.9", "1.0" }, texts, string.Join(" ", texts));
        }
    }

    [TestMethod]
    public void LogAxisTicksArePowersOfTen()
    {
        var chart = new LineChart { Title = "Loss", XLabel = "step", YLabel = "loss", LogY = true }
            .Add("style loss (sum of Gram MSEs)", Curve(300, i => 3e5 / i / i))
            .Add("content loss (mean squared error)", Curve(300, i => 0.5 + 5.0 / i));
        var (png, svg) = SaveAndLoad(chart, "log");
        png.Dispose();
        // A legend this wide goes under the plot rather than narrowing it.
        static double A(XElement e, string name) => double.Parse(e.Attribute(name)!.Value, System.Globalization.CultureInfo.InvariantCulture);
        var frame = svg.Descendants().Single(e => e.Name.LocalName == "rect" && e.Attribute("stroke") is not null);
        var entry = svg.Descendants().First(e => e.Name.LocalName == "text" && e.Value == "content loss (mean squared error)");
        Assert.IsTrue(A(entry, "y") > A(frame, "y") + A(frame, "height"), "legend below the data area");
        Assert.IsTrue(A(frame, "width") > 0.8 * 800, $"plot width {A(frame, "width")}");
        var axis = LineChart.Axis.Log(new[] { 3e5 / 90000, 3e5, 0.51 });
        foreach (double t in axis.Ticks) Assert.AreEqual(Math.Round(Math.Log10(t)), Math.Log10(t), 1e-12, $"{t} is a power of ten");
        Assert.AreEqual(-1, axis.Min);
        Assert.AreEqual(6, axis.Max);
        var texts = svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.IsTrue(texts.Contains("10⁵") && texts.Contains("10⁻¹") && !texts.Contains("10⁰"), string.Join(" ", texts));
        Assert.AreEqual("0.001", LineChart.Axis.PowerOfTen(-3, plain: true));
        Assert.AreEqual("1000", LineChart.Axis.PowerOfTen(3, plain: true));
    }

    [TestMethod]
    public void LinearTicksAreRoundAndShareOneFormat()
    {
        var axis = LineChart.Axis.Linear(new[] { 0.649, 0.716, 0.782, 0.97 });
        foreach (double t in axis.Ticks)
        {
            double mantissa = axis.Step / Math.Pow(10, Math.Floor(Math.Log10(axis.Step)));
            Assert.IsTrue(new[] { 1.0, 2.0, 5.0 }.Any(m => Math.Abs(m - mantissa) < 1e-9), $"step {axis.Step}");
            Assert.AreEqual(0, Math.Abs(t / axis.Step - Math.Round(t / axis.Step)), 1e-9, $"tick {t} is a multiple of {axis.Step}");
        }
        Assert.IsTrue(axis.Min <= 0.649 && axis.Max >= 0.97);
        Assert.AreEqual(1, axis.Labels.Select(l => l.Length - l.IndexOf('.')).Distinct().Count(), string.Join(" ", axis.Labels));
        var epochs = LineChart.Axis.Linear(Enumerable.Range(1, 300).Select(i => (double)i).ToArray(), maxTicks: 8, whole: true);
        Assert.IsTrue(epochs.Labels.All(l => !l.Contains('.')), string.Join(" ", epochs.Labels));
    }

    [TestMethod]
    public void SeriesOfVeryDifferentLengthsGetOnePanelEach()
    {
        var chart = new LineChart { Title = "Dev accuracy per epoch", XLabel = "epoch", YLabel = "dev accuracy" }
            .Add("embeddings", Curve(15, i => 0.6 + 0.01 * i))
            .Add("GloVe", Curve(300, i => 0.5 + 0.3 * (1 - Math.Exp(-i / 50.0))))
            .Add("RNN", Curve(40, i => 0.55 + 0.005 * i))
            .Add("LSTM", Curve(40, i => 0.55 + 0.006 * i))
            .AddReference("bag of words (no epochs)", 0.79);
        Assert.IsTrue(chart.UsesSmallMultiples);
        var (png, svg) = SaveAndLoad(chart, "small-multiples");
        using (png) Assert.IsTrue(png.Height > 500, "two rows of panels make the chart taller");
        var texts = svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        CollectionAssert.IsSubsetOf(new[] { "embeddings", "GloVe", "RNN", "LSTM", "bag of words (no epochs)", "300" }, texts);
        Assert.AreEqual(4, svg.Descendants().Count(e => e.Name.LocalName == "rect" && e.Attribute("stroke") is not null), "four panel frames");
    }
}
