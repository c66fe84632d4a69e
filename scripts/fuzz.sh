#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/, with AddressSanitizer) and runs each for FUZZ_SECONDS, one
# after another; prints executions, exec/s, coverage and corpus size per target, and fails if any
# target crashes, leaks, runs out of memory or exceeds the per-input timeout.
#
#   scripts/fuzz.sh [TARGET...]        # default: every target; FUZZ_SECONDS=300 each
#
# FUZZ_SECONDS    seconds per target (default 300)
# FUZZ_TIMEOUT    seconds one input may take before it counts as a hang (default 10)
# FUZZ_RSS_MB     memory limit of a target, and of one allocation (default 2048)
# FUZZ_DIR        corpora, crash inputs and logs (default .cache/fuzz; corpora grow across runs)
#
# A crash input is saved as $FUZZ_DIR/crashes/TARGET-crash-…; replay it with
#   .build/fuzz/debug/TARGET FILE
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${FUZZ_SECONDS:-300}
TIMEOUT=${FUZZ_TIMEOUT:-10}
RSS_MB=${FUZZ_RSS_MB:-2048}
DIR=${FUZZ_DIR:-.cache/fuzz}
SWIFT=${SWIFT:-swift}
ALL=(HTTPRequestFuzzer ChunkedBodyFuzzer MultipartFuzzer StylizeParametersFuzzer PNGFuzzer JPEGFuzzer SafeTensorsFuzzer ONNXFuzzer)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi

# Every Swift and C module the targets use is instrumented for coverage and checked by ASan.
BUILD=(env ATELIER_FUZZ=1 "$SWIFT" build --scratch-path .build/fuzz
       -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address)
started=$(date +%s)
for target in "${TARGETS[@]}"; do
  # gold warns about every ASan helper symbol; keep the rest of the output.
  "${BUILD[@]}" --product "$target" 2>&1 | { grep -v "Cannot export local symbol" || true; } | tail -n 3
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz: building $target failed" >&2; exit 1; }
done
echo "fuzz: built ${#TARGETS[@]} targets in $(( $(date +%s) - started )) s"

rm -rf "$DIR/seeds"
python3 scripts/make_fuzz_seeds.py "$DIR/seeds"
mkdir -p "$DIR/crashes" "$DIR/logs"

failed=()
rows=()
for target in "${TARGETS[@]}"; do
  corpus="$DIR/corpus/$target"
  log="$DIR/logs/$target.log"
  mkdir -p "$corpus"
  dict=Fuzz/dictionaries/$target.dict
  args=(-max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" -print_final_stats=1
        -artifact_prefix="$DIR/crashes/$target-" -close_fd_mask=1)
  [ -f "$dict" ] && args+=(-dict="$dict")
  echo "fuzz: $target for ${SECONDS_EACH} s"
  set +e
  # The Swift runtime's own backtracer trips ASan; libFuzzer prints the stack of a crash instead.
  SWIFT_BACKTRACE=enable=no ".build/fuzz/debug/$target" "${args[@]}" "$corpus" "$DIR/seeds/$target" >"$log" 2>&1
  status=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
  # The last status line ("#N DONE cov: C ft: F corp: U/S …") holds the coverage reached.
  last=$(grep -E '^#[0-9]+[[:space:]]+[A-Z]+[[:space:]]+cov:' "$log" | tail -n 1 || true)
  cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$last")
  ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$last")
  corp=$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"$last")
  verdict=ok
  if [ $status -ne 0 ]; then
    verdict="FAILED ($status)"
    failed+=("$target")
    grep -E "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error|SUMMARY|artifact_prefix|Test unit written" "$log" | head -n 8 || true
  fi
  rows+=("$(printf '%-24s %10s %8s %6s %7s %6s %7s  %s' "$target" "${runs:--}" "${speed:--}" "${cov:--}" "${ft:--}" "${corp:--}" "${rss:--}" "$verdict")")
done

echo
printf '%-24s %10s %8s %6s %7s %6s %7s  %s\n' target executions exec/s cov ft corpus rss_mb result
printf '%s\n' "${rows[@]}"
echo "fuzz: ${#TARGETS[@]} targets, ${SECONDS_EACH} s each, $(( $(date +%s) - started )) s in all; logs in $DIR/logs"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $DIR/crashes)" >&2
  exit 1
fi
