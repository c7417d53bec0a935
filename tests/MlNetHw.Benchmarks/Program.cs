using MlNetHw.Benchmarks;
using MlNetHw.Cli;
using MlNetHw.Torch;

var args_ = new CommandLineArgs(args);
var only = args_.List("--only", Array.Empty<string>());
string outPath = args_.String("--out", "benchmarks.json")!;
bool quick = args_.Flag("--quick");
int threads = args_.Number("--threads", 0);
if (args_.HelpRequested)
{
    Console.WriteLine("usage: dotnet run -c Release --project tests/MlNetHw.Benchmarks -- [--only s1,s2] [--out file.json] [--quick] [--threads N (libtorch threads; default: libtorch's own choice)]");
    foreach (var s in BenchmarkHarness.AllSections()) Console.WriteLine($"  {s.Name,-12} {s.Description}");
    return 0;
}
args_.ThrowOnUnknown();
TorchRuntime.EnsureLoaded();
if (threads > 0) TorchSharp.torch.set_num_threads(threads);
Console.WriteLine(TorchRuntime.Describe(TorchRuntime.ResolveDevice("cpu")));
BenchmarkHarness.Run(only, outPath, quick);
return 0;
