#!/usr/bin/env bash
# Installs the dependencies and builds Drover into BUILD_DIR (default ./build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDROVER_SKIP="" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
