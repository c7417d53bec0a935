// Test classes run one at a time: TorchSharp and ML.NET tests each use both cores, and parallel classes
// on a 2-core machine only add contention. Methods inside a class may opt in with [DoNotParallelize] defaults.
[assembly: Microsoft.VisualStudio.TestTools.UnitTesting.DoNotParallelize]
