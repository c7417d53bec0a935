using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MlNetHw.MlNet;

using MlNetHw.Cli;

namespace MlNetHw.Samples.ModelConsumer;

/// <summary>
/// samples/ModelConsumer: how an app embeds a trained MlNetHw model: load the .zip (plain ML.NET zips with
/// <c>mlContext.Model.Load</c>, MlNetHw archives with <c>ModelArchive.Load</c>), predict JSON rows. Rows are JSON
/// objects whose properties are the model's input columns (printed by --info), e.g. <c>{"Text": "great phone"}</c>.
/// </summary>
public static class ModelConsumerCommand
{
    public static int Run(string[] args) => CliApp.Run(Create(), args);

    public static RootCommand Create()
    {
        var modelOption = CliOptions.ExistingFile("--model", "The model .zip to load", "model.zip");
        modelOption.Required = true;
        var inputOption = CliOptions.ExistingFile("--input", "Rows to predict, one JSON object per line", "rows.jsonl");
        var jsonOption = CliOptions.String("--json", null, "One row as a JSON object, e.g. '{\"Text\": \"...\"}'", "JSON");
        var columnsOption = CliOptions.List("--columns", "Output columns (default: the model's new scalar columns, and the Score / CaptionWords vectors)", helpName: "Score,PredictedLabel");
        var outOption = CliOptions.String("--out", null, "Write the predictions (JSON lines) to this file instead of stdout", "predictions.jsonl");
        var infoOption = CliOptions.Flag("--info", "Print the model's manifest and input columns (on stderr) and stop");
        var threadsOption = CliOptions.Threads();
        var root = new RootCommand("Loads a model .zip written by an MlNetHw pipeline and predicts JSON rows (one JSON object per line on stdout). " +
            "Exit codes: 0 every row scored; 1 failure; 2 usage or input error; 3 some rows could not be scored (a missing, mistyped or out-of-range " +
            "field, or a prediction that is not a finite number): each is named on stderr with its line and field and has {\"row\": N, \"error\": ...} " +
            "in its place in the output, the other rows are scored.");
        foreach (Option o in new Option[] { modelOption, inputOption, jsonOption, columnsOption, outOption, infoOption, threadsOption }) root.Options.Add(o);
        root.SetAction(r =>
        {
            string modelPath = r.GetValue(modelOption)!;
            string? input = r.GetValue(inputOption), json = r.GetValue(jsonOption), outPath = r.GetValue(outOption);
            var columns = r.GetValue(columnsOption)!;
            var log = ConsoleProgress.Log;

            // Plain ML.NET zips (what every MlNetHw pipeline writes) load with mlContext.Model.Load; MlNetHw's own
            // archives (training checkpoints, older models) through ModelArchive.
            bool archive = ModelArchive.IsArchive(modelPath);
            var mlContext = new MLContext(seed: 1);
            ITransformer? plainModel = null;
            DataViewSchema schema;
            if (archive)
            {
                var manifest = ModelArchive.ReadManifest(modelPath);
                log.WriteLine($"model {modelPath}: format {manifest["format"]} v{manifest["formatVersion"]}, written by {manifest["writer"]} at {manifest["createdUtc"]}");
                foreach (var segment in manifest["segments"]!.AsArray())
                    log.WriteLine(segment!["kind"]!.GetValue<string>() == "torch"
                        ? $"  torch segment: {segment["architecture"]} {segment["hyperparameters"]!.ToJsonString()}"
                        : $"  ML.NET segment: {string.Join(" → ", segment["transformers"]!.AsArray().Select(t => t!.GetValue<string>()))}");
                schema = ModelArchive.ReadInputSchema(modelPath);
            }
            else
            {
                plainModel = MlNetHw.Onnx.PlainModel.Load(mlContext, modelPath, out schema);
                var info = MlNetHw.Onnx.PlainModel.ReadInfo(modelPath);
                log.WriteLine($"model {modelPath}: plain ML.NET model{(info is null ? "" : $", {info.Kind}: {info.Description}")}");
                if (info is not null) foreach (var (k, v) in info.Limits) log.WriteLine($"  limit: {k}: {v}");
                if (MlNetHw.Text.TextClassificationModel.ReadsWordPieceIds(info, out _))
                {
                    // The zip reads WordPiece ids (ML.NET has no WordPiece transform): the tokenizer over the zip's own
                    // vocabulary goes in front, so rows give the raw sentence (docs/plain-models.md).
                    var text = MlNetHw.Text.TextClassificationModel.Load(mlContext, modelPath);
                    plainModel = text;
                    schema = text.InputSchema;
                    log.WriteLine("  the WordPiece tokenizer (vocabulary from the zip) runs in front of the chain: rows give the sentence as \"Text\"");
                }
            }
            log.WriteLine("  input columns: " + string.Join(", ", schema.Select(c => $"{c.Name} ({c.Type})")) +
                          (schema.Any(c => c.Name.Contains("Image", StringComparison.Ordinal)) ? " (image columns take a file path)" : ""));
            if (r.GetValue(infoOption)) return CliApp.Success;

            var rows = new List<RowScoring.InputRow>();
            if (json is not null)
            {
                try { rows.Add(new("--json", 1, JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("--json must be one JSON object"), null)); }
                catch (System.Text.Json.JsonException e) { throw new ArgumentException($"--json: {e.Message}", e); }
            }
            if (input is not null) rows.AddRange(RowScoring.ReadLines(input));
            if (rows.Count == 0) throw new ArgumentException("give rows with --input rows.jsonl or --json '{...}'");

            CliOptions.ApplyThreads(r.GetValue(threadsOption));
            ITransformer model = plainModel ?? ModelArchive.Load(mlContext, modelPath);
            // A bad row is reported by its line and field and the good ones are still scored (exit 3, see --help).
            int failed;
            using (var writer = outPath is null ? Console.Out : new StreamWriter(outPath))
                failed = RowScoring.Score(model, schema, rows, columns, writer, log);
            if (outPath is not null) log.WriteLine($"wrote {rows.Count} predictions to {outPath}");
            if (failed > 0) return RowScoring.SomeRowsFailed;
            return CliApp.Success;
        });
        return root;
    }
}
