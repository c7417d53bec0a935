#!/usr/bin/python3
"""Peer figures for the "backbones" benchmark section: torchvision mobilenet_v2 and resnet50 (random weights,
torch.manual_seed(0)), float32 NCHW 224x224, with Debian's python3-torch 1.13 / python3-torchvision 0.14.

    /usr/bin/python3 tests/MlNetHw.Benchmarks/backbone_peers.py OUT_DIR [--threads N] [--quick] [--no-export]

Writes OUT_DIR/backbone_peers.json (per architecture: pooled-feature extraction at batch 32 without grad, and one
training step at batch 16, SGD momentum 0.9, cross-entropy on the 1000-class head; img/s from the median) and
OUT_DIR/<arch>.onnx, the same models (the same weights) exported by PyTorch's own exporter with BatchNorm kept
(training=PRESERVE), which the C# section imports with the ONNX importer and times on the same work. Run by
run-with-peers.sh when the section list contains "backbones" (a second time, --no-export, with MlNetHw's C-heap setting
in the environment, into OUT_DIR-retained-heap).
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm

ARCHS = ["mobilenet_v2", "resnet50"]


def timeit(fn, warmup, nreps, items):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(nreps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    med = statistics.median(ts)
    return {"median_ms": round(med * 1e3, 3), "min_ms": round(min(ts) * 1e3, 3), "max_ms": round(max(ts) * 1e3, 3),
            "reps": nreps, "warmup": warmup, "images_per_s": round(items / med, 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-export", action="store_true", help="time only; write no ONNX files")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    n = 2 if args.quick else 4
    res = {"note": "torchvision 0.14 weights=None (seed 0), float32 NCHW 224x224, random inputs; features = model "
                   "with the classifier replaced by Identity, no grad; train step = full model, SGD momentum 0.9",
           "torch": torch.__version__, "threads": torch.get_num_threads(),
           "malloc_env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}}
    for arch in ARCHS:
        torch.manual_seed(0)
        m = getattr(tvm, arch)(weights=None).eval()
        path = os.path.join(args.out, f"{arch}.onnx")
        if not args.no_export:
            torch.onnx.export(m, (torch.randn(1, 3, 224, 224),), path, opset_version=13,
                              training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        r = {"onnx": os.path.basename(path)}
        x = torch.randn(32, 3, 224, 224)
        fe = getattr(tvm, arch)(weights=None).eval()
        fe.load_state_dict(m.state_dict())
        if arch.startswith("resnet"):
            fe.fc = nn.Identity()
        else:
            fe.classifier = nn.Identity()
        with torch.no_grad():
            r["features_b32_no_grad"] = timeit(lambda: fe(x), 1, n, 32)
        m.train()
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
        xt = torch.randn(16, 3, 224, 224)
        yt = torch.randint(0, 1000, (16,))

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(m(xt), yt).backward()
            opt.step()
        r["train_step_b16_sgd_momentum"] = timeit(step, 1, n, 16)
        res[arch] = r
        print(f"  {arch}: features b32 {r['features_b32_no_grad']['images_per_s']} img/s, "
              f"train step b16 {r['train_step_b16_sgd_momentum']['images_per_s']} img/s", file=sys.stderr, flush=True)
    with open(os.path.join(args.out, "backbone_peers.json"), "w") as fh:
        json.dump(res, fh, indent=1)


if __name__ == "__main__":
    sys.exit(main())
