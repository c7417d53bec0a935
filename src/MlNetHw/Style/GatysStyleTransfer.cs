using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Style;

/// <summary>The optimiser that updates the image pixels.</summary>
public enum StyleOptimizer
{
    /// <summary>L-BFGS (TorchSharp's native <c>optim.LBFGS</c>, history 100, no line search), as in the PyTorch tutorial.</summary>
    Lbfgs,
    /// <summary>Adam on the pixels: one evaluation per step, slower to converge but with a predictable step size.</summary>
    Adam,
}

/// <summary>What the optimisation minimises and for how long (the loss part of <see cref="StyleTransferOptions"/>).</summary>
/// <param name="StyleLayers">Layers whose Gram matrices are matched (each weighted equally).</param>
/// <param name="ContentLayer">Layer whose activations are kept close to the photo's.</param>
/// <param name="StyleWeight">Multiplier of the summed style losses.</param>
/// <param name="ContentWeight">Multiplier of the content loss.</param>
/// <param name="TvWeight">Multiplier of the total-variation loss (0 = off).</param>
/// <param name="Smoothing">Transformation of activations before the losses.</param>
/// <param name="Optimizer">L-BFGS or Adam.</param>
/// <param name="LearningRate">L-BFGS: step scale (1 as in PyTorch); Adam: step size in pixel units.</param>
/// <param name="Evaluations">Loss-and-gradient evaluations (forward + backward) to spend.</param>
/// <param name="LbfgsHistory">Remembered L-BFGS steps (memory: 2 image-sized tensors each).</param>
public sealed record StyleLossSettings(
    IReadOnlyList<string> StyleLayers, string ContentLayer, double StyleWeight, double ContentWeight, double TvWeight,
    ActivationSmoothing Smoothing, StyleOptimizer Optimizer, double LearningRate, int Evaluations, int LbfgsHistory = 100);

/// <summary>The losses of one evaluation (unweighted content and style losses, weighted total).</summary>
/// <param name="Evaluation">1-based evaluation count.</param>
/// <param name="Content">Content MSE at the content layer.</param>
/// <param name="Style">Sum over style layers of the Gram-matrix MSEs.</param>
/// <param name="TotalVariation">Total variation of the image.</param>
/// <param name="Total">Weighted sum that is minimised.</param>
public sealed record StyleLossSample(int Evaluation, double Content, double Style, double TotalVariation, double Total);

/// <summary>The optimised image and its history.</summary>
/// <param name="Image">(1, 3, H, W) in [0, 1]: the evaluated image with the lowest weighted loss (its losses are <see cref="Best"/>).</param>
/// <param name="Samples">Losses of every evaluation, in order.</param>
/// <param name="Seconds">Wall time of the optimisation.</param>
/// <param name="PaintingContentLoss">Content loss the painting itself would have (the scale of "content lost").</param>
public sealed record StyleOptimizationResult(Tensor Image, IReadOnlyList<StyleLossSample> Samples, double Seconds, double PaintingContentLoss)
{
    /// <summary>The sample of <see cref="Image"/>: the lowest weighted total. L-BFGS without a line search (all TorchSharp offers) can overshoot, so the last step is not always the best.</summary>
    public StyleLossSample Best => Samples.MinBy(s => s.Total)!;
}

/// <summary>
/// Gatys, Ecker &amp; Bethge (2016) style transfer: optimises the pixels of an image so that its deep features match
/// a photo's (content loss at one layer) and its Gram matrices match a painting's (style loss at several layers).
/// Gradients reach the image through autograd; the network is frozen.
/// </summary>
public static class GatysStyleTransfer
{
    /// <summary>
    /// Runs the optimisation. <paramref name="content"/> and <paramref name="style"/> are (1, 3, H, W) in [0, 1]
    /// (sizes may differ; Gram matrices do not depend on size), <paramref name="initial"/> is the starting image
    /// (usually the photo). <paramref name="onEvaluation"/> is called after each evaluation (progress bars).
    /// </summary>
    public static StyleOptimizationResult Optimize(IFeatureExtractor extractor, Tensor content, Tensor style, Tensor initial,
        StyleLossSettings settings, Action<StyleLossSample>? onEvaluation = null)
    {
        if (settings.Evaluations < 1) throw new ArgumentOutOfRangeException(nameof(settings), $"--steps must be at least 1 (got {settings.Evaluations}).");
        if (settings.StyleLayers.Count == 0) throw new ArgumentException("at least one style layer is needed.");
        var device = extractor.Device;
        var clock = Stopwatch.StartNew();
        using var losses = new StyleLossEvaluator(extractor, content, style, settings);
        var image = new Parameter(initial.detach().to(device).clone().clamp_(0, 1), requires_grad: true);
        using var best = image.detach().clone();
        double bestTotal = double.PositiveInfinity;
        var samples = new List<StyleLossSample>();
        try
        {
            // One loss-and-gradient evaluation of the current pixels (clamped to [0, 1] first, as in the PyTorch tutorial).
            Tensor Evaluate()
            {
                using var scope = NewDisposeScope();
                if (image.grad is { } g) g.zero_();
                using (no_grad()) image.clamp_(0, 1);
                var (total, sample) = losses.Evaluate(image, samples.Count + 1);
                samples.Add(sample);
                if (sample.Total < bestTotal)
                {
                    bestTotal = sample.Total;
                    using (no_grad()) best.copy_(image);
                }
                onEvaluation?.Invoke(sample);
                var result = total.detach().clone();
                result.DetachFromDisposeScope();
                return result;
            }

            if (settings.Optimizer == StyleOptimizer.Adam)
                RunAdam(image, settings, Evaluate);
            else
                RunLbfgs(image, settings, Evaluate, samples);

            var final = best.clone();
            return new StyleOptimizationResult(final, samples, clock.Elapsed.TotalSeconds, losses.ContentLossOf(style));
        }
        finally
        {
            image.Dispose();
        }
    }

    static void RunAdam(Parameter image, StyleLossSettings settings, Func<Tensor> evaluate)
    {
        using var adam = optim.Adam(new[] { image }, lr: settings.LearningRate);
        for (int i = 0; i < settings.Evaluations; i++)
        {
            using var loss = evaluate();
            adam.step();
        }
        using (no_grad()) image.clamp_(0, 1);
    }

    /// <summary>
    /// L-BFGS for exactly <c>Evaluations</c> evaluations. TorchSharp's LBFGS is native and calls the closure from C++,
    /// so the closure never throws (an exception is kept and rethrown after the step) and the budget is enforced by
    /// answering with a zero gradient, which ends the native step at once (the result is the best evaluated image,
    /// never the unevaluated last update).
    /// </summary>
    static void RunLbfgs(Parameter image, StyleLossSettings settings, Func<Tensor> evaluate, List<StyleLossSample> samples)
    {
        int budget = settings.Evaluations;
        // PyTorch's absolute tolerances (gradient 1e-5, change 1e-9) stop early on small losses (softmax-smoothed
        // features: from evaluation ~80 of 300); the evaluation budget is the stopping rule here instead.
        using var lbfgs = optim.LBFGS(new[] { image }, lr: settings.LearningRate, max_iter: budget, max_eval: budget * 5 / 4 + 1,
            tolerange_grad: 1e-20, tolerance_change: 1e-20, history_size: settings.LbfgsHistory);
        Exception? failure = null;
        Tensor Closure()
        {
            if (failure is null && samples.Count < budget)
            {
                try { return evaluate(); }
                catch (Exception e) { failure = e; }
            }
            // Out of budget (or failed): a zero gradient makes L-BFGS stop; the loss value is not used further.
            if (image.grad is { } g) g.zero_();
            var stop = zeros(1, device: image.device).squeeze();
            stop.DetachFromDisposeScope();
            return stop;
        }
        while (failure is null && samples.Count < budget)
        {
            int before = samples.Count;
            using var loss = lbfgs.step(Closure);
            if (samples.Count == before) break; // nothing evaluated: converged
        }
        if (failure is not null) throw new InvalidOperationException($"style transfer failed at evaluation {samples.Count + 1}: {failure.Message}", failure);
    }
}

/// <summary>
/// The Gatys objective for one photo and one painting: holds the target features (computed once, without gradients)
/// and evaluates the weighted loss of an image, with the backward pass to its pixels. One call is what an L-BFGS
/// closure does (and what the benchmark times).
/// </summary>
public sealed class StyleLossEvaluator : IDisposable
{
    readonly IFeatureExtractor _extractor;
    readonly StyleLossSettings _settings;
    readonly List<string> _layers;
    readonly Tensor _contentTarget;
    readonly Dictionary<string, Tensor> _styleTargets = new();
    readonly Dictionary<string, double> _temperature = new();

    /// <summary>Softmax temperature per layer: the painting's largest activation there (1 without smoothing).</summary>
    public IReadOnlyDictionary<string, double> Temperatures => _temperature;

    /// <param name="extractor">The frozen network.</param>
    /// <param name="content">(1, 3, H, W) photo in [0, 1].</param>
    /// <param name="style">(1, 3, H', W') painting in [0, 1].</param>
    /// <param name="settings">Layers, weights and smoothing.</param>
    public StyleLossEvaluator(IFeatureExtractor extractor, Tensor content, Tensor style, StyleLossSettings settings)
    {
        _extractor = extractor;
        _settings = settings;
        _layers = settings.StyleLayers.Append(settings.ContentLayer).Distinct().ToList();
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var sf = extractor.Extract(style.to(extractor.Device), _layers);
            foreach (var l in _layers)
                _temperature[l] = settings.Smoothing == ActivationSmoothing.None ? 1 : Math.Max(1e-6, sf[l].max().item<float>());
            foreach (var l in settings.StyleLayers.Distinct())
                _styleTargets[l] = StyleLosses.Gram(StyleLosses.Smooth(sf[l], settings.Smoothing, _temperature[l])).MoveToOuterDisposeScope();
            var cf = extractor.Extract(content.to(extractor.Device), new[] { settings.ContentLayer });
            _contentTarget = StyleLosses.Smooth(cf[settings.ContentLayer], settings.Smoothing, _temperature[settings.ContentLayer]).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// Weighted loss of <paramref name="image"/> (1, 3, H, W), a leaf that requires grad; calls <c>backward()</c>, so
    /// its gradient accumulates in <c>image.grad</c>. Returns the total (in the caller's dispose scope) and the sample.
    /// </summary>
    public (Tensor Total, StyleLossSample Sample) Evaluate(Tensor image, int evaluation)
    {
        var s = _settings;
        var features = _extractor.Extract(image, _layers);
        var contentLoss = StyleLosses.Content(StyleLosses.Smooth(features[s.ContentLayer], s.Smoothing, _temperature[s.ContentLayer]), _contentTarget);
        Tensor styleLoss = zeros(1, device: image.device).squeeze();
        foreach (var l in s.StyleLayers)
            styleLoss = styleLoss + StyleLosses.Style(StyleLosses.Smooth(features[l], s.Smoothing, _temperature[l]), _styleTargets[l]);
        var tv = StyleLosses.TotalVariation(image);
        var total = s.ContentWeight * contentLoss + s.StyleWeight * styleLoss;
        if (s.TvWeight != 0) total = total + s.TvWeight * tv;
        total.backward();
        var sample = new StyleLossSample(evaluation, contentLoss.item<float>(), styleLoss.item<float>(), tv.item<float>(), total.item<float>());
        return (total, sample);
    }

    /// <summary>
    /// Content loss of an arbitrary image (no gradients), e.g. of the painting itself: the scale against which the
    /// optimised image's content loss is judged (the photo's structure is kept when it stays well below it).
    /// </summary>
    public double ContentLossOf(Tensor image)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var f = _extractor.Extract(image.to(_extractor.Device), new[] { _settings.ContentLayer });
        return StyleLosses.Content(StyleLosses.Smooth(f[_settings.ContentLayer], _settings.Smoothing, _temperature[_settings.ContentLayer]), _contentTarget).item<float>();
    }

    /// <summary>Disposes the content and style target tensors.</summary>
    public void Dispose()
    {
        _contentTarget.Dispose();
        foreach (var t in _styleTargets.Values) t.Dispose();
    }
}
