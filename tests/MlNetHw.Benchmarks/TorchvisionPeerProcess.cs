using System.Diagnostics;

namespace MlNetHw.Benchmarks;

/// <summary>
/// The torchvision peer as a long-lived child process (Debian's python3-torch and python3-torchvision), torch threads as
/// given, a torchvision model (resnet18 unless told otherwise; weights=None) after torch.manual_seed(0), so every child
/// of one architecture has the same weights. Workload <see cref="Features"/>: fc (or classifier) = Identity,
/// eval, no_grad, a fixed random batch of 32 at 224×224, one forward pass per <see cref="Run"/>. Workload
/// <see cref="TrainStep"/>: the whole model in train mode, one step per <see cref="Run"/> on a fixed batch of 16
/// (zero_grad(set_to_none), cross-entropy on the 1000 outputs, backward, SGD lr 0.01 momentum 0.9), as
/// shared/bench/peers.py times it; optionally the same model (the same weights) is first exported by PyTorch's own
/// exporter to ONNX (opset 13, BatchNorm kept), for the importer to run the identical graph. Used as one more case of an
/// alternating measurement, so the peer and MlNetHw see the same load round by round (peers.json is measured before
/// the .NET run, minutes apart on a shared machine).
/// </summary>
public sealed class TorchvisionPeerProcess : IDisposable
{
    /// <summary>Pooled features of 32 images (the input of the last Linear; 512-d for resnet18), no grad.</summary>
    public const string Features = "features";
    /// <summary>One training step of the whole model at batch 16.</summary>
    public const string TrainStep = "train";

    // One unit of work per line read; "ok" after each. argv: threads, workload, ONNX path to export to ("" = none),
    // torchvision architecture.
    const string Script = """
import sys, torch, torch.nn as nn, torch.nn.functional as F, torchvision
torch.set_num_threads(int(sys.argv[1]))
workload, onnx_path, arch = sys.argv[2], sys.argv[3], sys.argv[4]
torch.manual_seed(0)
net = getattr(torchvision.models, arch)(weights=None).eval()
if onnx_path:
    torch.onnx.export(net, (torch.randn(1, 3, 224, 224),), onnx_path, opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
if workload == "features":
    if hasattr(net, "fc"):
        net.fc = nn.Identity()
    else:
        net.classifier = nn.Identity()
    x = torch.randn(32, 3, 224, 224)
    def work():
        with torch.no_grad():
            net(x)
else:
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(16, 3, 224, 224)
    y = torch.randint(0, 1000, (16,))
    def work():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()
work()
print("ready", flush=True)
for _ in sys.stdin:
    work()
    print("ok", flush=True)
""";

    readonly Process _process;
    bool _disposed;

    TorchvisionPeerProcess(Process process) => _process = process;

    /// <summary>
    /// Starts the child for <paramref name="workload"/> (<see cref="Features"/> or <see cref="TrainStep"/>), first
    /// exporting its model to <paramref name="exportOnnxTo"/> when given; with <paramref name="retainFreedMemory"/> the
    /// child's glibc gets the heap setting MlNetHw's programs use (<c>MALLOC_MMAP_MAX_=0</c>,
    /// <c>MALLOC_TRIM_THRESHOLD_</c> 2 GiB: <see cref="MlNetHw.Torch.NativeHeap"/>), so the comparison can leave the C
    /// library out. Returns null (with the reason in <paramref name="why"/>) when python3 with torchvision is not there.
    /// </summary>
    public static TorchvisionPeerProcess? TryStart(int threads, out string why, string workload = Features, string? exportOnnxTo = null,
        bool retainFreedMemory = false, string architecture = "resnet18")
    {
        why = "";
        const string python = "/usr/bin/python3";
        if (!File.Exists(python)) { why = $"{python} not found"; return null; }
        var psi = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(Script); psi.ArgumentList.Add(threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(workload); psi.ArgumentList.Add(exportOnnxTo ?? ""); psi.ArgumentList.Add(architecture);
        if (retainFreedMemory)
        {
            psi.Environment["MALLOC_MMAP_MAX_"] = "0";
            psi.Environment["MALLOC_TRIM_THRESHOLD_"] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var p = Process.Start(psi);
        if (p is null) { why = "python3 did not start"; return null; }
        // Drain stderr from the start (the exporter's warnings must never block the child); keep the last line.
        string lastError = "";
        p.ErrorDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) lastError = e.Data.Trim(); };
        p.BeginErrorReadLine();
        var peer = new TorchvisionPeerProcess(p);
        string? line = p.StandardOutput.ReadLine();
        if (line != "ready")
        {
            p.WaitForExit(10_000);
            why = "the torchvision peer did not start: " + lastError;
            peer.Dispose();
            return null;
        }
        return peer;
    }

    /// <summary>One unit of the workload: a forward pass of the 32 images, or one training step (blocks until the child answers).</summary>
    public void Run()
    {
        _process.StandardInput.WriteLine("go");
        _process.StandardInput.Flush();
        if (_process.StandardOutput.ReadLine() != "ok") throw new InvalidOperationException("the torchvision peer stopped.");
    }

    /// <summary>Closes the child's input (it exits) and waits for it; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { _process.StandardInput.Close(); if (!_process.WaitForExit(10_000)) _process.Kill(); }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
