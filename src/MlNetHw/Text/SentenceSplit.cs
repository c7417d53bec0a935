namespace MlNetHw.Text;

/// <summary>One labelled sentence (label true = positive / 1).</summary>
public sealed record LabeledText(bool Label, string Text);

/// <summary>The four files of a text-classification folder.</summary>
public sealed record SentenceSplit(IReadOnlyList<LabeledText> Train, IReadOnlyList<LabeledText> Dev, IReadOnlyList<LabeledText> Test,
    IReadOnlyList<string>? Unlabelled)
{
    /// <summary>
    /// Reads <c>train.txt dev.txt test.txt</c> (required) and <c>unlabelled.txt</c> (optional) from <paramref name="folder"/>.
    /// </summary>
    public static SentenceSplit Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"data folder '{folder}' does not exist (it needs train.txt, dev.txt, test.txt and optionally unlabelled.txt).");
        IReadOnlyList<LabeledText> Read(string name)
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path)) throw new FileNotFoundException($"data folder '{folder}' has no {name} (it needs train.txt, dev.txt, test.txt and optionally unlabelled.txt).", path);
            var rows = TextDataSources.ReadLabeled(path);
            if (rows.Count == 0) throw new InvalidDataException($"{path}: no sentences.");
            return rows;
        }
        string unlabelled = Path.Combine(folder, "unlabelled.txt");
        return new SentenceSplit(Read("train.txt"), Read("dev.txt"), Read("test.txt"),
            File.Exists(unlabelled) ? TextDataSources.ReadUnlabelled(unlabelled) : null);
    }
}
