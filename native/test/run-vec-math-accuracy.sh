#!/usr/bin/env bash
# Builds and runs the vec_math accuracy sweep with AVX2 (so the vectorised code paths are the ones measured).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
g++ -O3 -mavx2 -mfma -std=c++17 -I"$here/../src" "$here/vec_math_accuracy.cc" -o "$out"
"$out"
rm -f "$out"
