using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Recurrent;

/// <summary>
/// The same forwards as <see cref="RnnLayers"/> and <see cref="LstmLayers"/>, written plainly with differentiable
/// TorchSharp ops (one step at a time, no in-place writes), so TorchSharp autograd can differentiate them. Slow;
/// it exists as an independent reference that the hand-written backwards are compared with.
/// </summary>
public static class RecurrentReference
{
    /// <summary>h (N, T, H) of a tanh RNN; padded steps (mask false) keep the previous state.</summary>
    public static Tensor RnnForward(Tensor x, Tensor h0, Tensor Wx, Tensor Wh, Tensor b, Tensor? mask = null)
    {
        var h = h0;
        var outputs = new List<Tensor>();
        for (long t = 0; t < x.shape[1]; t++)
        {
            var cand = torch.tanh(x.select(1, t).matmul(Wx) + h.matmul(Wh) + b);
            h = mask is null ? cand : torch.where(mask.select(1, t).unsqueeze(1), cand, h);
            outputs.Add(h);
        }
        return torch.stack(outputs, 1);
    }

    /// <summary>h (N, T, H) of an LSTM with gate order i, f, o, g and c0 = 0; padded steps keep both states.</summary>
    public static Tensor LstmForward(Tensor x, Tensor h0, Tensor Wx, Tensor Wh, Tensor b, Tensor? mask = null)
    {
        long hs = Wh.shape[0];
        var h = h0;
        var c = torch.zeros_like(h0);
        var outputs = new List<Tensor>();
        for (long t = 0; t < x.shape[1]; t++)
        {
            var a = x.select(1, t).matmul(Wx) + h.matmul(Wh) + b;
            var i = torch.sigmoid(a.narrow(1, 0, hs));
            var f = torch.sigmoid(a.narrow(1, hs, hs));
            var o = torch.sigmoid(a.narrow(1, 2 * hs, hs));
            var g = torch.tanh(a.narrow(1, 3 * hs, hs));
            var cNew = f * c + i * g;
            var hNew = o * torch.tanh(cNew);
            if (mask is null) { c = cNew; h = hNew; }
            else
            {
                var k = mask.select(1, t).unsqueeze(1);
                c = torch.where(k, cNew, c);
                h = torch.where(k, hNew, h);
            }
            outputs.Add(h);
        }
        return torch.stack(outputs, 1);
    }

    /// <summary>cs231n's temporal softmax loss with autograd ops: -(1/N) Σ mask·log softmax(x)[y].</summary>
    public static Tensor TemporalSoftmaxLoss(Tensor x, Tensor y, Tensor mask)
    {
        long n = x.shape[0], v = x.shape[2];
        var logp = torch.nn.functional.log_softmax(x.reshape(-1, v), 1);
        var picked = logp.gather(1, y.reshape(-1, 1)).squeeze(1);
        return -(picked * mask.reshape(-1).to_type(x.dtype)).sum() / n;
    }
}
