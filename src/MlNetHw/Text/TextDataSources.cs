using System.Globalization;
using MlNetHw.Datasets;

namespace MlNetHw.Text;

/// <summary>Where the text experiment's data comes from and how its files are read.</summary>
public static class TextDataSources
{
    /// <summary>Catalog id of the default sentences (UCI sentiment labelled sentences, 2100/450/450).</summary>
    public const string DefaultSentimentId = "sentiment-uci";
    /// <summary>Catalog id of the default word vectors (GloVe 6B, 100 dimensions).</summary>
    public const string DefaultGloVeId = "glove-100d";

    /// <summary>The catalog's UCI sentiment folder (fetched and cached on first use).</summary>
    public static string DefaultSentimentFolder() => DatasetCatalog.Default.Resolve(DefaultSentimentId);

    /// <summary>The catalog's GloVe 100d file (fetched and cached on first use).</summary>
    public static string DefaultGloVeFile() => Path.Combine(DatasetCatalog.Default.Resolve(DefaultGloVeId), "glove.100d.txt");

    /// <summary>Reads <c>LABEL sentence</c> lines.</summary>
    public static List<LabeledText> ReadLabeled(string path)
    {
        var rows = new List<LabeledText>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            var t = line.Trim();
            if (t.Length == 0) throw new InvalidDataException($"{path}:{lineNo}: empty line (expected 'LABEL sentence' with LABEL 0 or 1).");
            int sp = t.IndexOfAny(new[] { ' ', '\t' });
            string label = sp < 0 ? t : t[..sp];
            if (label is not ("0" or "1")) throw new InvalidDataException($"{path}:{lineNo}: label '{label}' is not 0 or 1.");
            string text = sp < 0 ? "" : t[(sp + 1)..].Trim();
            if (text.Length == 0) throw new InvalidDataException($"{path}:{lineNo}: label {label} but no sentence.");
            rows.Add(new LabeledText(label == "1", text));
        }
        return rows;
    }

    /// <summary>Reads unlabelled sentences (one per line; a leading 0/1 label is dropped when every line has one).</summary>
    public static List<string> ReadUnlabelled(string path)
    {
        var lines = File.ReadAllLines(path).ToList();
        for (int i = 0; i < lines.Count; i++)
            if (lines[i].Trim().Length == 0) throw new InvalidDataException($"{path}:{i + 1}: empty line.");
        bool labelled = lines.All(l => l.TrimStart().StartsWith("0 ", StringComparison.Ordinal) || l.TrimStart().StartsWith("1 ", StringComparison.Ordinal));
        return lines.Select(l => labelled ? l.TrimStart()[2..].Trim() : l.Trim()).ToList();
    }

    /// <summary>Reads a GloVe text file, keeping only <paramref name="words"/>.</summary>
    public static PretrainedWordVectors ReadGloVe(string path, IReadOnlySet<string> words)
    {
        var map = new Dictionary<string, float[]>(StringComparer.Ordinal);
        int dim = -1, lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            int sp = line.IndexOf(' ');
            if (sp <= 0) continue;
            if (dim < 0) dim = line.Count(c => c == ' ');
            string w = line[..sp];
            if (!words.Contains(w)) continue;
            var parts = line[(sp + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != dim) throw new InvalidDataException($"{path}:{lineNo}: {parts.Length} values, expected {dim}.");
            map[w] = parts.Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        }
        return PretrainedWordVectors.FromDictionary(map, dim);
    }
}
