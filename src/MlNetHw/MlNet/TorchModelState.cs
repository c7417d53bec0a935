using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;

namespace MlNetHw.MlNet;

/// <summary>
/// Everything needed to rebuild a <see cref="TorchModel"/>: architecture name, hyperparameters (JSON), vocabularies
/// and label lists, extra files (e.g. an ONNX graph) and the module's weights. This is what the archive manifest and
/// its entries hold for one TorchSharp segment.
/// </summary>
public sealed class TorchModelState
{
    /// <summary>An empty state for the architecture named <paramref name="architecture"/> (the loader's key in the archive).</summary>
    public TorchModelState(string architecture)
    {
        if (string.IsNullOrWhiteSpace(architecture)) throw new ArgumentException("architecture must not be empty", nameof(architecture));
        Architecture = architecture;
    }

    /// <summary>Registry key of the model type.</summary>
    public string Architecture { get; }

    /// <summary>Hyperparameters and any small settings (sizes, thresholds, options) as JSON.</summary>
    public JsonObject Hyperparameters { get; init; } = new();

    /// <summary>Named string lists: vocabulary, labels...</summary>
    public Dictionary<string, string[]> Vocabularies { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Extra named files stored as archive entries (e.g. <c>"model.onnx"</c>).</summary>
    public Dictionary<string, byte[]> Files { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The module's tensors by state-dict name.</summary>
    public TensorFile Weights { get; set; } = new();

    /// <summary>A hyperparameter, with a message naming it when it is missing or has the wrong type.</summary>
    public T Get<T>(string name)
    {
        if (!Hyperparameters.TryGetPropertyValue(name, out var node) || node is null)
            throw new InvalidDataException($"model '{Architecture}': hyperparameter '{name}' is missing from the manifest");
        try { return node.Deserialize<T>()!; }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"model '{Architecture}': hyperparameter '{name}' = {node.ToJsonString()} is not a {typeof(T).Name}", e);
        }
    }

    /// <summary>Sets a hyperparameter.</summary>
    public void Set<T>(string name, T value) => Hyperparameters[name] = JsonSerializer.SerializeToNode(value);

    /// <summary>A vocabulary, with a message naming it when it is missing.</summary>
    public string[] Vocabulary(string name) =>
        Vocabularies.TryGetValue(name, out var v) ? v
            : throw new InvalidDataException($"model '{Architecture}': vocabulary '{name}' is missing from the manifest");

    /// <summary>Copies the saved weights into <paramref name="module"/> (see <see cref="TensorFile.LoadInto"/>).</summary>
    public void LoadWeightsInto(torch.nn.Module module) => Weights.LoadInto(module, $"model '{Architecture}'");
}
