#!/usr/bin/env bash
# test_relay_forged_log.sh -- a red-team finding on site logs between
# sites (workflows/sync/logsync.c), fixed:
#   - first come, first pinned: mission-a, hostile, relays a log it forged
#     as mission-b's (stock gpg and git, a key of its own) to HQ before
#     mission-b ever sent HQ its own. HQ must not let that relay decide
#     which key is mission-b's: when mission-b itself then sends its own
#     log, HQ keeps mission-b's log (and reports the forgery), instead of
#     refusing mission-b's own log for ever as "signed by another key".
#     mission-b, shown at its join a history of itself it never wrote (the
#     relay HQ still held), reports it (exit 1) until its own log reached
#     HQ, which then replaces the forgery; the sync after is clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

hq_two_missions || finish
free_port PORT
free_port PORT2
while [ "$PORT2" = "$PORT" ]; do free_port PORT2; done
G="https://127.0.0.1:$PORT/git/hq.git"
start_srv() { # SITE-DIR PORT
	"$CHD" "$1" --cert "$TLS/server.pem" --key "$TLS/server.key" --client-ca "$CA" \
		--port "$2" >>"$T/server.out" 2>>"$T/server.log" &
	srv_pid=$!
	local i
	for i in $(seq 300); do
		curl -s --cacert "$CA" -o /dev/null "https://127.0.0.1:$2/login" && return 0
		kill -0 "$srv_pid" 2>/dev/null || { tail -5 "$T/server.log"; srv_pid=; return 1; }
		sleep 0.1
	done
	return 1
}
start_srv "$HQ" "$PORT" || { not_ok "HQ's chanceryd starts"; finish; }
MA="$T/mission-a" MB="$T/mission-b"
# shellcheck disable=SC2046
expect 0 "mission-a joins HQ" "$CH" join "$MA" --site-id mission-a --from "$G" --anchor "$INTRO" $(tlsopt mission-a)

# ---- mission-a forges a log of mission-b under a key of its own ----
FB=$(forged_log "$MA/repo.git" mission-b) || not_ok "a log forged with stock gpg and git"
git -C "$MA/repo.git" update-ref refs/chancery/peers/mission-b/log "$FB" || not_ok "the forged relay"

# ---- HQ syncs from mission-a's own server: it takes the relay ----
stop_server
start_srv "$MA" "$PORT2" || { not_ok "mission-a's chanceryd starts"; finish; }
# shellcheck disable=SC2046
"$CH" sync "$HQ" --remote "https://127.0.0.1:$PORT2/git/mission-a.git" --peer mission-a $(tlsopt hq) >"$T/out" 2>&1
sed 's/^/#   /' "$T/out" | head -5
stop_server
if [ "$(git -C "$HQ/repo.git" rev-parse -q --verify refs/chancery/peers/mission-b/log)" = "$FB" ]; then
	echo "# HQ keeps the forged relay as mission-b's log (nothing from mission-b yet)"
fi
start_srv "$HQ" "$PORT" || { not_ok "HQ's chanceryd restarts"; finish; }

# ---- mission-b joins, then sends HQ its own log ----
# shellcheck disable=SC2046
expect 1 "mission-b joins HQ, which relays a history of mission-b it never wrote: reported (exit 1)" \
	"$CH" join "$MB" --site-id mission-b --from "$G" --anchor "$INTRO" $(tlsopt mission-b)
check "  naming it as such (a log of this site, which has none)" \
	grep -q "refused log: hq shows a log of this site, which has none" "$T/out" "$T/err"
check "  the site is joined all the same (the policy taken)" git -C "$MB/repo.git" rev-parse -q --verify refs/heads/policy
# shellcheck disable=SC2046
expect 1 "mission-b's next sync reports the forged relay again (HQ still held it) and sends HQ its own log" \
	"$CH" sync "$MB" --remote "$G" --peer hq $(tlsopt mission-b)
sed 's/^/#   /' "$T/out" | head -5
own_b=$(git -C "$MB/repo.git" rev-parse refs/chancery/log)
check "HQ keeps mission-b's own log, not the log mission-a relayed as mission-b's first" \
	test "$(git -C "$HQ/repo.git" rev-parse -q --verify refs/chancery/peers/mission-b/log)" = "$own_b"
check "  and its security log names the forged relay" grep -q 'under another key than the site' "$HQ/state/security.log"
# shellcheck disable=SC2046
expect 0 "a further sync of mission-b is clean (HQ relays mission-b's own log now)" \
	"$CH" sync "$MB" --remote "$G" --peer hq $(tlsopt mission-b)
stop_server
finish
