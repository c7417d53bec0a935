using System.Runtime.InteropServices;
using MlNetHw.Torch;
using TorchSharp;

namespace MlNetHw.Tests.Foundation;

/// <summary>
/// <see cref="NativeHeap.RetainFreedMemory"/>: a block above glibc's mmap threshold comes from the heap (where it is
/// reused when freed) instead of an mmap of its own (unmapped and faulted in anew every time). Checked through glibc's
/// own accounting (<c>mallinfo2</c>), which holds on any thread; the speed it buys is measured by
/// tests/MlNetHw.Benchmarks/native-memory-ab.sh.
/// </summary>
[TestClass]
public sealed class NativeHeapTests
{
    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    static extern MallInfo2 Mallinfo2();

    [TestMethod]
    public void ALargeTensorComesFromTheHeapInsteadOfItsOwnMmapOnceRetained()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("glibc's mallopt is Linux-only; elsewhere RetainFreedMemory returns false");
        TorchRuntime.EnsureLoaded();
        Assert.IsTrue(NativeHeap.RetainFreedMemory(), "mallopt should take effect with glibc");
        Assert.IsTrue(NativeHeap.RetainFreedMemory(), "a second call is a no-op that still reports true");
        Assert.AreEqual("retained", NativeHeap.Describe());
        // 48 MiB: above glibc's largest mmap threshold (32 MiB), so by default it always gets an mmap of its own.
        const long floats = 12L << 20;
        ulong mmappedBefore = Mallinfo2().Hblkhd;
        using var big = torch.ones(floats);
        ulong grown = Mallinfo2().Hblkhd - mmappedBefore;
        Console.WriteLine($"bytes in mmapped blocks grew by {grown} for a {floats * 4 >> 20} MiB tensor");
        Assert.IsTrue(grown < (ulong)(floats * 4 / 2), $"the {floats * 4 >> 20} MiB block was mmapped on its own ({grown} bytes)");
    }
}
