#!/usr/bin/python3
"""Exports torchvision 0.14 image classifiers (random weights) to ONNX with PyTorch 1.13's exporter.

Run with Debian's packages (no pip):  apt-get install -y python3-torch python3-torchvision python3-numpy libopenblas0-pthread
    /usr/bin/python3 tests/onnx-conformance/export_torchvision.py OUT_DIR [--all] [--only NAME,...] [--opsets 11,13,17]

For every (builder, opset, mode) it writes OUT_DIR/<builder>_op<opset>_<mode>.onnx and lists it in OUT_DIR/manifest.json
(input name, shape and dtype) for the MSTest conformance test (tests/MlNetHw.Tests/Onnx/ConformanceTests.cs), which
runs each graph in ONNX Runtime and in the TorchSharp importer and trains one SGD step.

Modes (the model is always in eval mode; for models without BatchNorm both modes give byte-identical files, so the
preserve row of the manifest points at the eval file):
  eval      torch.onnx.export(training=TrainingMode.EVAL): the exporter's eval peephole folds BatchNorm into the
            preceding Conv, so the graph has no BatchNormalization node.
  preserve  training=TrainingMode.PRESERVE with do_constant_folding=False: BatchNormalization nodes are kept (with
            running statistics), which is what finetuning an imported backbone needs.

Weights are torchvision's random initialisation (weights=None, torch.manual_seed(0)) except that BatchNorm
statistics/affine parameters are drawn away from (0, 1) and all-zero weights (ViT's head) are made random, so that
BatchNorm folding and the running statistics are actually exercised and outputs are not constant.

Builder coverage. torchvision 0.14 has no list_models(); every classification builder is listed in ALL below.
By default (CI) one or more representatives per family are exported (CI_SET), chosen to exercise every distinct block
type while keeping generation + conformance within a few minutes on 2 cores:
  resnet18                     BasicBlock (resnet34 only repeats it)
  resnext50_32x4d              Bottleneck with grouped 3x3 convs (resnet50/101/152, resnext101_*, wide_resnet* are the
                               same Bottleneck with groups=1 and/or other widths and depths)
  vgg11_bn                     VGG config A with BatchNorm (vgg13..19(_bn) repeat the same Conv/BN/ReLU/MaxPool layers);
                               needs 224x224 (AdaptiveAvgPool2d(7) must divide the feature map) and is ~0.5 GB per file
  alexnet                      needs 224x224 (AdaptiveAvgPool2d(6)), ~0.25 GB per file
  squeezenet1_0, squeezenet1_1 both (tiny)
  densenet121                  dense blocks/transitions (161/169/201 differ only in depth/growth)
  inception_v3 (75x75, its minimum), googlenet
  shufflenet_v2_x0_5           channel shuffle via Shape/Reshape/Transpose (x1_0/x1_5/x2_0 differ in widths only)
  mobilenet_v2, mobilenet_v3_small (Clip/ReLU6, HardSigmoid, HardSwish; v3_large has the same blocks, more of them)
  mnasnet0_5                   (0_75/1_0/1_3 differ in widths only)
  efficientnet_b0, efficientnet_v2_s (b1..b7, v2_m/l scale depth/width; same MBConv/FusedMBConv blocks)
  regnet_x_400mf, regnet_y_400mf (the other regnet_x/y sizes differ in widths/depths only)
  convnext_tiny                LayerNorm (decomposed below opset 17, LayerNormalization at 17), GELU (Erf), permutes
  swin_t                       shifted-window attention (roll, pad, relative position bias gathers)
  vit_b_32 (image_size=64)     patch embedding, class token, multi-head attention
--all exports every builder in ALL (slow: several GB).
The sentence encoder (minibert) is a small BERT-style transformer written here (token embedding Gather, padding mask
from Equal/Where, attention Softmax, exact-Erf GELU, LayerNorm, masked mean pooling, L2 normalisation) with int64
token ids as input, standing in for all-MiniLM-L6-v2 (same operator set, random weights, no download).
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm

warnings.filterwarnings("ignore")

# builder -> input size (H = W); the default is 64.
SIZE = {"alexnet": 224, "inception_v3": 75}
for v in ["vgg11", "vgg13", "vgg16", "vgg19"]:
    SIZE[v] = SIZE[v + "_bn"] = 224
KWARGS = {n: {"image_size": 64} for n in ["vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32"]}
KWARGS["vit_h_14"] = {"image_size": 56}
SIZE["vit_h_14"] = 56  # its 14-pixel patches need a multiple of 14 (the 64 default made --all fail here)

ALL = (["alexnet"]
       + [f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")]
       + [f"resnet{d}" for d in (18, 34, 50, 101, 152)]
       + ["resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2"]
       + ["squeezenet1_0", "squeezenet1_1"]
       + [f"densenet{d}" for d in (121, 161, 169, 201)]
       + ["inception_v3", "googlenet"]
       + [f"shufflenet_v2_x{w}" for w in ("0_5", "1_0", "1_5", "2_0")]
       + ["mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large"]
       + [f"mnasnet{w}" for w in ("0_5", "0_75", "1_0", "1_3")]
       + [f"efficientnet_b{i}" for i in range(8)] + [f"efficientnet_v2_{s}" for s in "sml"]
       + [f"regnet_y_{s}" for s in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf")]
       + [f"regnet_x_{s}" for s in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")]
       + ["vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"]
       + [f"convnext_{s}" for s in ("tiny", "small", "base", "large")]
       + ["swin_t", "swin_s", "swin_b"])

CI_SET = ["resnet18", "resnext50_32x4d", "vgg11_bn", "alexnet", "squeezenet1_0", "squeezenet1_1",
          "densenet121", "inception_v3", "googlenet", "shufflenet_v2_x0_5", "mobilenet_v2",
          "mobilenet_v3_small", "mnasnet0_5", "efficientnet_b0",
          "efficientnet_v2_s", "regnet_x_400mf", "regnet_y_400mf", "convnext_tiny", "swin_t", "vit_b_32",
          "minibert"]


class MiniBert(nn.Module):
    """A BERT-style sentence encoder (all-MiniLM-L6-v2's structure at a tiny size): ids (N, T) int64 -> (N, H)."""

    def __init__(self, vocab=500, hidden=64, layers=2, heads=4, ffn=128, max_len=32):
        super().__init__()
        self.heads = heads
        self.tok = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_len, hidden)
        self.typ = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList()
        for _ in range(layers):
            self.layers.append(nn.ModuleDict(dict(
                q=nn.Linear(hidden, hidden), k=nn.Linear(hidden, hidden), v=nn.Linear(hidden, hidden),
                o=nn.Linear(hidden, hidden), ln1=nn.LayerNorm(hidden, eps=1e-12),
                f1=nn.Linear(hidden, ffn), f2=nn.Linear(ffn, hidden), ln2=nn.LayerNorm(hidden, eps=1e-12))))

    def forward(self, ids):
        n, t = ids.shape
        mask = (ids != 0).to(torch.float32)  # padding id 0
        pos = torch.arange(t, device=ids.device).unsqueeze(0).expand(n, t)
        x = self.ln(self.tok(ids) + self.pos(pos) + self.typ(torch.zeros_like(ids)))
        bias = torch.where(mask[:, None, None, :] == 0, torch.tensor(-1e4), torch.tensor(0.0))
        h = x.shape[-1] // self.heads
        for l in self.layers:
            def split(y):
                return y.view(n, t, self.heads, h).transpose(1, 2)
            q, k, v = split(l["q"](x)), split(l["k"](x)), split(l["v"](x))
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(h) + bias, dim=-1)
            ctx = (att @ v).transpose(1, 2).reshape(n, t, -1)
            x = l["ln1"](x + l["o"](ctx))
            x = l["ln2"](x + l["f2"](F.gelu(l["f1"](x))))
        m = mask.unsqueeze(-1).expand(x.size()).float()
        pooled = (x * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
        return F.normalize(pooled, p=2, dim=1)


def build(name):
    if name == "minibert":
        return MiniBert(), torch.randint(1, 500, (2, 16)).masked_fill_(torch.arange(16) >= 12, 0)
    model = getattr(tvm, name)(weights=None, **KWARGS.get(name, {}))
    randomize(model)
    s = SIZE.get(name, 64)
    return model, torch.randn(2, 3, s, s)


def randomize(model):
    """Makes the untrained model a sharper test: BatchNorm statistics and affine parameters away from (0, 1) so
    folding and running statistics matter, and zero-initialised weights (ViT's head) random so outputs vary."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                if m.affine:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.1, 0.1)
            elif isinstance(m, (nn.Linear, nn.Conv2d)) and m.weight.abs().max() == 0:
                m.weight.normal_(0, 0.02)


def manifest_entry(name, opset, mode, x):
    return {"file": f"{name}_op{opset}_{mode}.onnx", "arch": name, "opset": opset, "mode": mode, "input": "input",
            "shape": list(x.shape), "dtype": "int64" if x.dtype == torch.int64 else "float32"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--all", action="store_true", help="every builder in ALL, not only the representatives")
    p.add_argument("--only", default="", help="comma-separated builders")
    p.add_argument("--opsets", default="11,13,17")
    p.add_argument("--modes", default="eval,preserve")
    args = p.parse_args()
    names = args.only.split(",") if args.only else (ALL + ["minibert"] if args.all else CI_SET)
    opsets = [int(o) for o in args.opsets.split(",")]
    modes = args.modes.split(",")
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {"graphs": []}
    t0 = time.time()
    for name in names:
        torch.manual_seed(0)
        model, x = build(name)
        model.eval()
        has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
        for opset in opsets:
            for mode in modes:
                f = f"{name}_op{opset}_{mode}.onnx"
                if mode == "preserve" and not has_bn and "eval" in modes:
                    # Without BatchNorm the two modes export byte-identical graphs (checked for alexnet, squeezenet,
                    # convnext, swin, vit, minibert): the preserve row reuses the eval file.
                    entry = dict(manifest_entry(name, opset, "eval", x), mode="preserve")
                    manifest["graphs"] = [g for g in manifest["graphs"] if g["file"] != f and
                                          not (g["arch"] == name and g["opset"] == opset and g["mode"] == mode)]
                    manifest["graphs"].append(entry)
                    continue
                path = os.path.join(args.out, f)
                t = time.time()
                training = torch.onnx.TrainingMode.EVAL if mode == "eval" else torch.onnx.TrainingMode.PRESERVE
                # Not under no_grad: nn.MultiheadAttention (ViT) would take its fused fast path, which has no ONNX export.
                torch.onnx.export(model, (x,), path, opset_version=opset, training=training,
                                  do_constant_folding=False, input_names=["input"], output_names=["output"],
                                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
                entry = manifest_entry(name, opset, mode, x)
                manifest["graphs"] = [g for g in manifest["graphs"] if not (g["arch"] == name and g["opset"] == opset and g["mode"] == mode)]
                manifest["graphs"].append(entry)
                print(f"{f}: {os.path.getsize(path) / 1e6:.1f} MB in {time.time() - t:.1f} s", flush=True)
        del model
        with open(manifest_path, "w") as fh:  # after every builder, so an interrupted run leaves a usable manifest
            json.dump(manifest, fh, indent=1)
    print(f"exported {len(names)} builders x {len(opsets)} opsets x {len(modes)} modes in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
