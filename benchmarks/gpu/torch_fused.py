"""PyTorch's side of benchmarks/gpu/fused_gpu.ts: the same attention through
torch.nn.functional.scaled_dot_product_attention (fp32 inputs, TF32 allowed) forward and forward+backward, and the
iBOT distillation cross-entropy in plain PyTorch (softmax / log_softmax, the teacher's column sums) forward and
forward+backward. Row names match fused_gpu.ts's so that it can put the two side by side. Timing with CUDA events:
each sample runs a case back to back for ~20 ms; the median sample gives the per-run time. Writes JSON."""
import argparse
import json
import warnings

import torch
from torch_timing import sample_ms  # this folder is on sys.path when run as a script
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--json")
parser.add_argument("--attn", default="64,6,197,64", help="B,H,N,d")
parser.add_argument("--distill", default=f"{64 * 2 * 196},8192", help="R,K")
parser.add_argument("--samples", type=int, default=7)
args = parser.parse_args()

torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
torch.set_float32_matmul_precision("high")  # the same switch in newer PyTorch's terms
dev = torch.device("cuda")


rows = []


def record(name, fn):
    ms = sample_ms(fn, args.samples)
    rows.append({"name": name, "ms": ms})
    print(f"  torch {name}: {ms:.3f} ms", flush=True)


def sdpa_backend(q, k, v):
    """Which SDPA implementation PyTorch picks for these inputs: its own choice, else the first of the usual order
    that accepts them."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:
        return "default"
    try:  # PyTorch's own choice, where this private helper exists
        choice = int(torch._fused_sdp_choice(q, k, v))
        for name, b in SDPBackend.__members__.items():
            if int(b.value) == choice:
                return name.lower()
    except Exception:  # noqa: BLE001 - fall back to probing
        pass
    for name in ("FLASH_ATTENTION", "EFFICIENT_ATTENTION", "CUDNN_ATTENTION", "MATH"):
        b = getattr(SDPBackend, name, None)
        if b is None:
            continue
        try:
            with sdpa_kernel(b), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # each refusing backend warns why
                F.scaled_dot_product_attention(q, k, v)
            return name.lower()
        except RuntimeError:
            continue
    return "unknown"


# ---- attention [B, H, N, d] ----
B, H, N, D = (int(x) for x in args.attn.split(","))
tag = f"attention [{B},{H},{N},{D}]"
q, k, v, dy = (torch.rand(B, H, N, D, device=dev) * 2 - 1 for _ in range(4))
sdpa = sdpa_backend(q, k, v)
record(f"{tag} fwd", lambda: F.scaled_dot_product_attention(q, k, v))
qg, kg, vg = (x.clone().requires_grad_(True) for x in (q, k, v))


def attn_fwd_bwd():
    qg.grad = kg.grad = vg.grad = None
    F.scaled_dot_product_attention(qg, kg, vg).backward(dy)


record(f"{tag} fwd+bwd", attn_fwd_bwd)
del q, k, v, dy, qg, kg, vg

# ---- the distillation cross-entropy [R, K] (IBOT_SPEC §4.2–4.3) ----
R, K = (int(x) for x in args.distill.split(","))
tag = f"ibotDistill [{R}, {K}]"
student = torch.rand(R, K, device=dev) * 2 - 1
teacher = torch.rand(R, K, device=dev) * 2 - 1
center = (torch.rand(K, device=dev) * 2 - 1) * 0.1
d_loss = torch.ones(R, device=dev)
student_temp, teacher_temp = 0.1, 0.07


def distill(s):
    with torch.no_grad():
        p = F.softmax((teacher - center) / teacher_temp, dim=-1)
        col_sum = teacher.sum(dim=0)
    loss = -(p * F.log_softmax(s / student_temp, dim=-1)).sum(dim=-1)
    return loss, col_sum


record(f"{tag} fwd", lambda: distill(student))
sg = student.clone().requires_grad_(True)


def distill_fwd_bwd():
    sg.grad = None
    distill(sg)[0].backward(d_loss)


record(f"{tag} fwd+bwd", distill_fwd_bwd)

out = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "sdpa": sdpa, "rows": rows}
if args.json:
    with open(args.json, "w") as f:
        json.dump(out, f, indent=2)
