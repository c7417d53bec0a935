using Microsoft.ML.Data;

namespace MlNetHw.Tests.MlNet;

/// <summary>Input row of the worked example: 4 features and a boolean label.</summary>
public sealed class BlobRow
{
    [VectorType(4)] public float[] Features { get; set; } = Array.Empty<float>();
    public bool Label { get; set; }
}

/// <summary>What a binary classifier adds.</summary>
public sealed class BinaryPrediction
{
    public float Score { get; set; }
    public float Probability { get; set; }
    public bool PredictedLabel { get; set; }
}

/// <summary>Deterministic toy data for API tests (the numbers asserted are about plumbing, not model quality).</summary>
public static class TestData
{
    /// <summary>
    /// Two overlapping Gaussian blobs in 4-D: label = (x·w + 0.5·noise &gt; 0) with w = (1, -2, 0.5, 1.5), so a
    /// linear model reaches roughly 90% and a constant one 50%.
    /// </summary>
    public static BlobRow[] Blobs(int n, int seed)
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var w = new[] { 1.0, -2.0, 0.5, 1.5 };
        var rows = new BlobRow[n];
        for (int i = 0; i < n; i++)
        {
            var x = new float[4];
            double dot = 0;
            for (int j = 0; j < 4; j++) { x[j] = (float)Normal(); dot += w[j] * x[j]; }
            rows[i] = new BlobRow { Features = x, Label = dot + 0.5 * Normal() > 0 };
        }
        return rows;
    }

    /// <summary>A fresh temporary directory removed by the caller.</summary>
    public static string TempDir() => Directory.CreateTempSubdirectory("mlnethw-mlnet").FullName;
}
