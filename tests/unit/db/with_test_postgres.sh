#!/usr/bin/env bash
# with_test_postgres.sh CMD [ARGS...]
# Runs CMD with DROVER_TEST_POSTGRES_URL pointing at a throw-away PostgreSQL
# (scripts/postgres-test-server.sh), stopped and removed afterwards whatever
# CMD's outcome. Exits 77 (ctest: skipped) when PostgreSQL 15 is not installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
server="$here/../../../scripts/postgres-test-server.sh"
PG_BINDIR="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
if [[ ! -x "$PG_BINDIR/initdb" ]]; then
  echo "PostgreSQL binaries not found in $PG_BINDIR; skipping" >&2
  exit 77
fi
dir="$(mktemp -d "${TMPDIR:-/tmp}/drover-pg-test.XXXXXX")"
cleanup() {
  "$server" stop "$dir" || true
  rm -rf "$dir"
}
trap cleanup EXIT
url="$("$server" start "$dir" | tail -n 1)"
export DROVER_TEST_POSTGRES_URL="$url"
"$@"
