#!/usr/bin/env bash
# Builds and runs native/test/cuda/build/attention_emulate: the fused attention kernels (src/cuda/attention.cuh)
# compiled for the host and run with one std::thread per CUDA thread (see attention_emulate.cc). Needs g++ and the
# CUDA headers, not a GPU. Takes a few minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cuda_home="${CUDA_HOME:-/usr/local/cuda}"
mkdir -p "$here/build"
g++ -std=c++20 -O2 -pthread -Wall -Wno-unused-function -Wno-attributes -Wno-unknown-pragmas -I"$here/../../src" -I"$cuda_home/include" \
  "$here/attention_emulate.cc" -o "$here/build/attention_emulate"
"$here/build/attention_emulate" "$@"
