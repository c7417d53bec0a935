using System.Diagnostics;

namespace MlNetHw.Benchmarks;

/// <summary>
/// The torchvision peer as a long-lived child process (Debian's python3-torch and python3-torchvision): resnet18 with
/// fc = Identity, eval, no_grad, a fixed random batch of 32 at 224×224, torch threads as given. Each <see cref="Run"/>
/// does one forward pass of the batch. Used as one more case of an alternating measurement, so the peer and MlNetHw
/// see the same load round by round (peers.json is measured before the .NET run, minutes apart on a shared machine).
/// </summary>
public sealed class TorchvisionPeerProcess : IDisposable
{
    // One forward pass of the batch per line read; "ok" after each.
    const string Script = """
import sys, torch, torch.nn as nn, torchvision
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
net = torchvision.models.resnet18(weights=None).eval()
net.fc = nn.Identity()
x = torch.randn(32, 3, 224, 224)
with torch.no_grad():
    net(x)
    print("ready", flush=True)
    for _ in sys.stdin:
        net(x)
        print("ok", flush=True)
""";

    readonly Process _process;

    TorchvisionPeerProcess(Process process) => _process = process;

    /// <summary>Starts the child, or returns null (with the reason in <paramref name="why"/>) when python3 with torchvision is not there.</summary>
    public static TorchvisionPeerProcess? TryStart(int threads, out string why)
    {
        why = "";
        const string python = "/usr/bin/python3";
        if (!File.Exists(python)) { why = $"{python} not found"; return null; }
        var psi = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(Script); psi.ArgumentList.Add(threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var p = Process.Start(psi);
        if (p is null) { why = "python3 did not start"; return null; }
        var peer = new TorchvisionPeerProcess(p);
        string? line = p.StandardOutput.ReadLine();
        if (line != "ready")
        {
            why = "the torchvision peer did not start: " + p.StandardError.ReadToEnd().Trim().Split('\n').LastOrDefault();
            peer.Dispose();
            return null;
        }
        p.StandardError.ReadToEndAsync(); // drain warnings, never block the child
        return peer;
    }

    /// <summary>One forward pass of the 32 images (blocks until the child answers).</summary>
    public void Run()
    {
        _process.StandardInput.WriteLine("go");
        _process.StandardInput.Flush();
        if (_process.StandardOutput.ReadLine() != "ok") throw new InvalidOperationException("the torchvision peer stopped.");
    }

    /// <summary>Closes the child's input (it exits) and waits for it.</summary>
    public void Dispose()
    {
        try { _process.StandardInput.Close(); if (!_process.WaitForExit(10_000)) _process.Kill(); }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
