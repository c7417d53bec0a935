using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetHw.Data;

/// <summary>
/// Reader of word vectors in GloVe text format: one word per line followed by its values, separated by spaces
/// (<c>the 0.418 0.24968 …</c>). The dimension is detected from the first line (or from a word2vec-style
/// <c>COUNT DIMENSION</c> header line, which is skipped). Words that themselves contain spaces (glove.840B) are
/// supported: the last D fields are the values. A line with a different number of values, or a value that is not a
/// number, fails with the file name and line number. An optional vocabulary loads only the words needed.
/// </summary>
public static class GloVeReader
{
    /// <param name="path">GloVe text file.</param>
    /// <param name="vocabulary">When given, only these words are kept (their values are not even parsed otherwise).</param>
    /// <param name="expectedDimension">When given, a file of another dimension fails.</param>
    /// <param name="maxWords">Read only the first this many vectors of the file (files are sorted by frequency: the
    /// most frequent words), before the vocabulary filter.</param>
    public static WordVectors Read(string path, IReadOnlySet<string>? vocabulary = null, int? expectedDimension = null, int? maxWords = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"word vector file not found: {path}", path);
        int dimension = -1;
        var words = new List<string>();
        var values = new List<float>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var seenLookup = seen.GetAlternateLookup<ReadOnlySpan<char>>();
        HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? wanted = null;
        if (vocabulary is not null)
        {
            var set = new HashSet<string>(vocabulary, StringComparer.Ordinal);
            wanted = set.GetAlternateLookup<ReadOnlySpan<char>>();
        }
        float[] row = [];
        int lineNumber = 0, kept = 0;
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, true, 1 << 16);
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            lineNumber++;
            ReadOnlySpan<char> line = text.AsSpan().TrimEnd();
            if (line.Length == 0) continue;
            int fields = line.Count(' ') + 1;
            if (dimension < 0)
            {
                if (fields == 2 && int.TryParse(line[..line.IndexOf(' ')], out _) && int.TryParse(line[(line.IndexOf(' ') + 1)..], out int headerDim))
                {
                    dimension = headerDim; // word2vec header "COUNT DIMENSION".
                    CheckDimension(path, dimension, expectedDimension);
                    continue;
                }
                if (fields < 2) throw new InvalidDataException($"{path}:{lineNumber}: expected 'word v1 v2 ...', got a single field.");
                dimension = fields - 1;
                CheckDimension(path, dimension, expectedDimension);
            }
            if (row.Length != dimension) row = new float[dimension];
            if (maxWords is int max && kept >= max) break;
            kept++;
            if (fields < dimension + 1)
                throw new InvalidDataException($"{path}:{lineNumber}: {fields - 1} values, expected {dimension} (the dimension of the first line).");
            // The word is everything before the last `dimension` fields (words may contain spaces, as in glove.840B).
            int wordFields = fields - dimension;
            int wordEnd = -1;
            for (int f = 0; f < wordFields; f++) wordEnd += 1 + line[(wordEnd + 1)..].IndexOf(' ');
            ReadOnlySpan<char> word = line[..wordEnd];
            if (wordFields > 1)
            {
                int lastSpace = word.LastIndexOf(' ');
                // An extra number (not a word containing spaces) means the line has too many values.
                if (float.TryParse(word[(lastSpace + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw new InvalidDataException($"{path}:{lineNumber}: {fields - 1} values, expected {dimension} (the dimension of the first line).");
            }
            if (wanted is { } w && !w.Contains(word)) continue;
            if (seenLookup.Contains(word)) continue; // Keep the first (most frequent) occurrence.
            ReadOnlySpan<char> rest = line[(wordEnd + 1)..];
            for (int d = 0; d < dimension; d++)
            {
                int space = rest.IndexOf(' ');
                ReadOnlySpan<char> field = space < 0 ? rest : rest[..space];
                if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out row[d]))
                    throw new InvalidDataException($"{path}:{lineNumber}: value {d + 1} of '{word}' is not a number: '{field}'.");
                // NaN, Infinity or a value beyond float's range (1e39 reads as infinity) would poison training much later.
                if (!float.IsFinite(row[d]))
                    throw new InvalidDataException($"{path}:{lineNumber}: value {d + 1} of '{word}' is not a finite number: '{field}' (the file is damaged).");
                rest = space < 0 ? [] : rest[(space + 1)..];
            }
            string wordText = word.ToString();
            seen.Add(wordText);
            words.Add(wordText);
            values.AddRange(row);
        }
        if (dimension < 0 || words.Count == 0)
            throw new InvalidDataException($"{path}: no word vectors{(vocabulary is not null ? $" for the {vocabulary.Count} requested words" : "")}.");
        return new WordVectors(dimension, words, values.ToArray());
    }

    static void CheckDimension(string path, int dimension, int? expected)
    {
        if (expected is int e && e != dimension)
            throw new InvalidDataException($"{path}: vectors have {dimension} dimensions, expected {e}.");
    }

    /// <summary>Word vectors as an <see cref="IDataView"/>: <c>Word</c> (string) and <c>Vector</c> (float vector).</summary>
    public static IDataView Load(MLContext mlContext, WordVectors vectors) => Load(mlContext.Data, vectors);

    /// <inheritdoc cref="Load(MLContext, WordVectors)"/>
    public static IDataView Load(DataOperationsCatalog data, WordVectors vectors)
    {
        var rows = Enumerable.Range(0, vectors.Count).Select(i => new VectorRow
        {
            Word = vectors.Words[i], Vector = vectors.Matrix.AsSpan(i * vectors.Dimension, vectors.Dimension).ToArray(),
        });
        var schema = SchemaDefinition.Create(typeof(VectorRow));
        schema[nameof(VectorRow.Vector)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, vectors.Dimension);
        return data.LoadFromEnumerable(rows, schema);
    }

    sealed class VectorRow
    {
        public string Word { get; set; } = "";
        public float[] Vector { get; set; } = [];
    }
}
