#!/usr/bin/env bash
# run.sh -- `make bench`: every benchmark, each printing ratios against the
# stock tool doing the same job in the same run (these machines are shared
# and noisy: absolute times drift, ratios hold).
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in "$here"/bench_*.sh; do
	echo "== $(basename "$b" .sh)"
	bash "$b" || rc=1
	echo
done
exit $rc
