#!/usr/bin/env bash
# Runs the Python peers (shared/bench/peers.py: numpy written as cs231n, PyTorch, torchvision) and MlNetHw's
# benchmark sections back to back, in one session, and points the benchmark at that peers.json: on a shared machine
# absolute times drift between sessions, so ratios are only fair between figures measured together.
#
#   tests/MlNetHw.Benchmarks/run-with-peers.sh [sections] [out-dir]
#   sections: comma list of MlNetHw sections (default gemm,rnn,resnet18,captioning); the matching peer sections run
#   ("resnet18" and "backbones" also time torchvision in child processes inside their own alternating rounds).
#
# Needs Debian's python3-torch, python3-torchvision, python3-numpy and libopenblas0-pthread (see shared/bench/README.md);
# without python3-torch only MlNetHw's figures are measured and the ratios use the stored peers.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
sections="${1:-gemm,rnn,resnet18,captioning}"
out="${2:-$root/out/benchmarks-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
peers_script="$(cd "$root/.." && pwd)/shared/bench/peers.py"

declare -A peer_name=([gemm]=gemm [rnn]=rnn [resnet18]=resnet18 [style]=style_transfer [text]=text_classifier [captioning]=captioning)
peer_sections=()
IFS=',' read -ra wanted <<< "$sections"
for s in "${wanted[@]}"; do [[ -n "${peer_name[$s]:-}" ]] && peer_sections+=("${peer_name[$s]}"); done

echo "session $(date -u +%FT%TZ), sections $sections, output $out"
if [[ -f "$peers_script" ]] && /usr/bin/python3 -c "import torch, torchvision, numpy" 2>/dev/null && ((${#peer_sections[@]})); then
  (IFS=','; /usr/bin/python3 "$peers_script" --only "${peer_sections[*]}" --wait-idle 60 --out "$out/peers.json" > /dev/null)
  export MLNETHW_PEERS="$out/peers.json"
elif ((${#peer_sections[@]})); then
  echo "peers not run here (needs $peers_script and Debian python3-torch/torchvision/numpy); ratios use the stored peers.json"
fi
dotnet run -c Release --project "$root/tests/MlNetHw.Benchmarks" -- --only "$sections" --out "$out/mlnethw.json"
echo "wrote $out/mlnethw.json${MLNETHW_PEERS:+ and $MLNETHW_PEERS}"
