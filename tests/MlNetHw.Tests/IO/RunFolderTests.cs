using MlNetHw.IO;

namespace MlNetHw.Tests.IO;

/// <summary>Run-level atomicity of an output folder (issue 15): commit, failure, a killed run, a concurrent run, carry-over.</summary>
[TestClass]
public sealed class RunFolderTests
{
    string _root = "";
    string Out => Path.Combine(_root, "out");

    [TestInitialize]
    public void Init() => _root = Directory.CreateTempSubdirectory("mlnethw-runfolder").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_root, true);

    void Complete(string file, string text)
    {
        using var run = RunFolder.Begin(Out);
        File.WriteAllText(Path.Combine(run.FinalPath, file), text);
        run.Commit();
    }

    string[] Entries() => Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName).Order().ToArray()!;

    [TestMethod]
    public void ACommittedRunReplacesTheEarlierOneWhole()
    {
        Complete("a.txt", "run 1");
        Complete("b.txt", "run 2");
        CollectionAssert.AreEqual(new[] { "b.txt" }, Directory.GetFiles(Out).Select(Path.GetFileName).ToArray(), "no file of run 1 beside run 2's");
        CollectionAssert.AreEqual(new[] { "out" }, Entries());
    }

    [TestMethod]
    public void AFailedRunPutsTheEarlierOneBack()
    {
        Complete("a.txt", "run 1");
        using (var run = RunFolder.Begin(Out)) File.WriteAllText(Path.Combine(run.FinalPath, "b.txt"), "run 2, failed");
        CollectionAssert.AreEqual(new[] { "a.txt" }, Directory.GetFiles(Out).Select(Path.GetFileName).ToArray());
        CollectionAssert.AreEqual(new[] { "out" }, Entries());
    }

    [TestMethod]
    public void AKilledRunIsRecoveredByTheNextAndItsEntriesCanBeCarriedOver()
    {
        Complete("a.txt", "run 1");
        // What a killed run leaves: its marked partial folder, the earlier run moved aside, a stale lock file.
        Directory.Move(Out, Out + ".previous-2147483600");
        Directory.CreateDirectory(Out);
        File.WriteAllText(Path.Combine(Out, RunFolder.IncompleteMarker), "killed");
        File.WriteAllText(Path.Combine(Out, "training.ckpt"), "epoch 3 of the killed run");
        File.WriteAllText(Out + ".lock", "pid 2147483600");
        Assert.IsTrue(RunFolder.IsIncomplete(Out));

        using (var run = RunFolder.Begin(Out, name => name == "training.ckpt"))
        {
            Assert.AreEqual("epoch 3 of the killed run", File.ReadAllText(Path.Combine(Out, "training.ckpt")), "resume from the killed run");
            Assert.IsFalse(File.Exists(Path.Combine(Out, "a.txt")));
            Assert.IsTrue(File.Exists(Path.Combine(run.PreviousPath!, "a.txt")), "the complete run was restored, then set aside");
            run.Commit();
        }
        CollectionAssert.AreEqual(new[] { "out" }, Entries());
        Assert.IsFalse(RunFolder.IsIncomplete(Out));
    }

    [TestMethod]
    public void ASecondRunOnTheSameFolderIsRefusedNamingIt()
    {
        using var first = RunFolder.Begin(Out);
        var e = Assert.ThrowsExactly<RunFolderBusyException>(() => RunFolder.Begin(Out));
        StringAssert.Contains(e.Message, Out);
        StringAssert.Contains(e.Message, $"pid {Environment.ProcessId}");
        first.Commit();
        using var third = RunFolder.Begin(Out); // free again
        third.Commit();
    }
}
