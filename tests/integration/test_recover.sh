#!/usr/bin/env bash
# test_recover.sh -- `chancery recover SITE` (issue 8): after a crash it
# removes what a killed writer left (a stale <ref>.lock, temporary objects,
# NAME.tmp.PID files of dead processes), naming each, then checks the
# repository; it never touches what a live writer holds: a writer caught
# mid-write (CHANCERY_FAILPOINT_HOLD, ref locked, the site's write lock held
# shared) makes it refuse, or wait with --wait, and that writer's step is
# then recorded. Writers hold the write lock shared, so they do not wait
# for one another; a writer waits while recovery holds it. chanceryd runs
# the same recovery at start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

make_site nguyen.van.a:drafter || { not_ok "site"; finish; }
R="$S/repo.git"
D=$("$CH" doc create "$S" --as nguyen.van.a --title "Thử khôi phục" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)") ||
	{ not_ok "create"; finish; }
act() { # comment -> exit code; commit in $T/out
	"$CH" doc act "$S" "$D" --as nguyen.van.a --action comment --comment "$1" \
		--passphrase-file "$(pass nguyen.van.a)" >"$T/out" 2>"$T/err"
}
check "a first step" act first
check "a writer made the site's write lock" test -f "$S/state/write.lock"

# ---- what a dead writer leaves, planted as a SIGKILL leaves it ----
dead=4194303 # above any pid_max: no such process
while kill -0 "$dead" 2>/dev/null; do dead=$((dead - 1)); done
plant() {
	: >"$R/refs/docs/$D.lock"
	: >"$R/packed-refs.lock"
	mkdir -p "$R/objects/ab" "$R/objects/pack"
	: >"$R/objects/tmp_object_git2_Xy12Ab"
	: >"$R/objects/ab/tmp_obj_Q1w2e3"
	: >"$R/objects/pack/tmp_pack_Zz9"
	: >"$S/state/accounts.json.tmp.$dead"
	: >"$S/site.json.tmp.$dead"
}
plant
: >"$S/state/accounts.json.tmp.$$" # a live process's (this shell)
expect 3 "the stale lock blocks the document: a conflict" act blocked
err_has "chancery recover" "  and the message names chancery recover"

# ---- a writer mid-write: recover refuses, touches nothing ----
rm -f "$R/refs/docs/$D.lock"
go="$T/go"
CHANCERY_FAILPOINT_HOLD="$go" "$CH" doc act "$S" "$D" --as nguyen.van.a --action comment \
	--comment held --passphrase-file "$(pass nguyen.van.a)" >"$T/held.out" 2>"$T/held.err" &
held=$!
for _ in $(seq 600); do [ -f "$R/refs/docs/$D.lock" ] && break; sleep 0.05; done
check "the held writer has the ref locked" test -f "$R/refs/docs/$D.lock"
expect 3 "recover refuses while a writer is mid-write (exit 3)" "$CH" recover "$S"
err_has "write is in progress" "  saying a write is in progress"
check "  and removed nothing: the live ref lock is there" test -f "$R/refs/docs/$D.lock"
check "  nor the planted leftovers" test -f "$R/objects/tmp_object_git2_Xy12Ab"
t0=$(date +%s%N)
expect 3 "recover --wait 1 still refuses after a second" "$CH" recover "$S" --wait 1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "  having waited ($ms ms)" test "$ms" -ge 900
# another writer goes on beside the held one (shared: no waiting on each
# other); its own document, since the held one has D's ref locked
t0=$(date +%s%N)
D2=$("$CH" doc create "$S" --as nguyen.van.a --title "Bên cạnh" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)")
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a second writer is not held up by the first ($ms ms)" test "$rc" -eq 0 -a "$ms" -lt 20000
# recover --wait, released during the wait: it then runs
( sleep 1; touch "$go" ) &
expect 0 "recover --wait 20 waits for the writer to finish, then runs" "$CH" recover "$S" --wait 20
wait "$held"; rc=$?
check "the held writer's step was recorded (exit $rc)" test "$rc" -eq 0
c=$(cat "$T/held.out")
check "  and is in the chain" git -C "$R" merge-base --is-ancestor "$c" "refs/docs/$D"
for f in "repo.git/packed-refs.lock (a stale git lock)" \
	"repo.git/objects/tmp_object_git2_Xy12Ab (a temporary object or pack)" \
	"repo.git/objects/ab/tmp_obj_Q1w2e3 (a temporary object or pack)" \
	"repo.git/objects/pack/tmp_pack_Zz9 (a temporary object or pack)" \
	"state/accounts.json.tmp.$dead (a temporary file of a process that is gone)" \
	"site.json.tmp.$dead (a temporary file of a process that is gone)"; do
	check "recover names what it removed: ${f%% *}" grep -qxF "recover: removed $f" "$T/out"
	check "  and it is gone" test ! -e "$S/${f%% *}"
done
check "recover keeps a live process's temporary file" grep -qF "kept state/accounts.json.tmp.$$" "$T/out"
check "  (still there)" test -f "$S/state/accounts.json.tmp.$$"
check "recover ran the check: verify's report" grep -q "documents" "$T/out"
rm -f "$S/state/accounts.json.tmp.$$"

# ---- the stale ref lock itself ----
: >"$R/refs/docs/$D.lock"
expect 0 "recover removes a stale ref lock" "$CH" recover "$S"
check "  naming it" grep -qxF "recover: removed repo.git/refs/docs/$D.lock (a stale ref lock)" "$T/out"
check "the document takes steps again" act after
expect 0 "recover on a clean site: nothing to remove, check passes" "$CH" recover "$S"
check "  and says so" grep -qxF "recover: nothing left behind by a dead writer" "$T/out"

# ---- a writer waits while recovery holds the lock ----
# (the lock is held until released, not for a fixed time: the writer starts
# once the lock is taken and the release comes 1.5 s after it starts, so a
# slow or loaded machine changes neither)
held_lock="$T/lock.held" release="$T/lock.release"
flock -x "$S/state/write.lock" sh -c "touch '$held_lock'; while [ ! -e '$release' ]; do sleep 0.05; done" &
locker=$!
for _ in $(seq 600); do [ -e "$held_lock" ] && break; sleep 0.05; done
t0=$(date +%s%N)
( sleep 1.5; touch "$release" ) &
act "while-recovering"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
released=no; [ -e "$release" ] && released=yes
touch "$release"; wait "$locker"
check "a writer waits for a recovery to end, then records ($ms ms, exit $rc, after the release: $released)" \
	test "$rc" -eq 0 -a "$ms" -ge 1000 -a "$released" = yes

# ---- a stale lock found by a real SIGKILL mid-write ----
rm -f "$go"
CHANCERY_FAILPOINT_HOLD="$go" "$CH" doc act "$S" "$D" --as nguyen.van.a --action comment \
	--comment killed --passphrase-file "$(pass nguyen.van.a)" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 600); do [ -f "$R/refs/docs/$D.lock" ] && break; sleep 0.05; done
kill -KILL "$victim"; wait "$victim" 2>/dev/null
check "SIGKILL mid-write left the ref lock" test -f "$R/refs/docs/$D.lock"
expect 0 "recover after the SIGKILL" "$CH" recover "$S"
check "  removed the dead writer's lock" grep -qxF "recover: removed repo.git/refs/docs/$D.lock (a stale ref lock)" "$T/out"
check "  git fsck --strict is clean" git -C "$R" fsck --strict --no-dangling --no-progress
check "the document takes steps again" act after-kill

# ---- chanceryd recovers at start ----
: >"$R/refs/docs/$D.lock"
: >"$R/objects/tmp_object_git2_Srv123"
if check "the server starts with a stale lock" start_server; then
	check "  its start removed the stale ref lock" test ! -e "$R/refs/docs/$D.lock"
	check "  and said so" grep -qF "recovery: removed repo.git/refs/docs/$D.lock (a stale ref lock)" "$T/server.log"
	check "  and the temporary object" test ! -e "$R/objects/tmp_object_git2_Srv123"
	tok=$(curl_s -H 'Content-Type: application/json' "$URL/api/v1/session" \
		-d "{\"id\":\"nguyen.van.a\",\"password\":\"$(cat "$T/pass/nguyen.van.a.login")\"}" | jq -r .token)
	head=$(curl_s -H "Authorization: Bearer $tok" "$URL/api/v1/docs/$D" | jq -r .head)
	jq -n --arg p "$(cat "$(pass nguyen.van.a)")" --arg h "$head" \
		'{action:"comment", comment:"via API", head:$h, passphrase:$p}' >"$T/body.json"
	code=$(curl_s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' --data-binary @"$T/body.json" "$URL/api/v1/docs/$D/act")
	check "  and the document takes a step through the API ($code)" test "$code" = 200
	# beside the running server (it holds no lock between writes)
	: >"$R/refs/docs/$D2.lock"
	expect 0 "recover beside the running server" "$CH" recover "$S"
	check "  removed the stale lock" test ! -e "$R/refs/docs/$D2.lock"
	stop_server
fi
# ---- a writer killed after its objects are durable, before its ref moves ----
before=$(git -C "$R" rev-parse "refs/docs/$D")
CHANCERY_FAILPOINT_CRASH=after-object "$CH" doc act "$S" "$D" --as nguyen.van.a --action comment \
	--comment "killed" --passphrase-file "$(pass nguyen.van.a)" >"$T/killed.out" 2>"$T/killed.err"
rc=$?
check "the writer was killed after writing its commit (exit $rc)" test "$rc" -eq 137
check "  its ref did not move" test "$(git -C "$R" rev-parse "refs/docs/$D")" = "$before"
check "  and is left locked, as a crash leaves it" test -e "$R/refs/docs/$D.lock"
check "  its unreferenced commit is whole (fsck --strict)" git -C "$R" fsck --strict --no-dangling
expect 0 "recover removes the dead writer's lock" "$CH" recover "$S"
check "  the lock is gone" test ! -e "$R/refs/docs/$D.lock"
check "the document takes the step again" act "after the kill"
check "  on top of the old head (nothing lost, nothing doubled)" \
	test "$(git -C "$R" rev-parse "refs/docs/$D^")" = "$before"
finish
