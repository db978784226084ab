#!/usr/bin/env bash
# The README's test command: installs what it needs, builds, starts a
# throw-away PostgreSQL 15 on a temporary directory and a free port, and runs
# every test (unit, integration, end-to-end) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR="${BUILD_DIR:-build}"
scripts/build.sh

pg_dir="$(mktemp -d /tmp/drover-test-pg.XXXXXX)"
cleanup() { scripts/postgres-test-server.sh stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap cleanup EXIT
DROVER_TEST_POSTGRES_URL="$(scripts/postgres-test-server.sh start "$pg_dir" | tail -n 1)"
export DROVER_TEST_POSTGRES_URL
echo "test.sh: PostgreSQL for the tests at $DROVER_TEST_POSTGRES_URL"

ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 300 -j"$(nproc)"

# The fuzz smoke step (tests/fuzz/README.md): replays every input under
# tests/fuzz/regressions, then fuzzes each target for 10 s; a crash fails.
scripts/fuzz.sh --ci
