#!/usr/bin/env bash
# run.sh -- run every test: cmocka unit tests, fuzz corpus replays, and the
# integration scripts (real git, real gpg). Ends with "N passed, N failed".
#
#   BUILD=build-test tests/run.sh [FILTER]   FILTER: run only tests whose name contains it
#   (the test build, with its hooks: `make test` or `make BUILD=build-test TEST_HOOKS=1`)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build-test}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
export BUILD CH_TOP="$top"
filter=${1:-}
passed=0 failed=0 failures=()
log_dir="$BUILD/test-logs"
mkdir -p "$log_dir"

count_output() { # name logfile rc
	local name=$1 log=$2 rc=$3 p f
	p=$(grep -cE '^(ok |\[       OK \])' "$log")
	f=$(grep -cE '^(not ok |\[  FAILED  \] [a-z_])' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures+=("$name")
		echo "FAIL $name (exit $rc, $p passed, $f failed) -- log: $log"
		grep -E '^(not ok|\[  FAILED|# )' "$log" | head -20 | sed 's/^/    /'
		tail -5 "$log" | sed 's/^/    | /'
	else
		echo "ok   $name ($p passed)"
	fi
}

run_one() { # name command...
	local name=$1; shift
	[ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && return 0
	local log="$log_dir/$name.log" rc
	"$@" >"$log" 2>&1; rc=$?
	count_output "$name" "$log" "$rc"
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
for r in "$BUILD"/tests/replay_fuzz_*; do
	[ -x "$r" ] || continue
	name=${r##*/replay_fuzz_}
	run_one "replay_$name" "$r" "$top/tests/fuzz/corpus/$name"
done
for s in "$top"/tests/integration/test_*.sh; do
	[ -f "$s" ] || continue
	run_one "$(basename "$s" .sh)" bash "$s"
done

echo
if [ ${#failures[@]} -ne 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
