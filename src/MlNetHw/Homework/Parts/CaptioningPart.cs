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
    public int Number => 5;
    public string Title => "Image captioning on the manual RNN and LSTM";
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

    public string Fingerprint(PartContext context) => context.Size.ToString();

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
            result.Metrics.Add(new PartMetric($"train {cell.Cell.ToString().ToUpperInvariant()}: val BLEU-4 (held-out scenes)", cell.ValBleu.Bleu4));

        if (File.Exists(overfit.LossCurvePath)) result.Images.Add(new PartImage(overfit.LossCurvePath, "overfit experiment: training loss"));
        if (File.Exists(train.LossCurvePath)) result.Images.Add(new PartImage(train.LossCurvePath, "train experiment: training loss"));
        var lstm = train.Cells.FirstOrDefault(c => c.Cell == CaptionCell.Lstm) ?? train.Cells.FirstOrDefault();
        if (lstm is not null) result.Markdown.Add(SampleTable($"Held-out validation scenes, {lstm.Cell} (train experiment)", lstm.ValSamples));
        var overfitLstm = overfit.Cells.FirstOrDefault(c => c.Cell == CaptionCell.Lstm) ?? overfit.Cells.FirstOrDefault();
        if (overfitLstm is not null)
        {
            result.Markdown.Add(SampleTable($"Overfit experiment, {overfitLstm.Cell}: training images", overfitLstm.TrainSamples));
            result.Markdown.Add(SampleTable($"Overfit experiment, {overfitLstm.Cell}: validation images", overfitLstm.ValSamples));
        }
        result.Markdown.Add($"Caption sheets with the images: `{Path.GetRelativePath(Path.GetDirectoryName(context.OutputDirectory)!, overfit.SheetPath)}`, " +
                            $"`{Path.GetRelativePath(Path.GetDirectoryName(context.OutputDirectory)!, train.SheetPath)}`.");
        result.Settings["data"] = train.DataName;
        result.Settings["vocabulary"] = train.VocabularySize.ToString(CultureInfo.InvariantCulture);
        result.Settings["overfit captions / train images / val images"] = $"{overfit.TrainCaptions} / {train.TrainImages} / {train.ValImages}";
        return result;
    }

    static string SampleTable(string title, IReadOnlyList<CaptionSample> samples)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"**{title}**");
        sb.AppendLine();
        sb.AppendLine("| image | generated | a reference |");
        sb.AppendLine("| --- | --- | --- |");
        foreach (var s in samples.Take(10))
            sb.AppendLine($"| {s.Id} | {s.Generated.Replace("|", "\\|")} | {(s.References.FirstOrDefault() ?? "").Replace("|", "\\|")} |");
        return sb.ToString();
    }
}
