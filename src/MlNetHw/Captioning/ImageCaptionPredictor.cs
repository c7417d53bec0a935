using MlNetHw.Backbones;
using Microsoft.ML;
using MlNetHw.MlNet;

namespace MlNetHw.Captioning;

/// <summary>
/// Captions one image file with a saved image → caption model (<c>.zip</c> written by <see cref="ModelArchive.Save"/>
/// from <c>mlContext.Transforms.CaptionImages(...)</c>): an ML.NET <c>PredictionEngine</c> over the whole chain.
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

    readonly ITransformer _model;
    readonly PredictionEngine<ImageInput, CaptionOutput> _engine;

    /// <summary>A predictor over a loaded image → caption chain (its first transform reads the image path column).</summary>
    public ImageCaptionPredictor(MLContext mlContext, ITransformer model)
    {
        _model = model;
        _engine = mlContext.Model.CreatePredictionEngine<ImageInput, CaptionOutput>(model);
    }

    /// <summary>Loads a saved model; errors name the file (see <see cref="ModelArchive.Load(MLContext, string)"/>).</summary>
    public static ImageCaptionPredictor Load(string modelPath, MLContext? mlContext = null)
    {
        var ml = mlContext ?? new MLContext();
        return new ImageCaptionPredictor(ml, ModelArchive.Load(ml, modelPath));
    }

    /// <summary>
    /// The caption of the image at <paramref name="imagePath"/>. A file that is missing or does not decode as an
    /// image throws <see cref="InvalidDataException"/> whose message names the path.
    /// </summary>
    public string Caption(string imagePath)
    {
        if (ResNet18Featurizer.CheckImage(imagePath) is { } error) throw new InvalidDataException(error);
        return _engine.Predict(new ImageInput { ImagePath = imagePath }).Caption;
    }

    /// <summary>Disposes the prediction engine and the TorchSharp modules of the chain.</summary>
    public void Dispose()
    {
        _engine.Dispose();
        foreach (var t in ModelArchive.Flatten(_model))
            if (t is TorchTransformer torch) torch.Model.Dispose();
            else (t as IDisposable)?.Dispose();
    }
}
