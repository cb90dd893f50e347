#!/usr/bin/env bash
# Builds native/test/cuda/build/gemm_check: the CUDA GEMM/conv kernels and the slice of the addon runtime they need
# (stream, memory pool, storage), compiled straight with nvcc; no Node, no CMake. Run it on the GPU machine.
# IBOT_TEST_ARCHS overrides the targets (default: sm_90a for the H100/H200 plus sm_80 and compute_80 PTX so it also
# runs elsewhere); IBOT_PTXAS_VERBOSE=1 prints registers/spills per kernel.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/../../src"
out="$here/build"
mkdir -p "$out"
archs="${IBOT_TEST_ARCHS:--gencode=arch=compute_90a,code=sm_90a -gencode=arch=compute_80,code=[sm_80,compute_80]}"
extra=()
if [[ "${IBOT_PTXAS_VERBOSE:-0}" == "1" ]]; then extra+=(-Xptxas -v); fi
# shellcheck disable=SC2086
nvcc -std=c++17 -O3 --expt-relaxed-constexpr -lineinfo $archs "${extra[@]}" \
  -I"$src" -DIBOT_CUDA_ARCHS="\"gemm_check\"" \
  "$here/gemm_check.cu" "$src/cuda/matmul.cu" "$src/cuda/conv.cu" "$src/cuda/runtime.cu" "$src/core/storage.cc" "$src/core/host_cache.cc" \
  -o "$out/gemm_check"
echo "built $out/gemm_check"
