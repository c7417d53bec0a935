using System.CommandLine;
using MlNetHw.Cli;

namespace MlNetHw.Tests.Cli;

[TestClass]
public sealed class CliAppTests
{
    static (int Code, string Out, string Err) Run(Func<int> action, params string[] args)
    {
        var root = new RootCommand("test");
        root.SetAction(_ => action());
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(root, args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [TestMethod]
    public void AWrappedInputErrorIsAUsageErrorWithTheInnermostMessage()
    {
        var (code, _, err) = Run(() => throw new InvalidOperationException("Error during class instantiation",
            new FileNotFoundException("images/a.png not found")));
        Assert.AreEqual(2, code);
        Assert.AreEqual("error: images/a.png not found", err.Trim());
    }

    [TestMethod]
    public void AnyOtherExceptionIsAFailedRunOnOneLineWithTheTraceOnlyWhenVerbose()
    {
        var (code, _, err) = Run(() => throw new InvalidOperationException("out of\nmemory"));
        Assert.AreEqual(1, code);
        Assert.AreEqual(1, err.Trim().Split('\n').Length, err);
        StringAssert.Contains(err, "out of memory");
        Assert.IsFalse(err.Contains("   at "), err);

        (code, _, err) = Run(() => throw new InvalidOperationException("boom"), "--verbose");
        Assert.AreEqual(1, code);
        StringAssert.Contains(err, "   at ");
    }

    [TestMethod]
    public void TheActionsExitCodeIsReturned()
    {
        Assert.AreEqual(0, Run(() => 0).Code);
        Assert.AreEqual(1, Run(() => 1).Code);
    }

    [TestMethod]
    public void AWordStartingWithAnAtSignIsAnArgumentNotAResponseFile()
    {
        var root = new RootCommand("test");
        var words = new Argument<string[]>("word") { Arity = ArgumentArity.ZeroOrMore };
        root.Arguments.Add(words);
        string[]? seen = null;
        root.SetAction(r => { seen = r.GetValue(words); return 0; });
        Assert.AreEqual(0, CliApp.Run(root, ["@someone great film"], new StringWriter(), new StringWriter()));
        CollectionAssert.AreEqual(new[] { "@someone great film" }, seen);
    }

    [TestMethod]
    public void ABadValueOfACommonOptionNamesTheOption()
    {
        var run = new RunOptionGroup(seed: 3, outDefault: "out/x", quickDescription: "quick");
        var root = new RootCommand("test");
        run.AddTo(root);
        MlNetHw.Runs.RunOptions? settings = null;
        root.SetAction(r => { settings = run.Read(r); return 0; });
        var error = new StringWriter();
        Assert.AreEqual(2, CliApp.Run(root, ["--seed", "x"], new StringWriter(), error));
        StringAssert.Contains(error.ToString(), "--seed");
        Assert.AreEqual(0, CliApp.Run(root, ["--threads", "2", "--device", "cuda:1", "--quick"], new StringWriter(), new StringWriter()));
        Assert.IsNotNull(settings);
        Assert.AreEqual((3, "cuda:1", 2, "out/x", true), (settings.Seed, settings.Device, settings.Threads, settings.OutputDirectory, settings.Quick));
    }

    [TestMethod]
    public void NativeMemoryTakesRetainOrReleaseAndNamesTheOptionOtherwise()
    {
        var (code, _, err) = Run(() => 0, "--native-memory", "keep");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "--native-memory");
        StringAssert.Contains(err, "keep");
        Assert.AreEqual(0, Run(() => 0, "--native-memory", "release").Code);
        Assert.AreEqual(0, Run(() => 0, "--native-memory", "retain").Code);
        if (OperatingSystem.IsLinux()) Assert.IsTrue(MlNetHw.Torch.NativeHeap.Retained, "retain (the default) must take effect on Linux/glibc");
    }
}
