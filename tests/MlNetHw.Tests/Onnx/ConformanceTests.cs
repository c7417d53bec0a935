using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Onnx;

/// <summary>
/// Every graph exported by tests/onnx-conformance/export_torchvision.py (torchvision classifiers and a BERT-style
/// encoder, PyTorch 1.13, opsets 11/13/17, eval and BatchNorm-preserving modes): the imported module's output equals
/// ONNX Runtime's on the same random input (max abs difference at most 1e-4 of the output's max abs), and one SGD step
/// in train mode gives the first weight a finite, non-zero gradient and changes it.
/// </summary>
[TestClass]
[TestCategory("Vision")]
public sealed class ConformanceTests
{
    public const string FolderVariable = "MLNETHW_ONNX_CONFORMANCE";
    const double Tolerance = 1e-4;

    /// <summary>The generated folder: $MLNETHW_ONNX_CONFORMANCE, else tests/onnx-conformance/out in the repository.</summary>
    static string Folder()
    {
        var env = Environment.GetEnvironmentVariable(FolderVariable);
        if (!string.IsNullOrEmpty(env)) return env;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MlNetHw.sln")))
                return Path.Combine(d.FullName, "tests", "onnx-conformance", "out");
        return Path.Combine("tests", "onnx-conformance", "out");
    }

    sealed record Graph(string File, string Arch, long Opset, string Mode, string Input, long[] Shape, string Dtype);

    [TestMethod]
    [Timeout(1_800_000)]
    public void EveryExportedGraphMatchesOnnxRuntimeAndTrains()
    {
        string folder = Folder(), manifestPath = Path.Combine(folder, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            string why = $"no generated graphs at {manifestPath}: run `/usr/bin/python3 tests/onnx-conformance/export_torchvision.py {folder}` " +
                         $"(Debian python3-torch/python3-torchvision) or set {FolderVariable}";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail("CI must generate the conformance graphs: " + why);
            Assert.Inconclusive(why);
        }
        var graphs = JsonDocument.Parse(File.ReadAllText(manifestPath)).RootElement.GetProperty("graphs").EnumerateArray()
            .Select(g => new Graph(g.GetProperty("file").GetString()!, g.GetProperty("arch").GetString()!, g.GetProperty("opset").GetInt64(),
                g.GetProperty("mode").GetString()!, g.GetProperty("input").GetString()!,
                g.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray(), g.GetProperty("dtype").GetString()!))
            .Where(g => Filter() is not { } f || f.Contains(g.Arch))
            .ToList();
        Assert.IsTrue(graphs.Count > 0, $"{manifestPath} lists no graphs");

        var rows = new List<string>();
        var failures = new List<string>();
        foreach (var g in graphs)
        {
            var sw = Stopwatch.StartNew();
            string row;
            try
            {
                var (rel, grad) = Check(Path.Combine(folder, g.File), g);
                bool ok = rel <= Tolerance;
                row = $"| {g.Arch} | {g.Opset} | {g.Mode} | {(ok ? "pass" : "FAIL")} | {rel:E1} | {grad:E1} | {sw.Elapsed.TotalSeconds:F1} |";
                if (!ok) failures.Add($"{g.File}: max relative difference {rel:E2} > {Tolerance}");
            }
            catch (Exception e)
            {
                string msg = string.Join(" ", e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                row = $"| {g.Arch} | {g.Opset} | {g.Mode} | FAIL | - | - | {sw.Elapsed.TotalSeconds:F1} |";
                failures.Add($"{g.File}: {e.GetType().Name}: {msg}");
            }
            rows.Add(row);
            Console.WriteLine(row);
        }
        var table = new StringBuilder("| architecture | opset | mode | result | max rel diff | first-weight grad norm | seconds |\n|---|---|---|---|---|---|---|\n");
        foreach (var r in rows) table.AppendLine(r);
        File.WriteAllText(Path.Combine(folder, "conformance.md"), table.ToString());
        if (failures.Count > 0) Assert.Fail($"{failures.Count} of {graphs.Count} graphs fail:\n" + string.Join("\n", failures));
    }

    /// <summary>Optional comma-separated architecture filter ($MLNETHW_ONNX_CONFORMANCE_ONLY), for local runs.</summary>
    static HashSet<string>? Filter() =>
        Environment.GetEnvironmentVariable(FolderVariable + "_ONLY") is { Length: > 0 } s ? s.Split(',').ToHashSet() : null;

    static (double RelDiff, double GradNorm) Check(string path, Graph g)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        Tensor input = g.Dtype == "int64"
            ? torch.randint(1, 500, g.Shape, ScalarType.Int64).masked_fill(torch.arange(g.Shape[^1]) >= g.Shape[^1] * 3 / 4, 0)
            : torch.randn(g.Shape);

        Tensor expected;
        using (var ort = new OrtRunner(path))
            expected = ort.Run(new Dictionary<string, Tensor> { [g.Input] = input }, "output")["output"];

        using var module = OnnxModule.Load(path);
        module.eval();
        Tensor ours;
        using (torch.no_grad()) ours = module.forward(input);
        CollectionAssert.AreEqual(expected.shape, ours.shape, $"{g.File}: output shape");
        double scale = expected.abs().max().item<float>();
        Assert.IsTrue(scale > 0 && double.IsFinite(scale), $"{g.File}: ONNX Runtime output max abs is {scale}");
        double rel = (expected - ours).abs().max().item<float>() / scale;

        // One SGD step in train mode (batch statistics, dropout on): the first weight gets a usable gradient.
        string first = FirstWeight(module, g);
        var w = module.Constant(first);
        var before = w.detach().clone();
        module.train();
        var opt = torch.optim.SGD(module.parameters(), 0.01);
        opt.zero_grad();
        var y = module.forward(input);
        torch.manual_seed(3);
        var loss = (y * torch.randn_like(y)).sum();
        loss.backward();
        var grad = w.grad ?? throw new AssertFailedException($"{g.File}: no gradient reached '{first}'");
        double norm = grad.norm().item<float>();
        Assert.IsTrue(double.IsFinite(norm) && norm > 0, $"{g.File}: gradient of '{first}' has norm {norm}");
        // Learning rate so that the largest update is 1% of the largest weight (random deep nets without
        // normalisation have tiny gradients at the input end; a fixed rate could leave float32 weights unchanged).
        double lr = 0.01 * w.detach().abs().max().item<float>() / grad.abs().max().item<float>();
        foreach (var group in opt.ParamGroups) group.LearningRate = lr;
        opt.step();
        Assert.IsFalse(before.eq(w.detach()).all().item<bool>(), $"{g.File}: SGD (lr {lr:E2}) did not change '{first}'");
        module.eval();
        return (rel, norm);
    }

    /// <summary>The weight of the first Conv (images) or of the first Gather on an initializer (token embedding).</summary>
    static string FirstWeight(OnnxModule module, Graph g)
    {
        var names = module.ParameterNames.ToHashSet();
        foreach (var n in module.Nodes)
        {
            if (n.OpType == "Conv" && names.Contains(n.Inputs[1])) return n.Inputs[1];
            if (n.OpType == "Gather" && names.Contains(n.Inputs[0])) return n.Inputs[0];
        }
        throw new AssertFailedException($"{g.File}: no Conv or embedding weight among the parameters");
    }
}
