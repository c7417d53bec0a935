using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetHw.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Captioning;

/// <summary>
/// A trained captioner's greedy decoder as one unrolled ONNX graph, and the plain ML.NET chain around it.
/// <para>
/// Graph (opset 12): <c>Features</c> (1, D) → minus the training mean → affine → h0 (c0 = 0) → for each of the
/// <see cref="CaptionCodec.MaxWords"/> positions: Gather (word vector of the previous word, START first) → one
/// RNN/LSTM step written out with MatMul/Add/Sigmoid/Tanh (the manual layers' own formulas and gate order i, f, o, g)
/// → vocabulary scores → ArgMax; once END is chosen every later position is NULL. Output <c>CaptionIds</c>
/// (MaxWords) int64. The position after the last is END by construction (as in <see cref="CaptionDecoder.Greedy"/>),
/// so it is not computed. Beam search stays library-only (<see cref="CaptionDecoder.Beam"/>).
/// </para>
/// Chain: the fitted ML.NET featurizer (LoadImages → ResizeImages 224 → ExtractPixels → ApplyOnnxModel over ResNet18 with its preprocessing)
/// → <c>ApplyOnnxModel</c> → <c>MapValue</c> (ids → words; END, NULL and START → "") → <c>CaptionWords</c>, a vector
/// of MaxWords strings. It stays a word vector because ML.NET has no stock transform that joins a text vector into one
/// string; one line joins it: <c>string.Join(' ', words.Where(w => w.Length > 0))</c>.
/// </summary>
public static class CaptionerOnnxExport
{
    /// <summary>Input of the decoder graph: the image's feature vector (D floats).</summary>
    public const string FeaturesName = "Features";
    /// <summary>Output of the decoder graph: greedy word ids, one per step up to the maximum caption length.</summary>
    public const string IdsName = "CaptionIds";
    /// <summary>Output column of the plain chain: the caption as a word vector ("" after the end).</summary>
    public const string WordsName = "CaptionWords";

    /// <summary>Joins the <see cref="WordsName"/> vector into the caption text.</summary>
    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Where(w => w.Length > 0));

    /// <summary>The greedy decoder of <paramref name="model"/> as one ONNX model.</summary>
    public static OnnxModel ToOnnx(CaptionerModel model)
    {
        var net = model.Network;
        var s = net.Shape;
        int maxWords = model.Codec.MaxWords;
        long d = s.FeatureDim, h = s.HiddenDim, w = s.WordDim, v = s.VocabSize;
        var g = new OnnxGraphBuilder($"mlnethw_captioner_{s.Cell.ToString().ToLowerInvariant()}");
        string features = g.Input(FeaturesName, OnnxDataType.Float, 1, d);
        string centred = g.Op("Sub", features, g.Floats("feature_mean", Floats(net.FeatureMean), d));
        string state = g.Op("Gemm", centred, g.Floats("proj_W", Floats(net.FeatureProjection.w), d, h), g.Floats("proj_b", Floats(net.FeatureProjection.b), h));
        string cell = net.Lstm is null ? "" : g.Floats("c0", new float[h], 1, h);
        string embedding = g.Floats("embedding", Floats(net.Embedding.W), v, w);
        string wx, wh, b;
        if (net.Rnn is { } rnn) { wx = g.Floats("Wx", Floats(rnn.Wx), w, h); wh = g.Floats("Wh", Floats(rnn.Wh), h, h); b = g.Floats("b", Floats(rnn.b), h); }
        else
        {
            var lstm = net.Lstm!;
            wx = g.Floats("Wx", Floats(lstm.Wx), w, 4 * h); wh = g.Floats("Wh", Floats(lstm.Wh), h, 4 * h); b = g.Floats("b", Floats(lstm.b), 4 * h);
        }
        string wOut = g.Floats("out_W", Floats(net.Output.w), h, v), bOut = g.Floats("out_b", Floats(net.Output.b), v);
        string word = g.Int64s("start", new long[] { CaptionCodec.Start }, 1);
        string nullWord = g.Int64s("null", new long[] { CaptionCodec.Null }, 1);
        string endWord = g.Int64s("end", new long[] { CaptionCodec.End }, 1);
        var doneInit = new OnnxTensor { Name = "not_done", DataType = OnnxDataType.Bool, Int64Data = new long[] { 0 }, Dims = new long[] { 1 } };
        g.Graph.Initializers.Add(doneInit);
        string done = doneInit.Name;
        var emitted = new List<string>();
        for (int t = 0; t < maxWords; t++)
        {
            string x = g.Op("Gather", new[] { embedding, word }, OnnxAttribute.Int("axis", 0));          // (1, W)
            string a = g.Op("Add", g.Op("Add", g.Op("MatMul", x, wx), b), g.Op("MatMul", state, wh));
            if (net.Rnn is not null) state = g.Op("Tanh", a);
            else
            {
                string[] gates = { g.Fresh("gate_i"), g.Fresh("gate_f"), g.Fresh("gate_o"), g.Fresh("gate_g") };
                g.Node("Split", new[] { a }, gates, OnnxAttribute.Int("axis", 1), OnnxAttribute.IntList("split", h, h, h, h));
                string i = g.Op("Sigmoid", gates[0]), f = g.Op("Sigmoid", gates[1]), o = g.Op("Sigmoid", gates[2]), gg = g.Op("Tanh", gates[3]);
                cell = g.Op("Add", g.Op("Mul", f, cell), g.Op("Mul", i, gg));
                state = g.Op("Mul", o, g.Op("Tanh", cell));
            }
            string scores = g.Op("Add", g.Op("MatMul", state, wOut), bOut);                            // (1, V)
            word = g.Op("ArgMax", new[] { scores }, OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 0)); // (1)
            emitted.Add(g.Op("Where", done, nullWord, word));
            done = g.Op("Or", done, g.Op("Equal", word, endWord));
        }
        g.Node("Concat", emitted.ToArray(), new[] { IdsName }, OnnxAttribute.Int("axis", 0));
        g.Output(IdsName, OnnxDataType.Int64, maxWords);
        return g.Model($"MlNetHw {s.Cell} captioner, greedy decoding of at most {maxWords} words");
    }

    static float[] Floats(Tensor t)
    {
        using var c = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return c.data<float>().ToArray();
    }

    /// <summary>
    /// Exports <paramref name="model"/> to <paramref name="onnxPath"/> and saves [<paramref name="featurizer"/>] → ONNX →
    /// words as a plain zip with <paramref name="input"/>'s schema. Returns the chain.
    /// </summary>
    public static ITransformer Save(MLContext ml, ITransformer? featurizer, CaptionerModel model, IDataView input, string onnxPath, string zipPath)
    {
        if (model.FeatureColumn != FeaturesName) throw new ArgumentException($"the export reads the feature column '{FeaturesName}' (the model reads '{model.FeatureColumn}').");
        ToOnnx(model).Save(onnxPath);
        var front = featurizer ?? new TransformerChain<ITransformer>();
        var featured = front.Transform(input);
        var onnx = ml.Transforms.ApplyOnnxModel(new[] { IdsName }, new[] { FeaturesName }, onnxPath).Fit(featured);
        var words = model.Codec.Words.Select((word, i) => new KeyValuePair<long, string>(i,
            i is CaptionCodec.Null or CaptionCodec.Start or CaptionCodec.End ? "" : word)).ToList();
        var map = ml.Transforms.Conversion.MapValue(WordsName, words, IdsName).Fit(onnx.Transform(featured));
        var mapped = map.Transform(onnx.Transform(featured));
        // Only the caption leaves the chain: the featurizer's intermediate columns (image, pixels, ResNet18's inner values) are dropped.
        var drop = ml.Transforms.DropColumns(mapped.Schema.Where(c => !c.IsHidden && c.Name != WordsName && input.Schema.GetColumnOrNull(c.Name) is null)
            .Select(c => c.Name).Distinct().ToArray()).Fit(mapped);
        var parts = (featurizer is null ? Array.Empty<ITransformer>() : MlNetHw.MlNet.ModelArchive.Flatten(featurizer)).Append(onnx).Append(map).Append(drop).ToArray();
        var chain = new TransformerChain<ITransformer>(parts);
        PlainModel.Save(ml, chain, input.Schema, zipPath, new PlainModelInfo($"captioner:{model.Network.Shape.Cell.ToString().ToLowerInvariant()}",
            $"image captioner, greedy decoding: {(featurizer is null ? "Features (ResNet18 features)" : "ImagePath (a file path)")} in; {WordsName}: a vector of {model.Codec.MaxWords} words, \"\" after the end (join the non-empty ones with spaces)",
            new Dictionary<string, string>
            {
                ["caption length"] = $"at most {model.Codec.MaxWords} words",
                ["image size"] = featurizer is null ? "n/a (features in)" : "images stretched to 224x224 (the packaged ResNet18's input)",
                ["decoding"] = "greedy only; beam search is library-only (CaptionDecoder.Beam)",
            }));
        return chain;
    }

    /// <summary>
    /// Captions of the feature rows of <paramref name="features"/> (a <see cref="FeaturesName"/> column) through the
    /// exported graph at <paramref name="onnxPath"/> and the same ids → words map as the saved chain (ONNX Runtime, no
    /// TorchSharp): what the plain zip answers after its featurizer.
    /// </summary>
    public static string[] CaptionFeatures(MLContext ml, CaptionCodec codec, string onnxPath, IDataView features)
    {
        var words = codec.Words.Select((word, i) => new KeyValuePair<long, string>(i,
            i is CaptionCodec.Null or CaptionCodec.Start or CaptionCodec.End ? "" : word)).ToList();
        var chain = ml.Transforms.ApplyOnnxModel(new[] { IdsName }, new[] { FeaturesName }, onnxPath)
            .Append(ml.Transforms.Conversion.MapValue(WordsName, words, IdsName)).Fit(features);
        using var onnx = chain.First() as IDisposable;
        var scored = chain.Transform(features);
        return scored.GetColumn<string[]>(WordsName).Select(Join).ToArray();
    }
}
