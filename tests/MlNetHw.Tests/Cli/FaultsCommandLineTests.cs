using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using static MlNetHw.Tests.Cli.ProgramsCommandLineTests;

namespace MlNetHw.Tests.Cli;

/// <summary>
/// Issue 15, at the level of the real programs: bad input and faults end in one clear line (exit 2, or 3 for the
/// consumer's partly bad rows) naming the file, option or setting, never a stack trace, and leave what was on disk
/// unchanged; an interrupted or concurrent run never leaves a folder mixing two runs.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class FaultsCommandLineTests
{
    string _dir = "";

    [TestInitialize]
    public void Init()
    {
        _dir = Path.Combine(Path.GetTempPath(), "mlnethw-faults-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void Cleanup()
    {
        foreach (var d in Directory.EnumerateDirectories(_dir, "*", SearchOption.AllDirectories)) Chattr("-i", d);
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>
    /// A refusal after the program started logging: exit 2, exactly one <c>error:</c> line, the last one, naming every
    /// <paramref name="mentions"/>, and no stack trace (the log lines before it are progress).
    /// </summary>
    static void AssertRefused(Run r, params string[] mentions)
    {
        Assert.AreEqual(2, r.ExitCode, r.ToString());
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.AreEqual(1, lines.Count(l => l.StartsWith("error:", StringComparison.Ordinal)), r.ToString());
        StringAssert.StartsWith(lines[^1], "error: ", r.ToString());
        foreach (var m in mentions) StringAssert.Contains(lines[^1], m, r.ToString());
        AssertNoStackTrace(r);
    }

    /// <summary>Every file under <paramref name="folder"/> (and its siblings' names) with its bytes' hash: "nothing changed" is equality.</summary>
    static string Snapshot(string folder)
    {
        var sb = new StringBuilder();
        string parent = Path.GetDirectoryName(folder)!;
        foreach (var e in Directory.EnumerateFileSystemEntries(parent).Order(StringComparer.Ordinal)) sb.AppendLine(Path.GetFileName(e));
        if (Directory.Exists(folder))
            foreach (var f in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                sb.AppendLine($"{Path.GetRelativePath(folder, f)} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}");
        return sb.ToString();
    }

    static bool Chattr(string flag, string path)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit(10_000);
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>A <c>LABEL sentence</c> folder (train/dev/test); <paramref name="variant"/> changes the words but not the counts.</summary>
    string Sentences(string name, int variant = 0, bool singleClass = false, int longLineWords = 0)
    {
        string folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        var rng = new Random(1 + variant);
        string[] pos = ["good", "great", "fine", "love", "nice", "superb"], neg = ["bad", "awful", "poor", "hate", "ugly", "worst"];
        string Sentence(bool label) => string.Join(" ", Enumerable.Range(0, rng.Next(3, 9)).Select(_ => (label ? pos : neg)[rng.Next(6)]));
        foreach (var (file, n) in new[] { ("train.txt", 200), ("dev.txt", 40), ("test.txt", 40) })
        {
            var lines = Enumerable.Range(0, n).Select(i => { bool l = singleClass && file == "train.txt" || i % 2 == 1; return $"{(l ? 1 : 0)} {Sentence(l)}"; }).ToList();
            if (file == "train.txt" && longLineWords > 0) lines.Add("1 " + string.Join(" ", Enumerable.Range(0, longLineWords).Select(i => pos[i % 6])));
            File.WriteAllLines(Path.Combine(folder, file), lines);
        }
        return folder;
    }

    // ---- --out: an existing file, an immutable folder --------------------------------------------------------------

    [TestMethod]
    public void AnUnusableOutIsAUsageErrorBeforeAnyWorkInEveryPipeline()
    {
        string file = Path.Combine(_dir, "taken.txt");
        File.WriteAllText(file, "not a folder");
        string immutable = Path.Combine(_dir, "frozen");
        Directory.CreateDirectory(immutable);
        File.WriteAllText(Path.Combine(immutable, "keep.txt"), "earlier");
        bool canFreeze = Chattr("+i", immutable);
        var runs = new (string Program, string[] Args)[]
        {
            ("TextClassification", ["train", "--model", "embed"]), ("StyleTransfer", []), ("ImageCaptioning", []), ("TransferLearning", []),
            ("RecurrentLayers", []), ("Homework", []), ("TorchMlpExample", []),
        };
        try
        {
            foreach (var (program, args) in runs)
            {
                string before = Snapshot(file);
                AssertUsageError(Start(program, [.. args, "--out", file]), "--out", file, "existing file");
                Assert.AreEqual("not a folder", File.ReadAllText(file));
                Assert.AreEqual(before, Snapshot(file), program);
                if (canFreeze)
                {
                    string frozenBefore = Snapshot(immutable);
                    AssertUsageError(Start(program, [.. args, "--out", immutable]), "--out", immutable, "not writable");
                    Assert.AreEqual(frozenBefore, Snapshot(immutable), program);
                }
            }
            AssertUsageError(Start("Datasets", "fetch", "sentiment-uci", "--data-dir", file), "--data-dir", file);
            AssertUsageError(Start("TorchMlpExample", "--out", Path.Combine(file, "below")), "--out", "is a file");
        }
        finally { Chattr("-i", immutable); }
        if (!canFreeze) Assert.Inconclusive("chattr +i is not available here: the immutable-folder case was not run (the existing-file case was)");
    }

    // ---- resume: any difference refused, naming the setting and both values ----------------------------------------

    [TestMethod]
    public void ResumeWithOtherSettingsModelOrDataIsRefusedNamingTheSettingAndBothValues()
    {
        string a = Sentences("a");
        // The same sentences (so the same features) with two labels flipped: same size, other content.
        string b = Path.Combine(_dir, "b");
        Directory.CreateDirectory(b);
        foreach (var f in new[] { "dev.txt", "test.txt" }) File.Copy(Path.Combine(a, f), Path.Combine(b, f));
        var train = File.ReadAllLines(Path.Combine(a, "train.txt"));
        foreach (int i in new[] { 3, 10 }) train[i] = (train[i][0] == '1' ? "0" : "1") + train[i][1..];
        File.WriteAllLines(Path.Combine(b, "train.txt"), train);
        string @out = Path.Combine(_dir, "mlp");
        string[] common = ["--quick", "--threads", "1", "--patience", "0", "--out", @out];
        var first = Start("TorchMlpExample", [.. common, "--epochs", "2", "--data", a]);
        Assert.AreEqual(0, first.ExitCode, first.ToString());
        string before = Snapshot(@out);

        void Refused(string setting, string was, string now, params string[] change)
        {
            string[] epochs = change.Contains("--epochs") ? [] : ["--epochs", "2"];
            var r = Start("TorchMlpExample", [.. common, .. epochs, "--data", a, "--resume", .. change]);
            AssertRefused(r, "training.ckpt", setting, was, now);
            Assert.AreEqual(before, Snapshot(@out), $"a refused resume ({setting}) changes nothing on disk");
        }
        Refused("model.dropout", "0.2", "0.5", "--dropout", "0.5");
        Refused("model.hidden", "64", "32", "--hidden", "32");
        Refused("epochs", "2", "3", "--epochs", "3");
        Refused("lr", "0.003", "0.01", "--lr", "0.01");

        // Other sentences, same counts: the content hash differs.
        var other = Start("TorchMlpExample", [.. common, "--epochs", "2", "--data", b, "--resume"]);
        AssertRefused(other, "train-data-sha256");
        Assert.AreEqual(before, Snapshot(@out));

        // The same settings resume (training had finished: the same model again).
        var same = Start("TorchMlpExample", [.. common, "--epochs", "2", "--data", a, "--resume"]);
        Assert.AreEqual(0, same.ExitCode, same.ToString());
        Assert.AreEqual(first.StdOut.Split('\n')[1], same.StdOut.Split('\n')[1], "the resumed run reports the same test figures");
    }

    // ---- run-level atomicity: interrupted, concurrent ----------------------------------------------------------------

    [TestMethod]
    public void AKilledRunNeverLeavesAFolderMixingTwoRunsAndASecondRunOnTheSameOutIsRefused()
    {
        string @out = Path.Combine(_dir, "mlp");
        var earlier = Start("TorchMlpExample", "--quick", "--threads", "1", "--out", @out);
        Assert.AreEqual(0, earlier.ExitCode, earlier.ToString());
        byte[] earlierReport = File.ReadAllBytes(Path.Combine(@out, "report.md"));
        byte[] earlierModel = File.ReadAllBytes(Path.Combine(@out, "model.zip"));

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        foreach (var arg in new[] { ProgramPath("TorchMlpExample"), "--seed", "2", "--epochs", "400", "--patience", "0", "--threads", "1", "--out", @out })
            psi.ArgumentList.Add(arg);
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            var clock = Stopwatch.StartNew();
            // The new run has started (its folder is marked) and finished an epoch (its checkpoint).
            while (!(File.Exists(Path.Combine(@out, ".run-incomplete")) && File.Exists(Path.Combine(@out, "training.ckpt")))
                   && clock.Elapsed < TimeSpan.FromSeconds(90) && !p.HasExited) Thread.Sleep(100);
            Assert.IsFalse(p.HasExited, "the long run ended before it could be interrupted");

            // While it runs: the folder holds only its files, and a second run on the same folder is refused.
            AssertRefused(Start("TorchMlpExample", "--quick", "--threads", "1", "--out", @out), "being written by another run", @out);
            p.Kill(entireProcessTree: true);
            p.WaitForExit(30_000);
        }
        finally { if (!p.HasExited) p.Kill(true); }

        // Killed: the folder is marked incomplete and has no report (nothing of the earlier run beside the new files);
        // the earlier complete run is intact beside it.
        Assert.IsTrue(File.Exists(Path.Combine(@out, ".run-incomplete")));
        Assert.IsFalse(File.Exists(Path.Combine(@out, "report.md")), "no report beside another run's files");
        string previous = Directory.GetDirectories(_dir, "mlp.previous-*").Single();
        CollectionAssert.AreEqual(earlierReport, File.ReadAllBytes(Path.Combine(previous, "report.md")));
        CollectionAssert.AreEqual(earlierModel, File.ReadAllBytes(Path.Combine(previous, "model.zip")));

        // The next run recovers and completes: one run's files, no leftovers.
        var next = Start("TorchMlpExample", "--quick", "--threads", "1", "--seed", "3", "--out", @out);
        Assert.AreEqual(0, next.ExitCode, next.ToString());
        Assert.IsFalse(File.Exists(Path.Combine(@out, ".run-incomplete")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(@out, "report.md")), "Seed 3");
        CollectionAssert.AreEquivalent(new[] { "mlp" }, Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).ToArray());
    }

    // ---- damaged inputs ------------------------------------------------------------------------------------------------

    [TestMethod]
    public void ATruncatedContentImageIsRefusedNamingItAndTheEarlierOutputStays()
    {
        string good = Path.Combine(_dir, "good.png");
        using (var bmp = new SkiaSharp.SKBitmap(64, 48))
        {
            for (int y = 0; y < 48; y++) for (int x = 0; x < 64; x++) bmp.SetPixel(x, y, new SkiaSharp.SKColor((byte)(x * 4), (byte)(y * 5), (byte)(x + y)));
            using var data = bmp.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(good, data.ToArray());
        }
        string truncated = Path.Combine(_dir, "truncated.png");
        byte[] bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        string @out = Path.Combine(_dir, "style");
        Directory.CreateDirectory(@out);
        File.WriteAllText(Path.Combine(@out, "summary.md"), "an earlier run");
        string before = Snapshot(@out);
        AssertRefused(Start("StyleTransfer", "--content", truncated, "--style", good, "--out", @out, "--quick"), "--content", truncated);
        AssertRefused(Start("StyleTransfer", "--content", good, "--style", truncated, "--out", @out, "--quick"), "--style", truncated);
        Assert.AreEqual(before, Snapshot(@out));
    }

    [TestMethod]
    public void AnUnknownTextModelOrPoolingIsRefusedListingTheChoices()
    {
        string @out = Path.Combine(_dir, "text-names");
        AssertRefused(Start("TextClassification", "train", "--model", "bow,bert", "--out", @out, "--no-child-check"),
            "'bert'", "bow", "embed", "glove", "rnn", "lstm", "encoder", "finetuned", "all");
        AssertRefused(Start("TextClassification", "train", "--model", "finetuned", "--finetune-pooling", "max", "--out", @out, "--no-child-check"),
            "--finetune-pooling", "'max'", "mean", "cls");
        Assert.IsFalse(Directory.Exists(@out), "nothing written");
    }

    [TestMethod]
    public void NonFiniteWordVectorsAndSingleClassTrainingDataAreRefusedNamingTheFile()
    {
        string data = Sentences("s");
        string glove = Path.Combine(_dir, "vectors.txt");
        string[] words = ["good", "great", "fine", "love", "nice", "superb", "bad", "awful", "poor", "hate", "ugly", "worst"];
        var lines = words.Select((w, i) => $"{w} {0.1 * i:0.0} 0.5 -0.25").ToArray();
        lines[3] = "love 0.1 NaN 0.3";
        File.WriteAllLines(glove, lines);
        string @out = Path.Combine(_dir, "text");
        AssertRefused(Start("TextClassification", "train", "--model", "glove", "--data", data, "--glove", glove, "--quick", "--out", @out, "--no-child-check"),
            $"{glove}:4", "not a finite number");
        lines[3] = "love 0.1 1e39 0.3"; // beyond float: would read as infinity
        File.WriteAllLines(glove, lines);
        AssertRefused(Start("TextClassification", "train", "--model", "glove", "--data", data, "--glove", glove, "--quick", "--out", @out, "--no-child-check"),
            $"{glove}:4");
        Assert.IsFalse(Directory.Exists(@out), "nothing written");

        string single = Sentences("single", singleClass: true);
        AssertRefused(Start("TextClassification", "train", "--model", "embed", "--data", single, "--quick", "--out", @out, "--no-child-check"),
            Path.Combine(single, "train.txt"), "both labels");
        AssertRefused(Start("TorchMlpExample", "--data", single, "--quick", "--out", Path.Combine(_dir, "mlp")), "both labels");
        Assert.IsFalse(Directory.Exists(@out));
        Assert.IsFalse(Directory.Exists(Path.Combine(_dir, "mlp")));
    }

    // ---- input limits, and model files out of range --------------------------------------------------------------------

    [TestMethod]
    public void AVeryLongSentenceIsCutAndCountedAndACutModelFileIsRefused()
    {
        string data = Sentences("long", longLineWords: 300_000);
        string @out = Path.Combine(_dir, "text");
        var r = Start("TextClassification", "train", "--model", "embed", "--data", data, "--quick", "--threads", "1", "--out", @out, "--no-child-check");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        StringAssert.Contains(r.StdErr, "1 sentence(s) longer than 256 words (the longest has 300000) are cut");
        StringAssert.Contains(File.ReadAllText(Path.Combine(@out, "results.md")), "1 sentence(s) longer than 256 words were cut");
        string before = Snapshot(@out);

        // Without the cap, the padded batch is estimated and refused before libtorch allocates it.
        var uncapped = Start("TextClassification", "train", "--model", "embed", "--data", data, "--quick", "--threads", "1", "--out", @out, "--no-child-check", "--max-words", "0");
        AssertRefused(uncapped, "300000 words", "GB", "--max-words");
        Assert.AreEqual(before, Snapshot(@out), "a failed run leaves the earlier one");

        // A damaged model file (the saved zip cut in half, or its ONNX graph replaced by junk) is refused naming the file.
        string zip = Path.Combine(@out, "embed.zip");
        string truncated = Path.Combine(_dir, "truncated.zip");
        var bytes = File.ReadAllBytes(zip);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        AssertRefused(Start("TextClassification", "predict", "--model-file", truncated, "good"), truncated);
        string junk = Path.Combine(_dir, "junk-graph.zip");
        File.Copy(zip, junk);
        using (var archive = ZipFile.Open(junk, ZipArchiveMode.Update))
        {
            var onnx = archive.Entries.First(e => e.Name == "OnnxModel"); // where ML.NET keeps an ApplyOnnxModel graph
            string name = onnx.FullName;
            onnx.Delete();
            using var w = new StreamWriter(archive.CreateEntry(name).Open());
            w.Write("not an ONNX graph");
        }
        AssertRefused(Start("TextClassification", "predict", "--model-file", junk, "good"), junk);
        var ok = Start("TextClassification", "predict", "--model-file", zip, "good great");
        Assert.AreEqual(0, ok.ExitCode, ok.ToString());
    }

    // ---- the consumer: bad rows named, good rows scored, exit 3 --------------------------------------------------------

    [TestMethod]
    public void TheConsumerNamesBadRowsByLineAndFieldScoresTheGoodOnesAndExitsThree()
    {
        string @out = Path.Combine(_dir, "mlp");
        var trained = Start("TorchMlpExample", "--quick", "--threads", "1", "--out", @out);
        Assert.AreEqual(0, trained.ExitCode, trained.ToString());
        string model = Path.Combine(@out, "model.zip");
        string rows = Path.Combine(_dir, "rows.jsonl");
        File.WriteAllLines(rows, [
            """{"Features":[1,2,3,4]}""", """{"Featurs":[1,2,3,4]}""", """{"Features":null}""", """{"Features":"abc"}""",
            """{"Features":[1,2,3]}""", """{"Features":[1e40,2,3,4]}""", "not json", """{"Features":[3.4e38,-3.4e38,3.4e38,3.4e38]}""",
            """{"Features":[0.5,0.1,0.2,0.3]}""",
        ]);
        var r = Start("ModelConsumer", "--model", model, "--input", rows);
        Assert.AreEqual(3, r.ExitCode, r.ToString());
        AssertNoStackTrace(r);
        var output = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.AreEqual(9, output.Count, "one output line per input row");
        foreach (int good in new[] { 0, 8 }) Assert.IsNotNull(output[good]["Probability"], r.ToString());
        foreach (int bad in new[] { 1, 2, 3, 4, 5, 6, 7 }) Assert.AreEqual(bad + 1, (int)output[bad]["row"]!, r.ToString());
        foreach (var expected in new[] { $"{rows}:2: field 'Features'", "'Featurs'", $"{rows}:3:", $"{rows}:4: field 'Features' = \"abc\"", $"{rows}:5: field 'Features' has 3 values",
                                         $"{rows}:6: field 'Features'[0] is out of range", $"{rows}:7: not JSON", $"{rows}:8: the prediction Score = Infinity", "7 of 9 rows failed" })
            StringAssert.Contains(r.StdErr, expected, r.ToString());
        StringAssert.Contains(Start("ModelConsumer", "--help").StdOut, "3 some rows");
        var good2 = Start("ModelConsumer", "--model", model, "--json", """{"Features":[1,2,3,4]}""");
        Assert.AreEqual(0, good2.ExitCode, good2.ToString());
    }
}
