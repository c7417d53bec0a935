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
