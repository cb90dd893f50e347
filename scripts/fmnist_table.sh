#!/usr/bin/env bash
# The README's Fashion-MNIST result table: k-NN (k = 20) and linear-probe accuracy of raw pixels, a randomly initialised
# ViT and an iBOT run's teacher, on the full 60k/10k split of the Debian package dataset-fashion-mnist. Every command
# and what it printed goes to benchmarks/results/fmnist-table.log (the README quotes it), with its wall time.
#   usage: scripts/fmnist_table.sh RUN_DIR [extra flags for every eval command, e.g. --threads 2]
set -euo pipefail
run_dir=${1:?usage: scripts/fmnist_table.sh RUN_DIR (a folder written by: pnpm ibot train --data fmnist ...)}
shift
cd "$(dirname "$0")/.."
log=benchmarks/results/fmnist-table.log
{
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# run: $run_dir ($(tail -n 1 "$run_dir/log.jsonl" | head -c 200))"
} >"$log"

step() {
  echo "\$ pnpm ibot $*" | tee -a "$log"
  local start=$SECONDS
  pnpm --silent ibot "$@" 2>&1 | grep -v '^\$ tsx' | tee -a "$log"
  echo "# wall time $((SECONDS - start)) s" | tee -a "$log"
}

for source in "--baseline pixels" "--baseline random" "--output $run_dir"; do
  # shellcheck disable=SC2086  # $source is two words on purpose
  step eval knn $source --data fmnist --knn-k 20 "$@"
  # shellcheck disable=SC2086
  step eval linear $source --data fmnist "$@"
done
step eval cluster --output "$run_dir" --data fmnist "$@"
