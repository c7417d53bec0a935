using MlNetHw.Backbones;
using Microsoft.ML;
using MlNetHw.MlNet;

namespace MlNetHw.Captioning;

/// <summary>
/// Captions one image file with an image → caption model: a plain zip written by the experiment
/// (<see cref="CaptionerOnnxExport"/>, loaded with <c>mlContext.Model.Load</c>, greedy decoding) or an in-memory /
/// archived chain ending in the TorchSharp captioner: an ML.NET <c>PredictionEngine</c> over the whole chain.
/// Not thread-safe (like every PredictionEngine); make one per thread.
/// </summary>
public sealed class ImageCaptionPredictor : IDisposable
{
    /// <summary>Input row: the path of one image.</summary>
    public sealed class ImageInput
    {
        /// <summary>Path of the image file to caption.</summary>
        public string ImagePath { get; set; } = "";
    }

    /// <summary>Output row: the generated caption.</summary>
    public sealed class CaptionOutput
    {
        /// <summary>The generated caption, words separated by spaces.</summary>
        public string Caption { get; set; } = "";
    }

    /// <summary>Output row of a plain model: the caption as a word vector.</summary>
    public sealed class WordsOutput
    {
        /// <summary>The caption's words in order, "" after the end.</summary>
        public string[] CaptionWords { get; set; } = Array.Empty<string>();
    }

    readonly ITransformer _model;
    readonly PredictionEngine<ImageInput, CaptionOutput>? _engine;
    readonly PredictionEngine<ImageInput, WordsOutput>? _words;

    /// <summary>A predictor over a loaded image → caption chain (its first transform reads the image path column).</summary>
    public ImageCaptionPredictor(MLContext mlContext, ITransformer model)
    {
        _model = model;
        var schema = mlContext.Data.LoadFromEnumerable(Array.Empty<ImageInput>()).Schema;
        if (model.GetOutputSchema(schema).GetColumnOrNull(CaptionerOnnxExport.WordsName) is not null)
            _words = mlContext.Model.CreatePredictionEngine<ImageInput, WordsOutput>(model);
        else
            _engine = mlContext.Model.CreatePredictionEngine<ImageInput, CaptionOutput>(model);
    }

    /// <summary>Loads a saved model (plain zips with <c>mlContext.Model.Load</c>, MlNetHw archives with <see cref="ModelArchive.Load(MLContext, string)"/>); errors name the file.</summary>
    public static ImageCaptionPredictor Load(string modelPath, MLContext? mlContext = null)
    {
        var ml = mlContext ?? new MLContext();
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"model '{modelPath}' not found", modelPath);
        if (ModelArchive.IsArchive(modelPath)) return new ImageCaptionPredictor(ml, ModelArchive.Load(ml, modelPath));
        var model = MlNetHw.Onnx.PlainModel.Load(ml, modelPath, out _);
        try { return new ImageCaptionPredictor(ml, model); }
        catch (Exception e) when (e is not (OutOfMemoryException or InvalidDataException)) { throw new InvalidDataException($"'{modelPath}' is not an image captioner: {e.Message}", e); }
    }

    /// <summary>
    /// The caption of the image at <paramref name="imagePath"/>. A file that is missing or does not decode as an
    /// image throws <see cref="InvalidDataException"/> whose message names the path.
    /// </summary>
    public string Caption(string imagePath)
    {
        if (ResNet18Featurizer.CheckImage(imagePath) is { } error) throw new InvalidDataException(error);
        var row = new ImageInput { ImagePath = imagePath };
        return _words is not null ? CaptionerOnnxExport.Join(_words.Predict(row).CaptionWords) : _engine!.Predict(row).Caption;
    }

    /// <summary>Disposes the prediction engine and the TorchSharp modules of the chain.</summary>
    public void Dispose()
    {
        _engine?.Dispose();
        _words?.Dispose();
        foreach (var t in ModelArchive.Flatten(_model))
            if (t is TorchTransformer torch) torch.Model.Dispose();
            else (t as IDisposable)?.Dispose();
    }
}
