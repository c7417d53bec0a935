using MlNetHw.Runs;
using MlNetHw.Backbones;
using MlNetHw.IO;
using System.Globalization;
using System.Text;
using MlNetHw.Reporting;
using MlNetHw.Torch;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Style;

/// <summary>
/// Homework part 2 as a reusable experiment: Gatys style transfer of a painting onto a photo with features of an
/// imported ONNX CNN; writes the result, a content | style | result sheet, a loss-curve PNG and a Markdown summary.
/// </summary>
public static class StyleTransferExperiment
{
    /// <summary>Optimises the result image (and any sweep or smoothing comparison), then writes the images, sheets, loss curve and summary to the output folder.</summary>
    public static StyleTransferResult Run(StyleTransferOptions options)
    {
        var run = options.Run;
        run.Validate();
        var log = run.Log;
        using var threads = run.UseThreads();
        var device = TorchRuntime.ResolveDevice(run.Device);
        bool packaged = options.ModelPath is null;

        // 1. Inputs: files first, so a typo fails before anything heavy runs.
        string contentPath = options.ContentPath ?? StyleDefaultImages.ContentPhoto(log);
        string stylePath = options.StylePath ?? StyleDefaultImages.Painting(log);
        using var contentBitmap = StyleImages.Load(contentPath, "content");
        using var styleBitmap = StyleImages.Load(stylePath, "style");
        var (height, width) = StyleImages.FitLongSide(contentBitmap.Width, contentBitmap.Height, options.Size);

        // 2. Network and layers.
        if (!packaged && (options.StyleLayers is null || options.ContentLayer is null))
            throw new ArgumentException("--model: with your own ONNX file give --style-layers and --content-layer (ONNX node output names; " +
                                        "for a PyTorch VGG19 export, the outputs of the tutorial's conv_1..conv_5 and conv_4).");
        var (normalizationName, normalizationReason) = options.Normalization is { } given ? (given, "given")
            : packaged ? ("cntk-bgr", "the packaged ResNet18's") : OnnxFeatureExtractor.DefaultNormalization(options.ModelPath!);
        var normalization = ImageNormalization.FromName(normalizationName);
        using var extractor = packaged
            ? OnnxFeatureExtractor.PackagedResNet18Extractor(device, normalization)
            : OnnxFeatureExtractor.FromFile(options.ModelPath!, normalization, device);
        var styleLayers = options.StyleLayers ?? ResNet18StyleDefaults.StyleLayers;
        string contentLayer = options.ContentLayer ?? ResNet18StyleDefaults.ContentLayer;
        CheckLayers(extractor, styleLayers, contentLayer);
        // A graph with built-in preprocessing at a fixed size (a finetune export) gets images of that size.
        string? inputNote = extractor is OnnxFeatureExtractor onnx && !packaged
            ? onnx.FitInput(height, width, styleLayers.Append(contentLayer).ToList()) : null;
        if (inputNote is not null) log.WriteLine($"note: {inputNote}");
        var smoothing = options.Smoothing ?? (packaged ? ResNet18StyleDefaults.Smoothing : ActivationSmoothing.None);
        double styleWeight = options.StyleWeight ?? (packaged ? ResNet18StyleDefaults.StyleWeightFor(smoothing) : 1e6);
        double tvWeight = options.TvWeight ?? (packaged ? ResNet18StyleDefaults.TvWeight : 0);
        double lr = options.LearningRate ?? (options.Optimizer == StyleOptimizer.Adam ? 0.02 : 1.0);

        // 3. Memory, before any full-size tensor exists.
        var estimate = MemoryEstimate.For(extractor, styleLayers.Append(contentLayer).ToList(), height, width, options.LbfgsHistory);
        long? limit = options.MemoryLimitBytes ?? MemoryEstimate.AvailableBytes(device);
        if (limit is { } l && estimate.TotalBytes > l)
        {
            int fits = (int)Math.Floor(options.Size * Math.Sqrt(l / (double)estimate.TotalBytes));
            throw new ArgumentException(
                $"--size {options.Size}: a {width}×{height} image needs about {MemoryEstimate.Format(estimate.TotalBytes)} " +
                $"(activations up to '{estimate.DeepestLayer}' {MemoryEstimate.Format(estimate.ActivationBytes)}, kept for the backward pass, " +
                $"plus {MemoryEstimate.Format(estimate.OptimizerBytes)} of optimiser buffers) but only {MemoryEstimate.Format(l)} is available. " +
                $"Use --size {Math.Max(1, fits)} or less.");
        }

        var settings = new StyleLossSettings(styleLayers, contentLayer, styleWeight, options.ContentWeight, tvWeight, smoothing,
            options.Optimizer, lr, options.Steps, options.LbfgsHistory);
        string settingsLine = string.Join(Environment.NewLine, new[]
        {
            $"style transfer: {run.Describe()}; {TorchRuntime.Describe(device)}",
            $"  content={contentPath} style={stylePath} size={width}x{height} steps={options.Steps} optimizer={options.Optimizer} lr={lr:G4}",
            $"  model={extractor.Description} (normalisation: {normalizationReason})" + (inputNote is null ? "" : $"; {inputNote}"),
            $"  style layers={string.Join(",", styleLayers)} content layer={contentLayer}",
            $"  style weight={styleWeight:G4} content weight={options.ContentWeight:G4} tv weight={tvWeight:G4} smoothing={smoothing} init={(options.InitFromNoise ? "noise" : "content")}",
            $"  estimated peak memory {MemoryEstimate.Format(estimate.TotalBytes)}" + (limit is { } lim ? $" of {MemoryEstimate.Format(lim)} available" : ""),
        });
        log.WriteLine(settingsLine);

        // 4. Images as tensors; the painting covers the same frame as the photo.
        using var scope = NewDisposeScope();
        var content = StyleImages.ToTensor(contentBitmap, height, width).to(device);
        var style = StyleImages.ToTensor(styleBitmap, height, width).to(device);
        Tensor Initial()
        {
            TorchRuntime.Seed(run.Seed);
            return options.InitFromNoise ? rand(1, 3, height, width, generator: null).to(device) : content.clone();
        }

        string dir = run.OutputDirectory ?? Path.Combine("out", "style-transfer");
        // One run per folder: an interrupted or failed run never leaves files of two runs here (MlNetHw.IO.RunFolder).
        using var runFolder = RunFolder.Begin(dir);
        string resultPng = Path.Combine(dir, "result.png");
        string sheetPng = Path.Combine(dir, "sheet.png");
        string curvePng = Path.Combine(dir, "loss-curve.png");
        var baseline = new PaintingSimilarity(ImageStatistics.ColourOverlap(content, style), ImageStatistics.TextureOverlap(content, style));

        StyleRunSummary RunOne(StyleLossSettings s, string label, string png)
        {
            var progress = new TextProgressBar($"{label,-22}", s.Evaluations, log) { Unit = "eval" };
            var r = GatysStyleTransfer.Optimize(extractor, content, style, Initial(), s,
                sample => progress.Report(sample.Evaluation, $"style {sample.Style:0.###e+0} content {sample.Content:0.###e+0} total {sample.Total:0.###e+0}"));
            using var image = r.Image;
            StyleImages.SavePng(image, png);
            var sim = new PaintingSimilarity(ImageStatistics.ColourOverlap(image, style), ImageStatistics.TextureOverlap(image, style));
            var summary = new StyleRunSummary(label, s.StyleWeight, s.Smoothing, r.Samples, r.Seconds, sim, png, r.PaintingContentLoss);
            log.WriteLine($"  {label}: style loss {summary.InitialStyleLoss:G4} -> {summary.FinalStyleLoss:G4} ({summary.StyleReduction:0.#}x lower), " +
                          $"content loss {summary.InitialContentLoss:G4} -> {summary.FinalContentLoss:G4} ({summary.ContentLossFraction:0.###} of the painting's {summary.PaintingContentLoss:G4}), colour overlap {sim.ColourOverlap:0.000}, " +
                          $"texture overlap {sim.TextureOverlap:0.000}, {summary.SecondsPerEvaluation:0.000} s/evaluation");
            return summary;
        }

        var main = RunOne(settings, "main", resultPng);
        using (var contentBmp = StyleImages.ToBitmap(content))
        using (var styleBmp = StyleImages.ToBitmap(style))
        using (var resultBmp = SKBitmap.Decode(resultPng))
        {
            new ImageGrid { Title = $"Style transfer ({Path.GetFileName(contentPath)} + {Path.GetFileName(stylePath)})", Columns = 3, CellSize = Math.Max(height, width) }
                .Add(contentBmp, "content", $"colour {baseline.ColourOverlap:0.00} texture {baseline.TextureOverlap:0.00}")
                .Add(styleBmp, "style")
                .Add(resultBmp, $"result (style weight {styleWeight:G3}, {smoothing})", $"colour {main.Similarity.ColourOverlap:0.00} texture {main.Similarity.TextureOverlap:0.00}")
                .SavePng(sheetPng);
        }
        SaveCurves(main, curvePng);

        StyleRunSummary? other = null;
        string? smoothingSheet = null;
        if (options.CompareSmoothing)
        {
            var otherSmoothing = smoothing == ActivationSmoothing.None ? ActivationSmoothing.Softmax : ActivationSmoothing.None;
            double otherWeight = packaged && options.StyleWeight is null ? ResNet18StyleDefaults.StyleWeightFor(otherSmoothing) : styleWeight;
            other = RunOne(settings with { Smoothing = otherSmoothing, StyleWeight = otherWeight }, $"{otherSmoothing} smoothing",
                Path.Combine(dir, $"result-{otherSmoothing.ToString().ToLowerInvariant()}.png"));
            smoothingSheet = Path.Combine(dir, "smoothing-comparison.png");
            var grid = new ImageGrid { Title = "Activation smoothing: raw features vs softmax (Wang et al. 2021)", Columns = 4, CellSize = Math.Max(height, width) };
            grid.AddFile(contentPath, "content");
            grid.AddFile(stylePath, "style");
            foreach (var r in new[] { main, other }.OrderBy(r => r.Smoothing))
                grid.AddFile(r.ImagePath, $"{r.Smoothing}, style weight {r.StyleWeight:G3}", $"colour {r.Similarity.ColourOverlap:0.00} texture {r.Similarity.TextureOverlap:0.00}");
            grid.SavePng(smoothingSheet);
        }

        var sweep = new List<StyleRunSummary>();
        string? sweepSheet = null;
        if (options.SweepStyleWeights is { Count: > 0 } weights)
        {
            foreach (double w in weights)
                sweep.Add(RunOne(settings with { StyleWeight = w }, $"style weight {w:G3}", Path.Combine(dir, $"sweep-{w.ToString("G3", CultureInfo.InvariantCulture)}.png")));
            sweepSheet = Path.Combine(dir, "style-sweep.png");
            var grid = new ImageGrid { Title = $"Style-weight sweep ({smoothing}, {options.Steps} evaluations)", Columns = Math.Min(5, weights.Count + 2), CellSize = Math.Max(height, width) };
            grid.AddFile(contentPath, "content");
            grid.AddFile(stylePath, "style");
            foreach (var r in sweep)
                grid.AddFile(r.ImagePath, $"style weight {r.StyleWeight:G3}", $"style loss /{r.StyleReduction:0.#}, content {r.FinalContentLoss:G3}");
            grid.SavePng(sweepSheet);
        }

        var result = new StyleTransferResult
        {
            Main = main, ContentBaseline = baseline, Sweep = sweep, SmoothingComparison = other, Height = height, Width = width,
            EstimatedBytes = estimate.TotalBytes, ResultPng = resultPng, SheetPng = sheetPng, LossCurvePng = curvePng,
            SweepSheetPng = sweepSheet, SmoothingSheetPng = smoothingSheet, Settings = settingsLine, ModelInputNote = inputNote,
            SummaryMarkdown = Path.Combine(dir, "summary.md"),
        };
        AtomicFile.Write(result.SummaryMarkdown, s => { using var w = new StreamWriter(s); w.Write(Summary(result)); });
        log.WriteLine($"wrote {Path.GetFullPath(resultPng)}, {Path.GetFullPath(sheetPng)}, {Path.GetFullPath(curvePng)}, {Path.GetFullPath(result.SummaryMarkdown)}");
        runFolder.Commit();
        return result;
    }

    /// <summary>Every layer must be a node output of the graph; the error lists the valid names in evaluation order.</summary>
    public static void CheckLayers(IFeatureExtractor extractor, IReadOnlyList<string> styleLayers, string contentLayer)
    {
        var valid = extractor.LayerNames.ToHashSet(StringComparer.Ordinal);
        var bad = styleLayers.Select(l => ("--style-layers", l)).Append(("--content-layer", contentLayer)).Where(p => !valid.Contains(p.Item2)).ToList();
        if (bad.Count > 0)
            throw new ArgumentException(
                $"{string.Join("; ", bad.Select(b => $"{b.Item1}: '{b.Item2}' is not a node output of {extractor.Description}"))}. " +
                $"Valid layer names ({extractor.LayerNames.Count}, in evaluation order): {string.Join(", ", extractor.LayerNames)}");
    }

    static void SaveCurves(StyleRunSummary run, string path)
    {
        var x = run.Samples.Select(s => (double)s.Evaluation).ToArray();
        new LineChart { Title = $"Style transfer losses ({run.Label})", XLabel = "evaluation (forward + backward)", YLabel = "loss", LogY = true }
            .Add("style loss (sum of Gram MSEs)", x, run.Samples.Select(s => s.Style).ToArray())
            .Add("content loss (MSE)", x, run.Samples.Select(s => s.Content).ToArray())
            .Add("weighted total", x, run.Samples.Select(s => s.Total).ToArray())
            .SavePng(path);
    }

    static string Summary(StyleTransferResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Style transfer").AppendLine().AppendLine("```").AppendLine(r.Settings).AppendLine("```").AppendLine();
        sb.AppendLine("| run | style loss start → end | reduction | content loss start → end | ÷ painting's content loss | colour overlap | texture overlap | s/evaluation |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        sb.AppendLine($"| content photo (baseline) | | | | | {r.ContentBaseline.ColourOverlap:0.000} | {r.ContentBaseline.TextureOverlap:0.000} | |");
        foreach (var s in new[] { r.Main }.Concat(r.SmoothingComparison is { } o ? new[] { o } : Array.Empty<StyleRunSummary>()).Concat(r.Sweep))
            sb.AppendLine($"| {s.Label} ({s.Smoothing}, w={s.StyleWeight:G3}) | {s.InitialStyleLoss:G4} → {s.FinalStyleLoss:G4} | {s.StyleReduction:0.#}× | " +
                          $"{s.InitialContentLoss:G4} → {s.FinalContentLoss:G4} | {s.ContentLossFraction:0.###} (of {s.PaintingContentLoss:G4}) | {s.Similarity.ColourOverlap:0.000} | {s.Similarity.TextureOverlap:0.000} | {s.SecondsPerEvaluation:0.000} |");
        sb.AppendLine().AppendLine($"Files: {Path.GetFileName(r.ResultPng)}, {Path.GetFileName(r.SheetPng)}, {Path.GetFileName(r.LossCurvePng)}" +
                                   (r.SweepSheetPng is { } sw ? $", {Path.GetFileName(sw)}" : "") + (r.SmoothingSheetPng is { } sm ? $", {Path.GetFileName(sm)}" : ""));
        return sb.ToString();
    }
}
