#!/usr/bin/env bash
# bench_sitelog_sync.sh -- the site log's cost per sync round (issue 19,
# workflows/sync/logsync.h): HQ and one mission over TLS on loopback.
# ROUNDS (10) rounds; in each, HQ records one new document for the mission
# (created and submitted: two steps, two entries of HQ's log) with its
# server stopped, then the mission runs `chancery sync` (timed), and then a
# second sync with nothing new (timed: the log exchange alone, as the
# countersignatures settle).
#
# Per round: wall time of each sync; the bytes of log objects the mission
# took (`site logs: N bytes` on the sync's output); the bytes chanceryd
# sent in all its answers to that sync (its own log: "N bytes" per answer,
# advertisements, negotiation and packs, both ways' reports); and the
# share of the log in what was sent. A sync with and without the log
# cannot be timed apart in one build: the second sync (nothing new but
# the logs) is the upper bound of the log exchange's time.
# Environment: BENCH_SITELOG_ROUNDS.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/server_lib.sh"

ROUNDS=${BENCH_SITELOG_ROUNDS:-10}
TLS="$T/tls"
CA="$TLS/ca.pem"
"$top/scripts/tls-demo.sh" "$TLS" hq mission-a >/dev/null || { echo "bench: certificates" >&2; exit 1; }
fpr() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }
make_site nguyen.van.a:drafter tran.thi.b:head || { echo "bench: site" >&2; exit 1; }
HQ=$S
for s in hq mission-a; do
	"$CH" site set "$HQ" "$s" --units "$s" --tls-fingerprint "$(fpr "$TLS/$s.pem")" \
		--as admin.a --passphrase-file "$(pass admin.a)" >/dev/null || exit 1
done
PORT=$((20000 + RANDOM % 20000))
G="https://127.0.0.1:$PORT/git/hq.git"
pid=
start_hq() {
	"$CHD" "$HQ" --cert "$TLS/server.pem" --key "$TLS/server.key" --client-ca "$CA" --port "$PORT" \
		>>"$T/hq.out" 2>>"$T/hq.log" &
	pid=$!
	for i in $(seq 100); do
		curl -s --cacert "$CA" -o /dev/null "https://127.0.0.1:$PORT/login" && return 0
		sleep 0.1
	done
	return 1
}
stop_hq() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
trap 'stop_hq; cleanup' EXIT
start_hq || { echo "bench: chanceryd" >&2; exit 1; }
MA="$T/mission-a"
TO=(--cert "$TLS/mission-a.pem" --key "$TLS/mission-a.key" --ca "$CA")
INTRO=$(git -C "$HQ/repo.git" rev-list --max-parents=0 refs/heads/policy)
"$CH" join "$MA" --site-id mission-a --from "$G" --anchor "$INTRO" "${TO[@]}" >/dev/null 2>&1 ||
	{ echo "bench: join" >&2; exit 1; }
sent() { awk '/sync peer=mission-a [0-9]+ bytes/ { for (i = 1; i <= NF; i++) if ($i == "bytes") s += $(i - 1) } END { print s + 0 }' "$T/hq.log"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
one_sync() { # -> "ms logbytes sentbytes"
	local b0 t0 t
	b0=$(sent)
	t0=$(date +%s%N)
	"$CH" sync "$MA" --remote "$G" "${TO[@]}" >"$T/out" 2>"$T/err" || { cat "$T/out" "$T/err" >&2; return 1; }
	t=$(ms "$t0")
	echo "$t $(sed -n 's/^site logs: \([0-9]*\) bytes.*/\1/p' "$T/out" | head -1) $(( $(sent) - b0 ))"
}
printf '%-6s %10s %10s %12s %7s | %10s %10s %12s\n' round "sync ms" "log B" "sent B" "log %" \
	"idle ms" "log B" "sent B"
tl=0 tb=0 ts=0 il=0
for r in $(seq "$ROUNDS"); do
	stop_hq
	D=$("$CH" doc create "$HQ" --as nguyen.van.a --title "Vòng $r" --type cong-van \
		--file "$CORPUS/bao-gia-lai-tin-292.txt" --to mission-a --passphrase-file "$(pass nguyen.van.a)") &&
		"$CH" doc act "$HQ" "$D" --as nguyen.van.a --action submit --passphrase-file "$(pass nguyen.van.a)" >/dev/null ||
		{ echo "bench: document $r" >&2; exit 1; }
	start_hq || exit 1
	read -r t lb sb < <(one_sync) || exit 1
	read -r ti lbi sbi < <(one_sync) || exit 1
	lb=${lb:-0} lbi=${lbi:-0}
	printf '%-6s %10s %10s %12s %6s%% | %10s %10s %12s\n' "$r" "$t" "$lb" "$sb" \
		"$(( sb > 0 ? 100 * lb / sb : 0 ))" "$ti" "$lbi" "$sbi"
	tl=$((tl + lb)) tb=$((tb + sb)) ts=$((ts + t)) il=$((il + lbi))
done
echo "# $ROUNDS rounds: log objects taken $((tl / ROUNDS)) B a round (plus $((il / ROUNDS)) B in the settling sync)," \
	"of $((tb / ROUNDS)) B sent ($(( tb > 0 ? 100 * tl / tb : 0 ))%); a sync round took $((ts / ROUNDS)) ms on average"
echo "# HQ's log: $(git -C "$HQ/repo.git" rev-list --count refs/chancery/log) entries," \
	"mission-a's: $(git -C "$MA/repo.git" rev-list --count refs/chancery/log)"
