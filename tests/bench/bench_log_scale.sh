#!/usr/bin/env bash
# bench_log_scale.sh -- a long site log at sync and at verification
# (docs/benchmarks.md "A long site log"). Headquarters' log gets an entry
# per accepted update: after a year, tens of thousands; every mission
# takes it at every sync. CH_BENCH_LOG_N entries (2000) of one document
# update each are appended in process (bench_log_scale.c: each signed by
# the site key through gpg-agent, which bounds the build at a few ms an
# entry; no fsync), then in one run:
#   (a) ch_log_load of the whole log, in process (R2-R4, every entry's
#       signature verified by crypto/pgp.c), and ch_log_read (shape only);
#   (b) stock git verifying the same commits: `git log --show-signature`
#       over the chain (git runs gpg once per commit), with the site key
#       imported into a fresh GnuPG home; every signature must be good;
#       the ratio chancery/git;
#   (c) a mission taking the log (ch_logsync_take, no countersignature)
#       when it extends the head kept there by k = 1 and 10 entries:
#       "whole" with no head kept (every signature checked: what every
#       sync cost before the incremental check, and still a first
#       contact's cost) and "incr" with the head k entries back kept.
# Environment: CH_BENCH_LOG_N, CH_BENCH_LOG_REPS (3).
. "$(dirname "$0")/../integration/lib.sh"
REL=${REL:-${BUILD%-test}}
CH="$REL/chancery"
TOOL="$REL/tests/bench_log_scale"
N=${CH_BENCH_LOG_N:-2000}
REPS=${CH_BENCH_LOG_REPS:-3}
[ -x "$TOOL" ] || { echo "bench_log_scale: build $TOOL first (make)"; exit 1; }

HQ="$T/hq" MA="$T/mission-a"
"$CH" init "$HQ" --site-id hq --admin admin.a --name "Admin" --passphrase-file "$(pass admin.a)" >/dev/null &&
"$CH" init "$MA" --site-id mission-a --admin admin.b --name "Admin" --passphrase-file "$(pass admin.b)" >/dev/null &&
"$CH" site set "$MA" hq --units hq --as admin.b --passphrase-file "$(pass admin.b)" >/dev/null ||
	{ echo "bench_log_scale: sites"; exit 1; }

stats() { sort -n | awk '{a[NR]=$1} END {
	m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2
	printf "%.3f %.3f %.3f", a[1]/1e6, m/1e6, a[NR]/1e6 }'; }
pick() { sed -n "s/^$1 //p" "$2"; }

"$TOOL" build "$HQ" "$N" >"$T/build" || { echo "bench_log_scale: build failed"; exit 1; }
bns=$(pick build "$T/build" | cut -d' ' -f1)
entries=$(git -C "$HQ/repo.git" rev-list --count refs/chancery/log)
printf 'log of %d entries built in %.1f s (%.2f ms an entry: the site key through gpg-agent)\n' \
	"$entries" "$(echo "$bns" | awk '{print $1/1e9}')" "$(echo "$bns $N" | awk '{print $1/$2/1e6}')"

# (a) and (b), alternating so that the machine's load falls on both alike
G="$T/git-gnupg"; mkdir -m 700 "$G"
git -C "$HQ/repo.git" show refs/chancery/log:site.asc | GNUPGHOME="$G" gpg --batch --quiet --import 2>/dev/null
: >"$T/ch"; : >"$T/git"
for r in $(seq "$REPS"); do
	"$TOOL" load "$HQ" 1 >>"$T/ch" || { echo "bench_log_scale: load failed"; exit 1; }
	t0=${EPOCHREALTIME/./}
	good=$(GNUPGHOME="$G" git -C "$HQ/repo.git" log --show-signature --format=%H refs/chancery/log 2>&1 |
		grep -c '^gpg: Good signature')
	t1=${EPOCHREALTIME/./}
	[ "$good" = "$entries" ] || { echo "bench_log_scale: git found $good good signatures of $entries"; exit 1; }
	echo "$(( (t1 - t0) * 1000 ))" >>"$T/git"
done
read -r l_min l_med l_max < <(pick load "$T/ch" | stats)
read -r r_min r_med r_max < <(pick read "$T/ch" | stats)
read -r g_min g_med g_max < <(stats <"$T/git")
echo "verifying the whole log of $entries entries, $REPS runs; ms min / median / max:"
printf '  chancery ch_log_load (in process, R2-R4):      %10s %10s %10s\n' "$l_min" "$l_med" "$l_max"
printf '  chancery ch_log_read (shape only, no R3):      %10s %10s %10s\n' "$r_min" "$r_med" "$r_max"
printf '  stock git log --show-signature (gpg each):     %10s %10s %10s\n' "$g_min" "$g_med" "$g_max"
awk -v c="$l_med" -v g="$g_med" -v n="$entries" 'BEGIN {
	printf "ratio chancery/git (medians): %.3f; per entry: chancery %.3f ms, git %.3f ms\n", c/g, c/n, g/n }'

# (c) a mission taking the log, k entries past the head it keeps
for k in 1 10; do
	"$TOOL" take "$MA" "$HQ/repo.git" hq "$k" "$REPS" >"$T/take" ||
		{ echo "bench_log_scale: take failed"; exit 1; }
	read -r w_min w_med w_max < <(pick whole "$T/take" | stats)
	read -r i_min i_med i_max < <(pick incr "$T/take" | stats)
	echo "a sync taking hq's log of $entries entries, $k new; ms min / median / max:"
	printf '  whole (no head kept: every signature, as before): %10s %10s %10s\n' "$w_min" "$w_med" "$w_max"
	printf '  incremental (head %2d back kept):                  %10s %10s %10s\n' "$k" "$i_min" "$i_med" "$i_max"
	awk -v w="$w_med" -v i="$i_med" 'BEGIN { printf "  speed-up (medians): %.1fx\n", w/i }'
done
