#!/usr/bin/env bash
# The one command for the GPU machine, run from the repository root with .gpu/ present (benchmarks/gpu/prepare.sh).
# Correctness first (every kernel parity test on 'cuda' against tfjs cpu, the standalone GEMM check), then speed (the
# stock-kernel benchmark on 'cuda' and the same cases in PyTorch). Everything lands in $OUT (default /tmp/ibotjs-gpu):
# run.log, kernels-cuda.json, kernels-torch.json, kernels-gpu.md (and fused-gpu.md from 'extra', step-gpu.md from 'step').
set -uo pipefail
out=${OUT:-/tmp/ibotjs-gpu}
mkdir -p "$out"
exec > >(tee "$out/run.log") 2>&1

# Binaries travel xz-compressed (the addon's SASS shrinks ~20x; the carry cap is 64 MiB).
xz -dc .gpu/node.xz > /tmp/node && chmod +x /tmp/node && export PATH=/tmp:$PATH
xz -dc .gpu/ibotjs_native.node.xz > /tmp/ibotjs_native.node
[[ -s .gpu/gemm_check.xz ]] && xz -dc .gpu/gemm_check.xz > /tmp/gemm_check && chmod +x /tmp/gemm_check
export IBOT_NATIVE_BINARY=/tmp/ibotjs_native.node IBOT_QUIET_FALLBACK=1 IBOT_KERNEL_CASES=$PWD/benchmarks/kernel_cases.json
# GPU_STAGES picks stages (default all): parity conformance gemm kernels extra step (extra = benchmarks/gpu/extra.sh if
# present; step = benchmarks/gpu/step.sh, the paper-recipe training step, capped at 8 min).
stages=" ${GPU_STAGES:-parity conformance gemm kernels extra step} "
want() { [[ $stages == *" $1 "* ]]; }

machine=$( {
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "node $(node --version); $(python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)' 2>/dev/null)"
} )
echo "$machine"
node -e "import('@ibotjs/tfjs-backend-native').catch(()=>0)" 2>/dev/null

status=0
if want parity; then
  echo "== 1. kernel parity on cuda (the same test files as pnpm test, through benchmarks/gpu/ava_shim.ts)"
  IBOT_TEST_BACKEND=cuda timeout 300 node .gpu/parity.mjs || status=1
fi

if want conformance; then
  echo "== 1b. tfjs-core's op test suite on cuda"
  NODE_PATH=$PWD/.gpu/node_modules timeout 300 node test/conformance/run.mjs --prebuilt --backend cuda || status=1
fi

if want gemm && [[ -x /tmp/gemm_check ]]; then
  echo "== 2. standalone GEMM check (cuda::gemm vs a float64 CPU reference, then timings)"
  timeout 180 /tmp/gemm_check all || status=1
fi

if want kernels; then
  echo "== 3. stock-kernel benchmark: cuda, then PyTorch on the same cases"
  timeout 180 node .gpu/kernels_gpu.mjs --json "$out/kernels-cuda.json" || status=1
  PYTHONUNBUFFERED=1 timeout 180 python3 benchmarks/gpu/torch_kernels.py --json "$out/kernels-torch.json" || status=1
  node benchmarks/gpu/report.mjs "$out/kernels-cuda.json" "$out/kernels-torch.json" "$out/kernels-gpu.md" \
    "Machine: $machine" || status=1
fi

if want extra && [[ -f benchmarks/gpu/extra.sh ]]; then
  source benchmarks/gpu/extra.sh || status=1
fi
if want step; then
  if [[ -f .gpu/step_gpu.mjs ]]; then
    source benchmarks/gpu/step.sh || status=1
  else
    echo "stage step: .gpu/step_gpu.mjs is missing (benchmarks/gpu/prepare.sh bundles it)"; status=1
  fi
fi
echo "gpu run finished with status $status"
exit $status
