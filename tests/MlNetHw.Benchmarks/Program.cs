using System.CommandLine;
using MlNetHw.Benchmarks;
using MlNetHw.Cli;
using MlNetHw.Torch;

var only = CliOptions.List("--only", "Run only these sections: " + string.Join(", ", BenchmarkHarness.AllSections().Select(s => $"{s.Name} ({s.Description})")), helpName: "s1,s2");
var outPath = CliOptions.String("--out", "benchmarks.json", "Results file (JSON: median/min/max per figure)", "file.json");
var quick = CliOptions.Flag("--quick", "Fewer repetitions (smoke run)");
var threads = CliOptions.Threads();
var root = new RootCommand("The benchmark harness of MlNetHw.");
foreach (Option o in new Option[] { only, outPath, quick, threads }) root.Options.Add(o);
root.SetAction(r =>
{
    TorchRuntime.EnsureLoaded();
    CliOptions.ApplyThreads(r.GetValue(threads));
    Console.WriteLine(TorchRuntime.Describe(TorchRuntime.ResolveDevice("cpu")));
    BenchmarkHarness.Run(r.GetValue(only)!, r.GetValue(outPath)!, r.GetValue(quick));
    return 0;
});
return CliApp.Run(root, args);
