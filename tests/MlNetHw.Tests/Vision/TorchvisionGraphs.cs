using System.Diagnostics;
using MlNetHw.Onnx;

namespace MlNetHw.Tests.Vision;

/// <summary>
/// Small real graphs for the bring-your-own-backbone tests: torchvision resnet18 and mobilenet_v2 (random weights,
/// opset 13, BatchNorm kept, 64×64 input with a symbolic batch) exported once per test run by the repository's
/// tests/onnx-conformance/export_torchvision.py with Debian's python3-torch; and hand-built tiny CNNs
/// (<see cref="TinyCnn"/>) for the error cases.
/// </summary>
static class TorchvisionGraphs
{
    static readonly object Gate = new();
    static string? _folder;
    static string? _failure;

    /// <summary>The exported file of <paramref name="arch"/> (resnet18 or mobilenet_v2); Inconclusive without python (Fail on CI).</summary>
    public static string Path(string arch)
    {
        lock (Gate)
        {
            if (_folder is null && _failure is null) Export();
            if (_failure is not null)
            {
                if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                    Assert.Fail("CI must be able to export the torchvision graphs: " + _failure);
                Assert.Inconclusive(_failure);
            }
            return System.IO.Path.Combine(_folder!, $"{arch}_op13_preserve.onnx");
        }
    }

    static void Export()
    {
        string script = System.IO.Path.Combine(Cli.ProgramsCommandLineTests.RepoRoot(), "tests", "onnx-conformance", "export_torchvision.py");
        string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mlnethw-byo-graphs-{Environment.ProcessId}");
        if (!File.Exists("/usr/bin/python3")) { _failure = "no /usr/bin/python3 (Debian python3-torch, python3-torchvision) to export torchvision graphs"; return; }
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, folder, "--only", "resnet18,mobilenet_v2", "--opsets", "13", "--modes", "preserve" }) psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "2";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) { _failure = $"export_torchvision.py failed (exit {p.ExitCode}): {err.Result.Trim().Split('\n').LastOrDefault()}"; return; }
        _folder = folder;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(folder, true); } catch (IOException) { } };
    }

    /// <summary>
    /// input (N, 3, 16, 16) → Conv(4, 3×3, pad 1) → Relu 'relu' → GlobalAveragePool 'pooled' → Flatten → Gemm 'fc' (3
    /// classes) → 'logits'; plus a side branch Reshape 'maps3d' (1, 4, 256) that nothing reads (a 3-D value), and,
    /// when <paramref name="unsupportedOp"/> is given, a node of that op between Relu and the pooling.
    /// </summary>
    public static OnnxModel TinyCnn(string? unsupportedOp = null)
    {
        var b = new OnnxGraphBuilder("tiny_cnn");
        var rng = new Random(5);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        b.Input("input", OnnxDataType.Float, null, 3, 16, 16);
        b.Floats("conv_w", R(4 * 3 * 3 * 3), 4, 3, 3, 3);
        b.Floats("conv_b", R(4), 4);
        b.Floats("fc_w", R(3 * 4), 3, 4);
        b.Floats("fc_b", R(3), 3);
        b.Int64s("shape3d", new long[] { 1, 4, 256 }, 3);
        b.Node("Conv", new[] { "input", "conv_w", "conv_b" }, new[] { "conv" }, OnnxAttribute.IntList("pads", 1, 1, 1, 1), OnnxAttribute.IntList("kernel_shape", 3, 3));
        string x = b.Node("Relu", new[] { "conv" }, new[] { "relu" });
        b.Node("Reshape", new[] { "relu", "shape3d" }, new[] { "maps3d" });
        if (unsupportedOp is not null) x = b.Node(unsupportedOp, new[] { x }, new[] { "odd" });
        b.Node("GlobalAveragePool", new[] { x }, new[] { "pooled" });
        b.Node("Flatten", new[] { "pooled" }, new[] { "flat" }, OnnxAttribute.Int("axis", 1));
        b.Node("Gemm", new[] { "flat", "fc_w", "fc_b" }, new[] { "logits" }, OnnxAttribute.Int("transB", 1));
        b.Output("logits", OnnxDataType.Float, null, 3);
        return b.Model("tiny CNN for the backbone tests", opset: 13);
    }
}
