# The fused-kernel benchmark for the GPU machine, sourced by benchmarks/gpu/run.sh (stage 'extra') with $out (the
# results directory), $machine and $status set and our node on PATH: PyTorch's side first (torch_fused.py), then ours
# on 'cuda' (.gpu/fused_gpu.mjs, bundled from fused_gpu.ts), which writes $out/fused-gpu.md with both side by side.
# About 30 s of GPU time; each program is capped so a hang cannot eat the session's budget.
echo "== 4. fused kernels on cuda (attention [64, 6, 197, 64], ibotDistill [25088, 8192]) and PyTorch"
PYTHONUNBUFFERED=1 timeout 60 python3 benchmarks/gpu/torch_fused.py --json "$out/fused-torch.json" ||
  echo "torch_fused.py failed: the PyTorch columns of fused-gpu.md stay empty"
timeout 90 node .gpu/fused_gpu.mjs --json "$out/fused-cuda.json" --torch "$out/fused-torch.json" \
  --md "$out/fused-gpu.md" --machine "Machine: $machine" || status=1
[[ -f $out/fused-gpu.md ]] && cat "$out/fused-gpu.md"
