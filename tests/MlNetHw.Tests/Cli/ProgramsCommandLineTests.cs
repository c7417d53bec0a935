using System.CommandLine;
using System.Diagnostics;
using MlNetHw.Cli;

namespace MlNetHw.Tests.Cli;

/// <summary>
/// Starts the real programs (<c>dotnet pipelines/X/bin/&lt;config&gt;/net10.0/X.dll</c>, or samples/X, built by this test project's
/// references) and checks the command-line conventions: usage errors exit 2 with one line on stderr and no stack
/// trace, --help exits 0 and describes every option. Nothing here trains anything.
/// </summary>
[TestClass]
public sealed class ProgramsCommandLineTests
{
    public static readonly string[] Pipelines =
        ["Datasets", "Homework", "ImageCaptioning", "MlNetHwTool", "ModelConsumer", "RecurrentLayers", "StyleTransfer", "TextClassification", "TorchMlpExample", "TransferLearning"];

    /// <summary>The command trees the programs run, where the test can build them too (the samples' commands live in their own projects).</summary>
    static RootCommand? Tree(string pipeline) => pipeline switch
    {
        "Datasets" => DatasetsCommand.Create(MlNetHw.Datasets.DatasetCatalog.Default, TextWriter.Null),
        "Homework" => HomeworkCommand.Create(),
        "ImageCaptioning" => ImageCaptioningCommand.Create(),
        "MlNetHwTool" => MlNetHwCommand.Create(),
        "RecurrentLayers" => RecurrentLayersCommand.Create(),
        "StyleTransfer" => StyleTransferCommand.Create(),
        "TextClassification" => TextClassificationCommand.Create(),
        "TransferLearning" => TransferLearningCommand.Create(),
        _ => null,
    };

    internal sealed record Run(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
    }

    internal static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MlNetHw.sln"))) return d.FullName;
        throw new InvalidOperationException("MlNetHw.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>bin/&lt;config&gt;/net10.0: the same configuration as this test assembly.</summary>
    internal static string ProgramPath(string pipeline)
    {
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = baseDir.Name, config = baseDir.Parent!.Name;
        string folder = Directory.Exists(Path.Combine(RepoRoot(), "pipelines", pipeline)) ? "pipelines" : "samples";
        string dll = Path.Combine(RepoRoot(), folder, pipeline, "bin", config, tfm, pipeline + ".dll");
        if (!File.Exists(dll)) Assert.Fail($"{dll} is not built (the test project references every pipeline, so `dotnet test` builds them).");
        return dll;
    }

    internal static Run Start(string pipeline, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        psi.ArgumentList.Add(ProgramPath(pipeline));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); Assert.Fail($"{pipeline} {string.Join(" ", args)} did not finish in 120 s"); }
        return new Run(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Exit 2, exactly one non-empty line on stderr starting with "error:" and containing every <paramref name="mentions"/>, no stack frame.</summary>
    internal static void AssertUsageError(Run r, params string[] mentions)
    {
        Assert.AreEqual(2, r.ExitCode, r.ToString());
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.AreEqual(1, lines.Length, r.ToString());
        StringAssert.StartsWith(lines[0], "error: ", r.ToString());
        foreach (var m in mentions) StringAssert.Contains(lines[0], m, r.ToString());
        AssertNoStackTrace(r);
    }

    internal static void AssertNoStackTrace(Run r)
    {
        Assert.IsFalse(r.StdOut.Contains("   at ", StringComparison.Ordinal), r.ToString());
        Assert.IsFalse(r.StdErr.Contains("   at ", StringComparison.Ordinal), r.ToString());
    }

    [TestMethod]
    [DynamicData(nameof(PipelineRows))]
    public void AWrongOptionIsAUsageErrorOnOneLineNamingIt(string pipeline)
    {
        AssertUsageError(Start(pipeline, "--no-such-option", "1"), "--no-such-option");
    }

    [TestMethod]
    [DynamicData(nameof(PipelineRows))]
    public void HelpExitsZeroAndDescribesEveryOption(string pipeline)
    {
        var r = Start(pipeline, "--help");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        Assert.AreEqual("", r.StdErr.Trim(), r.ToString());
        // Every option line of the help ("  --name <VALUE>   description") has a description.
        var optionLines = r.StdOut.Split('\n').Select(l => l.TrimEnd()).Where(l => l.StartsWith("  -", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(optionLines.Count >= 3, r.ToString());
        foreach (var line in optionLines)
            Assert.IsTrue(System.Text.RegularExpressions.Regex.IsMatch(line, @"^  -\S.*\S {2,}\S"), $"option without a description: '{line}'\n{r}");
        foreach (var name in new[] { "--help", "--verbose", "--native-memory" }) StringAssert.Contains(r.StdOut, name, r.ToString());
        if (Tree(pipeline) is { } tree)
            foreach (var o in tree.Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name != "--version"))
            {
                Assert.IsFalse(string.IsNullOrWhiteSpace(o.Description), $"{pipeline} {o.Name} has no description");
                StringAssert.Contains(r.StdOut, o.Name, $"{pipeline} --help does not list {o.Name}\n{r}");
            }
    }

    public static IEnumerable<object[]> PipelineRows => Pipelines.Select(p => new object[] { p });

    [TestMethod]
    public void TheCommonRunOptionsAreOfferedByEveryExperiment()
    {
        foreach (var p in new[] { "Homework", "ImageCaptioning", "RecurrentLayers", "StyleTransfer", "TextClassification", "TransferLearning" })
        {
            var names = Tree(p)!.Options.Select(o => o.Name).ToHashSet();
            foreach (var common in new[] { "--seed", "--device", "--threads", "--out", "--quick" })
                Assert.IsTrue(names.Contains(common), $"{p} has no {common}");
        }
    }

    [TestMethod]
    public void ABadValueIsAUsageErrorNamingTheOption()
    {
        AssertUsageError(Start("TransferLearning", "--epochs", "many"), "--epochs", "many");
        AssertUsageError(Start("ImageCaptioning", "--cell", "gru"), "--cell", "gru");
        AssertUsageError(Start("RecurrentLayers", "--device", "tpu"), "--device", "tpu");
        AssertUsageError(Start("Homework", "--threads", "-1"), "--threads");
    }

    [TestMethod]
    public void AMissingFileIsAUsageErrorNamingIt()
    {
        string missing = Path.Combine(Path.GetTempPath(), "mlnethw-no-such-file.zip");
        AssertUsageError(Start("ModelConsumer", "--model", missing, "--info"), missing);
        AssertUsageError(Start("StyleTransfer", "--content", missing), "--content", missing);
        AssertUsageError(Start("TextClassification", "predict", "--model-file", missing, "a sentence"), "--model-file", missing);
    }

    [TestMethod]
    public void HomeworkRejectsUnknownSetKeysListingTheValidOnesAndHelpListsThem()
    {
        AssertUsageError(Start("Homework", "--set", "nosuch.key=1", "--out", Path.Combine(Path.GetTempPath(), "mlnethw-cli-test")),
            "nosuch.key", "text.data", "style.content", "transfer.data");
        StringAssert.Contains(Start("Homework", "--help").StdOut, "text.glove");
        AssertUsageError(Start("Homework", "--parts", "9", "--out", Path.Combine(Path.GetTempPath(), "mlnethw-cli-test")), "--parts");
    }

    [TestMethod]
    public void DatasetsErrorsGoToStderr()
    {
        var r = Start("Datasets", "path", "no-such-dataset");
        AssertUsageError(r, "no-such-dataset");
        Assert.AreEqual("", r.StdOut, r.ToString());
        AssertUsageError(Start("Datasets"), "command");
    }
}
