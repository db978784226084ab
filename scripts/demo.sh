#!/usr/bin/env bash
# The main job of the README, after the build: start a local cluster of 3
# nodes, start the web Deployment of examples/web-deployment.yaml (3
# replicas of a small HTTP server) and the node monitor of
# examples/node-monitor-daemonset.yaml (one per node), render the 100 frames
# of examples/render-job.yaml beside them on the same control plane, show the
# queue, one frame's log, the web replicas answering and a node's monitor,
# and leave the cluster running.
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

step "drover up --nodes 3 --cores-per-node 4"
if ! "$drover" up --nodes 3 --cores-per-node 4; then
  # A cluster from an earlier run is fine to reuse; anything else is an error.
  if "$drover" nodes >/dev/null 2>&1; then
    echo "(using the cluster that is already running)"
  else
    exit 1
  fi
fi
"$drover" nodes

mkdir -p "$demo_dir"
cd "$demo_dir"
step "drover apply -f examples/web-deployment.yaml   (a service: 3 replicas, one per node)"
"$drover" apply -f "$repo/examples/web-deployment.yaml"

step "drover apply -f examples/node-monitor-daemonset.yaml   (a DaemonSet: one monitor on every node)"
"$drover" apply -f "$repo/examples/node-monitor-daemonset.yaml"

step "drover apply -f examples/render-job.yaml --wait   (100 frames, 8 at a time, beside the services)"
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

step "drover rollout status deployment/web"
"$drover" rollout status deployment/web --timeout 60

step "drover get deployments; drover endpoints web"
"$drover" get deployments
"$drover" endpoints web
served=0
for port in $("$drover" endpoints web -o json | sed -n 's/.*"port": *\([0-9]*\).*/\1/p'); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/"; then served=$((served + 1)); fi
done
echo "$served replicas answered GET /"
if [[ $served -lt 3 ]]; then
  echo "demo: the web replicas did not all answer" >&2
  exit 1
fi

step "drover get daemonsets; drover logs daemonset/node-monitor --node node-1"
"$drover" get daemonsets
monitors=$("$drover" get tasks daemonset/node-monitor | grep -c Running || true)
echo "$monitors nodes run their monitor"
if [[ $monitors -ne 3 ]]; then
  echo "demo: the node monitor does not run on every node" >&2
  exit 1
fi
"$drover" logs daemonset/node-monitor --node node-1

step "done"
echo "The cluster is still running: try 'drover nodes', 'drover get tasks deployment/web',"
echo "'drover rollout restart deployment/web', 'drover submit --wrap hostname --wait'."
echo "Stop it with: $drover down"
