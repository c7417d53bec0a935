#!/usr/bin/env bash
# CI step (issue 16): the packages as a new user meets them. Packs MlNetHw and MlNetHw.Cpu into a local feed, creates
# a fresh console app in a temporary folder outside the repository, adds MlNetHw.Cpu from that feed exactly as the
# README's "Use it from your app" says, copies in samples/PackageConsumer/Program.cs, builds, runs it and checks its
# output. Packages other than MlNetHw's come from the machine's configured sources or its NuGet cache.
# Exits non-zero on any failure; prints the package sizes, the app's output folder size and its wall time.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
start=$(date +%s)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
feed="$tmp/nupkgs"
app="$tmp/app"
fail() { echo "package smoke: FAILED: $*" >&2; exit 1; }

# 1. Pack (the README's commands, into the temporary feed).
dotnet pack "$repo/src/MlNetHw" -c Release -o "$feed"
dotnet pack "$repo/src/MlNetHw.Cpu" -c Release -o "$feed"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
for p in MlNetHw MlNetHw.Cpu; do [ -f "$feed/$p.$version.nupkg" ] || fail "$p.$version.nupkg was not created"; done
main="$feed/MlNetHw.$version.nupkg"
main_bytes=$(stat -c %s "$main")
[ "$main_bytes" -le $((10 * 1024 * 1024)) ] || fail "MlNetHw.$version.nupkg is $main_bytes bytes (limit 10 MB)"
# List the package once into a file and grep the file: under `set -o pipefail`, `unzip -l | grep -q` fails at random
# when grep exits on its first match and unzip, still writing, dies of SIGPIPE (this failed a CI run).
unzip -l "$main" > "$tmp/package.list"
if grep -qi '\.onnx' "$tmp/package.list"; then fail "MlNetHw.$version.nupkg contains ONNX files"; fi
grep -q 'buildTransitive/MlNetHw.targets' "$tmp/package.list" || fail "buildTransitive/MlNetHw.targets missing"
grep -q 'buildTransitive/LibStdCxxCompat.cs' "$tmp/package.list" || fail "buildTransitive/LibStdCxxCompat.cs missing"
grep -q 'buildTransitive/LibStdCxxCompat.targets' "$tmp/package.list" || fail "buildTransitive/LibStdCxxCompat.targets missing"

# A package of this version restored earlier would be taken from the NuGet cache instead of the new feed:
# drop MlNetHw's own two packages (never anything else) from the cache.
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
rm -rf "${cache%/}/mlnethw/$version" "${cache%/}/mlnethw.cpu/$version"

# 2. A new console app outside the repository: the README's commands.
mkdir -p "$app" && cd "$app"
dotnet new console --framework net10.0 --name SmokeApp --output .
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="mlnethw-local" value="$feed" />
  </packageSources>
</configuration>
XML
dotnet add package MlNetHw.Cpu --version "$version"
cp "$repo/samples/PackageConsumer/Program.cs" Program.cs

# 3. Build, check the output folder, run.
set +e
dotnet build -c Release 2>&1 | tee "$tmp/build.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || fail "the app did not build"
out="$app/bin/Release/net10.0"
onnx=$(find "$out" -name 'ResNet18.onnx' | wc -l)
[ "$onnx" -eq 1 ] || fail "ResNet18.onnx found $onnx times in the output folder (expected once)"
[ -f "$out/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx" ] || fail "ResNetPreprocess.onnx missing from the output folder"
[ -f "$out/runtimes/linux-x64/native/libtorch_cpu.so" ] || fail "libtorch (linux-x64) missing from the output folder"
set +e
dotnet "$out/SmokeApp.dll" 2>&1 | tee "$tmp/run.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || fail "the app exited with $rc"
for line in "torch: TorchSharp backend=cpu" "resnet18 forward (TorchSharp): \[1,512,1,1\]" \
            "text classifier (embeddings, TorchSharp): " "image classifier (freeze, packaged ResNet18): " "PACKAGE CONSUMER OK"; do
    grep -q "$line" "$tmp/run.log" || fail "expected output line missing: $line"
done
# The compatibility step patches the output folder's copy only: the NuGet cache's libLibTorchSharp.so stays as shipped.
if command -v readelf > /dev/null; then
    for lib in $(find "${cache%/}/torchsharp" -path '*/runtimes/linux-x64/native/libLibTorchSharp.so'); do
        readelf -V "$lib" > "$tmp/readelf.txt"
        if grep -q 'GLIBCXX_3.4.32 *Flags: WEAK' "$tmp/readelf.txt"; then fail "$lib in the NuGet cache was modified"; fi
    done
fi

echo "package sizes:"
for f in "$feed"/*; do printf '  %-32s %10d bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"; done
echo "app output folder: $(du -sh "$out" | cut -f1) ($out, ResNet18.onnx $onnx time)"
echo "package smoke: OK in $(( $(date +%s) - start )) s"
