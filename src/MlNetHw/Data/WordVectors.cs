namespace MlNetHw.Data;

/// <summary>
/// Word vectors in memory: <see cref="Count"/> words of <see cref="Dimension"/> floats each, stored as one row-major
/// matrix (<see cref="Matrix"/>, shape (Count, Dimension)) in file order, with a word → row index.
/// </summary>
public sealed class WordVectors
{
    readonly Dictionary<string, int> _index;

    /// <summary>Word vectors from a row-major (words.Count, dimension) matrix; the first row of a repeated word wins.</summary>
    public WordVectors(int dimension, IReadOnlyList<string> words, float[] matrix)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension));
        if (matrix.Length != words.Count * dimension)
            throw new ArgumentException($"{words.Count} words x {dimension} dimensions need {words.Count * dimension} values, got {matrix.Length}.");
        Dimension = dimension;
        Words = words;
        Matrix = matrix;
        _index = new Dictionary<string, int>(words.Count, StringComparer.Ordinal);
        for (int i = 0; i < words.Count; i++) _index.TryAdd(words[i], i);
    }

    /// <summary>Floats per vector.</summary>
    public int Dimension { get; }
    /// <summary>Number of words (rows).</summary>
    public int Count => Words.Count;
    /// <summary>The words, in file order (row i of <see cref="Matrix"/>).</summary>
    public IReadOnlyList<string> Words { get; }
    /// <summary>All vectors, row-major (Count, Dimension).</summary>
    public float[] Matrix { get; }

    /// <summary>True when <paramref name="word"/> has a vector (case-sensitive).</summary>
    public bool Contains(string word) => _index.ContainsKey(word);

    /// <summary>Row index of <paramref name="word"/>, or -1.</summary>
    public int IndexOf(string word) => _index.TryGetValue(word, out int i) ? i : -1;

    /// <summary>The vector of <paramref name="word"/> (a view into <see cref="Matrix"/>), if present.</summary>
    public bool TryGetVector(string word, out ReadOnlySpan<float> vector)
    {
        if (_index.TryGetValue(word, out int i)) { vector = Matrix.AsSpan(i * Dimension, Dimension); return true; }
        vector = default;
        return false;
    }

    /// <summary>A copy of the vector of <paramref name="word"/>; throws <see cref="KeyNotFoundException"/> naming it.</summary>
    public float[] this[string word] =>
        TryGetVector(word, out var v) ? v.ToArray() : throw new KeyNotFoundException($"'{word}' is not in the {Count}-word vocabulary.");

    /// <summary>Writes the vectors in GloVe text format (<c>word v1 … vD</c>), e.g. to cut a large file to the
    /// vocabulary in use for ML.NET's <c>ApplyWordEmbedding(customModelFile)</c>.</summary>
    public void SaveText(string path) =>
        MlNetHw.IO.AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
            var line = new System.Text.StringBuilder();
            for (int i = 0; i < Count; i++)
            {
                line.Clear().Append(Words[i]);
                for (int d = 0; d < Dimension; d++)
                    line.Append(' ').Append(Matrix[i * Dimension + d].ToString("R", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteLine(line);
            }
        });
}
