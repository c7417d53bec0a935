using MlNetHw.Recurrent;
using MlNetHw.Torch;
using TorchSharp;
TorchRuntime.EnsureLoaded();
torch.set_num_threads(1);
foreach (var r in RecurrentGradientChecks.All(0))
    Console.WriteLine($"{r.Layer,-24} {r.Parameter,-16} {r.Method,-9} {r.RelativeError,10:E2} {r.MaxElementwiseError,10:E2} {(r.Passed ? "pass" : "FAIL")}");
