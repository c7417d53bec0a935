using MlNetHw.Data;

namespace MlNetHw.Text;

/// <summary>One labelled sentence (label true = positive / 1).</summary>
public sealed record LabeledText(bool Label, string Text);

/// <summary>The files of a text-classification folder, read with <see cref="LabeledSentenceReader"/>.</summary>
/// <param name="Train">train.txt.</param>
/// <param name="Dev">dev.txt.</param>
/// <param name="Test">test.txt.</param>
/// <param name="Unlabelled">unlabelled.txt (sentences only), or null when the folder has none.</param>
/// <param name="Warnings">What was tolerated (blank lines skipped, with their line numbers).</param>
public sealed record SentenceSplit(IReadOnlyList<LabeledText> Train, IReadOnlyList<LabeledText> Dev, IReadOnlyList<LabeledText> Test,
    IReadOnlyList<string>? Unlabelled, IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// Reads <c>train.txt dev.txt test.txt</c> (required, <c>LABEL sentence</c> lines with LABEL 0 or 1) and
    /// <c>unlabelled.txt</c> (optional, one sentence per line). A bad label fails with the file and line; a blank line
    /// is skipped and reported in <see cref="Warnings"/> with its line number.
    /// </summary>
    public static SentenceSplit Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"data folder '{folder}' does not exist (it needs train.txt, dev.txt, test.txt and optionally unlabelled.txt).");
        var warnings = new List<string>();
        IReadOnlyList<LabeledSentence> Read(string name, bool labels)
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path))
                throw new FileNotFoundException($"data folder '{folder}' has no {name} (it needs train.txt, dev.txt, test.txt and optionally unlabelled.txt).", path);
            var rows = LabeledSentenceReader.Read(path, labels, out int blank);
            if (blank > 0)
            {
                // The reader skips blank lines; name them, so a file cut in the wrong place is noticed.
                var present = rows.Select(r => r.LineNumber).ToHashSet();
                var missing = Enumerable.Range(1, rows[^1].LineNumber).Where(n => !present.Contains(n)).Take(10).ToList();
                string where = missing.Count > 0 ? $" (line{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}{(blank > missing.Count ? ", …" : "")})" : " (at the end)";
                warnings.Add($"{path}: skipped {blank} empty line{(blank > 1 ? "s" : "")}{where}");
            }
            return rows;
        }
        static IReadOnlyList<LabeledText> Labeled(IReadOnlyList<LabeledSentence> rows) => rows.Select(r => new LabeledText(r.Label == 1, r.Text)).ToList();
        string unlabelled = Path.Combine(folder, "unlabelled.txt");
        var split = new SentenceSplit(Labeled(Read("train.txt", true)), Labeled(Read("dev.txt", true)), Labeled(Read("test.txt", true)),
            File.Exists(unlabelled) ? Read("unlabelled.txt", false).Select(r => r.Text).ToList() : null, warnings);
        // A single class trains a constant classifier (AUC 0.5) without complaint: refuse it for training, warn for evaluation.
        if (split.Train.Select(s => s.Label).Distinct().Count() < 2)
            throw new InvalidDataException($"{Path.Combine(folder, "train.txt")}: every one of its {split.Train.Count} sentences has label {(split.Train[0].Label ? 1 : 0)}; " +
                                           "a classifier needs sentences of both labels 0 and 1.");
        foreach (var (name, rows) in new[] { ("dev.txt", split.Dev), ("test.txt", split.Test) })
            if (rows.Select(s => s.Label).Distinct().Count() < 2)
                warnings.Add($"{Path.Combine(folder, name)}: every sentence has label {(rows[0].Label ? 1 : 0)}: its AUC is undefined and its accuracy says little");
        return split;
    }
}
