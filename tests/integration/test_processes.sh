#!/usr/bin/env bash
# test_processes.sh -- chanceryd's processes against the table in
# docs/ARCHITECTURE.md (user, groups, seccomp mode of each running
# process), and issue 18's local attacks: another local user reading the
# site, a shared user writing it, the network user planting links for root
# to follow at the next start, a flood of requests to the signer, and the
# signer taken over reaching for the network.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

if [ "$(id -u)" != 0 ]; then
	ok "# skipped: privilege separation needs root"
	finish
fi
make_site nguyen.van.a:drafter tran.thi.b:head || { not_ok "site"; finish; }
D=$("$CH" doc create "$S" --as nguyen.van.a --title "Công văn thử" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)")
# listen OUT [PATH]: a listener, on 127.0.0.1 (a free port) or at the unix
# socket PATH, that counts its connections in OUT.n; OUT.up holds its port
# (or the path) once it listens. In the background; its pid in $!.
listen() {
	python3 - "$@" <<'PY' &
import os, socket, sys
out = sys.argv[1]
if len(sys.argv) > 2:
    s = socket.socket(socket.AF_UNIX)
    s.bind(sys.argv[2])
    where = sys.argv[2]
else:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    where = str(s.getsockname()[1])
s.listen(16)
open(out + ".up.tmp", "w").write(where)
os.rename(out + ".up.tmp", out + ".up")
n = 0
while True:
    c, _ = s.accept()
    n += 1
    open(out + ".n", "w").write(str(n))
    c.close()
PY
}
# got_one OUT: the listener OUT counted a connection (within 10 s).
got_one() { for _ in $(seq 100); do [ -s "$1.n" ] && return 0; sleep 0.1; done; return 1; }
# A listener on 127.0.0.1 in this (the starting) network namespace, for
# the signer to try (the test build's CHANCERY_TEST_SIGNER_CONNECT: before
# and after its seccomp filter, in its own namespace).
listen "$T/listener"
listener=$!
for _ in $(seq 100); do [ -s "$T/listener.up" ] && break; sleep 0.1; done
LPORT=$(cat "$T/listener.up" 2>/dev/null)
check "a listener on 127.0.0.1:$LPORT answers in the starting namespace (control)" \
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$LPORT && $(declare -f got_one); got_one '$T/listener'"
# and a unix socket with a path under /run, where the host's daemons keep
# theirs (nscd, systemd, a proxy): a network namespace does not hide it,
# nor can seccomp read connect()'s path; the signer's mount namespace must
USOCK="/run/chancery-test-$$-$RANDOM.sock"
listen "$T/ulistener" "$USOCK"
ulistener=$!
for _ in $(seq 100); do [ -s "$T/ulistener.up" ] && break; sleep 0.1; done
check "a unix socket at $USOCK answers here (control)" \
	bash -c "python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' '$USOCK' && $(declare -f got_one); got_one '$T/ulistener'"
export CHANCERY_TEST_SIGNER_CONNECT=$LPORT CHANCERY_TEST_SIGNER_UNIX=$USOCK
check "server starts" start_server
unset CHANCERY_TEST_SIGNER_CONNECT CHANCERY_TEST_SIGNER_UNIX
U=chancery-hq
K=chancery-hq-keys
signer=$(pgrep -P "$srv_pid" | head -1)

# ---- the table ----
row() { # process column: the cell of docs/ARCHITECTURE.md's process table
	awk -F'|' -v p="$1" -v c="$2" '$2 ~ "^ *"p" *$" && $0 ~ /chancery-SITE|root/ {
		gsub(/^ +| +$/, "", $(c + 2)); print $(c + 2); exit }' "$top/docs/ARCHITECTURE.md"
}
# the groups cell: the primary group, then ", " and the supplementary ones
first() { sed 's/,.*//; s/ *$//'; }
rest() { sed -n 's/^[^,]*, *//p' | tr -d ','; }
status() { awk -v k="$2:" '$1 == k {print $2; exit}' "/proc/$1/status"; }
groups_of() { awk '$1 == "Groups:" {$1 = ""; print}' "/proc/$1/status" | xargs -n1 | sort -n | xargs; }
for p in network signer; do
	pid=$srv_pid
	[ "$p" = signer ] && pid=$signer
	want_user=$(row "$p" 1 | sed 's/SITE/hq/')
	want_groups=$(row "$p" 2 | sed 's/SITE/hq/g' | first)
	want_sup=$(row "$p" 2 | sed 's/SITE/hq/g' | rest | xargs)
	want_sec=$(row "$p" 3)
	check "the table lists the $p process" test -n "$want_user" -a -n "$want_sec"
	user=$(getent passwd "$(status "$pid" Uid)" | cut -d: -f1)
	check "$p: runs as $want_user ($user)" test "$user" = "$want_user"
	gid=$(getent group "$(status "$pid" Gid)" | cut -d: -f1)
	check "$p: its group is $want_groups ($gid)" test "$gid" = "$want_groups"
	sup=$(groups_of "$pid" | xargs -rn1 getent group | cut -d: -f1 | xargs)
	check "$p: supplementary groups '$want_sup' ($sup)" test "$sup" = "$want_sup"
	check "$p: seccomp mode $want_sec ($(status "$pid" Seccomp))" test "$(status "$pid" Seccomp)" = "$want_sec"
done
check "the network process cannot gain privileges (NoNewPrivs)" test "$(status "$srv_pid" NoNewPrivs)" = 1
check "the signer is not dumpable (its /proc/PID/environ is root's, not $K's: no ptrace by its user)" \
	test "$(stat -c %U "/proc/$signer/environ")" = root
check "the signer cannot gain privileges (NoNewPrivs)" test "$(status "$signer" NoNewPrivs)" = 1
check "the signer cannot regain root (real, effective, saved and fs uid all $K's)" \
	test "$(awk '$1 == "Uid:" {print $2, $3, $4, $5}' "/proc/$signer/status")" \
	= "$(id -u $K) $(id -u $K) $(id -u $K) $(id -u $K)"
check "the signer holds no capability" test "$(status "$signer" CapEff)" = 0000000000000000

# ---- the signer's network: a namespace of its own, unix sockets only ----
netns() { readlink "/proc/$1/ns/net"; }
check "the table gives the signer a network namespace of its own" \
	bash -c "grep -E '^\| signer \|' '$top/docs/ARCHITECTURE.md' | grep -q 'network namespace of its own'"
check "the signer's network namespace ($(netns "$signer")) is not the network process's ($(netns "$srv_pid"))" \
	test -n "$(netns "$signer")" -a "$(netns "$signer")" != "$(netns "$srv_pid")"
init=1
[ -n "$(netns 1)" ] || init=$$ # /proc/1 closed (a container): this shell's, the starting one
check "  nor that of pid $init ($(netns $init))" test -n "$(netns $init)" -a "$(netns "$signer")" != "$(netns $init)"
links=$(nsenter --net="/proc/$signer/ns/net" ip -o link show 2>&1)
check "  and has no interface but loopback, down ($(echo "$links" | cut -d' ' -f2-3 | xargs))" \
	bash -c "[ \"\$(echo '$links' | awk -F': ' '{print \$2}' | xargs)\" = lo ] && echo '$links' | grep -q 'state DOWN'"
check "the signer, taken over, cannot connect out before its filter (its namespace has no network)" \
	grep -q "signer before its filter: connect to 127.0.0.1:$LPORT failed" "$T/server.log"
check "  nor open an IPv4 socket under its filter" \
	grep -q "signer after its filter: socket(AF_INET) failed: Operation not permitted" "$T/server.log"
check "  and it never connected" bash -c "! grep -q 'CONNECTED' '$T/server.log'"
check "  the listener saw only the control's connection ($(cat "$T/listener.n"))" \
	test "$(cat "$T/listener.n")" = 1
check "the signer, taken over, cannot reach the host's unix socket by its path, before its filter" \
	grep -q "signer before its filter: connect to $USOCK failed: No such file or directory" "$T/server.log"
check "  nor under it (its /run is an empty one of its own)" \
	grep -q "signer after its filter: connect to $USOCK failed: No such file or directory" "$T/server.log"
check "  and the signer's /run is not the host's ($(nsenter --mount="/proc/$signer/ns/mnt" ls /run 2>&1 | wc -l) entries)" \
	bash -c "[ -z \"\$(nsenter --mount='/proc/$signer/ns/mnt' ls -A /run 2>&1)\" ] && [ -n \"\$(ls -A /run)\" ]"
kill "$ulistener" 2>/dev/null; wait "$ulistener" 2>/dev/null
rm -f "$USOCK"
kill "$listener" 2>/dev/null; wait "$listener" 2>/dev/null

# ---- what each may open ----
check "the network process holds nothing of the GnuPG home open" \
	bash -c "! ls -l /proc/$srv_pid/fd 2>/dev/null | grep -q '$S/gnupg'"
check "the signer holds nothing of repo.git or state/ open" \
	bash -c "! ls -l /proc/$signer/fd 2>/dev/null | grep -q -e '$S/repo.git' -e '$S/state'"
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
check "as the network user the GnuPG home cannot be opened" \
	bash -c "! setpriv --reuid=$U --regid=$U --clear-groups ls '$S/gnupg' >/dev/null 2>&1"
check "  nor site.json written" \
	bash -c "! setpriv --reuid=$U --regid=$U --clear-groups sh -c 'echo >>\"$S/site.json\"' 2>/dev/null"
# as the signer's user and groups (the table's)
ask="setpriv --reuid=$K --regid=$K --groups=$(id -g $U)"
check "as the signer's user and groups repo.git cannot be opened" \
	bash -c "! $ask ls '$S/repo.git' >/dev/null 2>&1"
check "  nor state/" bash -c "! $ask ls '$S/state' >/dev/null 2>&1"
check "  but the GnuPG home and site.json can" \
	bash -c "$ask ls '$S/gnupg' >/dev/null && $ask cat '$S/site.json' >/dev/null"
check "the GnuPG home and all under it are $K's, closed to others" \
	test -z "$(find "$S/gnupg" \( ! -user $K -o -perm /077 \) ! -type l ! -type s | head -3)"
check "the site directory is root:$U 0750" test "$(stat -c '%U:%G %a' "$S")" = "root:$U 750"
check "site.json is $K:$U 0640" test "$(stat -c '%U:%G %a' "$S/site.json")" = "$K:$U 640"
check "repo.git and state/ are the network user's, 0700 ($(stat -c '%U %a' "$S/repo.git" "$S/state" | xargs))" \
	test "$(stat -c '%U %a' "$S/repo.git" "$S/state" | sort -u)" = "$U 700"
check "no file under repo.git or state/ is open to others" \
	test -z "$(find "$S/repo.git" "$S/state" -perm /007 ! -type l | head -3)"

# ---- the local read and the shared-user write ----
check "another local user (nobody) cannot list the site" \
	bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups ls '$S' >/dev/null 2>&1"
check "  nor read a document's objects" \
	bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups git -C '$S/repo.git' cat-file -p 'refs/docs/$D:document.md' >/dev/null 2>&1"
check "  nor write the password hashes (nobody owns nothing of the site)" \
	bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c 'echo x >>\"$S/state/accounts.json\"' 2>/dev/null"
check "  nor the refs" \
	bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c 'echo 0 >\"$S/repo.git/refs/docs/x\"' 2>/dev/null"

# ---- the network user plants links for root's next start ----
echo secret >"$T/root-file"; chmod 600 "$T/root-file"
mkdir -m 700 "$T/root-dir"; echo secret >"$T/root-dir/f"; chmod 600 "$T/root-dir/f"
as "$U" ln -s "$T/root-file" "$S/repo.git/objects/evil-file"
as "$U" ln -s "$T/root-dir" "$S/state/evil-dir"
as "$U" ln -s "$T/root-dir" "$S/repo.git/refs/docs/evil-ref"
stop_server
check "server starts again over the planted links" start_server
check "  root followed no link to a file: it is still root's, 0600" \
	test "$(stat -c '%U %a' "$T/root-file")" = "root 600"
check "  nor to a directory" test "$(stat -c '%U %a' "$T/root-dir" "$T/root-dir/f" | sort -u | xargs)" = "root 600 root 700"
rm -f "$S/repo.git/objects/evil-file" "$S/state/evil-dir" "$S/repo.git/refs/docs/evil-ref"
# and the command line as root beside it (workflows/site.c hand_back)
as "$U" ln -s "$T/root-file" "$S/state/evil2"
"$CH" doc list "$S" >/dev/null
check "a root 'chancery doc list' follows no link the network user planted" \
	test "$(stat -c '%U %a' "$T/root-file")" = "root 600"
rm -f "$S/state/evil2"

# ---- the signer flood ----
curl_s -o "$T/sess.json" -H 'Content-Type: application/json' "$URL/api/v1/session" \
	-d "{\"id\":\"nguyen.van.a\",\"password\":\"$(cat "$T/pass/nguyen.van.a.login")\"}"
api=$(jq -r .token "$T/sess.json")
head=$(git -C "$S/repo.git" rev-parse "refs/docs/$D")
jq -n --arg h "$head" '{action:"comment", comment:"thử", passphrase:"wrong", head:$h}' >"$T/body.json"
for i in $(seq 32); do
	curl_s -o "$T/resp.$i" -H "Authorization: Bearer $api" -H 'Content-Type: application/json' \
		--data-binary @"$T/body.json" "$URL/api/v1/docs/$D/act"
done
check "the signer answers 30 signing requests a minute for one person, then refuses" \
	grep -q "too many signatures" "$T/resp.32"
check "  the first were judged (wrong passphrase)" grep -qi "passphrase" "$T/resp.1"
check "  nothing was recorded" test "$(git -C "$S/repo.git" rev-parse "refs/docs/$D")" = "$head"
check "the site's gpg-agent, started by the signer, runs as $K" \
	bash -c "ps -C gpg-agent -ww --no-headers -o user:32=,args= | grep -F '$S/gnupg' | grep -q '^$K '"
agent=$(ps -C gpg-agent -ww --no-headers -o pid=,user:32=,args= | grep -F "$S/gnupg" | awk -v k="$K" '$2 == k {print $1; exit}')
signer=$(pgrep -P "$srv_pid" | head -1) # the second start's
check "the site's gpg-agent is under the signer's seccomp filter (mode $(status "$agent" Seccomp))" \
	test -n "$agent" -a "$(status "$agent" Seccomp)" = 2
check "  and cannot gain privileges (NoNewPrivs)" test "$(status "$agent" NoNewPrivs)" = 1
check "  in the signer's network namespace (this start's: an earlier agent was stopped)" \
	test "$(netns "$agent")" = "$(netns "$signer")"
finish
