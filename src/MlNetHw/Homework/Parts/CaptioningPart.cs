using System.Globalization;
using System.Text;
using MlNetHw.Captioning;

namespace MlNetHw.Homework.Parts;

/// <summary>
/// Part 5: image captioning on the manual RNN/LSTM: the homework's overfit check (50 captions) and a train run on
/// the generated scenes with BLEU on held-out validation scenes.
/// </summary>
public sealed class CaptioningPart : IHomeworkPart
{
    /// <inheritdoc/>
    public int Number => 5;
    /// <inheritdoc/>
    public string Title => "Image captioning on the manual RNN and LSTM";
    /// <inheritdoc/>
    public double QuickMinutes => 6;

    static CaptioningOptions Options(PartContext c, string experiment)
    {
        var o = new CaptioningOptions
        {
            Experiment = experiment, Cell = "both",
            Run = c.Run with { OutputDirectory = Path.Combine(c.OutputDirectory, experiment), Quick = c.Size != RunSize.Full && experiment == "train" },
        };
        if (c.Size == RunSize.Tiny)
        {
            o.Run = o.Run with { Quick = true };
            o.Training = CaptioningExperiment.DefaultTraining(experiment, quick: true);
            o.Training.Epochs = 2; o.OverfitExamples = 10; o.Captioner.HiddenDim = 32; o.Captioner.WordDim = 16;
            o.TrainScenes = 20; o.ValScenes = 10; o.SheetSamples = 3;
        }
        return o;
    }

    /// <inheritdoc/>
    public string Fingerprint(PartContext context) => context.Size.ToString();

    /// <inheritdoc/>
    public PartResult Run(PartContext context)
    {
        var result = new PartResult();
        context.Progress(0, "overfit experiment (the homework's 50 captions)");
        var overfit = CaptioningExperiment.Run(Options(context, "overfit"));
        context.Progress(0.5, "train experiment (generated scenes, BLEU on held-out scenes)");
        var train = CaptioningExperiment.Run(Options(context, "train"));
        context.Progress(1, "done");

        foreach (var cell in overfit.Cells)
        {
            string name = cell.Cell.ToString().ToUpperInvariant();
            string reference = name == "LSTM" ? "well below 0.5, ≈0.1 (cs231n); < 0.1 asked" : "< 0.5 asked";
            result.Metrics.Add(new PartMetric($"overfit {name}: final training loss", cell.FinalLoss, reference));
            result.Metrics.Add(new PartMetric($"overfit {name}: train captions reproduced", cell.TrainExactMatch, "good captions on train", "0.00"));
            result.Metrics.Add(new PartMetric($"overfit {name}: val BLEU-4", cell.ValBleu.Bleu4, "poor captions on val"));
        }
        foreach (var cell in train.Cells)
            result.Metrics.Add(new PartMetric($"train {cell.Cell.ToString().ToUpperInvariant()}: val BLEU-4 (held-out scenes)", cell.ValBleu.Bleu4, Headline: true));

        if (File.Exists(overfit.LossCurvePath)) result.Images.Add(new PartImage(overfit.LossCurvePath, "overfit experiment: training loss"));
        if (File.Exists(train.LossCurvePath)) result.Images.Add(new PartImage(train.LossCurvePath, "train experiment: training loss"));
        string reportDir = Path.GetDirectoryName(Path.GetFullPath(context.OutputDirectory))!;
        foreach (var cell in train.Cells)
            result.Markdown.Add(SampleTable($"Held-out validation scenes, {cell.Cell} (train experiment)", cell.ValSamples, train.SheetPath, reportDir));
        var overfitLstm = overfit.Cells.FirstOrDefault(c => c.Cell == CaptionCell.Lstm) ?? overfit.Cells.FirstOrDefault();
        if (overfitLstm is not null)
        {
            result.Markdown.Add(SampleTable($"Overfit experiment, {overfitLstm.Cell}: training images", overfitLstm.TrainSamples, overfit.SheetPath, reportDir));
            result.Markdown.Add(SampleTable($"Overfit experiment, {overfitLstm.Cell}: validation images", overfitLstm.ValSamples, overfit.SheetPath, reportDir));
        }
        result.Markdown.Add($"Caption sheets with the images: `{Path.GetRelativePath(Path.GetDirectoryName(context.OutputDirectory)!, overfit.SheetPath)}`, " +
                            $"`{Path.GetRelativePath(Path.GetDirectoryName(context.OutputDirectory)!, train.SheetPath)}`.");
        var zips = train.Cells.Select(c => c.ModelPath).Where(File.Exists).Select(Path.GetFullPath).ToList();
        if (zips.Count > 0)
        {
            string probe = train.Cells.SelectMany(c => c.ValSamples).Select(v => v.ImagePath).FirstOrDefault(File.Exists) ?? "/path/to/image.png";
            result.Usage = "Each captioner is one .zip holding the whole image → caption chain (ResNet18 features and the decoder). " +
                           "Caption an image with the model consumer (`--info` lists the columns; `--columns Caption` keeps the image column out of the output):\n\n```\n" +
                           string.Concat(zips.Select(z => $"dotnet run -c Release --project pipelines/ModelConsumer -- --model {z} --json '{{\"ImagePath\": \"{probe}\"}}' --columns Caption\n")) +
                           "```\n\nor in code: `using var p = ImageCaptionPredictor.Load(zip); string caption = p.Caption(imagePath);` (namespace `MlNetHw.Captioning`).";
        }
        result.Settings["data"] = train.DataName;
        result.Settings["vocabulary"] = train.VocabularySize.ToString(CultureInfo.InvariantCulture);
        result.Settings["overfit captions / train images / val images"] = $"{overfit.TrainCaptions} / {train.TrainImages} / {train.ValImages}";
        return result;
    }

    /// <summary>Samples as image (the caption sheet's thumbnail), generated caption, and every reference.</summary>
    static string SampleTable(string title, IReadOnlyList<CaptionSample> samples, string sheetPath, string reportDir)
    {
        static string Esc(string s) => s.Replace("|", "\\|");
        var sb = new StringBuilder();
        sb.AppendLine($"#### {title}");
        sb.AppendLine();
        sb.AppendLine("| image | generated | references |");
        sb.AppendLine("| --- | --- | --- |");
        foreach (var s in samples.Take(8))
        {
            string thumb = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(sheetPath))!, CaptionSheet.ThumbnailName(s));
            string? image = File.Exists(thumb) ? thumb : s.ImagePath is { } p && File.Exists(p) ? p : null;
            string cell = image is null ? Esc(s.Id) : $"![{Esc(s.Id)}]({Path.GetRelativePath(reportDir, image).Replace('\\', '/')})<br>{Esc(s.Id)}";
            sb.AppendLine($"| {cell} | {(s.Generated.Trim().Length == 0 ? "*(empty caption)*" : $"**{Esc(s.Generated)}**")} | {string.Join("<br>", s.References.Select(Esc))} |");
        }
        return sb.ToString();
    }
}
