#!/usr/bin/env bash
# A/B of the C heap setting (--native-memory retain vs release, see MlNetHw.Torch.NativeHeap) on the packaged
# ResNet18's finetune step: PAIRS pairs of benchmark processes (section "train-step"), the order flipped every pair so
# drifting load falls on both alike; per pair, retain's img/s over release's. Writes OUT_DIR/native-memory-ab.json.
#
#   tests/MlNetHw.Benchmarks/native-memory-ab.sh [pairs] [out-dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pairs="${1:-8}"
out="${2:-$root/out/native-memory-ab-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
dotnet build -c Release "$root/tests/MlNetHw.Benchmarks" > "$out/build.log"
run() { dotnet run -c Release --no-build --project "$root/tests/MlNetHw.Benchmarks" -- --only train-step --native-memory "$1" --out "$out/$2.json" > "$out/$2.log"; }
for ((i = 0; i < pairs; i++)); do
  if ((i % 2 == 0)); then run retain "retain-$i"; run release "release-$i"; else run release "release-$i"; run retain "retain-$i"; fi
  echo "pair $((i + 1))/$pairs done" >&2
done
python3 - "$out" "$pairs" <<'PY'
import json, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
def ips(name):
    r = json.load(open(f"{out}/{name}.json"))
    return [x for x in r["results"] if x["name"] == "torchsharp_finetune_train_step_b16_sgd_momentum"][0]["throughput"]
retain = [ips(f"retain-{i}") for i in range(pairs)]
release = [ips(f"release-{i}") for i in range(pairs)]
ratios = [a / b for a, b in zip(retain, release)]
summary = {"pairs": pairs, "retain_img_per_s": [round(v, 2) for v in retain], "release_img_per_s": [round(v, 2) for v in release],
           "retain_over_release_per_pair": [round(v, 3) for v in ratios], "median_ratio": round(statistics.median(ratios), 3),
           "pairs_faster_with_retain": sum(r > 1 for r in ratios)}
json.dump(summary, open(f"{out}/native-memory-ab.json", "w"), indent=1)
print(json.dumps(summary))
PY
