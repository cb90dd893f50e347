# The paper-recipe iBOT training step on the GPU machine, sourced by benchmarks/gpu/run.sh (stage 'step') with $out
# (the results directory), $machine and $status set and our node on PATH: PyTorch's step (torch_step.py), then ours on
# 'cuda' (.gpu/step_gpu.mjs, bundled from step_gpu.ts), which writes $out/step-gpu.md with both side by side. Each
# program is capped so a hang cannot eat the session's budget. Meanwhile nvidia-smi samples the card's used memory
# (every 0.5 s, CUDA context and allocator caches included): the peak of each program is appended to step-gpu.md,
# the one memory figure measured the same way for both (our addon reports live bytes only).
# STEP_ARGS (size flags for both programs, e.g. "--batch 2 --global-size 32 --local-size 16 --out-dim 256 --steps 2
# --warmup 1"), STEP_BACKEND (ours, default cuda) and STEP_TORCH_DEVICE (default cuda) let a CPU machine check this file:
#   OUT=/tmp/x STEP_ARGS="..." STEP_BACKEND=native STEP_TORCH_DEVICE=cpu GPU_STAGES=step bash benchmarks/gpu/run.sh
# needs .gpu/node.xz and .gpu/ibotjs_native.node.xz; benchmarks/gpu/README.md shows how to source this file directly.
read -r -a step_args <<< "${STEP_ARGS:-}"
echo "== 5. paper-recipe iBOT step (ViT-S/16, 2×224 + 10×96 px, K 8192, batch 64 unless STEP_ARGS) on ${STEP_BACKEND:-cuda} and PyTorch"

# Samples the card's used memory (MiB) in the background, keeping the maximum in file $1, until step_peak_stop.
step_peak_start() {
  echo 0 > "$1"
  ( max=0
    while :; do
      v=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1 | tr -d ' ')
      if [[ $v =~ ^[0-9]+$ ]] && (( v > max )); then max=$v; echo "$max" > "$1"; fi
      sleep 0.5
    done ) &
  step_peak_pid=$!
}
step_peak_stop() { kill "$step_peak_pid" 2>/dev/null; wait "$step_peak_pid" 2>/dev/null; }

step_peak_start "$out/step-torch-peak-mib"
PYTHONUNBUFFERED=1 timeout 180 python3 benchmarks/gpu/torch_step.py --device "${STEP_TORCH_DEVICE:-cuda}" ${step_args[@]+"${step_args[@]}"} \
  --json "$out/step-torch.json" ||
  echo "torch_step.py failed: the PyTorch cells of step-gpu.md stay empty"
step_peak_stop
step_peak_start "$out/step-cuda-peak-mib"
timeout 300 node .gpu/step_gpu.mjs --backend "${STEP_BACKEND:-cuda}" ${step_args[@]+"${step_args[@]}"} \
  --json "$out/step-cuda.json" --torch "$out/step-torch.json" --md "$out/step-gpu.md" --machine "Machine: $machine" ||
  status=1
step_peak_stop
if [[ -f $out/step-gpu.md ]]; then
  mib() { local v; v=$(cat "$1"); [[ $v == 0 ]] && echo "not measured" || echo "$v MiB"; }  # 0: no nvidia-smi
  echo "Peak memory used on the card (nvidia-smi every 0.5 s): ours $(mib "$out/step-cuda-peak-mib"), PyTorch" \
       "$(mib "$out/step-torch-peak-mib")." >> "$out/step-gpu.md"
  cat "$out/step-gpu.md"
fi
