#!/usr/bin/env bash
# Prepares .gpu/ (git-ignored) for a GPU machine that has no Node, no npm and no network: a stripped Node binary, the
# addon built for Hopper (sm_90a), bundled test/benchmark programs, and the standalone CUDA checks. Then, on
# the GPU machine, from the repository root: `bash benchmarks/gpu/run.sh`.
set -euo pipefail
top=$(git rev-parse --show-toplevel)
cd "$top"
mkdir -p .gpu

if [[ ! -s .gpu/node.xz ]]; then
  tmp=$(mktemp)
  strip -o "$tmp" "$(command -v node)"
  xz -T2 -9 -c "$tmp" > .gpu/node.xz.part && mv .gpu/node.xz.part .gpu/node.xz
  rm -f "$tmp"
fi

# sm_90a only: it is what an H100/H200 runs, and every extra architecture adds ~16 MB to what must travel (64 MiB cap).
(cd native && IBOT_REQUIRE_CUDA=1 IBOT_CUDA_ARCHITECTURES="90a-real" npx cmake-js compile -O build-gpu >/dev/null)
strip --strip-unneeded -o .gpu/ibotjs_native.node native/build-gpu/Release/ibotjs_native.node
xz -T2 -6 -f .gpu/ibotjs_native.node  # -> .gpu/ibotjs_native.node.xz (33 MB of SASS becomes ~2 MB)

node packages/tfjs-backend-native/scripts/bundle-tfjs-gradients.mjs
node benchmarks/gpu/bundle.mjs
# tfjs-core's op suite on 'cuda': the bundle (test/conformance/.bundle, carried too) and jasmine-core, which it loads.
node test/conformance/run.mjs --build-only
rm -f test/conformance/.bundle/conformance.mjs.map  # 8 MB of source map the GPU run does not need
rm -rf .gpu/node_modules && mkdir -p .gpu/node_modules
cp -rL node_modules/jasmine-core .gpu/node_modules/

# The standalone GEMM/conv check (native/test/cuda/README.md), for sm_90a.
IBOT_TEST_ARCHS="-gencode=arch=compute_90a,code=sm_90a" bash native/test/cuda/build.sh
xz -T2 -6 -c native/test/cuda/build/gemm_check > .gpu/gemm_check.xz
du -sh .gpu/* | sed 's/^/  /'
echo "ready: carry .gpu and test/conformance/.bundle, and run 'bash benchmarks/gpu/run.sh' on the GPU machine"
