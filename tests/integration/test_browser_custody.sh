#!/usr/bin/env bash
# test_browser_custody.sh -- officials sign in their own browser (issue 17):
# Debian's chromium, driven by tests/browser/custody.mjs. Two officials
# enrol browser keys with their one-time codes, the admin approves them,
# a báo cáo goes from draft to published signed by those keys alone. Then
# stock `git verify-commit` verifies every step by its actor (the public
# keys imported from the signed policy), the site's GnuPG home holds no
# secret key of theirs, and the verifier's HTML report shows the custody of
# each step. Screenshots: $BUILD/screenshots/custody.
. "$(dirname "$0")/lib.sh"

S="$T/hq"
R="$S/repo.git"
TLS="$T/tls"
SHOTS="$BUILD/screenshots/custody"
BROWSER_DIR="$top/tests/browser"
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; cleanup' EXIT
for tool in node chromium certutil curl; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "$tool is installed (scripts/browser-deps.sh)"; finish; }
done
[ -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ] || { not_ok "playwright-core is installed"; finish; }

chmod 755 "$T"
(umask 077; for id in admin.a nv.a tt.b; do printf 'login-%s-2026\n' "$id" >"$T/pass/$id.login"; done)
check "init: the admin chooses their own passphrase and password" "$CH" init "$S" --site-id hq \
	--admin admin.a --name "Quản Trị A" --unit hq/admin --passphrase-file "$(pass admin.a)" \
	--password-file "$T/pass/admin.a.login"
echo '{}' >"$T/people.json"
for p in "nv.a|Nguyễn Văn A|drafter,deputy" "tt.b|Trần Thị B|head,clerk"; do
	IFS='|' read -r id name roles <<<"$p"
	"$CH" person add "$S" "$id" --name "$name" --roles "$roles" --unit hq/legal --custody browser \
		--as admin.a --passphrase-file "$(pass admin.a)" >"$T/add.out" || not_ok "person add $id"
	code=$(sed -n 's/^enrolment code for [^:]*: //p' "$T/add.out")
	jq --arg id "$id" --arg code "$code" --rawfile pw "$T/pass/$id.login" \
		'.[$id] = {code: $code, password: ($pw | rtrimstr("\n"))}' "$T/people.json" >"$T/p.new" &&
		mv "$T/p.new" "$T/people.json"
done
jq --rawfile pw "$T/pass/admin.a.login" --rawfile pp "$(pass admin.a)" \
	'.["admin.a"] = {password: ($pw | rtrimstr("\n")), passphrase: ($pp | rtrimstr("\n"))}' \
	"$T/people.json" >"$T/p.new" && mv "$T/p.new" "$T/people.json"
chmod 600 "$T/people.json"
check "two officials added with no key: people.json lists none" \
	test "$(git -C "$R" show refs/heads/policy:policy/people.json | jq -c '[.people[] | select(.id != "admin.a") | .keys | length]')" = "[0,0]"

check "a local CA and server certificate" "$top/scripts/tls-demo.sh" "$TLS"
free_port PORT
URL="https://127.0.0.1:$PORT"
"$BUILD/chanceryd" "$S" --cert "$TLS/server.pem" --key "$TLS/server.key" --port "$PORT" \
	--listen 127.0.0.1 >"$T/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do curl -s -o /dev/null --cacert "$TLS/ca.pem" "$URL/login" && break; sleep 0.1; done
curl -s -D "$T/h" -o "$T/js" --cacert "$TLS/ca.pem" "$URL/static/chancery.js"
check "the script is served by the server itself, as JavaScript" grep -qi '^content-type: text/javascript' "$T/h"
check "  under the site's CSP: scripts from the server only" grep -qi "^content-security-policy:.*script-src 'self'" "$T/h"
rm -rf "$SHOTS"; mkdir -p "$SHOTS"
# The server's traffic captured on loopback and decrypted with the browser's
# own TLS key log (Chromium honours SSLKEYLOGFILE): no private key and no
# signing passphrase may cross it.
CAP=
if command -v tshark >/dev/null 2>&1; then
	CAP="$T/custody.pcap"
	tshark -i lo -f "tcp port $PORT" -w "$CAP" -q 2>"$T/tshark.err" &
	TSHARK_PID=$!
	for _ in $(seq 100); do grep -q "Capturing on" "$T/tshark.err" 2>/dev/null && break; sleep 0.1; done
	grep -q "Capturing on" "$T/tshark.err" || { echo "# tshark could not capture"; CAP=; }
fi
export SSLKEYLOGFILE="$T/tls-keys.log"
NODE_EXTRA_CA_CERTS="$TLS/ca.pem" CH_URL="$URL" CH_CA="$TLS/ca.pem" CH_PEOPLE="$T/people.json" \
	CH_SHOTS="$SHOTS" CH_OUT="$T/custody.json" CH_CHANCERY="$CH" CH_REPO="$R" \
	CH_REPORT="$BUILD/screenshots/custody-report.html" TMPDIR="$T" \
	timeout 240 node "$BROWSER_DIR/custody.mjs"
rc=$?
if [ "$rc" -eq 0 ]; then ok "custody.mjs exits 0"; else not_ok "custody.mjs exits 0 (exit $rc)"; tail -5 "$T/server.log"; fi
kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
unset SSLKEYLOGFILE
if [ -n "$CAP" ]; then
	sleep 1; kill "$TSHARK_PID" 2>/dev/null; wait "$TSHARK_PID" 2>/dev/null
	tshark -r "$CAP" -o "tls.keylog_file:$T/tls-keys.log" -Y "http.request || http.response" \
		-T fields -e http.request.uri -e urlencoded-form.value -e http.file_data \
		>"$T/decrypted.txt" 2>"$T/tshark-read.err"
	check "capture: the browser's requests decrypted (control: a request to /docs)" \
		grep -aq '/docs' "$T/decrypted.txt"
	check "  the decrypted capture holds no private key (PGP, PEM or a JWK's d)" bash -c \
		"! grep -aqiE 'PRIVATE KEY|\"d\"[[:space:]]*:' '$T/decrypted.txt'"
	leaked=0
	for id in nv.a tt.b; do
		pp=$(jq -r --arg id "$id" '.[$id].passphrase // empty' "$T/people.json")
		[ -n "$pp" ] && grep -aqF -- "$pp" "$T/decrypted.txt" && leaked=1
	done
	check "  nor the officials' signing passphrases (they have none to send: browser custody)" \
		test "$leaked" -eq 0
else
	echo "# skipped: no capture (tshark missing or refused): the browser's own request check stands"
fi

D=$(jq -r '.doc // empty' "$T/custody.json")
V="$T/verify-home"; mkdir -m 700 "$V"
for id in nv.a tt.b; do git -C "$R" show "refs/heads/policy:policy/keys/$id.asc" | GNUPGHOME="$V" gpg --import 2>/dev/null; done
bad=0 n=0
for c in $(git -C "$R" rev-list "refs/docs/$D" 2>/dev/null); do
	n=$((n + 1))
	fpr=$(GNUPGHOME="$V" git -C "$R" verify-commit --raw "$c" 2>&1 | awk '/VALIDSIG/{print $NF}')
	actor=$(git -C "$R" log -1 --format='%(trailers:key=Chancery-Actor,valueonly)' "$c" | head -1)
	want=$(jq -r --arg id "$actor" '.fprs[$id]' "$T/custody.json")
	[ -n "$fpr" ] && [ "$fpr" = "$want" ] || { bad=1; echo "# $c: $actor signed by '$fpr', wanted '$want'"; }
done
check "stock git verify-commit: all $n steps good, each by its actor's browser key" test "$bad" -eq 0 -a "$n" -eq 5
check "the site's GnuPG home holds no secret key of theirs" \
	bash -c "! GNUPGHOME='$S/gnupg' gpg --list-secret-keys --with-colons 2>/dev/null | grep -qE 'nv\.a|tt\.b'"
expect 0 "chancery verify passes" "$CH" verify "$R" --json
check "  5 steps by browser keys, none by keys the server held" \
	test "$(jq -c .custody "$T/out")" = '{"server":0,"browser":5,"token":0,"unknown":0}'
shots=$(find "$SHOTS" -name '*.png' -size +1k | wc -l)
check "screenshots saved in $SHOTS ($shots)" test "$shots" -ge 12
finish
