using MlNetHw.Recurrent;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Recurrent;

/// <summary>
/// On the CPU the LSTM runs its element-wise step work in fused C# kernels (<see cref="LstmFusedCpu"/>); every other
/// device runs the libtorch-op recurrence. The gradient checks cover the CPU path; these tests pin the two paths to
/// each other, so the one a CUDA user runs is checked on this machine too.
/// </summary>
[TestClass]
[TestCategory("Recurrent")]
public sealed class FusedCpuPathTests
{
    [ClassInitialize]
    public static void Load(TestContext _) => TorchRuntime.EnsureLoaded();

    static double RelErr(Tensor a, Tensor b) =>
        (a - b).abs().max().to_type(ScalarType.Float64).item<double>() / Math.Max(b.abs().max().to_type(ScalarType.Float64).item<double>(), 1e-300);

    [TestMethod]
    [DataRow(ScalarType.Float64, false, 1e-13)]
    [DataRow(ScalarType.Float64, true, 1e-13)]
    [DataRow(ScalarType.Float32, false, 5e-6)]
    [DataRow(ScalarType.Float32, true, 5e-6)]
    public void FusedKernelsAndLibtorchOpsGiveTheSameForwardAndBackward(ScalarType dtype, bool masked, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(31);
        // H = 13 is not a multiple of the SIMD width, so the kernels' scalar tails run too.
        long n = 6, t = 9, d = 7, h = 13;
        var x = torch.randn(new[] { n, t, d }, dtype);
        var h0 = torch.randn(new[] { n, h }, dtype);
        var wx = torch.randn(new[] { d, 4 * h }, dtype).div_(2);
        var wh = torch.randn(new[] { h, 4 * h }, dtype).div_(2);
        var b = torch.randn(new[] { 4 * h }, dtype);
        var dh = torch.randn(new[] { n, t, h }, dtype);
        Tensor? mask = masked ? torch.arange(t, ScalarType.Int64).unsqueeze(0).lt(torch.tensor(new long[] { 9, 4, 1, 7, 9, 2 }).unsqueeze(1)) : null;

        var (hf, cf) = LstmLayers.LstmForwardCore(x, h0, wx, wh, b, mask, allowFused: true);
        var (ho, co) = LstmLayers.LstmForwardCore(x, h0, wx, wh, b, mask, allowFused: false);
        var gf = LstmLayers.LstmBackwardCore(dh, cf, needDx: true, allowFused: true);
        var go = LstmLayers.LstmBackwardCore(dh, co, needDx: true, allowFused: false);

        foreach (var (name, a, o) in new[] { ("h", hf, ho), ("cells", cf.Cells, co.Cells), ("gates", cf.Gates, co.Gates),
                     ("dx", gf.dx, go.dx), ("dh0", gf.dh0, go.dh0), ("dWx", gf.dWx, go.dWx), ("dWh", gf.dWh, go.dWh), ("db", gf.db, go.db) })
        {
            double e = RelErr(a, o);
            Assert.IsLessThan(tolerance, e, $"{name}: fused vs libtorch-op path relative error {e:E2} ({dtype}, mask {masked})");
        }
    }

    [TestMethod]
    public void TheFusedPathAppliesToCpuFloatTensorsOnly()
    {
        using var scope = torch.NewDisposeScope();
        Assert.IsTrue(LstmFusedCpu.Applies(torch.zeros(2, 3), torch.zeros(new long[] { 2 }, ScalarType.Float64)));
        Assert.IsFalse(LstmFusedCpu.Applies(torch.zeros(2, 3), torch.zeros(new long[] { 2 }, ScalarType.BFloat16)));
    }
}
