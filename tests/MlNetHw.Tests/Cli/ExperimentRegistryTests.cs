using MlNetHw.Cli;

namespace MlNetHw.Tests.Cli;

/// <summary>The registry is the one list: the tool's sub-commands and the main job's parts come from it.</summary>
[TestClass]
public sealed class ExperimentRegistryTests
{
    [TestMethod]
    public void EveryEntryIsASubcommandOfTheToolAndItsPartsAreTheMainJobs()
    {
        var tool = MlNetHwCommand.Create();
        foreach (var e in Experiments.All)
        {
            var sub = tool.Subcommands.SingleOrDefault(c => c.Name == e.Id);
            Assert.IsNotNull(sub, $"no sub-command {e.Id}");
            Assert.AreEqual(e.Create().Options.Count(o => o.Name != "--help" && o.Name != "--version"), sub.Options.Count, e.Id);
        }
        var numbers = Experiments.Parts.Select(p => p.Number).ToList();
        CollectionAssert.AllItemsAreUnique(numbers);
        CollectionAssert.AreEqual(Enumerable.Range(1, numbers.Count).ToList(), numbers, "parts are numbered 1..n in order");
        var partsOption = HomeworkCommand.Create().Options.Single(o => o.Name == "--parts");
        StringAssert.Contains(partsOption.Description, string.Join(",", numbers));
    }
}
