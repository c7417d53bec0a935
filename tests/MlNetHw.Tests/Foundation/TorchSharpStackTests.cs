using MlNetHw.Build;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Foundation;

/// <summary>Proves the native stack loads in the test process: TorchSharp with autograd, nn.LSTM, the ELF fix.</summary>
[TestClass]
public sealed class TorchSharpStackTests
{
    [TestMethod]
    public void TorchSharpLoadsAndAutogradDifferentiatesAPolynomial()
    {
        TorchRuntime.EnsureLoaded(); // throws (test fails, never skips) when libtorch cannot be loaded
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new double[] { 1.5, -2.0, 0.25 }, requires_grad: true);
        var y = (x.pow(3) + 2 * x * x).sum(); // dy/dx = 3x^2 + 4x
        y.backward();
        var expected = new[] { 3 * 1.5 * 1.5 + 4 * 1.5, 3 * 4.0 - 8.0, 3 * 0.0625 + 1.0 };
        var grad = x.grad!.data<double>().ToArray();
        for (int i = 0; i < 3; i++) Assert.AreEqual(expected[i], grad[i], 1e-12, $"d/dx at index {i}");
    }

    [TestMethod]
    public void NnLstmForwardHasDocumentedShapesAndBoundedOutputs()
    {
        TorchRuntime.Seed(7);
        using var scope = torch.NewDisposeScope();
        using var lstm = nn.LSTM(inputSize: 5, hiddenSize: 4, batchFirst: true);
        var input = torch.randn(3, 6, 5);
        var (output, h, c) = lstm.forward(input);
        CollectionAssert.AreEqual(new long[] { 3, 6, 4 }, output.shape);
        CollectionAssert.AreEqual(new long[] { 1, 3, 4 }, h.shape);
        // h = o * tanh(c): every value strictly inside (-1, 1), and the last output step equals h.
        Assert.IsTrue(output.abs().max().item<float>() < 1f);
        Assert.IsTrue(output[.., -1, ..].allclose(h[0]));
        Assert.IsTrue(c.abs().max().item<float>() > 0f, "cell state should not be all zero after 6 steps");
    }

    [TestMethod]
    public void DeviceResolutionPicksCpuHereAndRejectsUnknownNames()
    {
        var device = TorchRuntime.ResolveDevice("cpu");
        Assert.AreEqual(DeviceType.CPU, device.type);
        var auto = TorchRuntime.ResolveDevice("auto");
        Assert.AreEqual(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, auto.type);
        var e = Assert.ThrowsExactly<ArgumentException>(() => TorchRuntime.ResolveDevice("tpu"));
        StringAssert.Contains(e.Message, "auto, cpu or cuda");
    }

    [TestMethod]
    public void OutputCopyOfLibTorchSharpIsLoadableAndTheNuGetCacheIsUntouched()
    {
        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!OperatingSystem.IsLinux())
        {
            Assert.IsFalse(File.Exists(output), "the Linux library should not be in a non-Linux output folder");
            return;
        }
        Assert.IsTrue(File.Exists(output), $"missing {output}");
        string? system = ElfVersionNeeds.FindSystemLibStdCxx();
        Assert.IsNotNull(system, "no libstdc++.so.6 found");
        bool systemHas = ElfVersionNeeds.Defines(system, "GLIBCXX_3.4.32");
        var need = ElfVersionNeeds.Read(File.ReadAllBytes(output)).Single(n => n.Version == "GLIBCXX_3.4.32");
        // Where the system lacks the version the build must have marked it weak; elsewhere it must be left alone.
        Assert.AreEqual(!systemHas, need.IsWeak, $"system libstdc++ has 3.4.32: {systemHas}; output requirement weak: {need.IsWeak}");

        string cache = NuGetCacheCopy;
        if (File.Exists(cache))
            Assert.IsFalse(ElfVersionNeeds.Read(File.ReadAllBytes(cache)).Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak,
                "the NuGet cache copy was modified");
    }

    [TestMethod]
    public void PatcherIsIdempotentAndBreaksHardLinks()
    {
        if (!OperatingSystem.IsLinux()) return;
        string cache = NuGetCacheCopy;
        string source = File.Exists(cache) ? cache : Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        string dir = Directory.CreateTempSubdirectory("mlnethw-elf").FullName;
        try
        {
            string original = Path.Combine(dir, "original.so"), linked = Path.Combine(dir, "linked.so");
            File.Copy(source, original);
            // make the requirement strong again (the source may be an already patched output copy)
            byte[] bytes = File.ReadAllBytes(original);
            var need = ElfVersionNeeds.Read(bytes).Single(n => n.Version == "GLIBCXX_3.4.32");
            bytes[need.FlagsOffset] &= unchecked((byte)~ElfVersionNeeds.VerFlagWeak);
            File.WriteAllBytes(original, bytes);
            Assert.AreEqual(0, Link(original, linked), "could not create a hard link");

            var versions = new HashSet<string> { "GLIBCXX_3.4.32" };
            Assert.AreEqual(ElfPatchOutcome.Patched, ElfVersionNeeds.MakeVersionsWeak(linked, versions));
            Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, ElfVersionNeeds.MakeVersionsWeak(linked, versions));
            Assert.IsFalse(ElfVersionNeeds.Read(File.ReadAllBytes(original)).Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak,
                "patching the hard link wrote through to the original file");
            var patched = ElfVersionNeeds.Read(File.ReadAllBytes(linked));
            Assert.AreEqual(1, patched.Count(n => n.IsWeak), "exactly one requirement is weak");
            Assert.AreEqual(ElfPatchOutcome.NotRequired, ElfVersionNeeds.MakeVersionsWeak(linked, new HashSet<string> { "GLIBCXX_9.9" }));
            File.WriteAllText(original, "not an elf");
            Assert.ThrowsExactly<InvalidDataException>(() => ElfVersionNeeds.MakeVersionsWeak(original, versions));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>The package's own copy of the library in the NuGet cache (which the build must never modify).</summary>
    static string NuGetCacheCopy => Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    static extern int Link(string oldPath, string newPath);
}
