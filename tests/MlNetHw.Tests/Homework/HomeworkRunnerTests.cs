using MlNetHw.Homework;

namespace MlNetHw.Tests.Homework;

/// <summary>The runner's own logic: failure isolation, up-to-date skipping, the report's content.</summary>
[TestClass]
[TestCategory("Homework")]
public sealed class HomeworkRunnerTests
{
    /// <summary>A part that computes a number from its seed (so a rerun with another seed gives another result).</summary>
    sealed class ArithmeticPart(int number, bool fail = false) : IHomeworkPart
    {
        public int Runs;
        public int Number => number;
        public string Title => $"arithmetic {number}";
        public double QuickMinutes => 1;
        public string Fingerprint(PartContext context) => "v1";
        public PartResult Run(PartContext context)
        {
            Runs++;
            if (fail) throw new InvalidDataException($"part {number} was told to fail");
            context.Progress(0.5, "halfway");
            var r = new PartResult();
            r.Metrics.Add(new PartMetric("seed squared", context.Run.Seed * context.Run.Seed, "n/a", "0"));
            r.Settings["seed"] = context.Run.Seed.ToString();
            return r;
        }
    }

    /// <summary>A part with five models, a page-style Markdown block, a thumbnail in a table and a usage block.</summary>
    sealed class ManyModelsPart : IHomeworkPart
    {
        public int Number => 6;
        public string Title => "five models";
        public double QuickMinutes => 1;
        public string Fingerprint(PartContext context) => "v1";
        public PartResult Run(PartContext context)
        {
            var r = new PartResult();
            foreach (var (name, i) in new[] { "bow", "embed", "glove", "rnn", "lstm" }.Select((n, i) => (n, i)))
            {
                r.Metrics.Add(new PartMetric($"{name}: test accuracy", 0.5 + i / 10.0, Headline: true));
                r.Metrics.Add(new PartMetric($"{name}: seconds", 10 * i, Format: "0"));
            }
            using (var bmp = new SkiaSharp.SKBitmap(4, 4)) MlNetHw.Reporting.ImageFiles.SavePng(bmp, Path.Combine(context.OutputDirectory, "thumb.png"));
            r.Markdown.Add("# Confusion matrices\n\n## bow\n\n| image | caption |\n| --- | --- |\n| ![t](part6/thumb.png)<br>t | **a red square** |");
            r.Usage = "```\ndotnet run -c Release --project pipelines/TextClassification -- predict --model-file bow.zip \"a sentence\"\n```";
            return r;
        }
    }

    /// <summary>Writes a file into its folder, then is cancelled (an interrupted main job).</summary>
    sealed class CancelledPart(int number) : IHomeworkPart
    {
        public int Number => number;
        public string Title => $"cancelled {number}";
        public double QuickMinutes => 1;
        public string Fingerprint(PartContext context) => "v1";
        public PartResult Run(PartContext context)
        {
            File.WriteAllText(Path.Combine(context.OutputDirectory, "model.zip"), "half-written model of the new run");
            throw new OperationCanceledException();
        }
    }

    [TestMethod]
    public void AnInterruptedJobLeavesTheEarlierCompleteFolderNotAMixture()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-hw").FullName;
        try
        {
            HomeworkRunner.Run(Options(dir, seed: 3), new IHomeworkPart[] { new ArithmeticPart(1), new ArithmeticPart(2) });
            string report = File.ReadAllText(Path.Combine(dir, "report.md"));
            var before = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order().Select(f => (f, File.ReadAllText(f))).ToList();
            // Seed 5: part 1 reruns (new files), then part 2 is interrupted.
            Assert.ThrowsExactly<OperationCanceledException>(() =>
                HomeworkRunner.Run(Options(dir, seed: 5), new IHomeworkPart[] { new ArithmeticPart(1), new CancelledPart(2) }));
            var after = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order().Select(f => (f, File.ReadAllText(f))).ToList();
            CollectionAssert.AreEqual(before, after, "the earlier complete run is back, file for file");
            Assert.AreEqual(report, File.ReadAllText(Path.Combine(dir, "report.md")));
            var left = Directory.GetFileSystemEntries(Path.GetDirectoryName(dir)!, Path.GetFileName(dir) + ".*").Where(e => Path.GetFileName(e) != Path.GetFileName(dir)).ToArray();
            Assert.AreEqual(0, left.Length, "no staging, backup or lock left: " + string.Join(", ", left));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void TheReportShowsEveryHeadlineOneHeadingSchemeAndHowToUseTheModels()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-hw").FullName;
        try
        {
            HomeworkRunner.Run(Options(dir), new IHomeworkPart[] { new ManyModelsPart() });
            string md = File.ReadAllText(Path.Combine(dir, "report.md"));
            string summary = md.Split("## Part 6")[0];
            foreach (var name in new[] { "bow", "embed", "glove", "rnn", "lstm" }) StringAssert.Contains(summary, $"{name}: test accuracy");
            Assert.IsFalse(summary.Contains("seconds"), "only headline metrics in the summary");
            Assert.AreEqual(1, md.Split('\n').Count(l => l.StartsWith("# ", StringComparison.Ordinal)), "one H1: the report's title");
            StringAssert.Contains(md, "### Confusion matrices");
            StringAssert.Contains(md, "#### bow");
            StringAssert.Contains(md, "### How to use these models");
            StringAssert.Contains(md, "predict --model-file bow.zip");
            string html = File.ReadAllText(Path.Combine(dir, "report.html"));
            StringAssert.Contains(html, "<td><img alt=\"t\" src=\"data:image/png;base64,");
            Assert.AreEqual(1, html.Split("<h1>").Length - 1);
        }
        finally { Directory.Delete(dir, true); }
    }

    static HomeworkOptions Options(string dir, int seed = 3, bool force = false, params int[] parts) =>
        new() { Run = new() { OutputDirectory = dir, Seed = seed }, Size = RunSize.Tiny, Force = force, Parts = parts };

    [TestMethod]
    public void AFailingPartIsReportedAndTheOthersStillRun()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-hw").FullName;
        try
        {
            var parts = new IHomeworkPart[] { new ArithmeticPart(1), new ArithmeticPart(2, fail: true), new ArithmeticPart(3) };
            var records = HomeworkRunner.Run(Options(dir), parts);
            CollectionAssert.AreEqual(new[] { "ok", "failed", "ok" }, records.Select(r => r.Status).ToArray());
            StringAssert.Contains(records[1].Error, "part 2 was told to fail");
            string md = File.ReadAllText(Path.Combine(dir, "report.md"));
            StringAssert.Contains(md, "## Part 2: arithmetic 2");
            StringAssert.Contains(md, "part 2 was told to fail");
            StringAssert.Contains(md, "| seed squared | 9 |");
            string html = File.ReadAllText(Path.Combine(dir, "report.html"));
            StringAssert.Contains(html, "<td>seed squared</td><td>9</td>");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void UpToDatePartsAreSkippedUnlessForcedOrChanged()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-hw").FullName;
        try
        {
            var one = new ArithmeticPart(1);
            var two = new ArithmeticPart(2, fail: true);
            HomeworkRunner.Run(Options(dir), new IHomeworkPart[] { one, two });
            var again = HomeworkRunner.Run(Options(dir), new IHomeworkPart[] { one, two });
            Assert.AreEqual(1, one.Runs, "an up-to-date part must not run again");
            Assert.AreEqual(2, two.Runs, "a failed part is never up to date");
            Assert.IsTrue(again[0].Reused);
            HomeworkRunner.Run(Options(dir, seed: 4), new IHomeworkPart[] { one });
            Assert.AreEqual(2, one.Runs, "another seed makes the stored result stale");
            HomeworkRunner.Run(Options(dir, seed: 4, force: true), new IHomeworkPart[] { one });
            Assert.AreEqual(3, one.Runs, "--force reruns");
            var only = HomeworkRunner.Run(Options(dir, 4, false, 1), new IHomeworkPart[] { one, two });
            Assert.AreEqual(1, only.Count);
            Assert.ThrowsExactly<ArgumentException>(() => HomeworkRunner.Run(Options(dir, 4, false, 9), new IHomeworkPart[] { one }));
        }
        finally { Directory.Delete(dir, true); }
    }
}
