using Google.Protobuf;
using MlNetHw.Onnx;
using TorchSharp;

namespace MlNetHw.Tests.Onnx;

/// <summary>
/// ONNX external data (how PyTorch's exporter writes models over 2 GB, e.g. torchvision regnet_y_128gf or vit_h_14:
/// each weight in a file beside the model): the importer reads the weight from the model's folder, as ONNX Runtime
/// does, and refuses a missing file or a location outside the folder, naming the tensor.
/// </summary>
[TestClass]
public sealed class ExternalDataTests
{
    static readonly float[] Weight = { 0.5f, -1.25f, 2f, 3.5f, -0.75f, 10f };

    /// <summary>y = x + w, x and y (2, 3), w an initializer stored externally at <paramref name="location"/> bytes 8..32.</summary>
    static byte[] AddModel(string location)
    {
        static byte[] Message(Action<CodedOutputStream> write)
        {
            using var m = new MemoryStream();
            var o = new CodedOutputStream(m);
            write(o);
            o.Flush();
            return m.ToArray();
        }
        static void Bytes(CodedOutputStream o, int field, byte[] b) { o.WriteTag(field, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(b)); }
        static void Str(CodedOutputStream o, int field, string s) { o.WriteTag(field, WireFormat.WireType.LengthDelimited); o.WriteString(s); }
        static void Int(CodedOutputStream o, int field, long v) { o.WriteTag(field, WireFormat.WireType.Varint); o.WriteInt64(v); }
        byte[] Entry(string key, string value) => Message(o => { Str(o, 1, key); Str(o, 2, value); });
        byte[] ValueInfo(string name) => Message(o =>
        {
            Str(o, 1, name);
            Bytes(o, 2, Message(t => Bytes(t, 1, Message(tt =>
            {
                Int(tt, 1, 1); // float
                Bytes(tt, 2, Message(s => { Bytes(s, 1, Message(d => Int(d, 1, 2))); Bytes(s, 1, Message(d => Int(d, 1, 3))); }));
            }))));
        });
        var tensor = Message(o =>
        {
            Int(o, 1, 2); Int(o, 1, 3); Int(o, 2, 1); Str(o, 8, "w");
            Bytes(o, 13, Entry("location", location)); Bytes(o, 13, Entry("offset", "8")); Bytes(o, 13, Entry("length", "24"));
            Int(o, 14, 1); // data_location = EXTERNAL
        });
        var node = Message(o => { Str(o, 1, "x"); Str(o, 1, "w"); Str(o, 2, "y"); Str(o, 3, "add"); Str(o, 4, "Add"); });
        var graph = Message(o => { Bytes(o, 1, node); Str(o, 2, "g"); Bytes(o, 5, tensor); Bytes(o, 11, ValueInfo("x")); Bytes(o, 12, ValueInfo("y")); });
        return Message(o => { Int(o, 1, 8); Bytes(o, 7, graph); Bytes(o, 8, Message(s => { Str(s, 1, ""); Int(s, 2, 13); })); });
    }

    static void WriteWeights(string path)
    {
        var bytes = new byte[8 + Weight.Length * 4];
        bytes.AsSpan(0, 8).Fill(0xEE); // whatever precedes the offset must not be read
        Buffer.BlockCopy(Weight, 0, bytes, 8, Weight.Length * 4);
        File.WriteAllBytes(path, bytes);
    }

    [TestMethod]
    public void WeightsStoredBesideTheModelAreReadAsOnnxRuntimeReadsThem()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-external").FullName;
        try
        {
            string model = Path.Combine(dir, "add.onnx");
            File.WriteAllBytes(model, AddModel("weights/w.bin"));
            Directory.CreateDirectory(Path.Combine(dir, "weights"));
            WriteWeights(Path.Combine(dir, "weights", "w.bin"));
            float[] x = { 1, 2, 3, 4, 5, 6 };

            using var module = OnnxModule.Load(model);
            CollectionAssert.AreEqual(Weight, module.Constant("w").data<float>().ToArray());
            using var scope = torch.NewDisposeScope();
            float[] ours = module.forward(torch.tensor(x, new long[] { 2, 3 })).data<float>().ToArray();
            using var ort = new OrtRunner(model);
            float[] theirs = ort.Run(x, new long[] { 2, 3 }, "y")["y"];
            CollectionAssert.AreEqual(theirs, ours);
            CollectionAssert.AreEqual(x.Zip(Weight, (a, b) => a + b).ToArray(), ours);
            Assert.IsTrue(module.Constant("w").requires_grad, "an external weight is a weight like any other");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void AMissingOrEscapingExternalFileIsRefusedNamingTheTensor()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-external").FullName;
        try
        {
            string missing = Path.Combine(dir, "missing.onnx");
            File.WriteAllBytes(missing, AddModel("w.bin"));
            var e1 = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModule.Load(missing));
            StringAssert.Contains(e1.Message, "'w'");
            StringAssert.Contains(e1.Message, "w.bin");

            string inner = Path.Combine(dir, "inner");
            Directory.CreateDirectory(inner);
            WriteWeights(Path.Combine(dir, "w.bin"));
            string escaping = Path.Combine(inner, "escaping.onnx");
            File.WriteAllBytes(escaping, AddModel("../w.bin"));
            var e2 = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModule.Load(escaping));
            StringAssert.Contains(e2.Message, "outside the model's folder");

            var e3 = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxReader.Read(AddModel("w.bin")));
            StringAssert.Contains(e3.Message, "load the model from its file");
        }
        finally { Directory.Delete(dir, true); }
    }
}
