using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetHw.Backbones;
using MlNetHw.Onnx;
using MlNetHw.Text;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace MlNetHw.Tests.Text;

/// <summary>
/// The finetuned sentence encoder: the packaged MiniLM graph imported by <see cref="OnnxModule"/> with its three
/// inputs against ONNX Runtime, gradients through it, and a tiny finetune run saved as a plain zip and reloaded.
/// </summary>
[TestClass]
[TestCategory("Text")]
public sealed class FinetunedEncoderTests
{
    static readonly string[] Sentences = { "A wonderful film.", "the battery died after a day", "Not bad at all, I'd buy it again!", "Awful." };

    static WordPieceTokenizerModel? _wordPiece;
    static WordPieceTokenizerModel WordPiece => _wordPiece ??= new WordPieceTokenizerModel(PackagedMiniLm.Vocabulary(), maxTokens: 32);

    /// <summary>ids and mask (N, T) padded with 0 to the longest sentence, as ONNX Runtime and the module read them.</summary>
    static (long[] Ids, long[] Mask, int T) Padded(IReadOnlyList<long[]> rows)
    {
        int t = rows.Max(r => r.Length);
        var ids = new long[rows.Count * t];
        var mask = new long[rows.Count * t];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < rows[i].Length; j++) { ids[i * t + j] = rows[i][j]; mask[i * t + j] = 1; }
        return (ids, mask, t);
    }

    [TestMethod]
    public void TheImportedMiniLmGraphTakesThreeInputsMatchesOnnxRuntimeAndTrains()
    {
        var rows = Sentences.Select(WordPiece.Encode).ToList();
        var (ids, mask, t) = Padded(rows);
        int n = rows.Count;

        float[] expected;
        using (var session = new InferenceSession(PackagedMiniLm.EncoderPath))
        {
            var feeds = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor(PackagedMiniLm.InputIds, new DenseTensor<long>(ids, new[] { n, t })),
                NamedOnnxValue.CreateFromTensor(PackagedMiniLm.AttentionMask, new DenseTensor<long>(mask, new[] { n, t })),
                NamedOnnxValue.CreateFromTensor(PackagedMiniLm.TokenTypeIds, new DenseTensor<long>(new long[n * t], new[] { n, t })),
            };
            using var outputs = session.Run(feeds);
            expected = outputs.First(o => o.Name == PackagedMiniLm.TokenOutput).AsTensor<float>().ToArray();
        }

        using var module = OnnxModule.Load(PackagedMiniLm.EncoderPath);
        CollectionAssert.AreEqual(new[] { PackagedMiniLm.InputIds, PackagedMiniLm.AttentionMask, PackagedMiniLm.TokenTypeIds }, module.InputNames.ToArray());
        // The one-input API refuses a graph of three, naming them.
        var refused = Assert.ThrowsExactly<ArgumentException>(() => module.Run(torch.zeros(1, 3, ScalarType.Int64), new[] { PackagedMiniLm.TokenOutput }));
        StringAssert.Contains(refused.Message, PackagedMiniLm.TokenTypeIds);
        var missing = Assert.ThrowsExactly<ArgumentException>(() => module.Run(
            new Dictionary<string, Tensor> { [PackagedMiniLm.InputIds] = torch.zeros(1, 3, ScalarType.Int64) }, new[] { PackagedMiniLm.TokenOutput }));
        StringAssert.Contains(missing.Message, PackagedMiniLm.AttentionMask);

        using var scope = torch.NewDisposeScope();
        var inputs = new Dictionary<string, Tensor>
        {
            [PackagedMiniLm.InputIds] = torch.tensor(ids, new long[] { n, t }),
            [PackagedMiniLm.AttentionMask] = torch.tensor(mask, new long[] { n, t }),
            [PackagedMiniLm.TokenTypeIds] = torch.zeros(n, t, ScalarType.Int64),
        };
        module.eval();
        float[] actual;
        using (torch.no_grad())
            actual = module.Run(inputs, new[] { PackagedMiniLm.TokenOutput })[PackagedMiniLm.TokenOutput].data<float>().ToArray();
        Assert.AreEqual(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs), worst = 0;
        // Padded positions are compared too: the graph computes them, both runtimes alike.
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.IsTrue(worst / scale <= 1e-4, $"max |ours - ORT| / max |ORT| = {worst / scale:e2}");

        // One training step: gradients reach the token embedding and move it.
        module.train();
        string embedding = module.ParameterNames.Single(p => p.Contains("word_embeddings", StringComparison.Ordinal));
        var before = module.Constant(embedding).detach().clone();
        var optimizer = torch.optim.SGD(module.parameters(), 0.1);
        var hidden = module.Run(inputs, new[] { PackagedMiniLm.TokenOutput })[PackagedMiniLm.TokenOutput];
        var loss = hidden.select(1, 0).sum();
        optimizer.zero_grad();
        loss.backward();
        var grad = module.Constant(embedding).grad;
        Assert.IsNotNull(grad, "the token embedding gets a gradient");
        Assert.IsTrue(grad.abs().max().ToSingle() > 0 && float.IsFinite(grad.abs().max().ToSingle()));
        optimizer.step();
        Assert.IsTrue((module.Constant(embedding) - before).abs().max().ToSingle() > 0, "the step changed the embedding");
    }
}
