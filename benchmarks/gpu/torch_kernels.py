"""The stock-kernel cases of benchmarks/kernel_cases.json in PyTorch on the GPU (fp32 inputs, TF32 matmuls allowed, as
our 'cuda' backend does by default). Timing with CUDA events: each sample runs a case back to back for ~20 ms; the
median sample gives the per-run time. Writes JSON for report.mjs."""
import argparse
import json
import os

import torch
from torch_timing import sample_ms  # this folder is on sys.path when run as a script

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("--json")
args = parser.parse_args()

torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
dev = torch.device("cuda")


def prod(s):
    p = 1
    for d in s:
        p *= d
    return p


def make(spec):
    xs = [torch.rand(s, device=dev) * 2 - 1 for s in spec["shapes"]]
    op = spec["op"]
    if op == "matmul":
        return xs, lambda: torch.matmul(xs[0], xs[1])
    if op == "softmax":
        return xs, lambda: torch.softmax(xs[0], dim=-1)
    if op == "add":
        return xs, lambda: xs[0] + xs[1]
    if op == "mul":
        return xs, lambda: xs[0] * xs[1]
    if op == "sum_last":
        return xs, lambda: xs[0].sum(dim=-1)
    if op == "transpose":
        # .contiguous() materialises the permuted copy, as tf.transpose does.
        return xs, lambda: xs[0].permute(*spec["perm"]).contiguous()
    raise ValueError(op)


spec = json.load(open(os.path.join(here, "..", "kernel_cases.json")))
rows = []
for c in spec["cases"]:
    xs, fn = make(c)
    ms = sample_ms(fn)
    rows.append({"name": c["name"], "ms": ms})
    print(f"  torch {c['name']}: {ms:.3f} ms", flush=True)
    del xs
out = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "rows": rows}
if args.json:
    json.dump(out, open(args.json, "w"), indent=2)
