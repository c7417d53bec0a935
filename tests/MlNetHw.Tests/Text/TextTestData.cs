using System.Globalization;
using System.Text;

namespace MlNetHw.Tests.Text;

/// <summary>
/// A small sentiment-like dataset the tests write themselves, in the homework's folder format: positive sentences
/// contain one of a few positive words, negative ones a negative word, both among shared filler words. Plus a tiny
/// GloVe-format file in which the sentiment words differ along the first dimension.
/// </summary>
internal static class TextTestData
{
    public static readonly string[] Positive = { "good", "great", "excellent", "love", "nice", "wonderful" };
    public static readonly string[] Negative = { "bad", "awful", "terrible", "hate", "poor", "boring" };
    public static readonly string[] Filler = { "the", "movie", "was", "it", "really", "phone", "food", "service", "this", "and", "a", "very" };

    public static List<(int Label, string Text)> Sentences(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<(int, string)>();
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(2);
            var words = Enumerable.Range(0, random.Next(2, 9)).Select(_ => Filler[random.Next(Filler.Length)]).ToList();
            var cue = label == 1 ? Positive : Negative;
            words.Insert(random.Next(words.Count + 1), cue[random.Next(cue.Length)]);
            string s = string.Join(" ", words);
            if (random.Next(3) == 0) s = char.ToUpperInvariant(s[0]) + s[1..] + (random.Next(2) == 0 ? "!" : ".");
            rows.Add((label, s));
        }
        return rows;
    }

    /// <summary>Writes train/dev/test/unlabelled (sizes given) into a new temporary folder and returns it.</summary>
    public static string WriteFolder(int train = 300, int dev = 80, int test = 80, int unlabelled = 25)
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-text").FullName;
        void Write(string name, IEnumerable<(int Label, string Text)> rows, bool labels) =>
            File.WriteAllText(Path.Combine(dir, name), string.Concat(rows.Select(r => (labels ? $"{r.Label} " : "") + r.Text + "\n")));
        Write("train.txt", Sentences(train, 1), true);
        Write("dev.txt", Sentences(dev, 2), true);
        Write("test.txt", Sentences(test, 3), true);
        Write("unlabelled.txt", Sentences(unlabelled, 4), false);
        return dir;
    }

    /// <summary>Writes a GloVe text file of <paramref name="dimension"/> for the test words (sentiment on dimension 0).</summary>
    public static string WriteGloVe(string folder, int dimension = 8)
    {
        var random = new Random(5);
        var sb = new StringBuilder();
        foreach (var w in Positive.Concat(Negative).Concat(Filler))
        {
            var v = Enumerable.Range(0, dimension).Select(_ => (random.NextDouble() - 0.5) * 0.2).ToArray();
            if (Positive.Contains(w)) v[0] = 1;
            if (Negative.Contains(w)) v[0] = -1;
            sb.Append(w).Append(' ').AppendJoin(' ', v.Select(x => x.ToString("0.#####", CultureInfo.InvariantCulture))).Append('\n');
        }
        string path = Path.Combine(folder, $"glove.{dimension}d.txt");
        File.WriteAllText(path, sb.ToString());
        return path;
    }
}
