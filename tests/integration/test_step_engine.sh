#!/usr/bin/env bash
# test_step_engine.sh -- the resident step engine (cli/step_engine.c): started on
# demand by `chancery doc act`, one per site (flock), gone after its idle
# time or when its socket is removed, a stale socket replaced, the same
# results and the same error messages as the in-process path, writes made
# by others seen, a peer of another uid refused, the passphrase not kept in
# its memory, and a crash of the engine mid-request leaving nothing half
# written (the step is then done, or reported, by the command line).
. "$(dirname "$0")/lib.sh"

S="$T/site"
R="$S/repo.git"
"$CH" init "$S" --site-id hq --admin admin.a --name "Admin" --passphrase-file "$(pass admin.a)" >/dev/null
for p in nguyen.van.a:drafter tran.thi.b:head le.van.c:deputy pham.thi.d:deputy vu.van.f:minister do.thi.g:clerk; do
	"$CH" person add "$S" "${p%%:*}" --name "${p%%:*}" --roles "${p#*:}" --as admin.a \
		--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass "${p%%:*}")" >/dev/null
done
DOCFILE="$CORPUS/chinh-phu-tin-292.txt"
new_doc() { "$CH" doc create "$S" --as nguyen.van.a --title "Thử nghiệm" --type cong-van \
	--file "$DOCFILE" --passphrase-file "$(pass nguyen.van.a)"; }
# act DOC WHO ACTION [extra]: through the engine, the path it took in $T/path
act() {
	local doc=$1 who=$2 action=$3; shift 3
	CHANCERY_ENGINE_TRACE=1 "$CH" doc act "$S" "$doc" --as "$who" --action "$action" \
		--passphrase-file "$(pass "$who")" "$@" 2>"$T/trace.err"; local rc=$?
	grep '^chancery: step ' "$T/trace.err" >"$T/path"
	grep -v '^chancery: step ' "$T/trace.err" >&2
	return $rc
}
inproc() {
	local doc=$1 who=$2 action=$3; shift 3
	CHANCERY_ENGINE=off "$CH" doc act "$S" "$doc" --as "$who" --action "$action" \
		--passphrase-file "$(pass "$who")" "$@"
}
engine_pid() { "$CH" engine status "$S" 2>/dev/null | sed -n 's/.*(pid \([0-9]*\)).*/\1/p'; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
wait_gone() { local i; for i in $(seq 50); do alive "$1" || return 0; sleep 0.1; done; return 1; }

# ---- started on demand ----
expect 1 "no engine runs before the first step" "$CH" engine status "$S"
A=$(new_doc); B=$(new_doc)
expect 0 "a step starts the engine and is done by it" act "$A" nguyen.van.a submit
check "the command line says the engine did it" grep -q 'done by the engine' "$T/path"
check "it prints the commit now at the head" test "$(cat "$T/out")" = "$(git -C "$R" rev-parse "refs/docs/$A")"
pid=$(engine_pid)
check "the engine runs ($pid)" alive "$pid"
check "its directory is 0700 and its socket 0600" \
	bash -c "[ \"\$(stat -c %a '$S/state/engine')\" = 700 ] && [ \"\$(stat -c %a '$S/state/engine/engine.sock')\" = 600 ]"
check "it is a session of its own, not a child in the caller's group" \
	test "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid"

# ---- the same results as in process ----
expect 0 "the same step in process" inproc "$B" nguyen.van.a submit
for st in tran.thi.b:approve le.van.c:approve pham.thi.d:approve vu.van.f:sign do.thi.g:publish; do
	act "$A" "${st%%:*}" "${st#*:}" --comment "ý kiến ${st%%:*}" >/dev/null
	inproc "$B" "${st%%:*}" "${st#*:}" --comment "ý kiến ${st%%:*}" >/dev/null
done
# Commit messages (subject, comment, trailers) and trees, step by step;
# only the document ids differ.
chain() { git -C "$R" log --reverse --format='%T%n%B' "refs/docs/$1" | sed "s/$1/DOC/g"; }
check "both chains have seven steps" test "$(git -C "$R" rev-list --count "refs/docs/$A")" = 7 -a \
	"$(git -C "$R" rev-list --count "refs/docs/$B")" = 7
check "the engine's chain equals the in-process chain (trees, messages, trailers)" \
	test "$(chain "$A")" = "$(chain "$B")"
check "every step of the engine was done by the engine" grep -q 'done by the engine' "$T/path"
check "and by the same engine ($pid)" test "$(engine_pid)" = "$pid"

# Refusals: the same exit code and the same words either way.
C=$(new_doc)
same_error() { # desc, then the arguments after "doc act SITE"
	local desc=$1 rc1 rc2; shift
	before=$(repo_state "$S")
	CHANCERY_ENGINE_TRACE=1 "$CH" doc act "$S" "$@" >/dev/null 2>"$T/e1"; rc1=$?
	CHANCERY_ENGINE=off "$CH" doc act "$S" "$@" >/dev/null 2>"$T/e2"; rc2=$?
	after=$(repo_state "$S")
	grep -v '^chancery: step ' "$T/e1" >"$T/e1.msg"
	if [ "$rc1" = "$rc2" ] && [ "$rc1" -ne 0 ] && cmp -s "$T/e1.msg" "$T/e2" && [ "$before" = "$after" ] &&
		grep -q 'done by the engine' "$T/e1"; then
		ok "$desc: exit $rc1 and the same message through the engine, nothing recorded"
	else
		not_ok "$desc: engine exit $rc1, in process $rc2"; sed 's/^/#   /' "$T/e1" "$T/e2" | head -6
	fi
}
same_error "wrong passphrase" "$C" --as nguyen.van.a --action submit --passphrase-file "$(pass tran.thi.b)"
same_error "no role for the action" "$C" --as le.van.c --action submit --passphrase-file "$(pass le.van.c)"
same_error "action not allowed in the state" "$C" --as tran.thi.b --action sign --passphrase-file "$(pass tran.thi.b)"
same_error "unknown action" "$C" --as nguyen.van.a --action frobnicate --passphrase-file "$(pass nguyen.van.a)"
same_error "unknown person" "$C" --as ghost.person --action submit --passphrase-file "$(pass nguyen.van.a)"
same_error "action after publication" "$A" --as do.thi.g --action publish --passphrase-file "$(pass do.thi.g)"
printf 'bad \377 comment' >"$T/badc"
same_error "a comment that is not UTF-8" "$C" --as nguyen.van.a --action comment \
	--comment "$(cat "$T/badc")" --passphrase-file "$(pass nguyen.van.a)"
touch "$R/refs/docs/$C.lock"
same_error "a locked ref (conflict)" "$C" --as nguyen.van.a --action submit --passphrase-file "$(pass nguyen.van.a)"
rm -f "$R/refs/docs/$C.lock"
head -c 17000 /dev/zero | tr '\0' 'a' >"$T/longc"
expect 1 "a comment too long for the engine's request is refused in process" \
	act "$C" nguyen.van.a comment --comment "$(cat "$T/longc")"
err_has "at most 16384 bytes" "in its own words"
expect 1 "no such document: refused (in process, the same words)" act no-such-doc nguyen.van.a submit
err_has "no document 'no-such-doc'" "it names the document"

# ---- writes made by others are seen ----
expect 0 "a step in process beside the engine" inproc "$C" nguyen.van.a submit
expect 0 "the engine's next step builds on it" act "$C" tran.thi.b return --comment "sửa lại"
check "the chain holds create, submit, return" test "$(git -C "$R" rev-list --count "refs/docs/$C")" = 3
"$CH" person add "$S" bui.van.h --name "Bùi Văn H" --roles head --as admin.a \
	--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass bui.van.h)" >/dev/null
expect 0 "the engine knows a person added after it started (policy and site.json re-read)" \
	act "$C" nguyen.van.a submit
expect 0 "who then acts through it" act "$C" bui.van.h approve
check "still the same engine" test "$(engine_pid)" = "$pid"

# ---- the passphrase is not kept in the engine's memory ----
cat >"$T/memscan.py" <<'PY'
import re, sys
pid, needle = int(sys.argv[1]), sys.argv[2].encode()
hits = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        if not m or m.group(3)[0] != "r" or "[vvar]" in line or "[vsyscall]" in line:
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        if end - start > (1 << 30):
            continue  # a sanitizer's shadow memory, not data
        tail = b""
        for off in range(start, end, 1 << 20):
            try:
                mem.seek(off)
                chunk = tail + mem.read(min(1 << 20, end - off))
            except OSError:
                tail = b""
                continue
            hits += chunk.count(needle)
            tail = chunk[-(len(needle) - 1):]
print(hits)
PY
pp=$(head -1 "$(pass bui.van.h)")
hits=$(/usr/bin/python3 "$T/memscan.py" "$pid" "$pp" 2>&1)
check "no copy of the last passphrase in the engine's memory ($hits)" test "$hits" = 0
check "the scan can find what is there: the site path ($(/usr/bin/python3 "$T/memscan.py" "$pid" "$S"))" \
	test "$(/usr/bin/python3 "$T/memscan.py" "$pid" "$S")" -ge 1

# ---- only its owner may talk to it ----
cat >"$T/peer.py" <<'PY'
import socket, struct, sys
def f(tag, s): s = s.encode(); return bytes([tag]) + struct.pack(">I", len(s)) + s
body = f(1, sys.argv[2]) + f(2, "comment") + f(3, "tran.thi.b") + f(6, "x") + f(5, "from nobody") + b"\0"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b"CHE1" + struct.pack(">I", len(body)) + body)
data = b""
while True:
    d = s.recv(4096)
    if not d: break
    data += d
code, n = struct.unpack(">iI", data[4:12])
print(code, data[12:12 + n].decode())
PY
chmod 711 "$T" "$S" "$S/state" "$S/state/engine"; chmod 666 "$S/state/engine/engine.sock"; chmod 644 "$T/peer.py"
before=$(repo_state "$S")
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$T/peer.py" \
	"$S/state/engine/engine.sock" "$C" >"$T/peer.out" 2>&1
chmod 700 "$T" "$S/state/engine" "$S/state" "$S"; chmod 600 "$S/state/engine/engine.sock"
check "a peer of another uid is refused ($(cat "$T/peer.out"))" grep -q '^-5 .*serves its owner only' "$T/peer.out"
check "and nothing is recorded" test "$before" = "$(repo_state "$S")"
chmod 755 "$S/state/engine"
expect 0 "with SITE/state/engine not 0700 the command line trusts no engine and acts in process" \
	act "$C" bui.van.h comment --comment "vẫn được"
check "it says so" grep -q 'done in process' "$T/path"
chmod 700 "$S/state/engine"

# ---- one engine a site; a stale socket is replaced ----
"$CH" engine run "$S" >/dev/null 2>&1 &
second=$!
wait "$second"; rc=$?
check "a second engine exits at once (exit $rc) and the first still serves" \
	test "$rc" = 0 -a "$(engine_pid)" = "$pid"
kill -KILL "$pid"
wait_gone "$pid"
check "a killed engine leaves its socket behind" test -S "$S/state/engine/engine.sock"
D=$(new_doc)
expect 0 "the next step replaces the stale socket with a new engine" act "$D" nguyen.van.a submit
check "done by the new engine" grep -q 'done by the engine' "$T/path"
pid2=$(engine_pid)
check "a new pid ($pid2)" test -n "$pid2" -a "$pid2" != "$pid"

# ---- racing clients starting engines: one engine, one step ----
"$CH" engine stop "$S" >/dev/null
wait_gone "$pid2"
go="$T/go"; pids=()
for i in 1 2 3 4 5 6; do
	CHANCERY_FAILPOINT_WAIT="$go" "$CH" doc act "$S" "$D" --as tran.thi.b --action approve \
		--passphrase-file "$(pass tran.thi.b)" >/dev/null 2>"$T/race.$i.err" &
	pids+=($!)
done
sleep 0.5; touch "$go"
wins=0 conflicts=0
for p in "${pids[@]}"; do wait "$p"; case $? in 0) wins=$((wins + 1)) ;; 3) conflicts=$((conflicts + 1)) ;; esac; done
check "six clients racing with no engine: one step ($wins), five conflicts ($conflicts)" \
	test "$wins" = 1 -a "$conflicts" = 5
check "one engine runs" test "$(pgrep -fc "chancery engine run $S\$")" = 1

# ---- a crash of the engine mid-request ----
"$CH" engine stop "$S" >/dev/null
E=$(new_doc)
head0=$(git -C "$R" rev-parse "refs/docs/$E")
CHANCERY_ENGINE_CRASH=after-object CHANCERY_ENGINE_TRACE=1 "$CH" doc act "$S" "$E" --as nguyen.van.a \
	--action submit --passphrase-file "$(pass nguyen.van.a)" >"$T/out" 2>"$T/err"; rc=$?
check "engine killed after writing the commit, before the ref: the client says the engine was lost" \
	grep -q 'lost by the engine' "$T/err"
check "the ref did not move ($rc: $(grep -v '^chancery: step' "$T/err" | head -1))" \
	test "$(git -C "$R" rev-parse "refs/docs/$E")" = "$head0"
check "the dead engine's ref lock is left, as by any crash while it is held: a conflict (exit 3)" \
	test "$rc" = 3 -a -f "$R/refs/docs/$E.lock"
check "git fsck --strict is clean" bash -c "git -C '$R' fsck --strict --no-dangling --no-progress 2>&1"
expect 0 "chancery verify passes" "$CH" verify "$S"
rm -f "$R/refs/docs/$E.lock" # the operator's recovery (test_crash.sh)
expect 0 "after the lock is removed the step is recorded once" act "$E" nguyen.van.a submit
check "create and submit" test "$(git -C "$R" rev-list --count "refs/docs/$E")" = 2

"$CH" engine stop "$S" >/dev/null
head1=$(git -C "$R" rev-parse "refs/docs/$E")
CHANCERY_ENGINE_CRASH=before-answer CHANCERY_ENGINE_TRACE=1 "$CH" doc act "$S" "$E" --as tran.thi.b \
	--action approve --passphrase-file "$(pass tran.thi.b)" >"$T/out" 2>"$T/err"; rc=$?
check "engine killed after moving the ref, before answering: the client says the engine was lost" \
	grep -q 'lost by the engine' "$T/err"
check "the step is reported done (exit $rc) with the commit the engine recorded" \
	test "$rc" = 0 -a "$(cat "$T/out")" = "$(git -C "$R" rev-parse "refs/docs/$E")"
check "recorded exactly once, on the head the client read" \
	test "$(git -C "$R" rev-list --count "refs/docs/$E")" = 3 -a \
	"$(git -C "$R" rev-parse "refs/docs/$E^")" = "$head1"
check "git fsck --strict is clean" bash -c "git -C '$R' fsck --strict --no-dangling --no-progress 2>&1"

# ---- idle exit, and gone with its site ----
"$CH" engine stop "$S" >/dev/null
CHANCERY_ENGINE_IDLE=2 act "$E" le.van.c approve >/dev/null
pid3=$(engine_pid)
check "an engine started with a 2 s idle time runs ($pid3)" alive "$pid3"
sleep 4
check "and has exited after 2 s without a request" bash -c "! kill -0 '$pid3' 2>/dev/null"
check "its socket is gone with it" test ! -e "$S/state/engine/engine.sock"
expect 0 "the next step starts one again" act "$E" pham.thi.d approve
pid4=$(engine_pid)
mv "$S/state" "$T/state.moved"
check "an engine whose socket disappears (site removed) exits" wait_gone "$pid4"
rm -rf "$T/state.moved"
expect 0 "CHANCERY_ENGINE=off: no engine is started" env CHANCERY_ENGINE=off "$CH" doc act "$S" "$E" \
	--as vu.van.f --action sign --passphrase-file "$(pass vu.van.f)"
check "none runs" test ! -e "$S/state/engine/engine.sock"
expect 0 "chancery verify passes on everything the engine recorded" "$CH" verify "$S"

# ---- a spill ends the engine (it may hold pieces of the purged document) ----
"$CH" person add "$S" an.ninh --name "An Ninh" --roles security-officer --as admin.a \
	--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass an.ninh)" >/dev/null
expect 0 "a step starts an engine" act "$E" do.thi.g publish
pid5=$(engine_pid)
check "it runs ($pid5)" alive "$pid5"
expect 0 "a security officer spills a document the engine has read" "$CH" spill "$S" "$A" \
	--as an.ninh --reason "kiểm thử" --passphrase-file "$(pass an.ninh)"
check "the engine exits when the spill list moves" wait_gone "$pid5"
F=$(new_doc)
expect 0 "the next step starts a fresh engine" act "$F" nguyen.van.a submit
check "done by it" grep -q 'done by the engine' "$T/path"
check "a new one" test -n "$(engine_pid)" -a "$(engine_pid)" != "$pid5"
# ---- the unlocked-key cache (crypto/keycache.h) ----
# The engine now holds nguyen.van.a's key unlocked (its last step): a wrong
# passphrase for it is still refused as in process, by gpg-agent, and
# records nothing; the right one still works through the engine.
K=$(new_doc)
expect 0 "a step through the engine unlocks the signer's key in it" act "$K" nguyen.van.a submit
check "done by the engine" grep -q 'done by the engine' "$T/path"
kpid=$(engine_pid)
L=$(new_doc)
same_error "wrong passphrase for a key the engine holds unlocked" "$L" --as nguyen.van.a \
	--action submit --passphrase-file "$(pass tran.thi.b)"
err_has_file() { grep -q "$1" "$T/e1.msg"; }
check "the engine's message names the wrong passphrase" err_has_file "wrong signing passphrase for nguyen.van.a"
expect 0 "the right passphrase then signs through the engine" act "$L" nguyen.van.a submit
check "done by the same engine ($kpid)" \
	bash -c "grep -q 'done by the engine' '$T/path' && [ '$(engine_pid)' = '$kpid' ]"
expect 0 "chancery verify passes on the signatures made from the cache" "$CH" verify "$S"
"$CH" engine stop "$S" >/dev/null
M=$(new_doc)
expect 0 "CHANCERY_KEYCACHE_TTL=0: an engine without the cache signs through gpg-agent" \
	env CHANCERY_KEYCACHE_TTL=0 CHANCERY_ENGINE_TRACE=1 "$CH" doc act "$S" "$M" --as nguyen.van.a \
	--action submit --passphrase-file "$(pass nguyen.van.a)"
check "done by the engine" grep -q 'done by the engine' "$T/err"
"$CH" engine stop "$S" >/dev/null

# The engine is not dumpable (prctl PR_SET_DUMPABLE 0): another process of
# its own uid cannot read its /proc/PID/environ (nor its mem, nor ptrace
# it). As root every process could (CAP_SYS_PTRACE), so this runs an engine
# as nobody on a site of nobody's, beside a plain process of nobody's whose
# environ can be read.
N="$T/nsite"
"$CH" init "$N" --site-id ns --admin admin.a --name "Admin" --passphrase-file "$(pass admin.a)" >/dev/null
chown -R nobody:nogroup "$N"; tmode=$(stat -c %a "$T"); chmod 711 "$T"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$CH" engine run "$N" >/dev/null 2>&1 &
npid=$!
for i in $(seq 300); do [ -S "$N/state/engine/engine.sock" ] && break; sleep 0.1; done
setpriv --reuid=nobody --regid=nogroup --clear-groups sleep 30 &
spid=$!
sleep 0.2
check "an engine of nobody's runs ($npid)" test -S "$N/state/engine/engine.sock" -a "$(ps -o user= -p "$npid")" = nobody
check "nobody can read the environ of its own plain process" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups cat "/proc/$spid/environ"
check "but not that of its engine (not dumpable)" \
	bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups cat /proc/$npid/environ 2>/dev/null"
kill "$spid" "$npid" 2>/dev/null; wait "$npid" 2>/dev/null; chmod "$tmode" "$T"
finish
