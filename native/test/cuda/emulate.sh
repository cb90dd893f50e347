#!/usr/bin/env bash
# Builds and runs native/test/cuda/build/gemm_emulate: the GEMM kernel sources compiled for the host and run with one
# std::thread per CUDA thread (see gemm_emulate.cc). Needs g++ and the CUDA headers, not a GPU.
# Optional arguments filter by variant and case name: emulate.sh "tf32 64" "17x33x9".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cuda_home="${CUDA_HOME:-/usr/local/cuda}"
mkdir -p "$here/build"
g++ -std=c++20 -O2 -pthread -Wall -Wno-unused-function -Wno-attributes -I"$here/../../src" -I"$cuda_home/include" \
  "$here/gemm_emulate.cc" -o "$here/build/gemm_emulate"
"$here/build/gemm_emulate" "$@"
