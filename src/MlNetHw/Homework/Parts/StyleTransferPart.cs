using System.Globalization;
using MlNetHw.Style;

namespace MlNetHw.Homework.Parts;

/// <summary>Part 2: Gatys style transfer on the packaged ResNet18's features, L-BFGS on the pixels.</summary>
public sealed class StyleTransferPart : IHomeworkPart
{
    /// <inheritdoc/>
    public int Number => 2;
    /// <inheritdoc/>
    public string Title => "Neural style transfer (Gatys, L-BFGS)";
    /// <inheritdoc/>
    public double QuickMinutes => 3;
    const string ContentKey = "style.content", StyleKey = "style.style";
    /// <inheritdoc/>
    public IReadOnlyList<string> OverrideKeys => [ContentKey, StyleKey];

    /// <summary>Overrides: <c>style.content</c>, <c>style.style</c> (image files).</summary>
    static StyleTransferOptions Options(PartContext c) => new()
    {
        ContentPath = c.Override(ContentKey),
        StylePath = c.Override(StyleKey),
        Size = c.Size switch { RunSize.Tiny => 32, RunSize.Full => 512, _ => 256 },
        Steps = c.Size == RunSize.Tiny ? 5 : 300,
        Run = c.Run,
    };

    /// <inheritdoc/>
    public string Fingerprint(PartContext context)
    {
        var o = Options(context);
        return $"{o.ContentPath}|{o.StylePath}|{o.Size}|{o.Steps}";
    }

    /// <inheritdoc/>
    public PartResult Run(PartContext context)
    {
        var options = Options(context);
        context.Progress(0, $"style transfer {options.Size}px, {options.Steps} evaluations");
        var r = StyleTransferExperiment.Run(options);
        context.Progress(1, "done");
        var m = r.Main;
        var result = new PartResult();
        result.Metrics.Add(new PartMetric("style loss: initial", m.InitialStyleLoss, null, "0.###E+00"));
        result.Metrics.Add(new PartMetric("style loss: final", m.FinalStyleLoss, null, "0.###E+00"));
        result.Metrics.Add(new PartMetric("style loss reduction (x)", m.StyleReduction, "images only in the key; the issue asks >= 10x", "0.0"));
        result.Metrics.Add(new PartMetric("content loss: initial", m.InitialContentLoss, null, "0.###E+00"));
        result.Metrics.Add(new PartMetric("content loss: final", m.FinalContentLoss, null, "0.###E+00"));
        result.Metrics.Add(new PartMetric("seconds per L-BFGS evaluation", m.SecondsPerEvaluation, null, "0.000"));
        result.Images.Add(new PartImage(r.SheetPng, "content | style | result"));
        result.Images.Add(new PartImage(r.LossCurvePng, "style and content losses per evaluation"));
        if (r.SmoothingSheetPng is { } smoothing && File.Exists(smoothing)) result.Images.Add(new PartImage(smoothing, "activation smoothing: raw features vs softmax"));
        if (r.SweepSheetPng is { } sweep && File.Exists(sweep)) result.Images.Add(new PartImage(sweep, "style-weight sweep"));
        result.Settings["size"] = $"{r.Width}x{r.Height}";
        result.Settings["evaluations"] = options.Steps.ToString(CultureInfo.InvariantCulture);
        result.Settings["settings"] = r.Settings;
        result.Usage = $"Style transfer trains no model: the result is the image `{Path.GetFullPath(r.ResultPng)}`. Stylise your own photo with\n\n" +
                       "```\ndotnet run -c Release --project pipelines/StyleTransfer -- --content photo.jpg --style painting.jpg --size 256 --steps 300\n```";
        return result;
    }
}
