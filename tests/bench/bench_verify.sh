#!/usr/bin/env bash
# bench_verify.sh -- the auditor's verifier on a site of 1,000 documents and
# 20,000 signed steps (Ed25519), against stock `git verify-commit` on the
# same repository, and against what libgcrypt's own Ed25519 verification
# allows on every core, all in one run (the machines are shared and noisy:
# absolute rates drift, ratios hold).
#
# The site is made once by tests/bench/gen_site.c with the library itself
# (every step signed through gpg-agent with the actor's own key), then
# packed as `git gc` would, and kept in $BUILD/bench-cache/; delete that
# directory to make it again.
#
# Goals (issue 5): a first run at least 10 times faster per commit than
# stock git, and at least 75% of libgcrypt's Ed25519 rate on all cores; a
# second run, with the verification cache, at least 100 times faster than
# stock git. The figures are information; the script fails only if the
# verifier does not pass the generated site, or a tool cannot be built.
. "$(dirname "$0")/../integration/lib.sh"

case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac # git -C changes directory
CH="$BUILD/chancery"
NDOCS=${BENCH_DOCS:-1000}
SAMPLE=${BENCH_GIT_SAMPLE:-300}
CORES=$(nproc)
CC=${CC:-cc}
PKGS="libgit2 gpgme libassuan gpg-error libgcrypt jansson libcmark zlib"  # as the Makefile's PKGS
WARN="-Wall -Wextra -Werror -Wvla -Wwrite-strings -Wformat-security -Wshadow
      -Wmissing-prototypes -Wpointer-arith -Wstrict-prototypes"
BB="$BUILD/bench"
SITE="$BUILD/bench-cache/site-$NDOCS"
AUDITOR="$SITE/auditor-gnupg"
trap 'gpgconf --homedir "$SITE/gnupg" --kill gpg-agent 2>/dev/null;
      gpgconf --homedir "$AUDITOR" --kill gpg-agent 2>/dev/null; cleanup' EXIT
now() { date +%s%N; }
die() { echo "bench_verify: $*" >&2; exit 1; }
mkdir -p "$BB" "$BUILD/bench-cache"

# ---- the tools (rebuilt when their source or the library changes) ----
tool() { # name extra-arguments...
	local src="$top/tests/bench/$1.c" bin="$BB/$1"
	shift
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$BUILD/libchancery.a" -nt "$bin" ]; then
		# shellcheck disable=SC2086
		$CC -std=c11 -D_GNU_SOURCE $WARN -O2 -g -I"$top" -o "$bin" "$src" "$@" ||
			die "cannot build $src"
	fi
}
[ -f "$BUILD/libchancery.a" ] || die "no $BUILD/libchancery.a: run make first"
# shellcheck disable=SC2046
tool gen_site $(pkg-config --cflags $PKGS) "$BUILD/libchancery.a" \
	$(pkg-config --libs $PKGS) -lunistring -lpthread
tool gcry_rate $(pkg-config --cflags --libs libgcrypt) -lpthread

# ---- the site, made once ----
if [ ! -f "$SITE/.complete" ]; then
	echo "making the site: $NDOCS documents of 20 signed steps, $CORES processes (once;" \
	     "kept in $SITE)"
	rm -rf "$SITE"
	t0=$(now)
	"$BB/gen_site" init "$SITE" || die "gen_site init failed"
	pids=()
	for j in $(seq 0 $((CORES - 1))); do
		"$BB/gen_site" docs "$SITE" "$j" "$CORES" "$NDOCS" &
		pids+=($!)
	done
	okgen=1
	for p in "${pids[@]}"; do wait "$p" || okgen=0; done
	gpgconf --homedir "$SITE/gnupg" --kill gpg-agent 2>/dev/null
	[ "$okgen" = 1 ] || die "gen_site docs failed"
	git -C "$SITE/repo.git" repack -adq && git -C "$SITE/repo.git" pack-refs --all ||
		die "cannot pack the site"
	mkdir -m 700 "$AUDITOR"
	"$CH" export-keys "$SITE" | GNUPGHOME="$AUDITOR" gpg --batch --quiet --import 2>/dev/null
	gpgconf --homedir "$AUDITOR" --kill gpg-agent 2>/dev/null
	touch "$SITE/.complete"
	t1=$(now)
	awk -v t=$((t1 - t0)) 'BEGIN { printf "site made in %.0f s\n", t / 1e9 }'
fi
R="$SITE/repo.git"

# ---- chancery verify: a first run (empty cache), then a second ----
# Each run prints "wall-ns cpu-seconds" (user + system, all threads).
run_verify() { # out-file args...
	local out=$1 t0 t1 rc
	shift
	t0=$(now)
	{ time "$CH" verify "$SITE" --json "$@" >"$out" 2>"$out.err"; } 2>"$out.time"
	rc=$?
	t1=$(now)
	if [ "$rc" -ne 0 ] || ! jq -e .ok "$out" >/dev/null 2>&1; then
		jq -r '.findings[:5][] | "  \(.rule) \(.ref) \(.commit) \(.message)"' "$out" >&2
		cat "$out.err" >&2
		die "chancery verify failed on the generated site"
	fi
	echo "$((t1 - t0)) $(awk '{ print $2 + $3 }' "$out.time")"
}
gcry() { "$BB/gcry_rate" "$CORES" 2 || die "gcry_rate failed"; }
TIMEFORMAT='%R %U %S'
rm -rf "$T/vcache"
read -r _ gcry_a gcpu_a < <(gcry)
read -r ns1 cpu1 < <(run_verify "$T/first.json" --cache "$T/vcache") || exit 1
[ -n "${ns1:-}" ] || exit 1
read -r _ gcry_b gcpu_b < <(gcry)
read -r ns2 cpu2 < <(run_verify "$T/second.json" --cache "$T/vcache") || exit 1
[ -n "${ns2:-}" ] || exit 1
commits=$(jq '.policy_commits + .document_commits' "$T/first.json")
docs=$(jq '.documents' "$T/first.json")
hits=$(jq '.cache.hits' "$T/second.json")
[ "$hits" -eq "$commits" ] || echo "note: the second run took $hits of $commits from the cache"

# ---- stock git verify-commit, one process per commit, on a sample ----
git -C "$R" rev-list --all >"$T/all"
total=$(wc -l <"$T/all")
every=$(( total / SAMPLE > 0 ? total / SAMPLE : 1 ))
awk -v e="$every" 'NR % e == 0' "$T/all" | head -n "$SAMPLE" >"$T/sample"
n=$(wc -l <"$T/sample")
git_loop() {
	while read -r c; do
		GNUPGHOME="$AUDITOR" git -C "$R" verify-commit "$c" 2>/dev/null ||
			die "git verify-commit failed on $c"
	done <"$T/sample"
}
t0=$(now)
{ time git_loop; } 2>"$T/git.time" || exit 1
t1=$(now)
nsgit=$((t1 - t0))
cpugit=$(awk '{ print $2 + $3 }' "$T/git.time")
gpgconf --homedir "$AUDITOR" --kill gpg-agent 2>/dev/null

# libgcrypt's rate is sampled just before and just after the first run, and
# averaged: on a shared machine the cores it gets change by the minute.
awk -v c="$commits" -v d="$docs" -v n1="$ns1" -v n2="$ns2" -v n="$n" -v ng="$nsgit" \
    -v ga="$gcry_a" -v gb="$gcry_b" -v gca="$gcpu_a" -v gcb="$gcpu_b" -v th="$CORES" \
    -v cpu1="$cpu1" -v cpu2="$cpu2" -v cpug="$cpugit" 'BEGIN {
	r1 = c / (n1 / 1e9); r2 = c / (n2 / 1e9); rg = n / (ng / 1e9)
	g = (ga + gb) / 2; gcpu = (gca + gcb) / 2; c1 = cpu1 * 1e6 / c
	printf "site: %d documents, %d commits (policy and documents), Ed25519, packed\n", d, c
	printf "chancery verify, first run (empty cache, %d threads): %8.0f commits/s (%.2f s; %.0f us CPU a commit)\n", th, r1, n1 / 1e9, c1
	printf "chancery verify, second run (with the cache):        %8.0f commits/s (%.2f s; %.0f us CPU a commit)\n", r2, n2 / 1e9, cpu2 * 1e6 / c
	printf "stock git verify-commit loop (%d-commit sample):     %8.1f commits/s (%.1f ms a commit; %.0f us CPU a commit)\n", n, rg, ng / 1e6 / n, cpug * 1e6 / n
	printf "libgcrypt Ed25519 gcry_pk_verify, %d threads:         %8.0f verifies/s (%.0f and %.0f; %.0f us CPU a verify)\n", th, g, ga, gb, gcpu
	printf "first run / git:         %7.1fx (goal >= 10; in CPU time: %.1fx)\n", r1 / rg, (cpug / n) / (cpu1 / c)
	printf "first run / libgcrypt:   %7.2f  (goal >= 0.75; in CPU time, whatever the load: %.2f)\n", r1 / g, gcpu / c1
	printf "second run / git:        %7.1fx (goal >= 100; in CPU time: %.0fx)\n", r2 / rg, (cpug / n) / (cpu2 / c)
}'
