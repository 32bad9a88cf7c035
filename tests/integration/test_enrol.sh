#!/usr/bin/env bash
# test_enrol.sh -- officials own their secrets (issue 17, parts 2 and 3):
# a one-time, expiring enrolment code stored only hashed; with it the
# official sets their own login password and signing passphrase (or, with
# no server custody, enrols a device key that an admin approves); they
# change both themselves; wrong signing passphrases are limited like a
# token's PIN (5, then locked until an admin or a new code unlocks the
# key), each a security event, nothing recorded.
. "$(dirname "$0")/lib.sh"

S="$T/hq"
R="$S/repo.git"
(umask 077; printf 'login-admin-2026\n' >"$T/pass/admin.login")
expect 0 "init: the first admin chooses their own passphrase and password" "$CH" init "$S" \
	--site-id hq --admin admin.a --name "Quản Trị A" --unit hq/admin \
	--passphrase-file "$(pass admin.a)" --password-file "$T/pass/admin.login"
adm=(--as admin.a --passphrase-file "$(pass admin.a)")
expect 0 "person add prints a one-time enrolment code" "$CH" person add "$S" nv.b \
	--name "Nguyễn Văn B" --roles drafter,head --unit hq/legal "${adm[@]}"
code=$(sed -n 's/^enrolment code for nv.b: //p' "$T/out")
check "  the code: 6 groups of 4 base32 letters" bash -c "[[ '$code' =~ ^([A-Z2-7]{4}-){5}[A-Z2-7]{4}$ ]]"
check "  stored only as an Argon2id hash" bash -c "grep -q argon2id '$S/state/enrol.json' && ! grep -rqF '$code' '$S/state' '$S/site.json'"
(umask 077; echo "$code" >"$T/code"; echo "WRONG-CODE-AAAA-BBBB-CCCC-DDDD" >"$T/badcode"
 printf 'login-nvb-2026\n' >"$T/pw"; printf 'my-own-phrase-2026\n' >"$T/pp")
before=$(repo_state "$S")
expect 1 "enrol with a wrong code is refused" "$CH" enrol "$S" nv.b --code-file "$T/badcode" \
	--password-file "$T/pw" --passphrase-file "$T/pp"
err_has "wrong identifier or enrolment code" "  with a message that does not say which"
expect 1 "  no password was set" "$CH" account password "$S" nv.b --old-password-file "$T/pw" \
	--password-file "$T/pw"
expect 0 "enrol with the code: the official's own password and passphrase" "$CH" enrol "$S" nv.b \
	--code-file "$T/code" --password-file "$T/pw" --passphrase-file "$T/pp"
check "  the repository did not change (secrets are not policy)" test "$(repo_state "$S")" = "$before"
expect 1 "the code works once" "$CH" enrol "$S" nv.b --code-file "$T/code" --password-file "$T/pw"
echo 'x' >"$T/doc.md"
expect 1 "the code is not the signing passphrase any more" "$CH" doc create "$S" --as nv.b \
	--title "Công văn" --type cong-van --file "$T/doc.md" --id cv1 --passphrase-file "$T/code"
expect 0 "the official signs with their own passphrase" "$CH" doc create "$S" --as nv.b \
	--title "Công văn" --type cong-van --file "$T/doc.md" --id cv1 --passphrase-file "$T/pp"
printf 'new-login-nvb-2026\n' >"$T/pw2"; printf 'another-phrase-2026\n' >"$T/pp2"
expect 1 "a password change needs the current password" "$CH" account password "$S" nv.b \
	--old-password-file "$T/pp" --password-file "$T/pw2"
expect 0 "the official changes their password" "$CH" account password "$S" nv.b \
	--old-password-file "$T/pw" --password-file "$T/pw2"
expect 0 "the official changes their signing passphrase" "$CH" key passphrase "$S" nv.b \
	--passphrase-file "$T/pp" --new-passphrase-file "$T/pp2"
expect 1 "  the old one no longer signs" "$CH" doc act "$S" cv1 --as nv.b --action comment \
	--comment c --passphrase-file "$T/pp"
expect 0 "  the new one does" "$CH" doc act "$S" cv1 --as nv.b --action comment --comment c \
	--passphrase-file "$T/pp2"

# The PIN-like limit: 5 wrong passphrases in a row lock the key.
: >"$S/state/security.log"
printf 'guess-%s\n' 1 >"$T/guess"
before=$(repo_state "$S")
for i in 1 2 3 4 5; do
	"$CH" doc act "$S" cv1 --as nv.b --action comment --comment g --passphrase-file "$T/guess" \
		>/dev/null 2>"$T/err.$i"
done
check "wrong tries 1-4 say wrong passphrase" grep -q "wrong signing passphrase" "$T/err.4"
check "each wrong try is a security event" \
	test "$(jq -s '[.[] | select(.door == "signing key" and .person == "nv.b" and .rule == "wrong-passphrase") | (.count // 1)] | add' "$S/state/security.log")" = 4
check "  the fifth locks the key" grep -q '"rule":"key-locked"' "$S/state/security.log"
expect 1 "the right passphrase is refused while the key is locked" "$CH" doc act "$S" cv1 \
	--as nv.b --action comment --comment c --passphrase-file "$T/pp2"
err_has "is locked after 5 wrong passphrases" "  saying so, and who can unlock it"
check "  nothing was recorded" test "$(repo_state "$S")" = "$before"
check "  the counts live beside the keys, not in state/" test -f "$S/gnupg/chancery-tries.json"
expect 1 "person unlock needs the admin's own passphrase" "$CH" person unlock "$S" nv.b \
	--as admin.a --passphrase-file "$T/pp2"
expect 0 "a policy-admin unlocks the key" "$CH" person unlock "$S" nv.b "${adm[@]}"
expect 0 "  the official signs again" "$CH" doc act "$S" cv1 --as nv.b --action comment \
	--comment c --passphrase-file "$T/pp2"
for i in 1 2 3 4 5; do
	"$CH" doc act "$S" cv1 --as nv.b --action comment --comment g --passphrase-file "$T/guess" \
		>/dev/null 2>&1
done
expect 1 "locked again" "$CH" doc act "$S" cv1 --as nv.b --action comment --comment c \
	--passphrase-file "$T/pp2"
expect 0 "person code: a new enrolment code" "$CH" person code "$S" nv.b "${adm[@]}"
sed -n 's/^enrolment code for nv.b: //p' "$T/out" >"$T/code2"
printf 'third-login-2026\n' >"$T/pw3"
expect 0 "the official's new code unlocks the key (and sets a new password)" "$CH" enrol "$S" nv.b \
	--code-file "$T/code2" --password-file "$T/pw3"
expect 0 "  the official signs again" "$CH" doc act "$S" cv1 --as nv.b --action comment \
	--comment c --passphrase-file "$T/pp2"
expect 0 "an expired code..." "$CH" person code "$S" nv.b "${adm[@]}"
sed -n 's/^enrolment code for nv.b: //p' "$T/out" >"$T/code3"
jq '.codes["nv.b"].expires = 1000' "$S/state/enrol.json" >"$T/e.json" && cp "$T/e.json" "$S/state/enrol.json"
expect 1 "  is refused" "$CH" enrol "$S" nv.b --code-file "$T/code3" --password-file "$T/pw3"
err_has "has expired" "  saying so"

# No server custody: the person starts with no key, the device key waits for approval.
expect 0 "person add --custody browser: no key on the server" "$CH" person add "$S" le.c \
	--name "Lê C" --roles head --unit hq/legal --custody browser "${adm[@]}"
sed -n 's/^enrolment code for le.c: //p' "$T/out" >"$T/code-c"
check "  people.json lists no key" test "$(git -C "$R" show refs/heads/policy:policy/people.json | jq -c '.people[] | select(.id=="le.c") | .keys')" = "[]"
check "  the site's GnuPG home holds no key of theirs" bash -c "! GNUPGHOME='$S/gnupg' gpg --list-secret-keys 2>/dev/null | grep -q le.c@"
DEV="$T/dev-home"; mkdir -m 700 "$DEV"
GNUPGHOME="$DEV" gpg --batch --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "Lê C <le.c@device>" ed25519 sign never 2>/dev/null
DFPR=$(GNUPGHOME="$DEV" gpg --with-colons --list-keys | awk -F: '/^fpr/{print $10; exit}')
GNUPGHOME="$DEV" gpg --armor --export "$DFPR" >"$T/dev.asc"
printf 'login-lec-2026\n' >"$T/pwc"
expect 0 "enrol with a device key" "$CH" enrol "$S" le.c --code-file "$T/code-c" \
	--password-file "$T/pwc" --device-key "$T/dev.asc" --custody token --label "Token"
expect 0 "person pending lists it" "$CH" person pending "$S"
check "  with its fingerprint" grep -q "^le.c $DFPR token" "$T/out"

cp "$S/state/pending-keys.json" "$T/pending.saved"
"$BUILD/tests/devkey" new "$T/evil" "Lê C <le.c@device>" >"$T/evil.asc"
jq --rawfile k "$T/evil.asc" '.pending[0].key = $k' "$T/pending.saved" >"$S/state/pending-keys.json"
before=$(repo_state "$S")
expect 1 "a pending entry whose key was swapped (the state file is the network's) is refused" \
	"$CH" person approve "$S" le.c "$DFPR" "${adm[@]}"
err_has "not the key $DFPR approved" "  naming both keys"
check "  nothing was changed" test "$(repo_state "$S")" = "$before"
cp "$T/pending.saved" "$S/state/pending-keys.json"
expect 0 "a policy-admin approves it: a signed policy commit" "$CH" person approve "$S" le.c "$DFPR" "${adm[@]}"
check "  people.json lists it as token" test "$(git -C "$R" show refs/heads/policy:policy/people.json | jq -r '.people[] | select(.id=="le.c") | .keys[0].custody')" = token
expect 0 "  and it is no longer pending" "$CH" person pending "$S"
check "  (empty list)" test ! -s "$T/out"

# The same limit in chanceryd's signer process: a compromised network
# process, or anyone with a session, cannot guess either.
. "$(dirname "$0")/server_lib.sh"
chmod 755 "$T"
check "the server starts" start_server
TK=$(curl_s -H 'Content-Type: application/json' -d '{"id":"nv.b","password":"third-login-2026"}' \
	"$URL/api/v1/session" | jq -r .token)
check "nv.b has an API session" test ${#TK} -eq 64
api_act() { # passphrase -> http status
	local head
	head=$(git -C "$R" rev-parse refs/docs/cv1)
	curl_s -o "$T/api.out" -w '%{http_code}' -H "Authorization: Bearer $TK" -H 'Content-Type: application/json' \
		-d "{\"action\":\"comment\",\"comment\":\"c\",\"head\":\"$head\",\"passphrase\":\"$1\"}" \
		"$URL/api/v1/docs/cv1/act"
}
code=$(curl_s -o "$T/api.out" -w '%{http_code}' -H "Authorization: Bearer $TK" -H 'Content-Type: application/json' \
	-d '{"old":"another-phrase-2026","new":"server-phrase-2026"}' "$URL/api/v1/account/passphrase")
check "the official changes their passphrase through the API (the signer's PASSWD) ($code)" test "$code" = 200
code=$(api_act server-phrase-2026)
check "  and signs with the new one ($code)" test "$code" = 200
: >"$S/state/security.log"
before=$(repo_state "$S")
for i in 1 2 3 4 5; do api_act "guess-$i" >/dev/null; done
check "five wrong passphrases through the API: five security events" \
	test "$(jq -s '[.[] | select(.door == "signing key" and .person == "nv.b") | (.count // 1)] | add' "$S/state/security.log")" = 5
code=$(api_act server-phrase-2026)
check "then the right one is refused by the signer: the key is locked ($code)" grep -q "is locked after 5 wrong" "$T/api.out"
check "  nothing was recorded" test "$(repo_state "$S")" = "$before"
stop_server
expect 0 "a policy-admin unlocks it" "$CH" person unlock "$S" nv.b "${adm[@]}"
expect 0 "custody set --server forbidden" "$CH" custody set "$S" --server forbidden "${adm[@]}"
finish
