using System.Globalization;
using System.Text.RegularExpressions;
using MlNetHw.Homework;
using MlNetHw.Homework.Parts;
using MlNetHw.Tests.Text;
using MlNetHw.Tests.Vision;

namespace MlNetHw.Tests.Homework;

/// <summary>
/// The main job end to end at the tiny size, on data the test writes itself: every part's section carries numbers,
/// and a part that fails is reported while the others complete.
/// </summary>
[TestClass]
[TestCategory("Homework")]
public sealed class HomeworkMainJobTests
{
    static Dictionary<string, string> TinyData(string dir)
    {
        string images = TinyImageFolder.Create(trainPerClass: 4, valPerClass: 4);
        string content = Path.Combine(dir, "content.png"), style = Path.Combine(dir, "style.png");
        using (var c = TestImages.Draw(11, 48, 40, kind: 0)) TestImages.Save(c, content);
        using (var s = TestImages.Draw(12, 48, 48, kind: 1)) TestImages.Save(s, style);
        string text = TextTestData.WriteFolder(train: 120, dev: 40, test: 40, unlabelled: 10);
        return new Dictionary<string, string>
        {
            ["transfer.data"] = images, ["style.content"] = content, ["style.style"] = style,
            ["text.data"] = text, ["text.glove"] = TextTestData.WriteGloVe(text),
        };
    }

    /// <summary>The numbers of one part's results table, parsed back from report.md.</summary>
    static Dictionary<string, double> Section(string report, int part)
    {
        var m = Regex.Match(report, $@"## Part {part}: .*?(?=\n## Part |\z)", RegexOptions.Singleline);
        Assert.IsTrue(m.Success, $"report has no section for part {part}");
        StringAssert.Contains(m.Value, "Status: **ok**", $"part {part}: {m.Value[..Math.Min(600, m.Value.Length)]}");
        var numbers = new Dictionary<string, double>();
        foreach (Match row in Regex.Matches(m.Value, @"^\| (?<name>[^|]+?) \| (?<value>-?[0-9.]+(E[+-][0-9]+)?) \|", RegexOptions.Multiline))
            numbers[row.Groups["name"].Value] = double.Parse(row.Groups["value"].Value, CultureInfo.InvariantCulture);
        return numbers;
    }

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void TinyRunReportsEveryPartWithNumbersAndIsolatesAFailure()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-main").FullName;
        try
        {
            var data = TinyData(dir);
            var log = new StringWriter();
            var records = HomeworkRunner.Run(new HomeworkOptions
            {
                Run = new() { OutputDirectory = Path.Combine(dir, "report"), Seed = 2, Device = "cpu", Log = log }, Size = RunSize.Tiny,
                Overrides = data,
            }, MlNetHw.Cli.Experiments.Parts);
            Assert.AreEqual(6, records.Count);
            foreach (var r in records) Assert.IsTrue(r.Ok, $"part {r.Number} failed: {r.Error}\n{log}");

            string report = File.ReadAllText(Path.Combine(dir, "report", "report.md"));
            var p1 = Section(report, 1);
            Assert.IsTrue(p1.Keys.Any(k => k.StartsWith("freeze: val accuracy")) && p1.Keys.Any(k => k.StartsWith("finetune: val accuracy")));
            Assert.IsTrue(p1.Where(kv => kv.Key.Contains("accuracy")).All(kv => kv.Value is >= 0 and <= 1), "accuracies lie in [0, 1]");
            var p2 = Section(report, 2);
            Assert.IsTrue(p2["style loss: final"] < p2["style loss: initial"], "L-BFGS lowers the style loss even in 5 evaluations");
            foreach (int part in new[] { 3, 4 })
            {
                var p = Section(report, part);
                Assert.IsTrue(p["max relative error vs numeric gradient"] < 1e-7);
            }
            var p5 = Section(report, 5);
            Assert.IsTrue(p5.Keys.Count(k => k.EndsWith("final training loss")) == 2, "RNN and LSTM losses");
            Assert.IsTrue(p5.Where(kv => kv.Key.EndsWith("final training loss")).All(kv => kv.Value > 0 && double.IsFinite(kv.Value)));
            var p6 = Section(report, 6);
            Assert.AreEqual(MlNetHw.Homework.Parts.TextClassificationPart.HomeworkModels.Count, p6.Keys.Count(k => k.EndsWith("test accuracy")), "every text model of the homework");
            Assert.AreEqual(5, MlNetHw.Homework.Parts.TextClassificationPart.HomeworkModels.Count);
            // Images the report shows exist next to it.
            foreach (Match img in Regex.Matches(report, @"!\[[^\]]*\]\(([^)]+)\)"))
                Assert.IsTrue(File.Exists(Path.Combine(dir, "report", img.Groups[1].Value)), $"missing image {img.Groups[1].Value}");
            StringAssert.Contains(File.ReadAllText(Path.Combine(dir, "report", "report.html")), "data:image/png;base64,");

            // Every .zip the main job wrote is a plain ML.NET model: an app with ML.NET packages only loads it and scores a row.
            var zips = Directory.GetFiles(Path.Combine(dir, "report"), "*.zip", SearchOption.AllDirectories).Order().ToList();
            Assert.IsTrue(zips.Count >= 12, $"zips written: {string.Join(", ", zips)}");
            string image = Directory.GetFiles(Path.Combine(dir, "report"), "*.png", SearchOption.AllDirectories).First(f => f.Contains("images"));
            var check = Onnx.PlainModelTests.RunConsumerLines(new[] { "--check", image }.Concat(zips).ToArray());
            Assert.AreEqual(zips.Count, check.Count(l => l.StartsWith("ok\t", StringComparison.Ordinal)), string.Join("\n", check));

            // A deliberately failing part: text data that does not exist. Part 3 still completes and both are reported.
            var broken = new Dictionary<string, string>(data) { ["text.data"] = Path.Combine(dir, "no-such-folder") };
            var second = HomeworkRunner.Run(new HomeworkOptions
            {
                Run = new() { OutputDirectory = Path.Combine(dir, "report2"), Seed = 2, Device = "cpu" }, Size = RunSize.Tiny,
                Overrides = broken, Parts = new[] { 3, 6 },
            }, MlNetHw.Cli.Experiments.Parts);
            Assert.IsTrue(second.Single(r => r.Number == 3).Ok);
            var failed = second.Single(r => r.Number == 6);
            Assert.IsFalse(failed.Ok);
            StringAssert.Contains(failed.Error, "no-such-folder");
            string report2 = File.ReadAllText(Path.Combine(dir, "report2", "report.md"));
            StringAssert.Contains(report2, "## Part 6: ");
            StringAssert.Contains(report2, "**FAILED**");
            Section(report2, 3);
        }
        finally { Directory.Delete(dir, true); }
    }
}
