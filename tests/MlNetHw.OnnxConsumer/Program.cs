using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

// A consumer with ML.NET packages only (no MlNetHw, no TorchSharp): every plain zip MlNetHw writes loads here.
// Usage:
//   MlNetHw.OnnxConsumer <model.zip> <image>...            image classifier: "<predicted label>\t<score1> <score2> ..."
//   MlNetHw.OnnxConsumer --text <model.zip> <lines.txt>     sentence classifier, one sentence per line
//   MlNetHw.OnnxConsumer --features <model.zip> <rows.txt>  binary classifier on a float vector, one comma-separated row per line
// Binary classifiers print "<Score>\t<Probability>\t<PredictedLabel>" per row (floats round-trip).
if (args.Length < 2 || (args[0].StartsWith("--", StringComparison.Ordinal) && args.Length != 3))
{
    Console.Error.WriteLine("usage: MlNetHw.OnnxConsumer <model.zip> <image>... | --text <model.zip> <lines.txt> | --features <model.zip> <rows.txt>");
    return 2;
}
var ml = new MLContext(seed: 0);
string F(float f) => f.ToString("R", CultureInfo.InvariantCulture);
if (args[0] == "--text")
{
    var model = ml.Model.Load(args[1], out var schema);
    var text = schema.Single(c => c.Type is TextDataViewType).Name;
    var def = SchemaDefinition.Create(typeof(TextRow));
    def[nameof(TextRow.Text)].ColumnName = text;
    var engine = ml.Model.CreatePredictionEngine<TextRow, BinaryPrediction>(model, inputSchemaDefinition: def);
    foreach (var line in File.ReadLines(args[2]))
    {
        var p = engine.Predict(new TextRow { Text = line });
        Console.WriteLine($"{F(p.Score)}\t{F(p.Probability)}\t{p.PredictedLabel}");
    }
    return 0;
}
if (args[0] == "--features")
{
    var model = ml.Model.Load(args[1], out var schema);
    var column = schema.Single(c => c.Type is VectorDataViewType);
    var def = SchemaDefinition.Create(typeof(FeatureRow));
    def[nameof(FeatureRow.Features)].ColumnName = column.Name;
    def[nameof(FeatureRow.Features)].ColumnType = column.Type;
    var engine = ml.Model.CreatePredictionEngine<FeatureRow, BinaryPrediction>(model, inputSchemaDefinition: def);
    foreach (var line in File.ReadLines(args[2]).Where(l => l.Length > 0))
    {
        var p = engine.Predict(new FeatureRow { Features = line.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray() });
        Console.WriteLine($"{F(p.Score)}\t{F(p.Probability)}\t{p.PredictedLabel}");
    }
    return 0;
}
{
    var model = ml.Model.Load(args[0], out _);
    var rows = args.Skip(1).Select(p => new Row { ImagePath = p, Label = "" }).ToList();
    // A PredictionEngine with a plain string PredictedLabel, as an ML.NET app would use it.
    var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
    foreach (var p in rows.Select(engine.Predict))
        Console.WriteLine(p.PredictedLabel + "\t" + string.Join(" ", p.Score.Select(F)));
    return 0;
}

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

sealed class TextRow { public string Text { get; set; } = ""; }

sealed class FeatureRow { public float[] Features { get; set; } = Array.Empty<float>(); }

sealed class BinaryPrediction
{
    public float Score { get; set; }
    public float Probability { get; set; }
    public bool PredictedLabel { get; set; }
}
