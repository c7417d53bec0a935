using MlNetHw.IO;
using Microsoft.ML;

namespace MlNetHw.Data;

/// <summary>One sentence of a <c>LABEL sentence</c> file. <see cref="Label"/> is null in unlabelled files.</summary>
public sealed record LabeledSentence(int? Label, string Text, int LineNumber);

/// <summary>
/// Reader of sentence files, one sentence per line:
/// labelled files (train/dev/test) hold <c>LABEL sentence</c> with LABEL 0 (negative) or 1 (positive) and one space or
/// tab before the sentence; unlabelled files hold the sentence alone. Empty (or blank) lines are skipped and counted.
/// A bad label, a label without a sentence, or a file without any sentence fails with the file name and line number.
/// </summary>
public static class LabeledSentenceReader
{
    /// <summary>Reads <paramref name="path"/>; with <paramref name="requireLabels"/> every line must start with 0 or 1,
    /// without it every line is unlabelled text (Label null).</summary>
    public static IReadOnlyList<LabeledSentence> Read(string path, bool requireLabels) => Read(path, requireLabels, out _);

    /// <summary>As <see cref="Read(string, bool)"/>, also returning the number of blank lines skipped.</summary>
    public static IReadOnlyList<LabeledSentence> Read(string path, bool requireLabels, out int skippedEmptyLines)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"sentence file not found: {path}", path);
        var result = new List<LabeledSentence>();
        skippedEmptyLines = 0;
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line)) { skippedEmptyLines++; continue; }
            if (!requireLabels) { result.Add(new LabeledSentence(null, line.Trim(), lineNumber)); continue; }
            int split = line.IndexOfAny([' ', '\t']);
            string label = split < 0 ? line : line[..split];
            if (label is not ("0" or "1"))
                throw new InvalidDataException(
                    $"{path}:{lineNumber}: the label must be 0 or 1, got '{Shorten(label)}' (expected 'LABEL sentence').");
            string text = split < 0 ? "" : line[(split + 1)..].Trim();
            if (text.Length == 0) throw new InvalidDataException($"{path}:{lineNumber}: label {label} without a sentence.");
            result.Add(new LabeledSentence(label[0] - '0', text, lineNumber));
        }
        if (result.Count == 0)
            throw new InvalidDataException($"{path}: no sentences (the split is empty{(skippedEmptyLines > 0 ? $"; {skippedEmptyLines} blank lines" : "")}).");
        return result;
    }

    /// <summary>Writes sentences as <c>LABEL sentence</c> lines (or bare sentences when a label is null), atomically.</summary>
    public static void Write(string path, IEnumerable<LabeledSentence> sentences) =>
        MlNetHw.IO.AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
            foreach (var s in sentences)
            {
                if (s.Text.Contains('\n')) throw new ArgumentException($"sentence at line {s.LineNumber} contains a line break.");
                w.WriteLine(s.Label is int l ? $"{l} {s.Text}" : s.Text);
            }
        });

    /// <summary>A labelled file as an ML.NET <see cref="IDataView"/> with columns <c>Label</c> (bool: 1 = true) and
    /// <c>Text</c> (string), ready for <c>mlContext.Transforms.Text.FeaturizeText</c> and binary trainers.</summary>
    public static IDataView Load(MLContext mlContext, string path) => Load(mlContext.Data, path);

    /// <inheritdoc cref="Load(MLContext, string)"/>
    public static IDataView Load(DataOperationsCatalog data, string path) =>
        data.LoadFromEnumerable(Read(path, requireLabels: true).Select(s => new SentenceRow { Label = s.Label == 1, Text = s.Text }).ToList());

    /// <summary>An unlabelled file as an <see cref="IDataView"/> with a single <c>Text</c> column.</summary>
    public static IDataView LoadUnlabelled(MLContext mlContext, string path) => LoadUnlabelled(mlContext.Data, path);

    /// <inheritdoc cref="LoadUnlabelled(MLContext, string)"/>
    public static IDataView LoadUnlabelled(DataOperationsCatalog data, string path) =>
        data.LoadFromEnumerable(Read(path, requireLabels: false).Select(s => new TextRow { Text = s.Text }).ToList());

    static string Shorten(string s) => s.Length <= 20 ? s : s[..20] + "…";

    /// <summary>Row type of <c>Load</c>.</summary>
    public sealed class SentenceRow
    {
        /// <summary>The label: true for 1 (positive), false for 0.</summary>
        public bool Label { get; set; }
        /// <summary>The sentence.</summary>
        public string Text { get; set; } = "";
    }

    /// <summary>Row type of <c>LoadUnlabelled</c>.</summary>
    public sealed class TextRow
    {
        /// <summary>The sentence.</summary>
        public string Text { get; set; } = "";
    }
}
