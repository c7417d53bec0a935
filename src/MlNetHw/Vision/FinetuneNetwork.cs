using MlNetHw.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Vision;

/// <summary>
/// What 'finetune' trains: a pixel preprocessing step → an imported ONNX backbone (trainable, BatchNorm buffers) →
/// flatten → a new linear head (features → classes). Input (N, 3, S, S) RGB planes in 0..255 (what
/// <see cref="ImageBatchSource"/> and ML.NET's ExtractPixels give); output (N, classes) logits.
/// <see cref="ResNet18Network"/> is the packaged ResNet18, <see cref="BackboneNetwork"/> any user graph cut at a node.
/// </summary>
public abstract class FinetuneNetwork : nn.Module<Tensor, Tensor>
{
    readonly OnnxModule backbone;
    readonly Linear head;
    bool _freezeBackbone;

    /// <summary>Registers <paramref name="backbone"/> and a new head Linear(<paramref name="featureCount"/>, <paramref name="classCount"/>) (PyTorch's default init, from the current torch seed).</summary>
    protected FinetuneNetwork(string name, OnnxModule backbone, int featureCount, int classCount, double? batchNormMomentum) : base(name)
    {
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), "need at least two classes.");
        ClassCount = classCount;
        FeatureCount = featureCount;
        this.backbone = backbone;
        backbone.BatchNormMomentum = batchNormMomentum;
        head = nn.Linear(featureCount, classCount);
        register_module(nameof(backbone), backbone);
        register_module(nameof(head), head);
    }

    /// <summary>Number of classes: the head's outputs.</summary>
    public int ClassCount { get; }
    /// <summary>Length of the flattened backbone features: the head's inputs.</summary>
    public int FeatureCount { get; }
    /// <summary>The imported backbone: preprocessed (N, 3, S, S) → features (flattened before the head).</summary>
    public OnnxModule Backbone => backbone;
    /// <summary>The new linear head, <see cref="FeatureCount"/> → <see cref="ClassCount"/>.</summary>
    public Linear Head => head;

    /// <summary>
    /// Train only the head: the backbone's parameters stop requiring gradients and the backbone stays in eval mode
    /// (BatchNorm running statistics, no updates) even when the whole module is switched to <c>train()</c>.
    /// </summary>
    public bool FreezeBackbone
    {
        get => _freezeBackbone;
        set
        {
            _freezeBackbone = value;
            backbone.SetTrainable(!value);
            if (value) backbone.eval();
        }
    }

    /// <summary>Switches to training or eval mode; with <see cref="FreezeBackbone"/> the backbone stays in eval mode.</summary>
    public override void train(bool on = true)
    {
        base.train(on);
        if (_freezeBackbone) backbone.eval();
    }

    /// <summary>(N, 3, S, S) RGB planes in 0..255 → the backbone's input space.</summary>
    protected abstract Tensor Preprocess(Tensor rgb);

    /// <summary>(N, 3, S, S) RGB 0..255 → (N, classes) logits.</summary>
    public override Tensor forward(Tensor rgb)
    {
        using var scope = torch.NewDisposeScope();
        var features = backbone.forward(Preprocess(rgb)).flatten(1);
        return head.forward(features).MoveToOuterDisposeScope();
    }

    /// <summary>(N, <see cref="FeatureCount"/>) flattened backbone features of RGB 0..255 input, for diagnostics.</summary>
    public Tensor Features(Tensor rgb)
    {
        using var scope = torch.NewDisposeScope();
        return backbone.forward(Preprocess(rgb)).flatten(1).MoveToOuterDisposeScope();
    }
}
