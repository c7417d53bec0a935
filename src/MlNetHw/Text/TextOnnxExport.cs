using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Data;
using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Text;

/// <summary>
/// The TorchSharp sentence classifiers (averaged embeddings learned or GloVe, the manual RNN and LSTM) as ONNX graphs
/// and as plain ML.NET chains around them.
/// <para>
/// ML.NET's <c>ApplyOnnxModel</c> refuses variable-length vector columns, and no stock ML.NET transform pads a
/// sentence's word keys to a fixed length, so the split into words and the vocabulary lookup run inside the graph:
/// ML.NET's <c>NormalizeText</c> (the library's exact normalisation) → ONNX Runtime's <c>com.microsoft.Tokenizer</c>
/// (the same separators as <see cref="TextTokenization.Separators"/>, empty tokens dropped) → <c>ai.onnx.ml.LabelEncoder</c>
/// (the saved vocabulary, every other word → &lt;unk&gt;) → Gather (word vectors) → the network. The sentence length
/// is therefore not limited. The recurrent layers map to the standard ONNX <c>RNN</c> and <c>LSTM</c> operators
/// (see <see cref="LstmToOnnx"/> for the gate order) with <c>sequence_lens</c>, so a sentence of any length runs in one op.
/// </para>
/// Graph input <c>NormalizedText</c> (1, 1) string; outputs <c>Logit</c> (1) and <c>KnownWords</c> (1, the number of
/// words in the vocabulary). The chain then adds ML.NET's binary-classifier columns (see <see cref="PlainModel.BinaryHead"/>).
/// </summary>
public static class TextOnnxExport
{
    /// <summary>Input of the graph: the sentence after ML.NET's NormalizeText.</summary>
    public const string InputName = "NormalizedText";
    /// <summary>Output column: how many of the sentence's words are in the vocabulary (0 = the answer is the prior).</summary>
    public const string KnownWordsName = "KnownWords";

    /// <summary>The classifier and its vocabulary as one ONNX model (opset 12, ai.onnx.ml 2, com.microsoft 1).</summary>
    public static OnnxModel ToOnnx(TextClassifierModel classifier, Vocabulary vocabulary)
    {
        var net = classifier.Network;
        var shape = net.Shape;
        if (vocabulary.Count != shape.VocabularySize)
            throw new ArgumentException($"the vocabulary has {vocabulary.Count} words, the network {shape.VocabularySize}.");
        var g = new OnnxGraphBuilder($"mlnethw_text_{shape.Kind.ToString().ToLowerInvariant()}");
        g.Input(InputName, OnnxDataType.String, 1, 1);
        // Words: (1, 1, T) strings → (1, T). A sentence without words gives T = 0.
        string tokens = g.DomainNode("com.microsoft", "Tokenizer", new[] { InputName }, new[] { "tokens" },
            OnnxAttribute.StringList("separators", TextTokenization.Separators.Select(c => Regex.Escape(c.ToString()))),
            OnnxAttribute.Int("mark", 0), OnnxAttribute.Int("mincharnum", 1), OnnxAttribute.String("pad_value", TextVocabulary.PadToken));
        string tokens2 = g.Op("Reshape", tokens, g.Int64s("shape_1_t", new long[] { 1, -1 }, 2));
        var words = vocabulary.Words.Select((w, i) => (w, i)).Where(p => p.i != TextVocabulary.UnknownId).ToList();
        string ids = g.DomainNode("ai.onnx.ml", "LabelEncoder", new[] { tokens2 }, new[] { "ids" },
            OnnxAttribute.StringList("keys_strings", words.Select(p => p.w)), OnnxAttribute.IntList("values_int64s", words.Select(p => (long)p.i).ToArray()),
            OnnxAttribute.Int("default_int64", TextVocabulary.UnknownId));
        // One <pad> after the words, so every tensor below has at least one step (it is masked / beyond sequence_lens).
        string idsPadded = g.Op("Concat", new[] { ids, g.Int64s("one_pad", new long[] { TextVocabulary.PadId }, 1, 1) }, OnnxAttribute.Int("axis", 1));
        string vectors = g.Op("Gather", new[] { g.Floats("embedding", Floats(net.EmbeddingWeight), shape.VocabularySize, shape.EmbeddingDimension), idsPadded },
            OnnxAttribute.Int("axis", 0));                                                         // (1, T+1, D)
        string known = g.Op("Cast", new[] { g.Op("Greater", idsPadded, g.Int64s("unk_id", new long[] { TextVocabulary.UnknownId })) }, OnnxAttribute.Int("to", (long)OnnxDataType.Float));
        g.Node("ReduceSum", new[] { known }, new[] { KnownWordsName }, OnnxAttribute.IntList("axes", 1), OnnxAttribute.Int("keepdims", 0));

        string features;
        if (shape.Kind == TextNetworkKind.Averaged)
        {
            // mask: real words (id > <pad>), and not <unk> when the model skips unknown words.
            long threshold = shape.AverageSkipsUnknown ? TextVocabulary.UnknownId : TextVocabulary.PadId;
            string m = g.Op("Cast", new[] { g.Op("Greater", idsPadded, g.Int64s("mask_threshold", new[] { threshold })) }, OnnxAttribute.Int("to", (long)OnnxDataType.Float));
            string m3 = g.Op("Unsqueeze", new[] { m }, OnnxAttribute.IntList("axes", 2));           // (1, T+1, 1)
            string sum = g.Op("ReduceSum", new[] { g.Op("Mul", vectors, m3) }, OnnxAttribute.IntList("axes", 1), OnnxAttribute.Int("keepdims", 0)); // (1, D)
            string count = g.Op("Max", g.Op("ReduceSum", new[] { m }, OnnxAttribute.IntList("axes", 1), OnnxAttribute.Int("keepdims", 1)), g.Floats("one", new[] { 1f }, 1));
            features = g.Op("Div", sum, count);
        }
        else
        {
            var rnn = (nn.Module)net.named_children().Single(c => c.name == "recurrent").module;
            var p = rnn.named_parameters().ToDictionary(x => x.name, x => x.parameter);
            long h = shape.HiddenSize, d = shape.EmbeddingDimension;
            string x = g.Op("Transpose", new[] { vectors }, OnnxAttribute.IntList("perm", 1, 0, 2)); // (T+1, 1, D)
            // sequence_lens = max(number of words, 1); with no words the state is reset to zero below.
            string n = g.Op("Size", ids);
            string len = g.Op("Reshape", g.Op("Cast", new[] { g.Op("Max", n, g.Int64s("one_i64", new long[] { 1 })) }, OnnxAttribute.Int("to", (long)OnnxDataType.Int32)),
                g.Int64s("shape_1", new long[] { 1 }, 1));
            string hLast = g.Fresh("h_last");
            if (shape.Kind == TextNetworkKind.Rnn)
            {
                var (w, r, b) = RnnToOnnx(p["Wx"], p["Wh"], p["b"]);
                g.Node("RNN", new[] { x, g.Floats("rnn_W", w, 1, h, d), g.Floats("rnn_R", r, 1, h, h), g.Floats("rnn_B", b, 1, 2 * h), len },
                    new[] { "", hLast }, OnnxAttribute.Int("hidden_size", h));
            }
            else
            {
                var (w, r, b) = LstmToOnnx(p["Wx"], p["Wh"], p["b"]);
                g.Node("LSTM", new[] { x, g.Floats("lstm_W", w, 1, 4 * h, d), g.Floats("lstm_R", r, 1, 4 * h, h), g.Floats("lstm_B", b, 1, 8 * h), len },
                    new[] { "", hLast, "" }, OnnxAttribute.Int("hidden_size", h));
            }
            string state = g.Op("Reshape", hLast, g.Int64s("shape_1_h", new long[] { 1, h }, 2));   // (1, H)
            string anyWord = g.Op("Greater", n, g.Int64s("zero_i64", new long[] { 0 }));
            features = g.Op("Where", anyWord, state, g.Floats("zeros_h", new float[h], 1, h));
        }
        var output = (nn.Module)net.named_children().Single(c => c.name == "output").module;
        var op = output.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        string logit = g.Op("Gemm", new[] { features, g.Floats("out_W", Floats(op["weight"]), 1, op["weight"].shape[1]), g.Floats("out_b", Floats(op["bias"]), 1) },
            OnnxAttribute.Int("transB", 1));                                                        // (1, 1)
        g.Node("Reshape", new[] { logit, g.Int64s("shape_1_out", new long[] { 1 }, 1) }, new[] { PlainModel.LogitColumn });
        g.Output(PlainModel.LogitColumn, OnnxDataType.Float, 1);
        g.Output(KnownWordsName, OnnxDataType.Float, 1);
        return g.Model($"MlNetHw {classifier.Kind} sentence classifier", 12, ("ai.onnx.ml", 2), ("com.microsoft", 1));
    }

    /// <summary>
    /// Manual RNN (Wx (D, H), Wh (H, H), b (H); h' = tanh(x·Wx + h·Wh + b)) → ONNX RNN W (1, H, D) = Wxᵀ,
    /// R (1, H, H) = Whᵀ, B (1, 2H) = [b, 0] (ONNX: h' = tanh(x·Wᵀ + h·Rᵀ + Wb + Rb)).
    /// </summary>
    public static (float[] W, float[] R, float[] B) RnnToOnnx(Tensor wx, Tensor wh, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        return (Floats(wx.t()), Floats(wh.t()), Floats(torch.cat(new[] { b, torch.zeros_like(b) })));
    }

    /// <summary>
    /// Manual LSTM (Wx (D, 4H), Wh (H, 4H), b (4H), gate blocks i, f, o, g) → ONNX LSTM (W (1, 4H, D), R (1, 4H, H),
    /// B (1, 8H), gate blocks i, o, f, c): blocks reordered [0, 2, 1, 3], transposed, the recurrence bias Rb = 0.
    /// Activations agree (σ for i, o, f; tanh for the candidate and the cell output), no peepholes.
    /// </summary>
    public static (float[] W, float[] R, float[] B) LstmToOnnx(Tensor wx, Tensor wh, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        long h = b.shape[0] / 4;
        Tensor Reorder(Tensor t, long dim) => torch.cat(new[] { 0L, 2, 1, 3 }.Select(k => t.narrow(dim, k * h, h)).ToArray(), dim);
        return (Floats(Reorder(wx, 1).t()), Floats(Reorder(wh, 1).t()), Floats(torch.cat(new[] { Reorder(b, 0), torch.zeros_like(b) })));
    }

    static float[] Floats(Tensor t)
    {
        using var c = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return c.data<float>().ToArray();
    }

    /// <summary>
    /// The plain chain around <paramref name="onnxPath"/>: <c>NormalizeText</c> (text column → <see cref="InputName"/>) →
    /// <c>ApplyOnnxModel</c> → the binary head (Score, Probability, PredictedLabel) → drop the intermediate columns.
    /// <see cref="KnownWordsName"/> stays (0 = the model can only answer with its prior).
    /// </summary>
    public static ITransformer BuildChain(MLContext ml, string onnxPath, IDataView emptyInput, string textColumn = TextColumns.Text)
    {
        var front = TextTokenization.Normalizer(ml.Transforms.Text, InputName, textColumn)
            .Append(ml.Transforms.ApplyOnnxModel(new[] { PlainModel.LogitColumn, KnownWordsName }, new[] { InputName }, onnxPath))
            .Fit(emptyInput);
        var head = PlainModel.BinaryHead(ml);
        var tail = ml.Transforms.DropColumns(InputName, PlainModel.LogitColumn).Fit(head.Transform(front.Transform(emptyInput)));
        return new TransformerChain<ITransformer>(front, head, tail);
    }
}
