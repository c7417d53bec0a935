// An app that uses MlNetHw only through its NuGet package (MlNetHw.Cpu): loads TorchSharp, finds the packaged
// ResNet18, trains a text classifier (learned embeddings, TorchSharp) and an image classifier ('freeze': ResNet18
// features + logistic regression, ML.NET) on tiny generated data, and predicts. Prints "PACKAGE CONSUMER OK" and
// exits 0 when every step worked; .ci/package-smoke.sh builds this file in a fresh `dotnet new console` app.
using Microsoft.ML;
using MlNetHw.Backbones;
using MlNetHw.Data;
using MlNetHw.Text;
using MlNetHw.Torch;
using MlNetHw.Vision;
using SkiaSharp;
using TorchSharp;

var work = Path.Combine(Path.GetTempPath(), $"mlnethw-consumer-{Environment.ProcessId}");
Directory.CreateDirectory(work);
try
{
    // 1. TorchSharp: the native libtorch from the libtorch-cpu package, loadable on this system.
    torch.set_num_threads(1);
    var device = TorchRuntime.ResolveDevice("cpu");
    Console.WriteLine($"torch: {TorchRuntime.Describe(device)}, libtorch {torch.__version__}");

    // 2. The packaged ResNet18 (DnnImageModels/ beside the app, from Microsoft.ML.DnnImageFeaturizer.ResNet18),
    //    imported from ONNX as a TorchSharp module.
    Console.WriteLine($"resnet18: {PackagedResNet18.BackbonePath} ({new FileInfo(PackagedResNet18.BackbonePath).Length / 1_000_000} MB)");
    using (var backbone = PackagedResNet18.LoadBackbone())
    using (torch.no_grad())
    using (var pixels = torch.rand(1, 3, PackagedResNet18.ImageSize, PackagedResNet18.ImageSize) * 255f)
    using (var input = PackagedResNet18.Preprocess(pixels))
    using (var features = backbone.forward(input))
        Console.WriteLine($"resnet18 forward (TorchSharp): [{string.Join(",", features.shape)}]");

    var ml = new MLContext(seed: 1);

    // 3. Text: 'label sentence' rows, learned word vectors averaged -> linear -> sigmoid (TorchSharp), saved and reloaded.
    string[] good = { "great", "wonderful", "excellent", "lovely", "superb", "delightful", "brilliant", "pleasant" };
    string[] bad = { "awful", "terrible", "boring", "dreadful", "poor", "horrible", "dull", "annoying" };
    string[] nouns = { "film", "book", "meal", "trip", "song", "show" };
    var rng = new Random(7);
    var rows = new List<Sentence>();
    for (int i = 0; i < 48; i++)
    {
        bool positive = i % 2 == 0;
        var words = positive ? good : bad;
        rows.Add(new Sentence { Label = positive, Text = $"the {nouns[rng.Next(nouns.Length)]} was {words[rng.Next(6)]} and {words[rng.Next(6)]}" });
    }
    File.WriteAllLines(Path.Combine(work, "sentences.txt"), rows.Select(r => $"{(r.Label ? 1 : 0)} {r.Text}"));
    var trainer = TextClassificationEstimator.DefaultTrainerOptions(TextModelKind.Embeddings, null);
    trainer.EmbeddingDimension = 16;
    trainer.Training.Epochs = 40;
    trainer.Training.BatchSize = 8;
    trainer.Training.LearningRate = 0.05;
    trainer.Training.Device = "cpu";
    var text = new TextClassificationEstimator(ml, TextModelKind.Embeddings, trainer: trainer).Fit(ml.Data.LoadFromEnumerable(rows));
    string textZip = Path.Combine(work, "text.zip");
    text.Save(textZip);
    var reloaded = TextClassificationModel.Load(new MLContext(seed: 1), textZip);
    // Sentences that are not among the training rows (other nouns and word orders).
    var tests = new (string Text, bool Label)[]
    {
        ("the show was great and lovely", true), ("the meal was terrible and boring", false),
        ("a wonderful book", true), ("a dreadful trip", false),
    };
    var predictions = reloaded.Predict(tests.Select(t => t.Text));
    int textCorrect = 0;
    for (int i = 0; i < tests.Length; i++)
    {
        Console.WriteLine($"text: '{tests[i].Text}' -> {(predictions[i].Label ? "positive" : "negative")} ({predictions[i].Probability:0.00})");
        if (predictions[i].Label == tests[i].Label) textCorrect++;
    }
    Console.WriteLine($"text classifier (embeddings, TorchSharp): {textCorrect}/{tests.Length} correct after save/reload ({new FileInfo(textZip).Length / 1024} KB zip)");

    // 4. Images: a tiny two-class folder written with SkiaSharp (reddish discs / bluish squares), 'freeze' transfer learning.
    string Draw(string split, string cls, int i)
    {
        var dir = Path.Combine(work, "images", split, cls);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{i}.png");
        using var bitmap = new SKBitmap(64, 64);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor((byte)rng.Next(200, 256), (byte)rng.Next(200, 256), (byte)rng.Next(200, 256)));
            using var paint = new SKPaint { IsAntialias = true };
            float x = rng.Next(20, 44), y = rng.Next(20, 44), r = rng.Next(10, 18);
            if (cls == "disc") { paint.Color = new SKColor((byte)rng.Next(180, 256), (byte)rng.Next(0, 60), (byte)rng.Next(0, 60)); canvas.DrawCircle(x, y, r, paint); }
            else { paint.Color = new SKColor((byte)rng.Next(0, 60), (byte)rng.Next(0, 60), (byte)rng.Next(180, 256)); canvas.DrawRect(x - r, y - r, 2 * r, 2 * r, paint); }
        }
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using (var file = File.Create(path)) png.SaveTo(file);
        return path;
    }
    foreach (var cls in new[] { "disc", "square" })
    {
        for (int i = 0; i < 8; i++) Draw("train", cls, i);
        for (int i = 0; i < 3; i++) Draw("val", cls, i);
    }
    var train = ImageFolderReader.ReadSplit(Path.Combine(work, "images", "train"));
    var val = ImageFolderReader.ReadSplit(Path.Combine(work, "images", "val"));
    var image = FreezeClassifier.Fit(ml, train);
    var engine = ml.Model.CreatePredictionEngine<ImageRow, ImagePrediction>(image);
    int imageCorrect = 0;
    foreach (var row in val.Rows)
    {
        var p = engine.Predict(new ImageRow(row.ImagePath, ""));
        Console.WriteLine($"image: {Path.GetFileName(Path.GetDirectoryName(row.ImagePath))}/{Path.GetFileName(row.ImagePath)} -> {p.PredictedLabel} ({p.Score.Max():0.00})");
        if (p.PredictedLabel == row.Label) imageCorrect++;
    }
    Console.WriteLine($"image classifier (freeze, packaged ResNet18): {imageCorrect}/{val.Rows.Count} correct");

    bool ok = textCorrect >= tests.Length - 1 && imageCorrect >= val.Rows.Count - 1;
    Console.WriteLine(ok ? "PACKAGE CONSUMER OK" : "PACKAGE CONSUMER FAILED: accuracy below the expected level");
    return ok ? 0 : 1;
}
finally
{
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}

/// <summary>One training row: Boolean label, raw sentence.</summary>
public sealed class Sentence
{
    public bool Label { get; set; }
    public string Text { get; set; } = "";
}
