"""PyTorch's side of benchmarks/gpu/step_gpu.ts: one paper-recipe iBOT training step (ViT-S/16, 2 global 224 px + 10
local 96 px crops, masks on the globals, K = 8192 shared head, batch 64), written from IBOT_SPEC.md §1, §2, §4, §5:
student forward and backward, teacher forward, iBOT loss, per-parameter clipping, AdamW with two parameter groups,
teacher EMA and centres. fp32 with TF32 allowed, as ours on 'cuda'. The crops (and masks) sit in host memory and are
uploaded every step, as ours. It does the same work avoidance as ours (IbotTrainer): the student's head runs on the CLS
and masked patch tokens only, the K-wide projection of patches only for masked rows, the teacher's mean patch logits as
the last layer of the mean bottleneck (exact: the last layer is linear); --all-tokens runs the head on every token as
the official code does. Timing: warm-up steps, then one CUDA-event sample per step (torch_timing.step_times_ms).
Check on the CPU at a tiny size:
  python3 benchmarks/gpu/torch_step.py --device cpu --batch 2 --global-size 32 --local-size 16 --out-dim 256 \
      --steps 2 --warmup 1"""
import argparse
import json
import math
import statistics

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_timing import step_times_ms  # this folder is on sys.path when run as a script

parser = argparse.ArgumentParser()
parser.add_argument("--device", default="cuda")
parser.add_argument("--batch", type=int, default=64)
parser.add_argument("--global-size", type=int, default=224)
parser.add_argument("--local-size", type=int, default=96)
parser.add_argument("--local-crops", type=int, default=10)
parser.add_argument("--out-dim", type=int, default=8192)
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--all-tokens", action="store_true", help="head MLP and projection on every token (official)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--json")
args = parser.parse_args()
for name in ("global_size", "local_size"):
    if getattr(args, name) < 16 or getattr(args, name) % 16:
        parser.error(f"--{name.replace('_', '-')} must be a positive multiple of the patch size 16")
if min(args.batch, args.out_dim, args.steps) < 1 or min(args.warmup, args.local_crops) < 0:
    parser.error("--batch, --out-dim, --steps must be >= 1; --warmup, --local-crops >= 0")

torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
torch.set_float32_matmul_precision("high")  # the same switch in newer PyTorch's terms
dev = torch.device(args.device)
torch.manual_seed(args.seed)
SDPA = hasattr(F, "scaled_dot_product_attention")  # PyTorch >= 2

# The recipe (IBOT_SPEC §5.9) at the step's sizes.
PATCH, DIM, DEPTH, HEADS = 16, 384, 12, 6
HIDDEN, BOTTLENECK = 2048, 256
G, L, B, K = 2, args.local_crops, args.batch, args.out_dim
STUDENT_TEMP, TEACHER_TEMP = 0.1, 0.04  # the teacher temperatures at epoch 0 (warm-up 0.04 -> 0.07)
CENTER_MOMENTUM, CLIP, EMA_MOMENTUM, DROP_PATH = 0.9, 3.0, 0.996, 0.1
LR, WEIGHT_DECAY = 5e-4 * B / 256, 0.04


def trunc_normal_(t):
    # Bounds ±2 absolute at std 0.02 (IBOT_SPEC §1.11).
    return nn.init.trunc_normal_(t, std=0.02, a=-2.0, b=2.0)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(DIM, 3 * DIM)  # [q all heads | k all heads | v all heads]
        self.proj = nn.Linear(DIM, DIM)

    def forward(self, x):  # x [B, N, D]
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, HEADS, DIM // HEADS).permute(2, 0, 3, 1, 4)  # each [B, H, N, d]
        if SDPA:
            o = F.scaled_dot_product_attention(q, k, v)
        else:
            o = torch.softmax(q @ k.transpose(-2, -1) * (DIM // HEADS) ** -0.5, dim=-1) @ v
        return self.proj(o.transpose(1, 2).reshape(b, n, DIM))


def drop_path(x, rate, training):
    """Per-sample stochastic depth: x / keep · floor(keep + U[0, 1)) (IBOT_SPEC §1.9)."""
    if rate == 0 or not training:
        return x
    keep = 1 - rate
    return x / keep * torch.floor(keep + torch.rand(x.shape[0], 1, 1, device=x.device))


class Block(nn.Module):
    def __init__(self, rate):
        super().__init__()
        self.rate = rate
        self.norm1 = nn.LayerNorm(DIM, eps=1e-6)
        self.attn = Attention()
        self.norm2 = nn.LayerNorm(DIM, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.GELU(), nn.Linear(4 * DIM, DIM))  # exact erf GELU

    def forward(self, x):
        x = x + drop_path(self.attn(self.norm1(x)), self.rate, self.training)
        return x + drop_path(self.mlp(self.norm2(x)), self.rate, self.training)


class ViT(nn.Module):
    """ViT-S/16, pre-norm blocks; the student has masked_embed and drop path, the teacher neither (§1.12)."""

    def __init__(self, img_size, student):
        super().__init__()
        self.grid = img_size // PATCH
        self.patch_embed = nn.Conv2d(3, DIM, PATCH, PATCH)  # PyTorch's default init (§1.11)
        self.cls_token = nn.Parameter(trunc_normal_(torch.empty(1, 1, DIM)))
        self.pos_embed = nn.Parameter(trunc_normal_(torch.empty(1, 1 + self.grid ** 2, DIM)))
        self.masked_embed = nn.Parameter(torch.zeros(1, DIM)) if student else None
        rates = torch.linspace(0, DROP_PATH if student else 0.0, DEPTH).tolist()
        self.blocks = nn.ModuleList(Block(r) for r in rates)
        self.norm = nn.LayerNorm(DIM, eps=1e-6)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def pos(self, h, w):
        """The stored grid, or its bicubic resize with the +0.1 scale factor for other crop sizes (§1.5)."""
        if h == w == self.grid:
            return self.pos_embed
        grid = self.pos_embed[:, 1:].reshape(1, self.grid, self.grid, DIM).permute(0, 3, 1, 2)  # [1, D, g, g]
        grid = F.interpolate(grid, scale_factor=((h + 0.1) / self.grid, (w + 0.1) / self.grid), mode="bicubic",
                             align_corners=False)
        return torch.cat([self.pos_embed[:, :1], grid.flatten(2).transpose(1, 2)], dim=1)  # [1, 1 + h·w, D]

    def forward(self, x, mask=None, all_tokens=True):  # x [B, 3, S, S], mask [B, h, w] bool
        x = self.patch_embed(x)  # [B, D, h, w]
        h, w = x.shape[2:]
        x = x.flatten(2).transpose(1, 2)  # [B, h·w, D], row-major tokens
        if mask is not None:
            x = torch.where(mask.flatten(1).unsqueeze(-1), self.masked_embed.to(x.dtype), x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos(h, w)  # [B, 1 + h·w, D]
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        return x if all_tokens else x[:, 0]


class Head(nn.Module):
    """The iBOT head with a shared last layer: MLP 2048/2048/256, L2 norm, weight-normalised Linear(256 -> K) (§2)."""

    def __init__(self):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(DIM, HIDDEN), nn.GELU(), nn.Linear(HIDDEN, HIDDEN), nn.GELU(),
                                 nn.Linear(HIDDEN, BOTTLENECK))
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight)
                nn.init.zeros_(m.bias)
        bound = BOTTLENECK ** -0.5  # last layer: PyTorch's default Linear init, g = 1 (norm_last_layer false)
        self.last_layer_v = nn.Parameter(torch.empty(K, BOTTLENECK).uniform_(-bound, bound))
        self.last_layer_g = nn.Parameter(torch.ones(K, 1))

    def bottleneck(self, x):  # [..., D] -> [..., 256], unit rows
        return F.normalize(self.mlp(x), dim=-1, eps=1e-12)

    def project(self, z):  # [..., 256] -> [..., K]
        return z @ (self.last_layer_g * self.last_layer_v / self.last_layer_v.norm(dim=1, keepdim=True)).t()


student, teacher = ViT(args.global_size, True).to(dev), ViT(args.global_size, False).to(dev)
student_head, teacher_head = Head().to(dev), Head().to(dev)
teacher.load_state_dict(student.state_dict(), strict=False)  # all but masked_embed
teacher_head.load_state_dict(student_head.state_dict())
teacher.train()  # the official teacher is never switched to eval(); it has no drop path
for p in [*teacher.parameters(), *teacher_head.parameters()]:
    p.requires_grad_(False)
named = [(f"backbone.{n}", p) for n, p in student.named_parameters()] + \
        [(f"head.{n}", p) for n, p in student_head.named_parameters()]
params = [p for _, p in named]
teacher_by_name = dict([(f"backbone.{n}", p) for n, p in teacher.named_parameters()] +
                       [(f"head.{n}", p) for n, p in teacher_head.named_parameters()])
ema_student = [p for n, p in named if n in teacher_by_name]
ema_teacher = [teacher_by_name[n] for n, _ in named if n in teacher_by_name]
# Group 0: >= 2-D and not a bias, with weight decay; group 1: biases and 1-D parameters (§5.3).
decay = [p for n, p in named if p.ndim >= 2 and not n.endswith(".bias")]
no_decay = [p for n, p in named if not (p.ndim >= 2 and not n.endswith(".bias"))]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=LR, betas=(0.9, 0.999), eps=1e-8)
center = torch.zeros(1, K, device=dev)
center2 = torch.zeros(1, K, device=dev)


def recipe_masks(n):
    """n masks over the global grid with the recipe's ratio per crop image (§3.2: 0 or U(0.1, 0.5), each half the
    time), floor(ratio · cells) cells at random: the step's work depends on the count, not on the mask's shape."""
    cells = (args.global_size // PATCH) ** 2
    ratio = torch.where(torch.rand(n) < 0.5, torch.zeros(n), 0.1 + 0.4 * torch.rand(n))
    count = (ratio * cells).floor().long()
    order = torch.rand(n, cells).argsort(dim=1)
    return (order < count[:, None]).reshape(n, args.global_size // PATCH, -1)  # [n, h, w] bool


# Host batches (crop-major, NCHW, [-1, 1]), a few of them so the mask count varies from step to step like ours.
globals_host = (torch.rand(G * B, 3, args.global_size, args.global_size) * 2 - 1)
locals_host = (torch.rand(L * B, 3, args.local_size, args.local_size) * 2 - 1) if L else None
mask_sets = [recipe_masks(G * B) for _ in range(4)]
losses, masked_counts = [], []


def train_step():
    global center, center2
    masks_host = mask_sets[len(losses) % len(mask_sets)]
    flat_host = masks_host.flatten(1)  # [G·B, N]
    rows_host = flat_host.flatten().nonzero().squeeze(1)  # masked rows of [G·B·N], found on the host: no device sync
    weight_host = 1.0 / (flat_host.sum(1).clamp(min=1).float() * B * G)  # per image: 1 / (max(1, count) · B · G)
    row_weight_host = weight_host[rows_host // flat_host.shape[1]]
    crops = globals_host.to(dev)
    local_crops = locals_host.to(dev) if L else None
    masks, rows, row_weight = masks_host.to(dev), rows_host.to(dev), row_weight_host.to(dev)
    n = flat_host.shape[1]

    with torch.no_grad():  # teacher: unmasked globals; CLS logits, masked rows' patch logits, mean patch logits
        tokens = teacher(crops)  # [G·B, 1 + N, D]
        if args.all_tokens:
            logits = teacher_head.project(teacher_head.bottleneck(tokens))  # [G·B, 1 + N, K]
            t_cls, t_patch = logits[:, 0], logits[:, 1:].reshape(-1, K)[rows]
            t_mean = logits[:, 1:].mean(dim=(0, 1))
        else:
            z = teacher_head.bottleneck(tokens)  # [G·B, 1 + N, 256]
            zp = z[:, 1:].reshape(-1, BOTTLENECK)  # [G·B·N, 256]
            t_cls, t_patch = teacher_head.project(z[:, 0]), teacher_head.project(zp[rows])  # [G·B, K], [M, K]
            t_mean = teacher_head.project(zp.mean(0))  # [K]

    tokens = student(crops, mask=masks)  # [G·B, 1 + N, D]
    if args.all_tokens:
        logits = student_head.project(student_head.bottleneck(tokens))
        s_cls, s_patch = logits[:, 0], logits[:, 1:].reshape(-1, K)[rows]
    else:
        s_cls = student_head.project(student_head.bottleneck(tokens[:, 0]))  # [G·B, K]
        s_patch = student_head.project(student_head.bottleneck(tokens[:, 1:].reshape(-1, DIM)[rows]))  # [M, K]
    if L:  # local crops: CLS only
        s_cls = torch.cat([s_cls, student_head.project(student_head.bottleneck(student(local_crops, all_tokens=False)))])

    # CLS term: every teacher view q against every student view v != q, batch-averaged, over G·(V - 1) pairs (§4.2).
    p = torch.softmax((t_cls - center) / TEACHER_TEMP, dim=-1).reshape(G, B, K)
    log_q = torch.log_softmax(s_cls / STUDENT_TEMP, dim=-1).reshape(G + L, B, K)
    others = log_q.sum(0, keepdim=True) - log_q[:G]  # [G, B, K]: sum over v != q of log Q_v
    loss_cls = -(p * others).sum() / (B * G * (G + L - 1))
    # MIM term: masked rows only, each image divided by its mask count, batch- and view-averaged (empty masks: 0).
    p2 = torch.softmax((t_patch - center2) / TEACHER_TEMP, dim=-1)  # [M, K]
    ce = -(p2 * torch.log_softmax(s_patch / STUDENT_TEMP, dim=-1)).sum(-1)  # [M]
    loss_mim = (ce * row_weight).sum()
    loss = loss_cls + loss_mim
    # The official loop checks the loss is finite before the backward: one host sync, as ours.
    value, cls_value, mim_value = torch.stack([loss, loss_cls, loss_mim]).tolist()
    if not math.isfinite(value):
        raise SystemExit(f"loss is {value} at step {len(losses)}")
    with torch.no_grad():  # centres from this batch's raw teacher logits, after the loss (§4.3)
        center = center * CENTER_MOMENTUM + t_cls.mean(0, keepdim=True) * (1 - CENTER_MOMENTUM)
        center2 = center2 * CENTER_MOMENTUM + t_mean * (1 - CENTER_MOMENTUM)

    opt.zero_grad(set_to_none=True)
    loss.backward()
    grads = [q.grad for q in params if q.grad is not None]
    with torch.no_grad():  # per-parameter clipping (§5.5) without a host sync per parameter
        norms = torch._foreach_norm(grads) if hasattr(torch, "_foreach_norm") else [g.norm() for g in grads]
        factors = (CLIP / (torch.stack(norms) + 1e-6)).clamp(max=1.0)
        for g, f in zip(grads, factors.unbind()):
            g.mul_(f)
    opt.step()
    with torch.no_grad():  # teacher EMA by name (§5.6)
        torch._foreach_mul_(ema_teacher, EMA_MOMENTUM)
        torch._foreach_add_(ema_teacher, ema_student, alpha=1 - EMA_MOMENTUM)
    losses.append((value, cls_value, mim_value))
    masked_counts.append(len(rows_host))


if dev.type == "cuda":
    torch.cuda.reset_peak_memory_stats()
times = step_times_ms(train_step, args.warmup, args.steps, dev)
for i, (t, (total, cls, mim)) in enumerate(zip(times, losses[args.warmup:])):
    print(f"  step {i}: {t:.1f} ms, loss {total:.4f} (cls {cls:.4f}, patch {mim:.4f})", flush=True)
# Step 0 of a fresh model (IBOT_SPEC §2.1): unit bottlenecks against unit prototype rows give cosine logits of std
# ~1/16, so the student's log-softmax at τ 0.1 is ln K + ~0.2 off uniform, and the teacher's softmax at τ 0.04 has an
# entropy ~ln K - 1.2; the cross-entropy lies between them: CLS in [ln K - 2, ln K + 1]; the patch term the same
# times the share of images with a non-empty mask (those with none count 0), so in [0, ln K + 1].
_, cls0, mim0 = losses[0]
step0_ok = math.log(K) - 2 <= cls0 <= math.log(K) + 1 and 0 <= mim0 <= math.log(K) + 1
print(f"step-0 loss check: cls {cls0:.4f} in [{math.log(K) - 2:.3f}, {math.log(K) + 1:.3f}], patch {mim0:.4f} in "
      f"[0, {math.log(K) + 1:.3f}] (ln K = {math.log(K):.3f}): {'ok' if step0_ok else 'FAILED'}", flush=True)
median = statistics.median(times)
recipe = f"ViT-S/16, {G}×{args.global_size} + {L}×{args.local_size} px, K {K}, batch {B}"
result = {
    "torch": torch.__version__, "device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu",
    "attention": "F.scaled_dot_product_attention" if SDPA else "softmax(q kᵀ / √d) v", "recipe": recipe,
    "allTokens": args.all_tokens, "batch": B, "warmup": args.warmup, "steps": args.steps, "times": times,
    "medianMs": median, "minMs": min(times), "maxMs": max(times), "imagesPerSec": B * 1000 / median,
    "losses": losses, "maskedPatchesMean": sum(masked_counts) / len(masked_counts),
    "peakBytes": torch.cuda.max_memory_allocated() if dev.type == "cuda" else None, "step0Ok": step0_ok,
}
print(f"| PyTorch ({result['device']}) | {recipe} | {result['imagesPerSec']:.1f} | {median:.1f} | "
      f"{result['minMs']:.1f}–{result['maxMs']:.1f} | — |", flush=True)
if args.json:
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
if not step0_ok:
    raise SystemExit("the loss at step 0 is outside the expected range")
