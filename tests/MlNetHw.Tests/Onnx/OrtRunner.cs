using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.Onnx;

/// <summary>Runs an ONNX file with ONNX Runtime directly (the trusted reference for the importer).</summary>
sealed class OrtRunner : IDisposable
{
    readonly InferenceSession _session;
    public OrtRunner(string path) => _session = new InferenceSession(path);
    public OrtRunner(byte[] model) => _session = new InferenceSession(model);
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

    /// <summary>Runs named TorchSharp inputs (float32/64, int32/64, bool) and returns the named outputs as CPU tensors.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, params string[] outputs)
    {
        var values = inputs.Select(kv => ToOrt(kv.Value)).ToList();
        try
        {
            using var options = new RunOptions();
            using var results = _session.Run(options, inputs.Keys.ToArray(), values, outputs);
            var map = new Dictionary<string, Tensor>();
            for (int i = 0; i < outputs.Length; i++) map[outputs[i]] = ToTorch(results[i]);
            return map;
        }
        finally { foreach (var v in values) v.Dispose(); }
    }

    static OrtValue ToOrt(Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        var shape = c.shape;
        return c.dtype switch
        {
            ScalarType.Float32 => OrtValue.CreateTensorValueFromMemory(c.data<float>().ToArray(), shape),
            ScalarType.Float64 => OrtValue.CreateTensorValueFromMemory(c.data<double>().ToArray(), shape),
            ScalarType.Int64 => OrtValue.CreateTensorValueFromMemory(c.data<long>().ToArray(), shape),
            ScalarType.Int32 => OrtValue.CreateTensorValueFromMemory(c.data<int>().ToArray(), shape),
            ScalarType.Bool => OrtValue.CreateTensorValueFromMemory(c.data<bool>().ToArray(), shape),
            _ => throw new NotSupportedException($"input type {c.dtype}"),
        };
    }

    static Tensor ToTorch(OrtValue v)
    {
        var info = v.GetTensorTypeAndShape();
        var shape = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => torch.tensor(v.GetTensorDataAsSpan<float>().ToArray(), shape),
            TensorElementType.Double => torch.tensor(v.GetTensorDataAsSpan<double>().ToArray(), shape),
            TensorElementType.Int64 => torch.tensor(v.GetTensorDataAsSpan<long>().ToArray(), shape),
            TensorElementType.Int32 => torch.tensor(v.GetTensorDataAsSpan<int>().ToArray(), shape),
            TensorElementType.Bool => torch.tensor(v.GetTensorDataAsSpan<bool>().ToArray(), shape),
            var t => throw new NotSupportedException($"output type {t}"),
        };
    }

    public void Dispose() => _session.Dispose();
}
