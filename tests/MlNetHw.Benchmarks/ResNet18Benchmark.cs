using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Vision;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// ResNet18 at 224×224: feature extraction through ML.NET (LoadImages → ResizeImages → ExtractPixels →
/// DnnFeaturizeImage) at batch 1 and 32, the same features with the imported TorchSharp module, and one finetune
/// training step (forward + backward + SGD momentum) at batch 16. Peer: torchvision in ../shared/bench/peers.json.
/// </summary>
public sealed class ResNet18Benchmark : IBenchmarkSection
{
    public string Name => "resnet18";
    public string Description => "ResNet18 224x224: ML.NET feature extraction b1/b32, TorchSharp features b32, finetune train step b16";

    sealed class Row { public string ImagePath { get; set; } = ""; }

    public void Run(BenchmarkContext context)
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-bench-resnet").FullName;
        try
        {
            var paths = Enumerable.Range(0, 32).Select(i => DrawImage(dir, i)).ToArray();
            var ml = new MLContext(seed: 0);
            var pipeline = ml.Transforms.LoadImages("Image", "", nameof(Row.ImagePath))
                .Append(ml.Transforms.ResizeImages("Image", 224, 224))
                .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
                .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));
            var rows32 = ml.Data.LoadFromEnumerable(paths.Select(p => new Row { ImagePath = p }).ToList());
            var model = pipeline.Fit(rows32);
            var rows1 = ml.Data.LoadFromEnumerable(new[] { new Row { ImagePath = paths[0] } });
            int Consume(IDataView v) => v.GetColumn<float[]>("Features").Count();

            context.Measure("mlnet_dnnfeaturize_b1", () => Consume(model.Transform(rows1)), warmup: 2, iterations: 10,
                workPerIteration: 1, unit: "img");
            var mlnet32 = context.Measure("mlnet_dnnfeaturize_b32", () => Consume(model.Transform(rows32)), warmup: 1, iterations: 3,
                workPerIteration: 32, unit: "img");
            VersusPeer(context, "mlnet features b32 / torchvision features b32", mlnet32, "feature_extraction_b32_no_grad_512d");

            torch.manual_seed(0);
            using var classifier = new ResNet18Network(2);
            classifier.eval();
            using var x32 = torch.rand(32, 3, 224, 224) * 255;
            var torch32 = context.Measure("torchsharp_imported_features_b32_no_grad", () =>
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                classifier.Features(x32);
            }, warmup: 1, iterations: 3, workPerIteration: 32, unit: "img");
            VersusPeer(context, "torchsharp features b32 / torchvision features b32", torch32, "feature_extraction_b32_no_grad_512d");
            // The same with the importer's channels-last layout off (NCHW activations): what the layout buys.
            classifier.Backbone.ChannelsLast = false;
            var nchw32 = context.Measure("torchsharp_imported_features_b32_no_grad_nchw", () =>
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                classifier.Features(x32);
            }, warmup: 1, iterations: 3, workPerIteration: 32, unit: "img");
            classifier.Backbone.ChannelsLast = true;
            context.Record("torchsharp features channels-last speedup", nchw32.MedianMs / torch32.MedianMs, "x");

            classifier.train();
            var optimizer = torch.optim.SGD(classifier.parameters(), 0.001, 0.9);
            using var x16 = torch.rand(16, 3, 224, 224) * 255;
            using var y16 = torch.randint(0, 2, new long[] { 16 }, dtype: ScalarType.Int64);
            var train16 = context.Measure("torchsharp_finetune_train_step_b16_sgd_momentum", () =>
            {
                using var scope = torch.NewDisposeScope();
                var loss = nn.functional.cross_entropy(classifier.forward(x16), y16);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }, warmup: 1, iterations: 3, workPerIteration: 16, unit: "img");
            VersusPeer(context, "finetune step b16 / torchvision train step b16", train16, "train_step_b16_sgd_momentum");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Records ours / the torchvision peer's images per second, when peers.json has the figure.</summary>
    static void VersusPeer(BenchmarkContext context, string name, BenchmarkResult mine, string peerKey)
    {
        if (mine.Throughput is { } ours && PeerFigures.Number("resnet18", peerKey, "images_per_s") is { } peer)
            context.Record(name, ours / peer, "ratio", new() { ["peer_images_per_s"] = peer, ["images_per_s"] = Math.Round(ours, 2), ["peers_file"] = PeerFigures.SourcePath! });
    }

    static string DrawImage(string dir, int seed)
    {
        var rng = new Random(seed);
        using var bmp = new SKBitmap(256, 256);
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            using var paint = new SKPaint { Color = new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)), IsAntialias = true };
            canvas.DrawCircle(rng.Next(256), rng.Next(256), 20 + rng.Next(80), paint);
        }
        string path = Path.Combine(dir, $"{seed:D2}.png");
        using var img = SKImage.FromBitmap(bmp);
        using var data = img.Encode(SKEncodedImageFormat.Png, 100);
        using var f = File.Create(path);
        data.SaveTo(f);
        return path;
    }
}
