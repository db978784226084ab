#!/usr/bin/env bash
# Fuzzes Drover's parsers and request paths with libFuzzer (tests/fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS]   builds build-fuzz, then runs every target for SECONDS
#                               (default 60) from a copy of tests/fuzz/corpus/TARGET,
#                               starting libFuzzer again after each crash
#   scripts/fuzz.sh --ci        builds, replays every input under tests/fuzz/regressions,
#                               then runs every target for 10 s from the seed corpus;
#                               stops a target at its first crash
#   scripts/fuzz.sh --replay    builds and replays tests/fuzz/regressions only
#
# Prints, per target, the executions and the result; exits 1 when any input
# crashed, hung (-timeout=5) or ran out of memory (-rss_limit_mb=2048). Crash
# inputs, logs and the grown corpus stay in BUILD/fuzz-out/TARGET/; the
# checked-in corpus is never changed. To keep a finding, minimize it
# (BUILD/TARGET_fuzz -minimize_crash=1 -runs=10000 FILE) and copy it to
# tests/fuzz/regressions/TARGET/.
#
# The CI step builds at -O0 in build-fuzz-ci: half the compile time of
# build-fuzz's -O1, so the step (build, replays, 10 s per target, two at a
# time) fits in about 3 minutes; the targets run 10-40 times slower, which is
# enough for a smoke run. Fuzz for real with the default -O1 build.
#
# Environment: FUZZ_BUILD_DIR (default build-fuzz, or build-fuzz-ci for --ci),
# FUZZ_OPT (default -O1, or -O0 for --ci), FUZZ_TARGETS (names, default all),
# FUZZ_SOURCE_DIR (the Drover tree to fuzz, default this one), FUZZ_JOBS (build
# jobs, default 2), FUZZ_CI_SECONDS (default 10), FUZZ_PARALLEL (targets at a
# time, default 2 for --ci, else 1).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

mode=long
seconds=60
case "${1:-}" in
  --ci) mode=ci; seconds=${FUZZ_CI_SECONDS:-10} ;;
  --replay) mode=replay ;;
  "") ;;
  *[!0-9]* | 0)
    echo "usage: $0 [SECONDS | --ci | --replay]" >&2
    exit 2
    ;;
  *) seconds=$1 ;;
esac

if [ "$mode" = ci ]; then
  build=${FUZZ_BUILD_DIR:-build-fuzz-ci}
  opt=${FUZZ_OPT:--O0}
else
  build=${FUZZ_BUILD_DIR:-build-fuzz}
  opt=${FUZZ_OPT:--O1}
fi
case "$build" in /*) ;; *) build=$repo/$build ;; esac
source_dir=${FUZZ_SOURCE_DIR:-$repo}

# --- build
if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S tests/fuzz -B "$build" "${generator[@]}" \
    -DDROVER_SOURCE_DIR="$source_dir" -DDROVER_FUZZ_OPT="$opt" >/dev/null
else
  cmake -S tests/fuzz -B "$build" -DDROVER_SOURCE_DIR="$source_dir" -DDROVER_FUZZ_OPT="$opt" >/dev/null
fi
cmake --build "$build" -j"${FUZZ_JOBS:-2}"

if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  mapfile -t targets <"$build/fuzz-targets.txt"
fi

# Longer inputs where depth or size matters (deep nesting, request bodies).
max_len() {
  case "$1" in
    json_codec | yaml_codec | droverd_http) echo 262144 ;;
    http_parser | supervisor_protocol | daemon_config) echo 65536 ;;
    value_parsers) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

# droverd_http: libFuzzer's per-input leak check re-runs every input whose
# mallocs and frees differ, which the state loop's threads make nearly every
# input (1 exec/s instead of 200); leaks are still reported at exit.
target_options() {
  case "$1" in
    droverd_http) echo -detect_leaks=0 ;;
  esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:handle_abort=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
common=(-timeout=5 -rss_limit_mb=2048)

# What went wrong in a libFuzzer log, on one line: the finding and the first
# Drover function on the stack.
finding() {
  local what where
  what=$(grep -m1 -oE '==FUZZ== invariant broken: .*|what\(\): .*|runtime error: .*|ERROR: AddressSanitizer: [a-z-]+|ERROR: LeakSanitizer: .*|ERROR: libFuzzer: [a-z-]+' "$1" |
    head -n1 | sed -E 's/0x[0-9A-Fa-f]+/0x../g; s/[0-9]+([.][0-9]+)?(e[+-]?[0-9]+)?/N/g' | cut -c1-110) || true
  where=$(grep -E '^ +#[0-9]+ 0x[0-9a-f]+ in drover::' "$1" | grep -v 'drover::fuzz::' | head -n1 |
    sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in //; s/\(.*\)//; s/ [^ ]*\/([^/ ]+:[0-9]+):[0-9]+$/ \1/' | cut -c1-90) || true
  echo "${what:-see the log}${where:+ | $where}"
}

failed=0
out_root=$build/fuzz-out

# --- replay the regression inputs (CI only): each must run clean.
if [ "$mode" != long ]; then
  echo "== replaying tests/fuzz/regressions"
  replayed=0
  for t in "${targets[@]}"; do
    dir=tests/fuzz/regressions/$t
    [ -d "$dir" ] || continue
    mkdir -p "$out_root/$t"
    for input in "$dir"/*; do
      [ -f "$input" ] || continue
      replayed=$((replayed + 1))
      log=$out_root/$t/replay.log
      # shellcheck disable=SC2046
      if "$build/${t}_fuzz" "${common[@]}" $(target_options "$t") "$input" >"$log" 2>&1; then
        printf '  %-60s ok\n' "$input"
      else
        printf '  %-60s CRASH  %s\n' "$input" "$(finding "$log")"
        failed=1
      fi
    done
  done
  echo "  $replayed inputs replayed"
fi

[ "$mode" != replay ] || exit "$failed"

# --- fuzz
# fuzz_one TARGET: fuzzes it for $seconds and writes its lines of the report to
# $out_root/TARGET/summary; fails when it found something.
fuzz_one() {
  local t=$1 out=$out_root/$1 execs=0 status=0 runs=0 deadline left before after n log found result
  rm -rf "$out/corpus" "$out/artifacts" "$out"/log.* "$out/summary"
  mkdir -p "$out/corpus" "$out/artifacts"
  cp -r "tests/fuzz/corpus/$t/." "$out/corpus/" 2>/dev/null || true
  # shellcheck disable=SC2207
  local args=("${common[@]}" $(target_options "$t") -max_len="$(max_len "$t")"
    -print_final_stats=1 -artifact_prefix="$out/artifacts/")
  # Plain libFuzzer stops at the first crash; the long mode starts it again on
  # the grown corpus until the time is up (or it stops finding new inputs).
  deadline=$((SECONDS + seconds))
  while true; do
    left=$((deadline - SECONDS))
    [ "$left" -gt 0 ] || break
    before=$(find "$out/artifacts" -type f | wc -l)
    log=$out/log.$runs
    status=0
    "$build/${t}_fuzz" "${args[@]}" -max_total_time="$left" "$out/corpus" >"$log" 2>&1 || status=$?
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    [ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$log" | tail -n1 | tr -d '#')
    execs=$((execs + ${n:-0}))
    runs=$((runs + 1))
    [ "$status" -ne 0 ] || break
    [ "$mode" = long ] || break
    after=$(find "$out/artifacts" -type f | wc -l)
    [ "$after" -gt "$before" ] || break  # the same input again: nothing new to find
  done
  found=$(find "$out/artifacts" -type f | wc -l)
  if [ "$status" -eq 0 ] && [ "$found" -eq 0 ]; then
    result="ok"
  else
    result="FOUND $found input(s) in $out/artifacts"
  fi
  {
    printf '  %-22s %12s  %s\n' "$t" "$execs" "$result"
    # One line per distinct finding.
    for log in "$out"/log.*; do
      if grep -qE 'Test unit written to|ERROR: libFuzzer' "$log"; then
        printf '%s\n' "$(finding "$log")"
      fi
    done | sort | uniq -c | sort -rn | sed -E 's/^ *([0-9]+) /      \1x /'
  } >"$out/summary"
  [ "$result" = ok ]
}

# Targets run FUZZ_PARALLEL at a time (default: 2 for --ci, on a 2-core budget;
# 1 otherwise, so each long run has a core to itself).
parallel=${FUZZ_PARALLEL:-1}
[ "$mode" != ci ] || parallel=${FUZZ_PARALLEL:-2}
echo "== fuzzing each target for ${seconds}s, $parallel at a time"
printf '  %-22s %12s  %s\n' target executions result
pids=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  fuzz_one "$t" &
  pids+=($!)
done
found=0
for i in "${!targets[@]}"; do
  wait "${pids[$i]}" || found=1
  cat "$out_root/${targets[$i]}/summary"
done
# In CI the replays above are the gate; a finding of the 10-second search is
# reported loudly (its input is kept under $out_root) but does not fail the
# run, since a time-boxed random search cannot be a deterministic check.
# Turn each finding into a regression input (tests/fuzz/README.md).
if [ "$found" = 1 ]; then
  if [ "$mode" = ci ]; then
    echo "fuzz: WARNING: the search found new inputs that crash; see $out_root/*/artifacts" >&2
  else
    failed=1
  fi
fi
exit "$failed"
