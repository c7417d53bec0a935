using MlNetHw.Data;
using MlNetHw.Datasets;

namespace MlNetHw.Text;

/// <summary>Where the text experiment's data comes from by default, and word vectors for the text models.</summary>
public static class TextDataSources
{
    /// <summary>Catalog id of the default sentences (UCI sentiment labelled sentences, 2100/450/450).</summary>
    public const string DefaultSentimentId = "sentiment-uci";
    /// <summary>Catalog id of the default word vectors (GloVe 6B, 100 dimensions).</summary>
    public const string DefaultGloVeId = "glove-100d";

    /// <summary>The catalog's UCI sentiment folder (fetched and cached on first use; fetch progress to <paramref name="log"/>).</summary>
    public static string DefaultSentimentFolder(TextWriter? log = null) => DatasetCatalog.Default.Resolve(DefaultSentimentId, new DatasetFetchOptions { Log = log });

    /// <summary>The catalog's GloVe 100d file (fetched and cached on first use; fetch progress to <paramref name="log"/>).</summary>
    public static string DefaultGloVeFile(TextWriter? log = null) => Path.Combine(DatasetCatalog.Default.Resolve(DefaultGloVeId, new DatasetFetchOptions { Log = log }), "glove.100d.txt");

    /// <summary>
    /// Reads a GloVe text file with <see cref="GloVeReader"/>, keeping only <paramref name="words"/> (a model can only
    /// use vectors of its vocabulary). <paramref name="expectedDimension"/>, when given, rejects a file of another
    /// dimension with a message naming it.
    /// </summary>
    public static PretrainedWordVectors ReadGloVe(string path, IReadOnlySet<string>? words = null, int? expectedDimension = null) =>
        FromWordVectors(GloVeReader.Read(path, words, expectedDimension), Path.GetFileName(path));

    /// <summary>Vectors of <paramref name="first"/>, and of <paramref name="second"/> for words the first lacks (same dimension).</summary>
    public static PretrainedWordVectors Union(PretrainedWordVectors first, WordVectors second)
    {
        if (second.Dimension != first.Dimension)
            throw new ArgumentException($"{first.Source} has {first.Dimension} dimensions, the other vectors {second.Dimension}.");
        return new(first.Dimension, w => first.Find(w) ?? (second.TryGetVector(w, out var v) ? v.ToArray() : null), first.Source);
    }

    /// <summary>Adapts MlNetHw's <see cref="WordVectors"/> to the text models' lookup.</summary>
    public static PretrainedWordVectors FromWordVectors(WordVectors vectors, string source = "word vectors") =>
        new(vectors.Dimension, w => vectors.TryGetVector(w, out var v) ? v.ToArray() : null, source);
}
