using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using MlNetHw.Backbones;
using MlNetHw.Onnx;

namespace MlNetHw.Text;

/// <summary>
/// The finetuned encoder as ONNX and as a plain ML.NET chain around it.
/// <para>
/// ONNX graph: the imported MiniLM graph with the trained initializers (<see cref="OnnxModule.ToOnnxModel"/>), batch
/// fixed to one row (what ML.NET's <c>ApplyOnnxModel</c> feeds), inputs <c>input_ids</c>, <c>attention_mask</c>,
/// <c>token_type_ids</c> Int64 [1, sequence] → pooling (masked mean as <see cref="PackagedMiniLm.MeanPooled"/>, or the
/// <c>[CLS]</c> vector) → <c>Gemm</c> (the head) → outputs <see cref="ClassProbabilitiesName"/> (Softmax, [1, 2]) and
/// <see cref="PlainModel.LogitColumn"/> = logit₁ − logit₀ ([1]; sigmoid of it is the softmax's second entry).
/// </para>
/// <para>
/// ML.NET chain: <c>ApplyOnnxModel</c> over the three Int64 vector columns → <see cref="PlainModel.BinaryHead"/>
/// (<c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>) → drop the logit. ML.NET has no WordPiece transform, so
/// the chain starts from the token ids; the zip carries the vocabulary as entry <see cref="VocabularyEntry"/> (ignored
/// by ML.NET's loader) and its token cap in the info entry, and <see cref="TextClassificationModel.Load"/> puts
/// Microsoft.ML.Tokenizers' <c>BertTokenizer</c> in front (docs/plain-models.md shows the few lines an app needs).
/// </para>
/// <para>
/// The frozen encoder's zip is written the same way (<see cref="Save"/> with <see cref="TextModelKind.FrozenEncoder"/>):
/// its chain after the tokenizer — <c>ApplyOnnxModel</c> over the packaged pooled graph, the feature copy and the
/// logistic regression as trained — reads the same three columns and carries the same two entries.
/// </para>
/// </summary>
public static class FinetunedEncoderExport
{
    /// <summary>Output with the two class probabilities (softmax of the head's logits), [1, 2].</summary>
    public const string ClassProbabilitiesName = "ClassProbabilities";
    /// <summary>Zip entry holding the WordPiece vocabulary (BERT's vocab.txt: one piece per line, id = line).</summary>
    public const string VocabularyEntry = "MlNetHw/vocab.txt";
    /// <summary>Key in <see cref="PlainModelInfo.Limits"/> of the token cap (an integer).</summary>
    public const string MaxTokensLimit = "wordpiece max tokens";

    /// <summary>The network (encoder with its current weights, pooling, head, softmax) as one ONNX model.</summary>
    public static OnnxModel ToOnnx(FinetunedEncoderNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var model = network.Encoder.ToOnnxModel();
        var g = model.Graph;
        // ToOnnxModel shares the input descriptions with the module: the batch is fixed on copies.
        var inputs = g.Inputs.Select(i =>
        {
            var c = new OnnxValueInfo { Name = i.Name, ElementType = i.ElementType };
            c.Shape.AddRange(i.Shape); c.SymbolicNames.AddRange(i.SymbolicNames);
            return c;
        }).ToList();
        g.Inputs.Clear();
        g.Inputs.AddRange(inputs);
        if (network.Pooling == EncoderPooling.Mean) model = PackagedMiniLm.MeanPooled(model);
        else
        {
            foreach (var input in g.Inputs)
                if (input.Shape.Count == 2) { input.Shape[0] = 1; input.SymbolicNames[0] = null; }
            g.Initializers.Add(OnnxTensor.FromInt64s("pool_cls_index", new long[] { 0 }));
            Node(g, "Gather", PackagedMiniLm.SentenceOutput, new[] { PackagedMiniLm.TokenOutput, "pool_cls_index" }, OnnxAttribute.Int("axis", 1));
            g.Outputs.Clear();
        }
        g = model.Graph;
        g.Initializers.Add(OnnxModule.FromTorch("head_weight", network.Head.weight!));
        g.Initializers.Add(OnnxModule.FromTorch("head_bias", network.Head.bias!));
        g.Initializers.Add(OnnxTensor.FromFloats("head_difference", new[] { -1f, 1f }, 2));
        Node(g, "Gemm", "head_logits", new[] { PackagedMiniLm.SentenceOutput, "head_weight", "head_bias" }, OnnxAttribute.Int("transB", 1));
        Node(g, "Softmax", ClassProbabilitiesName, new[] { "head_logits" }, OnnxAttribute.Int("axis", 1));
        // logit₁ − logit₀ as a product with (−1, 1): both products are exact, the one rounding is the subtraction's.
        Node(g, "MatMul", PlainModel.LogitColumn, new[] { "head_logits", "head_difference" });
        g.Outputs.Clear();
        g.Outputs.Add(OnnxValueInfo.Tensor(PlainModel.LogitColumn, 1));
        g.Outputs.Add(OnnxValueInfo.Tensor(ClassProbabilitiesName, 1, 2));
        g.Name = "mlnethw_finetuned_minilm";
        model.DocString = $"all-MiniLM-L6-v2 finetuned by MlNetHw ({network.Pooling} pooling, linear head of 2 classes)";
        return model;
    }

    static void Node(OnnxGraph g, string op, string output, string[] inputs, params OnnxAttribute[] attributes)
    {
        var n = new OnnxNode { Name = "mlnethw_" + output, OpType = op };
        n.Inputs.AddRange(inputs);
        n.Outputs.Add(output);
        n.Attributes.AddRange(attributes);
        g.Nodes.Add(n);
    }

    /// <summary>Input row of the plain chain: the tokenizer's three Int64 vectors (public for ML.NET's reflection).</summary>
    public sealed class TokenRow
    {
        /// <summary>WordPiece ids, <c>[CLS]</c> first and <c>[SEP]</c> last.</summary>
        [ColumnName(WordPieceTokenizerModel.InputIdsColumn)] public long[] InputIds { get; set; } = Array.Empty<long>();
        /// <summary>1 for every id.</summary>
        [ColumnName(WordPieceTokenizerModel.AttentionMaskColumn)] public long[] AttentionMask { get; set; } = Array.Empty<long>();
        /// <summary>0 for every id.</summary>
        [ColumnName(WordPieceTokenizerModel.TokenTypeIdsColumn)] public long[] TokenTypeIds { get; set; } = Array.Empty<long>();
    }

    /// <summary>An empty data view of <see cref="TokenRow"/>: the plain chain's input schema.</summary>
    public static IDataView EmptyInput(MLContext ml) => ml.Data.LoadFromEnumerable(Array.Empty<TokenRow>());

    /// <summary>The plain chain around <paramref name="onnxPath"/> (see the class remarks).</summary>
    public static ITransformer BuildChain(MLContext ml, string onnxPath)
    {
        var empty = EmptyInput(ml);
        var onnx = ml.Transforms.ApplyOnnxModel(new OnnxOptions
        {
            ModelFile = onnxPath,
            InputColumns = new[] { WordPieceTokenizerModel.InputIdsColumn, WordPieceTokenizerModel.AttentionMaskColumn, WordPieceTokenizerModel.TokenTypeIdsColumn },
            OutputColumns = new[] { PlainModel.LogitColumn, ClassProbabilitiesName },
        }).Fit(empty);
        var head = PlainModel.BinaryHead(ml);
        var tail = ml.Transforms.DropColumns(PlainModel.LogitColumn).Fit(head.Transform(onnx.Transform(empty)));
        return new TransformerChain<ITransformer>(onnx, head, tail);
    }

    /// <summary>
    /// What the info entry says about a zip over the WordPiece ids: the finetuned encoder's or the frozen encoder's
    /// (<see cref="TextModelKind.FinetunedEncoder"/>, <see cref="TextModelKind.FrozenEncoder"/>; the kind tag tells
    /// <see cref="TextClassificationModel.Load"/> to put the tokenizer in front).
    /// </summary>
    public static PlainModelInfo Info(TextModelKind kind, int maxTokens)
    {
        string description = kind switch
        {
            TextModelKind.FinetunedEncoder => "binary sentence classifier (all-MiniLM-L6-v2 finetuned): input the three Int64 vectors of BERT's uncased WordPiece tokenizer " +
                $"(vocabulary in zip entry {VocabularyEntry}); Score = logit1 - logit0, Probability = softmax (sigmoid of Score), PredictedLabel = Score > 0, ClassProbabilities = both",
            TextModelKind.FrozenEncoder => "binary sentence classifier (frozen all-MiniLM-L6-v2, masked mean pooling, L-BFGS logistic regression): input the three Int64 vectors of BERT's uncased WordPiece tokenizer " +
                $"(vocabulary in zip entry {VocabularyEntry}); Score = the linear score, Probability = its calibrated sigmoid, PredictedLabel = Score > 0, Features = the 384-d sentence vector",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "only the encoder models read WordPiece ids."),
        };
        return new(TextClassificationModel.PlainKindPrefix + kind, description, new Dictionary<string, string>
        {
            [MaxTokensLimit] = maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["input"] = $"{WordPieceTokenizerModel.InputIdsColumn} ([CLS] pieces [SEP], at most {maxTokens}), {WordPieceTokenizerModel.AttentionMaskColumn} (ones), {WordPieceTokenizerModel.TokenTypeIdsColumn} (zeros): Int64 vectors of one length",
            ["sentence length"] = $"the first {maxTokens - 2} WordPiece pieces (the trained cap; the graph itself takes up to {PackagedMiniLm.MaxPositions})",
        });
    }

    /// <summary>
    /// Writes the plain zip of an encoder model (<paramref name="kind"/>: finetuned or frozen): the chain over the token
    /// ids, its input schema (<see cref="EmptyInput"/>), the info entry and the vocabulary entry.
    /// </summary>
    public static void Save(MLContext ml, ITransformer plainChain, IReadOnlyList<string> vocabulary, int maxTokens, string path, TextModelKind kind) =>
        PlainModel.Save(ml, plainChain, EmptyInput(ml).Schema, path, Info(kind, maxTokens),
            new Dictionary<string, byte[]> { [VocabularyEntry] = System.Text.Encoding.UTF8.GetBytes(string.Join("\n", vocabulary) + "\n") });

    /// <summary>The vocabulary stored in an encoder model's zip (finetuned or frozen), in id order.</summary>
    public static IReadOnlyList<string> ReadVocabulary(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var entry = zip.GetEntry(VocabularyEntry) ?? throw new InvalidDataException($"model file '{path}': no entry '{VocabularyEntry}' (the encoder's WordPiece vocabulary).");
        using var r = new StreamReader(entry.Open());
        var words = r.ReadToEnd().Split('\n').ToList();
        while (words.Count > 0 && words[^1].Length == 0) words.RemoveAt(words.Count - 1);
        return words;
    }
}
