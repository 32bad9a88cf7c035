#!/usr/bin/env bash
# bench_custody.sh -- a step signed in Chromium (WebCrypto Ed25519, click to
# rendered page) beside a step signed with a server-held key at gpg-agent's
# full S2K (the release build: CHANCERY_TEST_S2K_COUNT unset), in one run,
# the same official, document and browser: medians and p95
# (tests/browser/bench_custody.mjs).
. "$(dirname "$0")/../integration/lib.sh"
unset CHANCERY_TEST_S2K_COUNT
REL=${REL:-${BUILD%-test}}
CH="$REL/chancery"
CHD="$REL/chanceryd"
S="$T/site"
chmod 755 "$T"
command -v chromium >/dev/null && [ -f "$top/tests/browser/node_modules/playwright-core/package.json" ] ||
	{ echo "bench_custody: chromium and playwright-core are needed (scripts/browser-deps.sh)"; exit 1; }
(umask 077; printf 'login-admin-2026\n' >"$T/admin.login"; printf 'login-nva-2026\n' >"$T/nva.login")
"$CH" init "$S" --site-id hq --admin admin.a --name A --passphrase-file "$(pass admin.a)" \
	--password-file "$T/admin.login" >/dev/null || exit 1
"$CH" person add "$S" nv.a --name "Nguyễn Văn A" --roles drafter,head --unit hq/legal --custody server \
	--as admin.a --passphrase-file "$(pass admin.a)" | sed -n 's/^enrolment code for [^:]*: //p' >"$T/code"
"$CH" enrol "$S" nv.a --code-file "$T/code" --password-file "$T/nva.login" \
	--passphrase-file "$(pass nv.a)" >/dev/null || exit 1
echo 'Nội dung.' >"$T/doc.md"
DOC=$("$CH" doc create "$S" --as nv.a --title "Bench" --type bao-cao --file "$T/doc.md" \
	--passphrase-file "$(pass nv.a)") || exit 1
jq -n --rawfile pw "$T/nva.login" --rawfile pp "$(pass nv.a)" \
	'{"nv.a": {password: ($pw | rtrimstr("\n")), passphrase: ($pp | rtrimstr("\n"))}}' >"$T/people.json"
"$top/scripts/tls-demo.sh" "$T/tls" >/dev/null
PORT=$((20000 + RANDOM % 20000)); URL="https://127.0.0.1:$PORT"
"$CHD" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --port "$PORT" --listen 127.0.0.1 \
	>"$T/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do curl -s -o /dev/null --cacert "$T/tls/ca.pem" "$URL/login" && break; sleep 0.1; done
NODE_EXTRA_CA_CERTS="$T/tls/ca.pem" CH_URL="$URL" CH_CA="$T/tls/ca.pem" CH_PEOPLE="$T/people.json" \
	CH_SHOTS="$T/shots" CH_DOC="$DOC" TMPDIR="$T" \
	timeout 600 node "$top/tests/browser/bench_custody.mjs" | while IFS= read -r line; do
	case "$line" in
	FPR\ *) "$CH" person approve "$S" nv.a "${line#FPR }" --as admin.a \
		--passphrase-file "$(pass admin.a)" >/dev/null || echo "bench_custody: approval failed" ;;
	*) echo "$line" ;;
	esac
done
