using Microsoft.ML;

// Usage: MlNetHw.OnnxConsumer <model.zip> <image>...
// Loads the model with plain ML.NET and prints one line per image: "<predicted label>\t<score1> <score2> ...".
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: MlNetHw.OnnxConsumer <model.zip> <image>...");
    return 2;
}
var ml = new MLContext(seed: 0);
var model = ml.Model.Load(args[0], out _);
var rows = args.Skip(1).Select(p => new Row { ImagePath = p, Label = "" }).ToList();
// A PredictionEngine with a plain string PredictedLabel, as an ML.NET app would use it.
var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
foreach (var p in rows.Select(engine.Predict))
    Console.WriteLine(p.PredictedLabel + "\t" + string.Join(" ", p.Score.Select(s => s.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
return 0;

sealed class Row
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
}

sealed class Prediction
{
    public float[] Score { get; set; } = Array.Empty<float>();
    public string PredictedLabel { get; set; } = "";
}
