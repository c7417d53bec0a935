using MlNetHw.Recurrent;
using MlNetHw.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Recurrent;

/// <summary>
/// The autograd modules (whose backward is the hand-written one) against TorchSharp's own nn.RNN / nn.LSTM given the
/// same weights, float32, forward and backward: relative error below 1e-5.
/// </summary>
[TestClass]
[TestCategory("Recurrent")]
public sealed class TorchAgreementTests
{
    const double Tolerance = 1e-5;
    const long N = 4, T = 6, D = 5, H = 7;

    [ClassInitialize]
    public static void Load(TestContext _) => TorchRuntime.EnsureLoaded();

    static void Close(Tensor manual, Tensor torchValue, string what)
    {
        double err = GradientCheck.RelativeError(manual, torchValue);
        Assert.IsLessThan(Tolerance, err, $"{what}: relative error {err:E2}");
    }

    [TestMethod]
    public void ManualLstmMatchesNnLstmForwardAndBackward()
    {
        using var scope = torch.NewDisposeScope();
        TorchRuntime.Seed(11);
        using var manual = new ManualLstm(D, H);
        using var reference = nn.LSTM(D, H, batchFirst: true);
        TorchRecurrentWeights.CopyTo(manual, reference);

        var x = torch.randn(N, T, D);
        var h0 = torch.randn(N, H);
        var dout = torch.randn(N, T, H);
        var (xm, hm) = (x.clone().requires_grad_(true), h0.clone().requires_grad_(true));
        var (xt, ht) = (x.clone().requires_grad_(true), h0.clone().requires_grad_(true));

        var outManual = manual.forward(xm, hm);
        var (outTorch, _, _) = reference.forward(xt, (ht.unsqueeze(0), torch.zeros(1, N, H)));
        Close(outManual, outTorch, "h");
        (outManual * dout).sum().backward();
        (outTorch * dout).sum().backward();

        Close(xm.grad!, xt.grad!, "dx");
        Close(hm.grad!, ht.grad!, "dh0");
        var g = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        var (dWx, dWh, _) = TorchRecurrentWeights.LstmFromTorch(g["weight_ih_l0"], g["weight_hh_l0"], g["bias_ih_l0"], torch.zeros_like(g["bias_hh_l0"]));
        Close(manual.Wx.grad!, dWx, "dWx");
        Close(manual.Wh.grad!, dWh, "dWh");
        // Both torch biases receive the same gradient, which is the manual b's gradient in the other gate order.
        Close(manual.b.grad!, TorchRecurrentWeights.SwapLastTwoGates(g["bias_ih_l0"], 0), "db (bias_ih)");
        Close(manual.b.grad!, TorchRecurrentWeights.SwapLastTwoGates(g["bias_hh_l0"], 0), "db (bias_hh)");
    }

    [TestMethod]
    public void ManualRnnMatchesNnRnnForwardAndBackward()
    {
        using var scope = torch.NewDisposeScope();
        TorchRuntime.Seed(12);
        using var manual = new ManualRnn(D, H);
        using var reference = nn.RNN(D, H, batchFirst: true);
        TorchRecurrentWeights.CopyTo(manual, reference);

        var x = torch.randn(N, T, D);
        var h0 = torch.randn(N, H);
        var dout = torch.randn(N, T, H);
        var (xm, hm) = (x.clone().requires_grad_(true), h0.clone().requires_grad_(true));
        var (xt, ht) = (x.clone().requires_grad_(true), h0.clone().requires_grad_(true));

        var outManual = manual.forward(xm, hm);
        var (outTorch, _) = reference.forward(xt, ht.unsqueeze(0));
        Close(outManual, outTorch, "h");
        (outManual * dout).sum().backward();
        (outTorch * dout).sum().backward();

        Close(xm.grad!, xt.grad!, "dx");
        Close(hm.grad!, ht.grad!, "dh0");
        var g = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        Close(manual.Wx.grad!, g["weight_ih_l0"].t(), "dWx");
        Close(manual.Wh.grad!, g["weight_hh_l0"].t(), "dWh");
        Close(manual.b.grad!, g["bias_ih_l0"], "db");
    }

    [TestMethod]
    public void WeightsRoundTripThroughNnLstm()
    {
        using var scope = torch.NewDisposeScope();
        TorchRuntime.Seed(13);
        using var a = new ManualLstm(D, H);
        using var reference = nn.LSTM(D, H, batchFirst: true);
        using var b = new ManualLstm(D, H, forgetBias: 0);
        TorchRecurrentWeights.CopyFrom(reference, b);           // b = nn.LSTM's random weights, bias_ih + bias_hh
        TorchRecurrentWeights.CopyTo(a, reference);
        TorchRecurrentWeights.CopyFrom(reference, b);           // and now a's, through the torch layout
        Assert.IsTrue(a.Wx.allclose(b.Wx, 0, 0) && a.Wh.allclose(b.Wh, 0, 0) && a.b.allclose(b.b, 0, 0), "manual → nn.LSTM → manual changed the weights");
    }

    [TestMethod]
    public void ConversionRejectsStackedLstm()
    {
        using var manual = new ManualLstm(D, H);
        using var stacked = nn.LSTM(D, H, numLayers: 2, batchFirst: true);
        var e = Assert.ThrowsExactly<ArgumentException>(() => TorchRecurrentWeights.CopyTo(manual, stacked));
        StringAssert.Contains(e.Message, "single-layer");
    }
}
