#!/usr/bin/env bash
# test_install.sh -- `make install` into a temporary root (DESTDIR): the
# layout and modes; the systemd unit checked by systemd-analyze when it is
# installed; then the unit's own ExecStart run as systemd would run it (as
# root, with its capability bounding set, no_new_privs and UMask, stderr a
# journal stream) on a site in DESTDIR/var/lib/chancery: it serves HTTPS,
# its network process runs as the site's user, and its request lines reach
# a stand-in journal socket as fields, never a password. systemd itself
# does not run here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

D="$T/root"
U="$D/usr/lib/systemd/system/chanceryd@.service"
make -s -C "$top" install BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr SITES=hq >"$T/make.out" 2>&1 ||
	{ not_ok "make install"; sed 's/^/#   /' "$T/make.out" | tail -5; finish; }
ok "make install DESTDIR=$D PREFIX=/usr"

# ---- the layout ----
mode() { stat -c '%a' "$1" 2>/dev/null; }
for b in chancery chancery-offline chanceryd; do
	check "bin/$b installed 0755" test "$(mode "$D/usr/bin/$b")" = 755
done
check "sbin/chancery-users installed 0755" test "$(mode "$D/usr/sbin/chancery-users")" = 755
check "/etc/chancery is 0750" test "$(mode "$D/etc/chancery")" = 750
check "/etc/chancery/chanceryd.conf is 0640" test "$(mode "$D/etc/chancery/chanceryd.conf")" = 640
check "the unit chanceryd@.service is 0644" test "$(mode "$U")" = 644
check "sysusers.d/chancery.conf creates chancery-hq" \
	grep -q '^u chancery-hq - ' "$D/usr/lib/sysusers.d/chancery.conf"
check "  and chancery-hq-keys, the signer's" \
	grep -q '^u chancery-hq-keys - ' "$D/usr/lib/sysusers.d/chancery.conf"
check "tmpfiles.d/chancery.conf makes /var/lib/chancery" \
	grep -q '^d /var/lib/chancery 0755 root root' "$D/usr/lib/tmpfiles.d/chancery.conf"
check "the example configuration parses (chanceryd reads it)" \
	bash -c "'$D/usr/bin/chanceryd' --config '$D/etc/chancery/chanceryd.conf' 2>&1 | grep -q 'usage\|serving\|no such\|No such\|chanceryd:'"
key() { sed -n "s/^$1=//p" "$U"; }
check "ExecStart reads /etc/chancery/%i.conf" test "$(key ExecStart)" = "/usr/bin/chanceryd --config /etc/chancery/%i.conf"
for h in ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes PrivateDevices=yes \
	ProtectHome=yes ProtectKernelTunables=yes ProtectKernelModules=yes ProtectControlGroups=yes \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" LockPersonality=yes RestrictNamespaces=yes \
	UMask=0027 "ReadWritePaths=/var/lib/chancery/%i"; do
	check "the unit sets $h" grep -qx "$h" "$U"
done
echo 'port = 1' >>"$D/etc/chancery/chanceryd.conf"
make -s -C "$top" install BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
check "a second make install keeps the edited configuration" \
	grep -qx 'port = 1' "$D/etc/chancery/chanceryd.conf"

# ---- systemd's own checks, where systemd's tools are installed ----
mkdir -p "$T/units"
sed "s|^ExecStart=/usr/bin/|ExecStart=$D/usr/bin/|" "$U" >"$T/units/chanceryd@hq.service"
if command -v systemd-analyze >/dev/null; then
	echo "# checked with $(systemd-analyze --version | head -1)"
	check "systemd-analyze verify accepts chanceryd@hq.service" \
		systemd-analyze verify --man=no "$T/units/chanceryd@hq.service"
	systemd-analyze security --offline=yes "$T/units/chanceryd@hq.service" 2>/dev/null |
		grep 'Overall exposure' | sed 's/^/# systemd-analyze security: /'
else
	ok "# skipped: systemd-analyze is not installed; the unit was not verified by systemd"
fi
if command -v systemd-sysusers >/dev/null; then
	check "systemd-sysusers reads the sysusers.d file" \
		systemd-sysusers --dry-run --root="$D" "$D/usr/lib/sysusers.d/chancery.conf"
else
	ok "# skipped: systemd-sysusers is not installed"
fi

# ---- strict configuration errors, before anything starts ----
printf 'site = %s\nprot = 8443\n' "$T" >"$T/bad.conf"
expect 2 "a misspelt key stops chanceryd" "$D/usr/bin/chanceryd" --config "$T/bad.conf"
err_has "line 2: unknown key 'prot'" "the message names the line and the key"

if [ "$(id -u)" != 0 ]; then
	ok "# skipped: running the unit's command needs root"
	finish
fi
chmod 0666 "$T/bad.conf"
expect 2 "started as root, a configuration others can write is refused" \
	"$D/usr/bin/chanceryd" --config "$T/bad.conf"
err_has "no one else can write" "the message says why"

# ---- the unit's command, run as systemd would ----
make_site nguyen.van.a:drafter || { not_ok "site"; finish; }
gpgconf --homedir "$S/gnupg" --kill gpg-agent 2>/dev/null
SITE="$D/var/lib/chancery/hq"
mkdir -p "$D/var/lib/chancery"
mv "$S" "$SITE"
"$D/usr/sbin/chancery-users" hq
"$top/scripts/tls-demo.sh" "$T/tls" >/dev/null
free_port PORT
URL="https://127.0.0.1:$PORT"
sed -e '/^port = 1$/d' -e "s|^site = .*|site = $SITE|" -e "s|^port = .*|port = $PORT|" \
	-e "s|^cert = .*|cert = $T/tls/server.pem|" -e "s|^key = .*|key = $T/tls/server.key|" \
	"$D/etc/chancery/chanceryd.conf" >"$D/etc/chancery/hq.conf"
chmod 0640 "$D/etc/chancery/hq.conf"

# The command line: ExecStart with %i and the paths into DESTDIR.
cmd=$(key ExecStart | sed -e 's/%i/hq/g' -e "s|/usr/bin/|$D/usr/bin/|" -e "s| /etc/| $D/etc/|")
echo "# ExecStart as run: $cmd"
caps=$(key CapabilityBoundingSet | tr 'A-Z' 'a-z' | sed -e 's/cap_//g' -e 's/ /,+/g')
echo "# CapabilityBoundingSet as setpriv --bounding-set: -all,+$caps"
nnp=; [ "$(key NoNewPrivileges)" = yes ] && nnp=--no-new-privs

# A stand-in for journald: a datagram socket, each entry appended to a file.
python3 - "$T/journal.sock" "$T/journal.entries" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"--\n")
PY
jpid=$!
for i in $(seq 50); do [ -S "$T/journal.sock" ] && break; sleep 0.1; done
: >"$T/unit.stderr"
# shellcheck disable=SC2086
(
	umask "$(key UMask)"
	exec 2>>"$T/unit.stderr"
	export JOURNAL_STREAM="$(stat -c '%d:%i' "$T/unit.stderr")"
	export CHANCERY_TEST_JOURNAL_SOCKET="$T/journal.sock"
	exec setpriv $nnp --inh-caps=-all --bounding-set="-all,+$caps" -- $cmd >"$T/unit.stdout"
) &
srv_pid=$!
CA="$T/tls/ca.pem"
served=0
for i in $(seq 300); do
	curl -s --cacert "$CA" -o /dev/null "$URL/login" && { served=1; break; }
	kill -0 "$srv_pid" 2>/dev/null || break
	sleep 0.1
done
if [ "$served" = 1 ]; then ok "the unit's command serves https"; else
	not_ok "the unit's command serves https"; sed 's/^/#   /' "$T/unit.stderr" | tail -5
	kill "$jpid"; finish
fi
st() { awk -v k="$2:" '$1 == k {print $2; exit}' "/proc/$1/status"; }
check "the network process runs as chancery-hq" \
	test "$(getent passwd "$(st "$srv_pid" Uid)" | cut -d: -f1)" = chancery-hq
signer=$(pgrep -P "$srv_pid" | head -1)
check "the signer runs as chancery-hq-keys" \
	test "$(getent passwd "$(st "$signer" Uid)" | cut -d: -f1)" = chancery-hq-keys
check "no_new_privs holds (NoNewPrivileges=yes)" test "$(st "$srv_pid" NoNewPrivs)" = 1
check "the signer's capabilities are the unit's bounding set, no more" \
	test "$(st "$signer" CapBnd)" = "$(setpriv --bounding-set="-all,+$caps" -- grep CapBnd /proc/self/status | awk '{print $2}')"
check "the site was laid out: root:chancery-hq 0750" test "$(stat -c '%U:%G %a' "$SITE")" = "root:chancery-hq 750"

# ---- the journal: fields, never a password ----
# The test build sends to the stand-in socket; a release build knows only
# /run/systemd/journal/socket (absent here) and falls back to logfmt lines
# on stderr: the same fields either way.
if grep -q CHANCERY_TEST_JOURNAL_SOCKET "$D/usr/bin/chanceryd"; then
	J="$T/journal.entries"
	f() { grep -qx "$1=$2" "$J"; }
	echo "# fields read from the stand-in journal socket"
else
	J="$T/unit.stderr"
	f() { grep -q "\(^\| \)$(echo "$1" | tr 'A-Z' 'a-z')=$2\( \|\$\)" "$J"; }
	echo "# release build: no journal socket here, fields read from the logfmt fallback on stderr"
fi
# the two requests' entries come after their answers: wait for both
n0=$(grep -ci 'method=' "$J" 2>/dev/null)
curl -s --cacert "$CA" -o /dev/null "$URL/login" --data-urlencode "id=nguyen.van.a" \
	--data-urlencode "password=$(cat "$T/pass/nguyen.van.a.login")"
curl -s --cacert "$CA" -o /dev/null "$URL/login"
for i in $(seq 100); do [ "$(grep -ci 'method=' "$J" 2>/dev/null)" -ge $((${n0:-0} + 2)) ] && break; sleep 0.1; done
check "a request reached the journal as fields" f STATUS 200
check "with ROUTE, METHOD, PERSON" bash -c "$(declare -f f); J='$J'; f ROUTE /login && f METHOD GET && f PERSON -"
check "the login POST is logged too" f METHOD POST
check "no password in the journal" bash -c "! grep -qF '$(cat "$T/pass/nguyen.van.a.login")' '$J'"
check "no text request line on stderr" bash -c "! grep -q 'GET /login' '$T/unit.stderr'"
sed -n '1,12p' "$J" | sed 's/^/# journal: /'

stop_server
kill "$jpid" 2>/dev/null
wait "$jpid" 2>/dev/null
check "the unit's command stops on SIGTERM" test -z "$(pgrep -f "$D/usr/bin/chanceryd")"
finish
