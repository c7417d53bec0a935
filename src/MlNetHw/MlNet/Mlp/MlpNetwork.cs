using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.MlNet.Mlp;

/// <summary>
/// A fully connected network <c>(N, D) → (N, K)</c>: hidden layers of Linear → ReLU (→ Dropout), then a Linear
/// output layer producing logits.
/// </summary>
public sealed class MlpNetwork : nn.Module<Tensor, Tensor>
{
    readonly Sequential _layers;

    /// <summary>Builds the layers with fresh weights (PyTorch's default init, from the current torch seed).</summary>
    /// <param name="inputSize">D, features per example.</param>
    /// <param name="hiddenSizes">Width of each hidden layer, in order (empty: a linear model).</param>
    /// <param name="outputSize">K, logits per example.</param>
    /// <param name="dropout">Dropout probability after each hidden ReLU; 0 = none.</param>
    public MlpNetwork(int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize, double dropout) : base(nameof(MlpNetwork))
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int width = inputSize;
        for (int i = 0; i < hiddenSizes.Count; i++)
        {
            layers.Add(($"fc{i}", nn.Linear(width, hiddenSizes[i])));
            layers.Add(($"relu{i}", nn.ReLU()));
            if (dropout > 0) layers.Add(($"drop{i}", nn.Dropout(dropout)));
            width = hiddenSizes[i];
        }
        layers.Add(("out", nn.Linear(width, outputSize)));
        _layers = nn.Sequential(layers);
        RegisterComponents();
    }

    /// <summary>(N, D) features → (N, K) logits.</summary>
    public override Tensor forward(Tensor x) => _layers.forward(x);
}
