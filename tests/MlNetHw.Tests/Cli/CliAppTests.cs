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
}
