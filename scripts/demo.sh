#!/usr/bin/env bash
# The main job of the README, after the build: start a local cluster of 3
# nodes, render the 100 frames of examples/render-job.yaml, show the queue
# and one frame's log, and leave the cluster running.
#
#   scripts/demo.sh [BUILD_DIR]      (default ./build)
#
# Frames are written to $DEMO_DIR (default ./drover-demo).
set -euo pipefail

build_dir=${1:-./build}
drover="$(cd "$build_dir" && pwd)/bin/drover"
repo=$(cd "$(dirname "$0")/.." && pwd)
demo_dir=${DEMO_DIR:-$PWD/drover-demo}

if [[ ! -x "$drover" ]]; then
  echo "demo: $drover not found; build first (cmake --build $build_dir)" >&2
  exit 1
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "drover up --nodes 3"
if ! "$drover" up --nodes 3; then
  # A cluster from an earlier run is fine to reuse; anything else is an error.
  if "$drover" nodes >/dev/null 2>&1; then
    echo "(using the cluster that is already running)"
  else
    exit 1
  fi
fi
"$drover" nodes

step "drover apply -f examples/render-job.yaml --wait   (100 frames, 8 at a time)"
mkdir -p "$demo_dir"
cd "$demo_dir"
start=$(date +%s%N)
apply_out=$("$drover" apply -f "$repo/examples/render-job.yaml" --wait) || {
  echo "$apply_out"
  echo "demo: the render job did not succeed" >&2
  exit 1
}
end=$(date +%s%N)
echo "$apply_out"
job_id=$(sed -n 's/.*(id \([0-9]*\)).*/\1/p' <<<"$apply_out" | head -n1)
ms=$(((end - start) / 1000000))
printf 'rendered %s frames in %d.%d s into %s/frames\n' \
  "$(ls frames | wc -l)" $((ms / 1000)) $((ms % 1000 / 100)) "$demo_dir"

step "drover queue --all"
"$drover" queue --all

step "drover logs $job_id/42"
"$drover" logs "$job_id/42"

step "done"
echo "The cluster is still running: try 'drover nodes', 'drover submit --wrap hostname --wait'."
echo "Stop it with: $drover down"
