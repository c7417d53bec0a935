using Microsoft.ML.OnnxRuntime;

namespace MlNetHw.Tests.Onnx;

/// <summary>Runs an ONNX file with ONNX Runtime directly (the trusted reference for the importer).</summary>
sealed class OrtRunner : IDisposable
{
    readonly InferenceSession _session;
    public OrtRunner(string path) => _session = new InferenceSession(path);
    public string InputName => _session.InputMetadata.Keys.Single();

    /// <summary>Runs one input and returns the named outputs' data.</summary>
    public Dictionary<string, float[]> Run(float[] data, long[] shape, params string[] outputs)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var options = new RunOptions();
        using var results = _session.Run(options, new[] { InputName }, new[] { value }, outputs);
        var map = new Dictionary<string, float[]>();
        for (int i = 0; i < outputs.Length; i++) map[outputs[i]] = results[i].GetTensorDataAsSpan<float>().ToArray();
        return map;
    }

    public void Dispose() => _session.Dispose();
}
