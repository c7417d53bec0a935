using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MlNetHw.Cli;
using MlNetHw.Text;
using MlNetHw.Torch;

// Part 6 of the homework: text classification as ML.NET pipelines. All logic is in MlNetHw.Text; this parses arguments.
const string Usage = """
usage:
  dotnet run -c Release --project pipelines/TextClassification -- [--model bow|embed|glove|rnn|lstm|all] [--data <folder>]
      [--glove <file>] [--epochs N] [--seed N] [--quick] [--out <folder>] [--device auto|cpu|cuda] [--batch N] [--lr X]
      [--hidden N] [--min-count N] [--embedding-dim N] [--glove-extra-words N] [--threads N] [--no-verify] [--no-child-check]
  dotnet run -c Release --project pipelines/TextClassification -- predict --model-file <x.zip> ["a sentence" ...]   (no sentence: read stdin)
  dotnet run -c Release --project pipelines/TextClassification -- verify --model-file <x.zip> --data <folder> --scores <file>
""";
try
{
    var a = new CommandLineArgs(args);
    if (a.HelpRequested) { Console.WriteLine(Usage); return 0; }
    string mode = a.Positional.Count > 0 && a.Positional[0] is "predict" or "verify" or "train" ? a.Positional[0] : "train";
    var words = a.Positional.Skip(mode == "train" && a.Positional.FirstOrDefault() != "train" ? 0 : 1).ToList();
    return mode switch
    {
        "predict" => Predict(a, words),
        "verify" => Verify(a),
        _ => Train(a, words),
    };
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

static int Train(CommandLineArgs a, List<string> extra)
{
    string model = a.String("--model", "all")!;
    var options = new TextClassificationOptions
    {
        Models = model == "all" ? Enum.GetValues<TextModelKind>() : model.Split(',').Select(TextClassificationExperiment.Parse).ToArray(),
        DataFolder = a.String("--data"),
        GloVePath = a.String("--glove"),
        Epochs = a.String("--epochs") is null ? null : a.Number("--epochs", 0),
        Seed = a.Number("--seed", 1),
        Quick = a.Flag("--quick"),
        OutputDirectory = a.String("--out", Path.Combine("out", "text-classification"))!,
        Device = a.String("--device", "cpu")!,
        BatchSize = a.Number("--batch", 100),
        LearningRate = a.Number("--lr", 1e-3),
        HiddenSize = a.Number("--hidden", 64),
        MinCount = a.Number("--min-count", 1),
        EmbeddingDimension = a.String("--embedding-dim") is null ? null : a.Number("--embedding-dim", 0),
        VerifyReload = !a.Flag("--no-verify"),
        GloVeExtraWords = a.Number("--glove-extra-words", 0),
    };
    bool childCheck = !a.Flag("--no-child-check");
    int threads = a.Number("--threads", 0);
    a.ThrowOnUnknown();
    if (extra.Count > 0) throw new ArgumentException($"unexpected argument(s) {string.Join(" ", extra)}; see --help.");
    if (threads > 0)
    {
        // On a shared machine libtorch's default (all cores) can oversubscribe them; fewer threads is then faster.
        TorchRuntime.EnsureLoaded();
        TorchSharp.torch.set_num_threads(threads);
    }
    var result = TextClassificationExperiment.Run(options);
    if (options.VerifyReload && childCheck)
    {
        // The strongest check: a separate process (fresh runtime, nothing shared) loads each .zip and must
        // reproduce the scores this process computed on the test sentences, bit for bit.
        var split = SentenceSplit.Load(result.DataFolder);
        foreach (var m in result.Models)
        {
            var ml = new MLContext();
            var scores = TextClassificationModel.Load(ml, m.ModelPath).Scores(split.Test.Select(t => t.Text));
            string scoresPath = Path.ChangeExtension(m.ModelPath, ".test-scores.txt");
            File.WriteAllLines(scoresPath, scores.Select(s => s.ToString("R", CultureInfo.InvariantCulture)));
            int rc = RunSelf("verify", "--model-file", m.ModelPath, "--data", result.DataFolder, "--scores", scoresPath);
            Console.WriteLine($"child process reload of {Path.GetFileName(m.ModelPath)}: {(rc == 0 ? "identical test scores" : $"FAILED (exit {rc})")}");
            if (rc != 0) return 1;
        }
    }
    Console.WriteLine($"wall time {result.WallTime.TotalSeconds:0.0} s; results in {Path.GetDirectoryName(result.ResultsMarkdownPath)}");
    return 0;
}

static int RunSelf(params string[] args)
{
    string self = Environment.ProcessPath!;
    var psi = new ProcessStartInfo(self) { UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) is "dotnet") psi.ArgumentList.Add(typeof(TextClassificationModel).Assembly.Location.Replace("MlNetHw.dll", "TextClassification.dll"));
    foreach (var x in args) psi.ArgumentList.Add(x);
    using var p = Process.Start(psi)!;
    p.WaitForExit();
    return p.ExitCode;
}

static int Verify(CommandLineArgs a)
{
    string modelFile = a.String("--model-file") ?? throw new ArgumentException("verify needs --model-file <x.zip>.");
    string data = a.String("--data") ?? throw new ArgumentException("verify needs --data <folder>.");
    string scoresFile = a.String("--scores") ?? throw new ArgumentException("verify needs --scores <file>.");
    a.ThrowOnUnknown();
    var ml = new MLContext();
    var model = TextClassificationModel.Load(ml, modelFile);
    var test = SentenceSplit.Load(data).Test.Select(t => t.Text).ToList();
    var scores = model.Scores(test);
    var expected = File.ReadAllLines(scoresFile).Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
    if (expected.Length != scores.Length) { Console.Error.WriteLine($"{expected.Length} expected scores, {scores.Length} computed"); return 1; }
    for (int i = 0; i < scores.Length; i++)
        if (BitConverter.SingleToInt32Bits(scores[i]) != BitConverter.SingleToInt32Bits(expected[i]))
        {
            Console.Error.WriteLine($"test sentence {i + 1}: score {scores[i]:R}, expected {expected[i]:R}");
            return 1;
        }
    return 0;
}

static int Predict(CommandLineArgs a, List<string> sentences)
{
    string modelFile = a.String("--model-file") ?? throw new ArgumentException("predict needs --model-file <x.zip> (written by a training run, e.g. out/text-classification/lstm.zip).");
    a.ThrowOnUnknown();
    if (sentences.Count == 0)
    {
        string? line;
        while ((line = Console.In.ReadLine()) is not null) if (line.Trim().Length > 0) sentences.Add(line);
    }
    if (sentences.Count == 0) throw new ArgumentException("no sentence given (on the command line or stdin).");
    TorchRuntime.EnsureLoaded();
    var ml = new MLContext();
    var model = TextClassificationModel.Load(ml, modelFile);
    var predictions = model.Predict(sentences);
    var unknown = model.UnknownOnly(sentences);
    for (int i = 0; i < sentences.Count; i++)
        Console.WriteLine($"{(predictions[i].Label ? 1 : 0)}\t{predictions[i].Probability:0.0000}\t{sentences[i]}" +
                          (unknown[i] ? "\t(no word of this sentence is in the model's vocabulary: the answer is the model's default, not a judgement of the sentence)" : ""));
    return 0;
}
