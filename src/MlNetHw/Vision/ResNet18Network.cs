using MlNetHw.Backbones;
using MlNetHw.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Vision;

/// <summary>
/// The finetune network: packaged preprocessing (RGB 0..255 → BGR minus mean image) → the imported ResNet18
/// backbone (trainable, BatchNorm buffers) → flatten → a new linear head (512 → classes).
/// Input (N, 3, 224, 224) RGB planes in 0..255; output (N, classes) logits.
/// </summary>
public sealed class ResNet18Network : nn.Module<Tensor, Tensor>
{
    readonly OnnxModule backbone;
    readonly Linear head;
    readonly Tensor mean_image;

    /// <summary>Number of classes: the head's outputs.</summary>
    public int ClassCount { get; }
    /// <summary>The imported ResNet18 backbone: preprocessed (N, 3, 224, 224) → pooled 512-channel features (flattened before the head).</summary>
    public OnnxModule Backbone => backbone;
    /// <summary>The new linear head, 512 → <see cref="ClassCount"/>.</summary>
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
    bool _freezeBackbone;

    /// <summary>Loads the packaged ResNet18 and adds a head for <paramref name="classCount"/> classes (PyTorch's default Linear init, from the current torch seed).</summary>
    public ResNet18Network(int classCount, double? batchNormMomentum = 0.1) : base(nameof(ResNet18Network))
    {
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), "need at least two classes.");
        ClassCount = classCount;
        backbone = PackagedResNet18.LoadBackbone();
        backbone.BatchNormMomentum = batchNormMomentum;
        head = nn.Linear(PackagedResNet18.FeatureCount, classCount);
        mean_image = torch.tensor(PackagedResNet18.MeanImage, new long[] { 1, 3, PackagedResNet18.ImageSize, PackagedResNet18.ImageSize });
        register_module(nameof(backbone), backbone);
        register_module(nameof(head), head);
        register_buffer(nameof(mean_image), mean_image, persistent: false);
    }

    /// <summary>Switches to training or eval mode; with <see cref="FreezeBackbone"/> the backbone stays in eval mode.</summary>
    public override void train(bool on = true)
    {
        base.train(on);
        if (_freezeBackbone) backbone.eval();
    }

    /// <summary>(N, 3, 224, 224) RGB 0..255 → (N, classes) logits.</summary>
    public override Tensor forward(Tensor rgb)
    {
        using var scope = torch.NewDisposeScope();
        var mean = get_buffer(nameof(mean_image))!;
        var x = rgb.flip(1) - mean;
        var features = backbone.forward(x).flatten(1);
        return head.forward(features).MoveToOuterDisposeScope();
    }

    /// <summary>(N, 512) pooled backbone features of preprocessed input, for diagnostics.</summary>
    public Tensor Features(Tensor rgb)
    {
        using var scope = torch.NewDisposeScope();
        var x = rgb.flip(1) - get_buffer(nameof(mean_image))!;
        return backbone.forward(x).flatten(1).MoveToOuterDisposeScope();
    }
}
