using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

// A consumer with ML.NET packages only (no MlNetHw, no TorchSharp): every plain zip MlNetHw writes loads here.
// Usage:
//   MlNetHw.OnnxConsumer <model.zip> <image>...            image classifier: "<predicted label>\t<score1> <score2> ..."
//   MlNetHw.OnnxConsumer --text <model.zip> <lines.txt>     sentence classifier, one sentence per line
//   MlNetHw.OnnxConsumer --features <model.zip> <rows.txt>  binary classifier on a float vector, one comma-separated row per line
//   MlNetHw.OnnxConsumer --check <image> <model.zip>...       any plain zip: load with its input schema, score one row
//                                                          (text "a good film", image columns <image>, vectors of 0.5;
//                                                          three free-length Int64 id columns: [CLS] "the" [SEP])
// Binary classifiers print "<Score>\t<Probability>\t<PredictedLabel>" per row (floats round-trip).
if (args.Length >= 3 && args[0] == "--check")
    return Check.Run(args[1], args[2..]);
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

/// <summary>Three free-length Int64 vectors (renamed to the zip's id columns): [CLS] "the" [SEP], ones, zeros.</summary>
sealed class IdsRow
{
    public long[] A { get; set; } = { 101, 1996, 102 };
    public long[] B { get; set; } = { 1, 1, 1 };
    public long[] C { get; set; } = { 0, 0, 0 };
}

sealed class FeatureRow { public float[] Features { get; set; } = Array.Empty<float>(); }

sealed class BinaryPrediction
{
    public float Score { get; set; }
    public float Probability { get; set; }
    public bool PredictedLabel { get; set; }
}

/// <summary>Loads each zip with plain mlContext.Model.Load and scores one row built from its saved input schema.</summary>
static class Check
{
    public static int Run(string image, string[] zips)
    {
        int failed = 0;
        foreach (var zip in zips)
        {
            try
            {
                var ml = new MLContext(seed: 0);
                var model = ml.Model.Load(zip, out var schema);
                IDataView? data = null;
                string? file = null;
                if (schema.Any(c => c.Type is VectorDataViewType { Size: 0 }))
                {
                    // Vectors of free length (the encoder zips' three WordPiece id columns) come from a row object, as in an app.
                    if (schema.Count != 3 || schema.Any(c => c.Type is not VectorDataViewType { Size: 0 } t || t.ItemType != NumberDataViewType.Int64))
                        throw new NotSupportedException($"free-length vectors only as three Int64 id columns (input: {string.Join(", ", schema.Select(c => $"{c.Name} ({c.Type})"))})");
                    var def = SchemaDefinition.Create(typeof(IdsRow));
                    def[nameof(IdsRow.A)].ColumnName = schema[0].Name;
                    def[nameof(IdsRow.B)].ColumnName = schema[1].Name;
                    def[nameof(IdsRow.C)].ColumnName = schema[2].Name;
                    data = ml.Data.LoadFromEnumerable(new[] { new IdsRow() }, def);
                }
                var columns = new List<TextLoader.Column>();
                var values = new List<string>();
                int index = 0;
                foreach (var c in data is null ? schema : Enumerable.Empty<DataViewSchema.Column>())
                {
                    var item = c.Type is VectorDataViewType vec ? vec.ItemType : c.Type;
                    int size = c.Type is VectorDataViewType v ? v.Size : 1;
                    DataKind kind = item is TextDataViewType ? DataKind.String : item is BooleanDataViewType ? DataKind.Boolean
                        : item == NumberDataViewType.Single ? DataKind.Single : throw new NotSupportedException($"input column {c.Name} of type {c.Type}");
                    columns.Add(c.Type is VectorDataViewType ? new TextLoader.Column(c.Name, kind, index, index + size - 1) : new TextLoader.Column(c.Name, kind, index));
                    for (int i = 0; i < size; i++)
                        values.Add(kind == DataKind.String ? (c.Name.Contains("Image", StringComparison.Ordinal) ? image : "a good film") : kind == DataKind.Boolean ? "true" : "0.5");
                    index += size;
                }
                if (data is null)
                {
                    file = Path.GetTempFileName();
                    File.WriteAllText(file, string.Join("\t", values) + "\n");
                    data = ml.Data.LoadFromTextFile(file, columns.ToArray(), separatorChar: '\t');
                }
                var scored = model.Transform(data);
                var shown = new List<string>();
                using (var cursor = scored.GetRowCursor(scored.Schema))
                {
                    if (!cursor.MoveNext()) throw new InvalidOperationException("no row scored");
                    foreach (var c in scored.Schema.Where(c => !c.IsHidden && schema.GetColumnOrNull(c.Name) is null))
                        shown.Add($"{c.Name}={Show(cursor, c)}");
                }
                if (file is not null) File.Delete(file);
                Console.WriteLine($"ok\t{zip}\tinput: {string.Join(", ", schema.Select(c => $"{c.Name} ({c.Type})"))}\t{string.Join(" ", shown)}");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"FAILED\t{zip}\t{e.GetType().Name}: {e.Message.Split('\n')[0]}" + (e.GetBaseException() is { } b && b != e ? $" ({b.GetType().Name}: {b.Message.Split('\n')[0]})" : ""));
            }
        }
        return failed == 0 ? 0 : 1;
    }

    static string Show(DataViewRow row, DataViewSchema.Column c)
    {
        string F(float f) => f.ToString("G6", CultureInfo.InvariantCulture);
        switch (c.Type)
        {
            case NumberDataViewType t when t == NumberDataViewType.Single: { float v = 0; row.GetGetter<float>(c)(ref v); return F(v); }
            case BooleanDataViewType: { bool v = false; row.GetGetter<bool>(c)(ref v); return v.ToString(); }
            case TextDataViewType: { ReadOnlyMemory<char> v = default; row.GetGetter<ReadOnlyMemory<char>>(c)(ref v); return "\"" + v + "\""; }
            case VectorDataViewType vt when vt.ItemType == NumberDataViewType.Single:
                { VBuffer<float> v = default; row.GetGetter<VBuffer<float>>(c)(ref v); return "[" + string.Join(" ", v.DenseValues().Take(6).Select(F)) + (v.Length > 6 ? " ..." : "") + "]"; }
            case VectorDataViewType vt when vt.ItemType is TextDataViewType:
                { VBuffer<ReadOnlyMemory<char>> v = default; row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(c)(ref v); return "[" + string.Join(" ", v.DenseValues().Select(x => "\"" + x + "\"")) + "]"; }
            default: return $"({c.Type})";
        }
    }
}
