#!/usr/bin/env bash
# One row of the README's Fashion-MNIST result table: k-NN (k = 20) and linear-probe accuracy (plus, for a run, the
# clustering metrics) on the full 60k/10k split of the Debian package dataset-fashion-mnist. Every command and what
# it printed, with its wall time, goes to benchmarks/results/fmnist-table/<row>.log, which the README quotes.
#   usage: scripts/fmnist_table.sh pixels|random|RUN_DIR [extra flags for every command, e.g. --threads 2]
#   (RUN_DIR: a folder written by `pnpm ibot train --data fmnist ...`)
set -euo pipefail
row=${1:?usage: scripts/fmnist_table.sh pixels|random|RUN_DIR [flags...]}
shift
case $row in
  pixels | random) source_flags=(--baseline "$row"); name=$row ;;
  *) [[ -f $row/config.json ]] || { echo "fmnist_table.sh: $row is not a run folder (no config.json)" >&2; exit 2; }
     row=$(realpath "$row"); source_flags=(--output "$row"); name=run-$(basename "$row") ;;
esac
cd "$(dirname "$0")/.."
mkdir -p benchmarks/results/fmnist-table
log=benchmarks/results/fmnist-table/$name.log
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >"$log"

step() {
  echo "\$ pnpm ibot $*" | tee -a "$log"
  local start=$SECONDS
  pnpm --silent ibot "$@" 2>&1 | tee -a "$log"
  echo "# wall time $((SECONDS - start)) s" | tee -a "$log"
}

step eval knn "${source_flags[@]}" --data fmnist --knn-k 20 "$@"
# Batch 1024 = the official linear protocol's total batch (128 per GPU on 8 GPUs; the lrs scale by batch/256), which
# also makes the 100 epochs over 60k features take minutes rather than a quarter of an hour on 2 cores.
step eval linear "${source_flags[@]}" --data fmnist --batch-size 1024 "$@"
if [[ $row != pixels ]]; then step eval cluster "${source_flags[@]}" --data fmnist "$@"; fi
