using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MlNetHw.Text;
using MlNetHw.Torch;

namespace MlNetHw.Cli;

/// <summary>
/// pipelines/TextClassification (homework part 6): train (the default, or <c>train</c>), <c>predict</c> with a saved
/// model, and <c>verify</c> (the child-process reload check of a training run).
/// </summary>
public static class TextClassificationCommand
{
    /// <summary>Parses <paramref name="args"/> and runs text classification (train, predict, verify); returns the exit code (<see cref="CliApp"/>: 0 ok, 1 failed, 2 usage error).</summary>
    public static int Run(string[] args) => CliApp.Run(Create(), args);

    /// <summary>The command tree of text classification (train, predict, verify): its options with defaults and help, and the action that runs it.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("Homework part 6: text classification as ML.NET pipelines (bag of words, embeddings, GloVe, RNN, LSTM, frozen and finetuned sentence encoder).");
        AddTrain(root);
        var train = new Command("train", "Train and evaluate the chosen models (the same as giving no sub-command)");
        AddTrain(train);
        root.Subcommands.Add(train);

        var predict = new Command("predict", "Classify sentences with a saved model: one JSON line each (sentence, label 0/1, probability); no sentence: one per line from stdin");
        var predictModel = ModelFile("A model written by a training run, e.g. out/text-classification/lstm.zip");
        var sentences = new Argument<string[]>("sentence") { Description = "Sentences to classify (none: one per line from stdin)", Arity = ArgumentArity.ZeroOrMore };
        var predictThreads = CliOptions.Threads();
        predict.Options.Add(predictModel);
        predict.Options.Add(predictThreads);
        predict.Arguments.Add(sentences);
        predict.SetAction(r => Predict(r.GetValue(predictModel)!, r.GetValue(sentences)!.ToList(), r.GetValue(predictThreads)));
        root.Subcommands.Add(predict);

        var verify = new Command("verify", "Check that a saved model reproduces the given test scores bit for bit (exit 1 if not)");
        var verifyModel = ModelFile("The model to reload");
        var data = CliOptions.ExistingFolder("--data", "Folder with the train/dev/test sentences");
        data.Required = true;
        var scores = CliOptions.ExistingFile("--scores", "Expected test scores, one per line");
        scores.Required = true;
        verify.Options.Add(verifyModel);
        verify.Options.Add(data);
        verify.Options.Add(scores);
        verify.SetAction(r => Verify(r.GetValue(verifyModel)!, r.GetValue(data)!, r.GetValue(scores)!));
        root.Subcommands.Add(verify);
        return root;
    }

    static Option<string?> ModelFile(string description)
    {
        var o = CliOptions.ExistingFile("--model-file", description, "x.zip");
        o.Required = true;
        return o;
    }

    static void AddTrain(Command command)
    {
        var run = new RunOptionGroup(seed: 1, outDefault: Path.Combine("out", "text-classification"),
            quickDescription: "Small sizes and few epochs (smoke run)", device: "cpu");
        var model = CliOptions.String("--model", "all", "Model(s) to train: bow, embed, glove, rnn, lstm, encoder, finetuned, a comma list, or all", "bow|embed|glove|rnn|lstm|encoder|finetuned|all");
        var dataFolder = CliOptions.ExistingFolder("--data", "Folder with train/dev/test[/unlabelled].txt (default: the sentiment dataset from the catalog)");
        var glove = CliOptions.ExistingFile("--glove", "GloVe vectors file (default: from the dataset catalog)");
        var epochs = CliOptions.OptionalInt("--epochs", "Epochs of the neural models (default: the experiment's per model)", min: 1);
        var batch = CliOptions.Int("--batch", 100, "Batch size", min: 1);
        var lr = CliOptions.Double("--lr", 1e-3, "Learning rate");
        var hidden = CliOptions.Int("--hidden", 64, "Hidden size of the RNN/LSTM", min: 1);
        var minCount = CliOptions.Int("--min-count", 1, "Vocabulary: minimum count of a word", min: 1);
        var maxWords = CliOptions.Int("--max-words", MlNetHw.Text.VocabularyOptions.DefaultMaxLength, "Cut longer sentences to their first N words (TorchSharp models; the count cut is reported); 0 = never", min: 0);
        var embeddingDim = CliOptions.OptionalInt("--embedding-dim", $"Size of the learned embeddings (default {TextClassifierTrainer.DefaultEmbeddingDimension})", min: 1);
        var extraWords = CliOptions.Int("--glove-extra-words", 0, "Extra GloVe words beyond the training vocabulary", min: 0);
        var bowNgrams = CliOptions.Int("--bow-ngrams", 1, "Bag of words: n-grams of 1..N words (2 = unigrams and bigrams)", min: 1);
        var noPunctuation = CliOptions.Flag("--no-bow-punctuation", "Bag of words: do not count punctuation tokens (! ? $ ...)");
        var l2Grid = CliOptions.String("--l2-grid", null, "Bag of words and encoder: comma list of L2 weights tried on dev (default 0.01,0.03,0.1,0.3,1,3,10,30)", "X,Y,...");
        var encoderTokens = CliOptions.Int("--encoder-max-tokens", 128, "Frozen encoder: most WordPiece tokens per sentence", min: 3);
        var ftDefaults = MlNetHw.Text.FinetunedEncoderTrainer.DefaultTraining();
        var ftEpochs = CliOptions.Int("--finetune-epochs", ftDefaults.Epochs, "Finetuned encoder: epochs (--epochs does not apply to it)", min: 1);
        var ftLr = CliOptions.Double("--finetune-lr", ftDefaults.LearningRate, "Finetuned encoder: peak AdamW learning rate (warm-up 10 %, then linear decay)");
        var ftBatch = CliOptions.Int("--finetune-batch", ftDefaults.BatchSize, "Finetuned encoder: batch size", min: 1);
        var ftTokens = CliOptions.Int("--finetune-max-tokens", 64, "Finetuned encoder: most WordPiece tokens per sentence", min: 3);
        var ftPooling = CliOptions.String("--finetune-pooling", "mean", "Finetuned encoder: sentence pooling, mean or cls", "mean|cls");
        var noVerify = CliOptions.Flag("--no-verify", "Skip the reload check of every saved .zip");
        var noChild = CliOptions.Flag("--no-child-check", "Skip the separate-process reload check");
        foreach (Option o in new Option[] { model, dataFolder, glove, epochs, batch, lr, hidden, minCount, maxWords, embeddingDim, extraWords, bowNgrams, noPunctuation, l2Grid, encoderTokens, ftEpochs, ftLr, ftBatch, ftTokens, ftPooling, noVerify, noChild })
            command.Options.Add(o);
        run.AddTo(command);
        command.SetAction(r =>
        {
            var s = run.Read(r);
            string m = r.GetValue(model)!;
            var options = new TextClassificationOptions
            {
                Models = m == "all" ? Enum.GetValues<TextModelKind>() : m.Split(',').Select(TextClassificationExperiment.Parse).ToArray(),
                DataFolder = r.GetValue(dataFolder),
                GloVePath = r.GetValue(glove),
                Training = Training(r.GetValue(epochs), r.GetValue(batch), r.GetValue(lr), r.GetValue(ftEpochs), r.GetValue(ftBatch), r.GetValue(ftLr)),
                Run = s,
                HiddenSize = r.GetValue(hidden),
                MinCount = r.GetValue(minCount),
                MaxWords = r.GetValue(maxWords),
                EmbeddingDimension = r.GetValue(embeddingDim),
                VerifyReload = !r.GetValue(noVerify),
                GloVeExtraWords = r.GetValue(extraWords),
                BagOfWordsNgramLength = r.GetValue(bowNgrams),
                BagOfWordsPunctuation = !r.GetValue(noPunctuation),
                EncoderMaxTokens = r.GetValue(encoderTokens),
                FinetuneMaxTokens = r.GetValue(ftTokens),
                FinetunePooling = r.GetValue(ftPooling)!.Trim().ToLowerInvariant() switch
                {
                    "mean" => EncoderPooling.Mean, "cls" => EncoderPooling.Cls,
                    var p => throw new ArgumentException($"--finetune-pooling: unknown pooling '{p}': use mean or cls."),
                },
            };
            if (r.GetValue(l2Grid) is { Length: > 0 } grid)
                options.L2Grid = grid.Split(',').Select(x => float.Parse(x.Trim(), CultureInfo.InvariantCulture)).ToArray();
            return Train(options, childCheck: !r.GetValue(noChild));
        });
    }

    /// <summary>
    /// Each model's default loop settings with the command line's epochs (when given), batch size and learning rate;
    /// the finetuned encoder takes its own three (--finetune-epochs, --finetune-batch, --finetune-lr).
    /// </summary>
    static IReadOnlyDictionary<TextModelKind, MlNetHw.MlNet.Training.TrainerOptions> Training(int? epochs, int batch, double lr,
        int finetuneEpochs, int finetuneBatch, double finetuneLr)
    {
        var training = TextClassificationExperiment.DefaultTraining();
        foreach (var (kind, t) in training)
        {
            if (kind == TextModelKind.FinetunedEncoder)
            {
                if (!(finetuneLr > 0)) throw new ArgumentException($"--finetune-lr must be positive (got {finetuneLr}).");
                t.Epochs = finetuneEpochs; t.BatchSize = finetuneBatch; t.LearningRate = finetuneLr;
                continue;
            }
            if (epochs is { } e) t.Epochs = e;
            t.BatchSize = batch;
            t.LearningRate = lr;
        }
        return training;
    }

    static int Train(TextClassificationOptions options, bool childCheck)
    {
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
                if (rc != 0) return CliApp.Failure;
            }
        }
        Console.WriteLine($"wall time {result.WallTime.TotalSeconds:0.0} s; results in {Path.GetDirectoryName(result.ResultsMarkdownPath)}");
        return CliApp.Success;
    }

    static int RunSelf(params string[] args)
    {
        string self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) is "dotnet")
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, (System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "TextClassification") + ".dll"));
        foreach (var x in args) psi.ArgumentList.Add(x);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    static int Verify(string modelFile, string data, string scoresFile)
    {
        var ml = new MLContext();
        var model = TextClassificationModel.Load(ml, modelFile);
        var test = SentenceSplit.Load(data).Test.Select(t => t.Text).ToList();
        var scores = model.Scores(test);
        var expected = File.ReadAllLines(scoresFile).Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        if (expected.Length != scores.Length) { Console.Error.WriteLine($"{expected.Length} expected scores, {scores.Length} computed"); return CliApp.Failure; }
        for (int i = 0; i < scores.Length; i++)
            if (BitConverter.SingleToInt32Bits(scores[i]) != BitConverter.SingleToInt32Bits(expected[i]))
            {
                Console.Error.WriteLine($"test sentence {i + 1}: score {scores[i]:R}, expected {expected[i]:R}");
                return CliApp.Failure;
            }
        return CliApp.Success;
    }

    static int Predict(string modelFile, List<string> sentences, int threads)
    {
        sentences = CliOptions.GivenOrStdin(sentences, "sentence", trim: false);
        // Plain zips need ML.NET and ONNX Runtime only; an older MlNetHw archive loads libtorch itself.
        CliOptions.ApplyThreads(threads);
        var ml = new MLContext();
        var model = TextClassificationModel.Load(ml, modelFile);
        var predictions = model.Predict(sentences);
        var unknown = model.UnknownOnly(sentences);
        for (int i = 0; i < sentences.Count; i++)
        {
            var line = new System.Text.Json.Nodes.JsonObject
            {
                ["sentence"] = sentences[i], ["label"] = predictions[i].Label ? 1 : 0, ["probability"] = predictions[i].Probability,
            };
            if (unknown[i]) line["note"] = "no word of this sentence is in the model's vocabulary: the answer is the model's default, not a judgement of the sentence";
            Console.WriteLine(line.ToJsonString(CliOptions.PredictJson));
        }
        return CliApp.Success;
    }
}
