// Makes TorchSharp 0.107's libLibTorchSharp.so loadable on systems whose libstdc++ predates GCC 13.
//
// Why: libLibTorchSharp.so asks for GLIBCXX_3.4.32 for a single symbol (_ZSt21ios_base_library_initv)
// that it never calls. Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so the dynamic loader refuses the
// whole library. Marking that one version requirement weak (VER_FLG_WEAK in .gnu.version_r) lets the loader
// accept it; nothing else in the file changes.
//
// This file is compiled by MSBuild's RoslynCodeTaskFactory (see LibStdCxxCompat.targets) and, with
// MLNETHW_TESTS defined, by the test project, which checks the patch on the real library.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace MlNetHw.Build
{
    /// <summary>What <see cref="ElfVersionNeeds.MakeVersionsWeak"/> did to one file.</summary>
    public enum ElfPatchOutcome { Patched, AlreadyWeak, NotRequired }

    /// <summary>Reads and edits the version-needs table (.gnu.version_r) of an ELF64 little-endian shared library.</summary>
    public static class ElfVersionNeeds
    {
        const uint ShtGnuVerneed = 0x6ffffffe;
        public const ushort VerFlagWeak = 0x2;

        /// <summary>One version requirement: (library it is needed from, version name, flags, byte offset of vna_flags).</summary>
        public readonly struct Need
        {
            public Need(string file, string version, ushort flags, long flagsOffset)
            { File = file; Version = version; Flags = flags; FlagsOffset = flagsOffset; }
            public string File { get; }
            public string Version { get; }
            public ushort Flags { get; }
            public long FlagsOffset { get; }
            public bool IsWeak => (Flags & VerFlagWeak) != 0;
        }

        /// <summary>Lists every version requirement in the file. Throws <see cref="InvalidDataException"/> on an unexpected layout.</summary>
        public static List<Need> Read(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2) throw new InvalidDataException("not a 64-bit ELF file");
            if (elf[5] != 1) throw new InvalidDataException("not a little-endian ELF file");
            long shoff = (long)U64(elf, 0x28);
            int shentsize = U16(elf, 0x3a), shnum = U16(elf, 0x3c);
            if (shoff <= 0 || shentsize < 64 || shoff + (long)shentsize * shnum > elf.Length)
                throw new InvalidDataException("section header table missing or truncated");
            var needs = new List<Need>();
            for (int s = 0; s < shnum; s++)
            {
                long sh = shoff + (long)s * shentsize;
                if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
                long off = (long)U64(elf, sh + 0x18);
                uint link = U32(elf, sh + 0x28);
                if (link >= shnum) throw new InvalidDataException(".gnu.version_r links to a missing string table");
                long strOff = (long)U64(elf, shoff + (long)link * shentsize + 0x18);
                long vn = off;
                while (true)
                {
                    int cnt = U16(elf, vn + 2);
                    string file = Str(elf, strOff + U32(elf, vn + 4));
                    long aux = vn + U32(elf, vn + 8);
                    for (int a = 0; a < cnt; a++)
                    {
                        needs.Add(new Need(file, Str(elf, strOff + U32(elf, aux + 8)), U16(elf, aux + 4), aux + 4));
                        uint nextAux = U32(elf, aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, vn + 12);
                    if (next == 0) break;
                    vn += next;
                }
            }
            return needs;
        }

        /// <summary>
        /// Marks the requirements on <paramref name="versions"/> weak in <paramref name="path"/>. The file is rewritten
        /// through a temporary file and a rename, so a hard link to the NuGet cache is broken, never written through;
        /// its timestamp is kept so MSBuild's incremental copy still sees it as up to date.
        /// </summary>
        public static ElfPatchOutcome MakeVersionsWeak(string path, ISet<string> versions)
        {
            byte[] elf = File.ReadAllBytes(path);
            var wanted = Read(elf).Where(n => versions.Contains(n.Version)).ToList();
            if (wanted.Count == 0) return ElfPatchOutcome.NotRequired;
            if (wanted.All(n => n.IsWeak)) return ElfPatchOutcome.AlreadyWeak;
            foreach (var n in wanted)
            {
                ushort flags = (ushort)(n.Flags | VerFlagWeak);
                elf[n.FlagsOffset] = (byte)(flags & 0xff);
                elf[n.FlagsOffset + 1] = (byte)(flags >> 8);
            }
            var stamp = File.GetLastWriteTimeUtc(path);
            string tmp = path + ".mlnethw-tmp";
            File.WriteAllBytes(tmp, elf);
            File.SetLastWriteTimeUtc(tmp, stamp);
            File.Delete(path); // unlinks a hard link to the NuGet cache instead of writing through it
            File.Move(tmp, path);
            return ElfPatchOutcome.Patched;
        }

        /// <summary>The system's libstdc++.so.6, or null when none is found in the usual places.</summary>
        public static string? FindSystemLibStdCxx()
        {
            string[] dirs = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                              "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib" };
            return dirs.Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);
        }

        /// <summary>True when the library file defines the version name (a byte search of its version strings).</summary>
        public static bool Defines(string libraryPath, string version)
        {
            byte[] data = File.ReadAllBytes(libraryPath);
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            for (int i = 0; i + needle.Length <= data.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && data[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        static ushort U16(byte[] b, long o) { Check(b, o, 2); return (ushort)(b[o] | b[o + 1] << 8); }
        static uint U32(byte[] b, long o) { Check(b, o, 4); return BitConverter.ToUInt32(b, (int)o); }
        static ulong U64(byte[] b, long o) { Check(b, o, 8); return BitConverter.ToUInt64(b, (int)o); }
        static void Check(byte[] b, long o, int n)
        {
            if (o < 0 || o + n > b.Length) throw new InvalidDataException($"offset {o} is outside the file");
        }
        static string Str(byte[] b, long o)
        {
            Check(b, o, 1);
            long e = o;
            while (e < b.Length && b[e] != 0) e++;
            return Encoding.ASCII.GetString(b, (int)o, (int)(e - o));
        }
    }

#if !MLNETHW_TESTS
    /// <summary>MSBuild task: applies <see cref="ElfVersionNeeds"/> to the libLibTorchSharp.so copies in an output folder.</summary>
    public class MakeLibTorchSharpLoadable : Microsoft.Build.Utilities.Task
    {
        /// <summary>Output folder to scan (OutDir or PublishDir).</summary>
        [Microsoft.Build.Framework.Required] public string Folder { get; set; } = "";
        /// <summary>Version names to make weak when the system lacks them (';'-separated).</summary>
        public string Versions { get; set; } = "GLIBCXX_3.4.32";

        public override bool Execute()
        {
            if (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux) || !Directory.Exists(Folder))
                return true;
            var libs = Directory.GetFiles(Folder, "libLibTorchSharp.so", SearchOption.AllDirectories);
            if (libs.Length == 0) return true;
            string? system = ElfVersionNeeds.FindSystemLibStdCxx();
            var missing = new HashSet<string>(Versions.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries)
                .Where(v => system == null || !ElfVersionNeeds.Defines(system, v)));
            if (missing.Count == 0)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"MlNetHw: system libstdc++ ({system}) has {Versions}; libLibTorchSharp.so left as shipped.");
                return true;
            }
            foreach (var lib in libs)
            {
                try
                {
                    var outcome = ElfVersionNeeds.MakeVersionsWeak(lib, missing);
                    var importance = outcome == ElfPatchOutcome.Patched ? Microsoft.Build.Framework.MessageImportance.High : Microsoft.Build.Framework.MessageImportance.Low;
                    Log.LogMessage(importance, $"MlNetHw: libstdc++ lacks {string.Join(",", missing)}; {Path.GetFullPath(lib)}: {outcome} (version requirement marked weak, NuGet cache untouched).");
                }
                catch (Exception e)
                {
                    Log.LogError($"MlNetHw: cannot make {lib} loadable on this system ({e.Message}). Its libstdc++ ({system ?? "not found"}) lacks {string.Join(",", missing)}. " +
                                 "Install a libstdc++ from GCC 13 or newer (e.g. a newer distribution), or build with -p:MlNetHwLibStdCxxFix=false and provide LD_LIBRARY_PATH to a newer libstdc++.so.6.");
                    return false;
                }
            }
            return true;
        }
    }
#endif
}
