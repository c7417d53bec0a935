using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Transforms.Onnx;
using MlNetHw.Backbones;
using MlNetHw.Onnx;
using MlNetHw.Vision;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Benchmarks;

/// <summary>
/// ResNet18 at 224×224: feature extraction through ML.NET at batch 1 and 32 rows — ML.NET's DnnFeaturizeImage
/// (before) and the library's chain (ApplyOnnxModel over the preprocessing and ResNet18 merged into one graph, after),
/// images in (LoadImages → ResizeImages → ExtractPixels → …) and pixels in (an IDataView of 3×224×224 floats, the
/// peer's work), raw ONNX Runtime on the same graph (one image per call, 32 per call) to separate compute from ML.NET's
/// plumbing — the 32-row figures alternating in one process —, the same features with the imported TorchSharp module,
/// and one finetune training step (forward + backward + SGD momentum) at batch 16. Peer: torchvision in
/// ../shared/bench/peers.json.
/// </summary>
public sealed class ResNet18Benchmark : IBenchmarkSection
{
    public string Name => "resnet18";
    public string Description => "ResNet18 224x224: ML.NET feature extraction b1/b32 (DnnFeaturizeImage vs merged ApplyOnnxModel, images/pixels in, raw ORT), TorchSharp features b32, finetune train step b16";

    sealed class Row { public string ImagePath { get; set; } = ""; }

    public void Run(BenchmarkContext context)
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-bench-resnet").FullName;
        try
        {
            var paths = Enumerable.Range(0, 32).Select(i => DrawImage(dir, i)).ToArray();
            var ml = new MLContext(seed: 0);
            int threads = torch.get_num_threads();
            context.Record("loadavg_1min_at_start", ReadLoadAverage(), "load");
            // Before: ML.NET's own image featurizer (two ONNX Runtime sessions per image, default options).
            var pipeline = ResNet18Featurizer.DnnFeaturizeImageEstimator(ml, nameof(Row.ImagePath));
            var rows32 = ml.Data.LoadFromEnumerable(paths.Select(p => new Row { ImagePath = p }).ToList());
            var model = pipeline.Fit(rows32);
            // After: the library's chain, ApplyOnnxModel over the preprocessing and ResNet18 merged into one graph,
            // intra-op threads = the run's threads.
            var merged = ResNet18Featurizer.Estimator(ml, nameof(Row.ImagePath), threads: threads).Fit(rows32);
            var rows1 = ml.Data.LoadFromEnumerable(new[] { new Row { ImagePath = paths[0] } });
            int Consume(IDataView v) => v.GetColumn<float[]>("Features").Count();

            context.Measure("mlnet_dnnfeaturize_b1", () => Consume(model.Transform(rows1)), warmup: 2, iterations: 10,
                workPerIteration: 1, unit: "img");
            context.Measure("mlnet_merged_onnx_b1", () => Consume(merged.Transform(rows1)), warmup: 2, iterations: 10,
                workPerIteration: 1, unit: "img");

            // Pixels in (the peer's work: tensors in, features out, no decoding or resizing): an IDataView holding the
            // 3×224×224 floats ExtractPixels gives for the same 32 images.
            var pixelRows = ResNet18Featurizer.PixelsEstimator(ml, nameof(Row.ImagePath)).Fit(rows32).Transform(rows32)
                .GetColumn<float[]>(ResNet18Featurizer.PixelsColumn).Select(p => new PixelRow { Pixels = p }).ToList();
            var pixels32 = ml.Data.LoadFromEnumerable(pixelRows);
            var oldOnPixels = ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), ResNet18Featurizer.PixelsColumn).Fit(pixels32);
            var newOnPixels = ResNet18Featurizer.PixelsToFeatures(ml, threads: threads).Fit(pixels32);
            // The same graph with ONNX Runtime's worker threads sleeping instead of spinning between operators
            // (an MLContext-wide session option; not saved with a model).
            var mlNoSpin = new MLContext(seed: 0);
            OnnxSessionSettings.Configure(mlNoSpin, threads, spinning: false);
            var noSpinOnPixels = ResNet18Featurizer.PixelsToFeatures(mlNoSpin, threads: threads).Fit(pixels32);
            var noSpinOnImages = ResNet18Featurizer.Estimator(mlNoSpin, nameof(Row.ImagePath), threads: threads).Fit(rows32);
            // DnnFeaturizeImage's two sessions with sleeping workers: what the second session's spinning costs.
            var oldNoSpinOnPixels = mlNoSpin.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(mlNoSpin, m.OutputColumn, m.InputColumn), ResNet18Featurizer.PixelsColumn).Fit(pixels32);

            // Raw ONNX Runtime, same graph and options, no ML.NET: one image per call, and all 32 in one call.
            string graphDir = Directory.CreateTempSubdirectory("mlnethw-bench-resnet-graph").FullName;
            string batchGraph = Path.Combine(graphDir, "resnet18-with-preprocessing-batch-n.onnx");
            PackagedResNet18.MergedModel(ResNet18Featurizer.PixelsColumn, "Features", symbolicBatch: true).Save(batchGraph);
            using var rawOptions = OnnxSessionSettings.Create(threads, spinning: true);
            using var raw1 = new InferenceSession(PackagedResNet18.MergedModelPath(ResNet18Featurizer.PixelsColumn, "Features"), rawOptions);
            using var rawN = new InferenceSession(batchGraph, rawOptions);
            using var rawOptionsNoSpin = OnnxSessionSettings.Create(threads, spinning: false);
            using var raw1NoSpin = new InferenceSession(PackagedResNet18.MergedModelPath(ResNet18Featurizer.PixelsColumn, "Features"), rawOptionsNoSpin);
            using var rawNNoSpin = new InferenceSession(batchGraph, rawOptionsNoSpin);
            const int d = 3 * 224 * 224;
            var batch = new float[32 * d];
            for (int i = 0; i < 32; i++) pixelRows[i].Pixels.CopyTo(batch, i * d);
            void Raw1(InferenceSession session)
            {
                foreach (var p in pixelRows)
                {
                    using var r = session.Run(new[] { NamedOnnxValue.CreateFromTensor(ResNet18Featurizer.PixelsColumn, new DenseTensor<float>(p.Pixels, new[] { 1, 3, 224, 224 })) });
                }
            }
            void RawN(InferenceSession session)
            {
                using var r = session.Run(new[] { NamedOnnxValue.CreateFromTensor(ResNet18Featurizer.PixelsColumn, new DenseTensor<float>(batch, new[] { 32, 3, 224, 224 })) });
            }
            // Same features from each path (the merged graph is the packaged nodes, unchanged).
            var reference = oldOnPixels.Transform(pixels32).GetColumn<float[]>("Features").ToList();
            var mine = newOnPixels.Transform(pixels32).GetColumn<float[]>("Features").ToList();
            double worst = reference.Zip(mine).Max(t => t.First.Zip(t.Second).Max(v => Math.Abs(v.First - v.Second)));
            context.Record("merged_vs_dnnfeaturize_max_abs_feature_diff", worst, "abs");

            var extra = new Dictionary<string, object> { ["onnx_intra_op_threads"] = threads };
            // The torchvision peer in a child process, timed as one more case of the same rounds (same load).
            using var peer = TorchvisionPeerProcess.TryStart(threads, out string noPeer);
            // torchvision with the C-heap setting MlNetHw's programs use (NativeHeap): the comparison without the C library.
            using var heapPeer = peer is null ? null : TorchvisionPeerProcess.TryStart(threads, out _, retainFreedMemory: true);
            if (peer is null) Console.WriteLine($"  torchvision peer not alternated: {noPeer}");
            var cases = new List<BenchmarkContext.Case>
            {
                new("mlnet_dnnfeaturize_b32", () => Consume(model.Transform(rows32)), 32, "img"),
                new("mlnet_merged_onnx_b32", () => Consume(merged.Transform(rows32)), 32, "img", extra),
                new("mlnet_merged_onnx_b32_no_spinning", () => Consume(noSpinOnImages.Transform(rows32)), 32, "img", extra),
                new("mlnet_dnnfeaturize_pixels_b32", () => Consume(oldOnPixels.Transform(pixels32)), 32, "img"),
                new("mlnet_dnnfeaturize_pixels_b32_no_spinning", () => Consume(oldNoSpinOnPixels.Transform(pixels32)), 32, "img", extra),
                new("mlnet_merged_onnx_pixels_b32", () => Consume(newOnPixels.Transform(pixels32)), 32, "img", extra),
                new("mlnet_merged_onnx_pixels_b32_no_spinning", () => Consume(noSpinOnPixels.Transform(pixels32)), 32, "img", extra),
                new("ort_raw_merged_b1_x32_pixels", () => Raw1(raw1), 32, "img", extra),
                new("ort_raw_merged_b32_pixels", () => RawN(rawN), 32, "img", extra),
                new("ort_raw_merged_b1_x32_pixels_no_spinning", () => Raw1(raw1NoSpin), 32, "img", extra),
                new("ort_raw_merged_b32_pixels_no_spinning", () => RawN(rawNNoSpin), 32, "img", extra),
            };
            if (peer is not null)
                cases.Insert(0, new("torchvision_peer_features_b32_no_grad_alternating", peer.Run, 32, "img", new() { ["torch_threads"] = threads }));
            if (heapPeer is not null)
                cases.Insert(1, new("torchvision_peer_features_b32_no_grad_alternating_retained_heap", heapPeer.Run, 32, "img", new() { ["torch_threads"] = threads }));
            var r = context.MeasureAlternating(cases, warmup: 1, rounds: 5, idleWaitSeconds: 45);
            var byName = r.ToDictionary(x => x.Name);
            if (peer is not null)
            {
                // Ratios to the peer timed in the same rounds: the fair ones on a shared machine.
                var p = byName["torchvision_peer_features_b32_no_grad_alternating"];
                foreach (var (label, key) in new[]
                {
                    ("dnnfeaturize, images in", "mlnet_dnnfeaturize_b32"), ("dnnfeaturize, pixels in", "mlnet_dnnfeaturize_pixels_b32"),
                    ("merged onnx, images in", "mlnet_merged_onnx_b32"), ("merged onnx, pixels in", "mlnet_merged_onnx_pixels_b32"),
                    ("merged onnx, images in, no spinning", "mlnet_merged_onnx_b32_no_spinning"), ("merged onnx, pixels in, no spinning", "mlnet_merged_onnx_pixels_b32_no_spinning"),
                    ("raw ort b1 x32", "ort_raw_merged_b1_x32_pixels"), ("raw ort b32", "ort_raw_merged_b32_pixels"),
                })
                {
                    // Per round (peer time / ours: > 1 = faster than torchvision), median over the rounds with an idle machine.
                    context.RecordVersus($"{label} / torchvision peer (same rounds)", p, byName[key]);
                    if (heapPeer is not null)
                        context.RecordVersus($"{label} / torchvision peer with the same heap setting (same rounds)",
                            byName["torchvision_peer_features_b32_no_grad_alternating_retained_heap"], byName[key]);
                }
            }
            VersusPeer(context, "mlnet features b32 / torchvision features b32", byName["mlnet_dnnfeaturize_b32"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "mlnet merged onnx b32 (images in) / torchvision features b32", byName["mlnet_merged_onnx_b32"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "mlnet merged onnx b32 (images in), no spinning / torchvision features b32", byName["mlnet_merged_onnx_b32_no_spinning"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "mlnet dnnfeaturize pixels in / torchvision features b32", byName["mlnet_dnnfeaturize_pixels_b32"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "mlnet dnnfeaturize pixels in, no spinning / torchvision features b32", byName["mlnet_dnnfeaturize_pixels_b32_no_spinning"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "mlnet merged onnx pixels in / torchvision features b32", byName["mlnet_merged_onnx_pixels_b32"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "mlnet merged onnx pixels in, no spinning / torchvision features b32", byName["mlnet_merged_onnx_pixels_b32_no_spinning"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "raw ort b1 x32 / torchvision features b32", byName["ort_raw_merged_b1_x32_pixels"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "raw ort b32 / torchvision features b32", byName["ort_raw_merged_b32_pixels"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "raw ort b1 x32, no spinning / torchvision features b32", byName["ort_raw_merged_b1_x32_pixels_no_spinning"], "feature_extraction_b32_no_grad_512d");
            VersusPeer(context, "raw ort b32, no spinning / torchvision features b32", byName["ort_raw_merged_b32_pixels_no_spinning"], "feature_extraction_b32_no_grad_512d");
            // Where the time goes: per-round ratios of the same rounds (idle rounds when there were any).
            context.Record("merged speed-up over dnnfeaturize, pixels in", BenchmarkContext.RoundRatio(byName["mlnet_dnnfeaturize_pixels_b32"], byName["mlnet_merged_onnx_pixels_b32"]).Ratio, "ratio");
            context.Record("merged speed-up over dnnfeaturize, images in", BenchmarkContext.RoundRatio(byName["mlnet_dnnfeaturize_b32"], byName["mlnet_merged_onnx_b32"]).Ratio, "ratio");
            context.Record("share of ml.net chain (pixels in) that is ort compute", BenchmarkContext.RoundRatio(byName["ort_raw_merged_b1_x32_pixels"], byName["mlnet_merged_onnx_pixels_b32"]).Ratio, "ratio");
            context.Record("share of ml.net chain (pixels in, no spinning) that is ort compute", BenchmarkContext.RoundRatio(byName["ort_raw_merged_b1_x32_pixels_no_spinning"], byName["mlnet_merged_onnx_pixels_b32_no_spinning"]).Ratio, "ratio");
            context.Record("no-spinning speed-up, ml.net pixels in", BenchmarkContext.RoundRatio(byName["mlnet_merged_onnx_pixels_b32"], byName["mlnet_merged_onnx_pixels_b32_no_spinning"]).Ratio, "ratio");
            context.Record("share of ml.net chain (images in) that is decoding+resizing", 1 - BenchmarkContext.RoundRatio(byName["mlnet_merged_onnx_pixels_b32"], byName["mlnet_merged_onnx_b32"]).Ratio, "ratio");
            context.Record("ort b1 per image / ort b32 per image", BenchmarkContext.RoundRatio(byName["ort_raw_merged_b1_x32_pixels"], byName["ort_raw_merged_b32_pixels"]).Ratio, "ratio");
            context.Record("loadavg_1min_at_end_of_features", ReadLoadAverage(), "load");
            Directory.Delete(graphDir, true);

            torch.manual_seed(0);
            using var classifier = new ResNet18Network(2);
            classifier.eval();
            using var x32 = torch.rand(32, 3, 224, 224) * 255;
            void Features(bool channelsLast)
            {
                classifier.Backbone.ChannelsLast = channelsLast;
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                classifier.Features(x32);
            }
            // TorchSharp features alternating with the features peer (same rounds, same load); channels-last off too
            // (NCHW activations): what the layout buys.
            var featureCases = new List<BenchmarkContext.Case>
            {
                new("torchsharp_imported_features_b32_no_grad", () => Features(true), 32, "img"),
                new("torchsharp_imported_features_b32_no_grad_nchw", () => Features(false), 32, "img"),
            };
            if (peer is not null)
                featureCases.Insert(0, new("torchvision_peer_features_b32_no_grad_alternating_torchsharp", peer.Run, 32, "img", new() { ["torch_threads"] = threads }));
            if (heapPeer is not null)
                featureCases.Insert(1, new("torchvision_peer_features_b32_no_grad_retained_heap", heapPeer.Run, 32, "img", new() { ["torch_threads"] = threads }));
            var featureResults = context.MeasureAlternating(featureCases, warmup: 1, rounds: 5, idleWaitSeconds: 45).ToDictionary(x => x.Name);
            classifier.Backbone.ChannelsLast = true;
            var torch32 = featureResults["torchsharp_imported_features_b32_no_grad"];
            VersusPeer(context, "torchsharp features b32 / torchvision features b32", torch32, "feature_extraction_b32_no_grad_512d");
            context.Record("torchsharp features channels-last speedup",
                BenchmarkContext.RoundRatio(featureResults["torchsharp_imported_features_b32_no_grad_nchw"], torch32).Ratio, "x");
            if (peer is not null)
                context.RecordVersus("torchsharp features b32 / torchvision peer (same rounds)",
                    featureResults["torchvision_peer_features_b32_no_grad_alternating_torchsharp"], torch32);
            if (heapPeer is not null)
                context.RecordVersus("torchsharp features b32 / torchvision peer with the same heap setting (same rounds)",
                    featureResults["torchvision_peer_features_b32_no_grad_retained_heap"], torch32);
            peer?.Dispose();
            heapPeer?.Dispose();

            // The finetune train step (forward + backward + SGD momentum, batch 16) alternating with torchvision's
            // resnet18 train step in a child process, and the importer running that very model (exported by the
            // child, same weights) through the same step: the packaged CNTK ResNet18 has one more residual block
            // than torchvision's (2-2-2-3), so the same-graph figure is the importer's own speed.
            classifier.train();
            using var optimizer = torch.optim.SGD(classifier.parameters(), 0.001, 0.9);
            using var x16 = torch.rand(16, 3, 224, 224) * 255;
            using var y16 = torch.randint(0, 2, new long[] { 16 }, dtype: ScalarType.Int64);
            var trainCases = new List<BenchmarkContext.Case>
            {
                new("torchsharp_finetune_train_step_b16_sgd_momentum", () =>
                {
                    using var scope = torch.NewDisposeScope();
                    var loss = nn.functional.cross_entropy(classifier.forward(x16), y16);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                }, 16, "img"),
            };
            string torchvisionOnnx = Path.Combine(dir, "torchvision-resnet18.onnx");
            using var trainPeer = TorchvisionPeerProcess.TryStart(threads, out string noTrainPeer, TorchvisionPeerProcess.TrainStep, torchvisionOnnx);
            if (trainPeer is null) Console.WriteLine($"  torchvision train-step peer not alternated: {noTrainPeer}");
            using var trainHeapPeer = trainPeer is null ? null : TorchvisionPeerProcess.TryStart(threads, out _, TorchvisionPeerProcess.TrainStep, retainFreedMemory: true);
            using var sameGraph = trainPeer is null ? null : OnnxModule.Load(torchvisionOnnx);
            using var sameGraphOptimizer = sameGraph is null ? null : torch.optim.SGD(sameGraph.parameters(), 0.01, 0.9);
            torch.manual_seed(1);
            using var tx16 = torch.randn(16, 3, 224, 224);
            using var ty16 = torch.randint(0, 1000, new long[] { 16 }, dtype: ScalarType.Int64);
            if (trainPeer is not null && sameGraph is not null)
            {
                sameGraph.train();
                trainCases.Insert(0, new("torchvision_peer_train_step_b16_sgd_momentum_alternating", trainPeer.Run, 16, "img", new() { ["torch_threads"] = threads }));
                if (trainHeapPeer is not null)
                    trainCases.Insert(1, new("torchvision_peer_train_step_b16_sgd_momentum_retained_heap", trainHeapPeer.Run, 16, "img", new() { ["torch_threads"] = threads }));
                trainCases.Add(new("torchsharp_imported_torchvision_resnet18_train_step_b16_sgd_momentum", () =>
                {
                    using var scope = torch.NewDisposeScope();
                    sameGraphOptimizer!.zero_grad();
                    nn.functional.cross_entropy(sameGraph.forward(tx16), ty16).backward();
                    sameGraphOptimizer.step();
                }, 16, "img"));
            }
            var trainResults = context.MeasureAlternating(trainCases, warmup: 1, rounds: 7, idleWaitSeconds: 45).ToDictionary(x => x.Name);
            var train16 = trainResults["torchsharp_finetune_train_step_b16_sgd_momentum"];
            VersusPeer(context, "finetune step b16 / torchvision train step b16", train16, "train_step_b16_sgd_momentum");
            double packagedMacs = MultiplyAdds(classifier.Backbone, PackagedResNet18.BackboneInput) + classifier.Head.weight!.numel();
            context.Record("packaged resnet18 multiply-adds per image (convs + head)", packagedMacs / 1e9, "GMAC");
            if (trainPeer is not null && sameGraph is not null)
            {
                var p = trainResults["torchvision_peer_train_step_b16_sgd_momentum_alternating"];
                context.RecordVersus("finetune step b16 / torchvision peer train step b16 (same rounds)", p, train16);
                context.RecordVersus("imported torchvision resnet18 train step b16 / torchvision peer (same rounds, same graph)",
                    p, trainResults["torchsharp_imported_torchvision_resnet18_train_step_b16_sgd_momentum"]);
                if (trainHeapPeer is not null)
                {
                    var h = trainResults["torchvision_peer_train_step_b16_sgd_momentum_retained_heap"];
                    context.RecordVersus("finetune step b16 / torchvision peer with the same heap setting (same rounds)", h, train16);
                    context.RecordVersus("imported torchvision resnet18 train step b16 / torchvision peer with the same heap setting (same rounds, same graph)",
                        h, trainResults["torchsharp_imported_torchvision_resnet18_train_step_b16_sgd_momentum"]);
                }
                double torchvisionMacs = MultiplyAdds(sameGraph, sameGraph.InputName);
                context.Record("torchvision resnet18 multiply-adds per image (convs + fc)", torchvisionMacs / 1e9, "GMAC");
                context.Record("packaged / torchvision resnet18 multiply-adds", packagedMacs / torchvisionMacs, "x");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    sealed class PixelRow { [VectorType(3, 224, 224)] public float[] Pixels { get; set; } = Array.Empty<float>(); }

    static double ReadLoadAverage() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out double l) ? l : double.NaN;

    /// <summary>
    /// Multiply-adds of one 224×224 image through the graph's convolutions and Gemms: each Conv output element costs
    /// one filter (weight elements / output channels), each Gemm output element one row of its weight.
    /// </summary>
    static double MultiplyAdds(OnnxModule module, string input)
    {
        bool wasTraining = module.training;
        module.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var nodes = module.Nodes.Where(n => n.OpType is "Conv" or "Gemm").ToList();
            var outputs = module.Run(new Dictionary<string, torch.Tensor> { [input] = torch.zeros(1, 3, 224, 224) }, nodes.Select(n => n.Outputs[0]));
            return nodes.Sum(n =>
            {
                var w = module.Constant(n.Inputs[1]);
                double perOutput = n.OpType == "Conv" ? (double)w.numel() / w.shape[0] : w.shape[1];
                return outputs[n.Outputs[0]].numel() * perOutput;
            });
        }
        finally { module.train(wasTraining); }
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
