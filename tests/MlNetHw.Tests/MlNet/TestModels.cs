using MlNetHw.MlNet;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetHw.Tests.MlNet;

/// <summary>
/// A test model with a known answer: <c>Sum = Σ Features</c> (a bias-free Linear layer with unit weights) and
/// <c>SumText</c> its text form. It records every batch size it scores, so tests can see batching. Lives in the
/// test assembly so loading it from an archive also proves the registry finds types outside MlNetHw.
/// </summary>
[TorchArchitecture(Name)]
public sealed class SumModel : TorchModel
{
    public const string Name = "tests.sum";
    readonly nn.Module<Tensor, Tensor> _linear;

    public SumModel(int size = 4)
    {
        Size = size;
        _linear = nn.Linear(size, 1, hasBias: false);
        using (torch.no_grad()) _linear.parameters().First().fill_(1f);
        InputColumns = new[] { TorchColumn.FloatVector("Features", size) };
    }

    public int Size { get; }
    public List<int> BatchSizes { get; } = new();

    public override string Architecture => Name;
    public override IReadOnlyList<TorchColumn> InputColumns { get; }
    public override IReadOnlyList<TorchColumn> OutputColumns { get; } = new[] { TorchColumn.Single("Sum"), TorchColumn.Text("SumText") };
    public override nn.Module Module => _linear;

    protected override void ScoreBatch(ColumnTable inputs, ColumnTable outputs)
    {
        var rows = inputs.Get<float[]>("Features");
        lock (BatchSizes) BatchSizes.Add(rows.Length);
        var x = torch.tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, Size });
        var sums = _linear.forward(x).squeeze(1).data<float>().ToArray();
        outputs.Set("Sum", sums);
        outputs.Set("SumText", sums.Select(s => s.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>An extra file saved with the model (as an ONNX graph would be).</summary>
    public byte[] Attachment { get; set; } = { 1, 2, 3, 254, 255 };

    protected override void WriteState(TorchModelState state)
    {
        state.Set("size", Size);
        state.Vocabularies["labels"] = new[] { "sum" };
        state.Files["attachment.bin"] = Attachment;
    }

    /// <summary>Models built by <see cref="Load"/> and models disposed, to check that a failed load leaves nothing behind.</summary>
    public static int Loaded, Disposed;

    protected override void Dispose(bool disposing)
    {
        Interlocked.Increment(ref Disposed);
        base.Dispose(disposing);
    }

    public static SumModel Load(TorchModelState state)
    {
        Interlocked.Increment(ref Loaded);
        var m = new SumModel(state.Get<int>("size")) { Attachment = state.Files["attachment.bin"] };
        CollectionAssert.AreEqual(new[] { "sum" }, state.Vocabulary("labels"));
        state.LoadWeightsInto(m.Module);
        return m;
    }
}

public sealed class SumPrediction
{
    public float Sum { get; set; }
    public string SumText { get; set; } = "";
    public float[] Features { get; set; } = Array.Empty<float>();
}
