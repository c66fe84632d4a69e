#!/usr/bin/env bash
# XCTest under AddressSanitizer and ThreadSanitizer, each with its own
# build folder (.build/asan, .build/tsan); fails on any report. `make test-sanitize` runs it.
#
#   scripts/test_sanitize.sh [address|thread]...      # default: both
#
# ASan runs every suite but TrainingTests (ASAN_SKIP: minutes of finite-difference gradient checks
# on single-threaded numerics, 3–4 min under ASan for nothing the other suites do not reach); TSan
# runs the suites whose code is concurrent (TSAN_FILTER): the HTTP server and its connections, the
# worker pool, the job manager and the style stores through the service. PostgreSQL suites skip
# themselves unless run under scripts/with_postgres.sh.
#
# LeakSanitizer is off for the XCTest process: it cannot follow references Swift stores with tag
# bits (multi-payload enum payloads, a weakly referenced object's side table), so it reports live
# objects as leaked; a stopped server and service are checked to be freed with weak references
# instead (ServerReleaseTests, ServiceReleaseTests), and the fuzz targets check each input for
# leaks. No TSan suppressions are needed. Timings and reasons: docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
MODELS=${MODELS:-data/models}
if [ $# -gt 0 ]; then SANITIZERS=("$@"); else SANITIZERS=(address thread); fi

# XCTest --skip takes regular expressions of suite or test names.
ASAN_SKIP=${ASAN_SKIP:-'TrainingTests\.'}
TSAN_FILTER=${TSAN_FILTER:-'HTTPTests\.|ServiceTests\.'}

case $MODELS in /*) ;; *) MODELS=$PWD/$MODELS ;; esac
export ATELIER_MODELS=$MODELS
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}
# Every race is printed; the process then exits 66, which fails the run.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:exitcode=66:second_deadlock_stack=1}

status=0
for sanitizer in "${SANITIZERS[@]}"; do
  case $sanitizer in
    address) scratch=.build/asan; select=(--skip "$ASAN_SKIP") ;;
    thread)  scratch=.build/tsan; select=(--filter "$TSAN_FILTER") ;;
    *) echo "test_sanitize: unknown sanitizer $sanitizer (address or thread)" >&2; exit 2 ;;
  esac
  started=$(date +%s)
  "$SWIFT" build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
  built=$(date +%s)
  set +e
  "$SWIFT" test --skip-build --disable-swift-testing --sanitize="$sanitizer" --scratch-path "$scratch" "${select[@]}"
  result=$?
  set -e
  echo "test_sanitize: $sanitizer: build $((built - started)) s, tests $(( $(date +%s) - built )) s, exit $result"
  [ $result -eq 0 ] || status=1
done
exit $status
