#!/usr/bin/env bash
# test_token.sh -- signing with a token (issue 17, part 5, as far as it is
# built): SoftHSM2 as the official's PKCS#11 token; the key is generated
# inside it (never extractable, sensitive: the test shows both flags) and
# reaches the official's own gpg-agent through gnupg-pkcs11-scd; the
# official's own GnuPG signs the payload the server prepared (the PIN
# asked by the agent, loopback here), and the signature goes back through
# the JSON API (`signature_armored`). The server verifies it against the
# policy (the key listed with custody token) and records the step; stock
# git verifies it; the verifier counts it as a token step. Not built: the
# `chancery` command line as the remote client (curl stands in).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

for tool in softhsm2-util gnupg-pkcs11-scd p11tool certtool; do
	command -v "$tool" >/dev/null || { not_ok "$tool is installed (scripts/deps.sh test)"; finish; }
done
MOD=/usr/lib/softhsm/libsofthsm2.so
[ -f "$MOD" ] || MOD=$(find /usr/lib -name libsofthsm2.so | head -1)

# ---- the official's workstation: a token and their own GnuPG home ----
H="$T/ws"; mkdir -p "$H/tokens"; chmod 700 "$H"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$H" >"$H/softhsm2.conf"
export SOFTHSM2_CONF="$H/softhsm2.conf"
PIN=123456
softhsm2-util --init-token --free --label chtok --pin $PIN --so-pin 654321 >/dev/null 2>&1
check "a key generated inside the token" p11tool --provider "$MOD" --login --set-pin=$PIN \
	--generate-privkey=rsa --bits 2048 --label signkey --outfile "$H/pub.pem" "pkcs11:token=chtok"
p11tool --provider "$MOD" --login --set-pin=$PIN --list-all "pkcs11:token=chtok" >"$H/objects" 2>/dev/null
check "  the private key never left it and cannot: CKA_NEVER_EXTRACTABLE, CKA_SENSITIVE" \
	grep -q "CKA_NEVER_EXTRACTABLE; CKA_SENSITIVE" "$H/objects"
expect 1 "  exporting it is refused by the token" p11tool --provider "$MOD" --login --set-pin=$PIN \
	--export "pkcs11:token=chtok;object=signkey;type=private"
printf 'cn = "x.tok"\nserial = 1\nexpiration_days = 3650\nsigning_key\n' >"$H/tmpl"
GNUTLS_PIN=$PIN certtool --provider "$MOD" --generate-self-signed \
	--load-privkey "pkcs11:token=chtok;object=signkey;type=private" --load-pubkey "$H/pub.pem" \
	--template "$H/tmpl" --outfile "$H/cert.pem" >/dev/null 2>&1
GNUTLS_PIN=$PIN p11tool --provider "$MOD" --login --write --load-certificate "$H/cert.pem" \
	--label signkey "pkcs11:token=chtok" >/dev/null 2>&1
G="$H/gnupg"; mkdir -m 700 "$G"
printf 'providers softhsm\nprovider-softhsm-library %s\n' "$MOD" >"$G/gnupg-pkcs11-scd.conf"
printf 'scdaemon-program %s\nallow-loopback-pinentry\n' "$(command -v gnupg-pkcs11-scd)" >"$G/gpg-agent.conf"
GRIP=$(GNUPGHOME="$G" gpg-connect-agent 'LEARN --sendinfo' /bye 2>/dev/null | awk '/KEYPAIRINFO/{print $3; exit}')
check "the official's gpg-agent sees the token's key (gnupg-pkcs11-scd)" test ${#GRIP} -eq 40
check "  and holds only a stub of it, no secret" bash -c "grep -q shadowed-private-key '$G/private-keys-v1.d/$GRIP.key'"
printf 'Key-Type: RSA\nKey-Grip: %s\nKey-Usage: sign,cert\nName-Real: x.tok\nName-Email: x.tok@token\nExpire-Date: 0\n%%commit\n' "$GRIP" >"$H/params"
GNUPGHOME="$G" timeout 60 gpg --batch --pinentry-mode loopback --passphrase $PIN --gen-key "$H/params" 2>/dev/null
FT=$(GNUPGHOME="$G" gpg --with-colons --list-keys | awk -F: '/^fpr/{print $10; exit}')
check "an OpenPGP certificate for the token key ($FT)" test ${#FT} -eq 40
GNUPGHOME="$G" gpg --armor --export "$FT" >"$T/tok.asc"

# ---- the site ----
make_site nv.a:drafter || { not_ok "site"; finish; }
R="$S/repo.git"
adm=(--as admin.a --passphrase-file "$(pass admin.a)")
"$CH" person add "$S" x.tok --name "Cán bộ token" --roles drafter --unit hq/legal --custody browser \
	"${adm[@]}" >"$T/add.out"
(umask 077; sed -n 's/^enrolment code for [^:]*: //p' "$T/add.out" >"$T/pass/x.tok.code"
 printf 'login-x.tok-2026\n' >"$T/pass/x.tok.login")
expect 0 "the official enrols the token's key with their code" "$CH" enrol "$S" x.tok \
	--code-file "$T/pass/x.tok.code" --password-file "$T/pass/x.tok.login" \
	--device-key "$T/tok.asc" --custody token --label "SoftHSM2 token"
expect 0 "the admin approves it (custody token)" "$CH" person approve "$S" x.tok "$FT" "${adm[@]}"
D=$("$CH" doc create "$S" --as nv.a --title "Công văn" --type cong-van --file /dev/stdin \
	--passphrase-file "$(pass nv.a)" <<<"Nội dung.")
check "start the server" start_server
TT=$(curl_s -H 'Content-Type: application/json' -d '{"id":"x.tok","password":"login-x.tok-2026"}' \
	"$URL/api/v1/session" | jq -r .token)
head=$(git -C "$R" rev-parse "refs/docs/$D")
code=$(curl_s -o "$T/prep.json" -w '%{http_code}' -H "Authorization: Bearer $TT" -H 'Content-Type: application/json' \
	-d "{\"action\":\"comment\",\"comment\":\"ký bằng token\",\"head\":\"$head\",\"key\":\"$FT\"}" \
	"$URL/api/v1/docs/$D/prepare")
check "the server prepares the step ($code)" test "$code" = 200
jq -j .payload "$T/prep.json" >"$T/payload"
GNUPGHOME="$G" timeout 60 gpg --batch --pinentry-mode loopback --passphrase $PIN --digest-algo SHA256 \
	--armor --detach-sign -o "$T/payload.asc" "$T/payload" 2>/dev/null
check "the official's GnuPG signs it on the token (the PIN to the token)" test -s "$T/payload.asc"
code=$(curl_s -o "$T/fin.json" -w '%{http_code}' -H "Authorization: Bearer $TT" -H 'Content-Type: application/json' \
	-d "$(jq -n --arg t "$(jq -r .token "$T/prep.json")" --rawfile s "$T/payload.asc" '{token: $t, signature_armored: $s}')" \
	"$URL/api/v1/sign/finish")
check "the server verifies it and records the step ($code)" test "$code" = 200
# the same, with chancery itself as the official's remote client
(umask 077; echo $PIN >"$H/pin")
U="https://localhost:${URL##*:}"
expect 0 "chancery remote inbox: the official's client of the remote site" env GNUPGHOME="$G" \
	"$CH" remote "$U" inbox --as x.tok --ca "$CA" --password-file "$T/pass/x.tok.login"
expect 0 "chancery remote show" env GNUPGHOME="$G" "$CH" remote "$U" show "$D" --as x.tok \
	--ca "$CA" --password-file "$T/pass/x.tok.login"
check "  the document, as the API gives it" grep -q "\"head\"" "$T/out"
expect 0 "chancery remote act: prepared by the server, signed here on the token through GPGME" \
	env GNUPGHOME="$G" "$CH" remote "$U" act "$D" --as x.tok --ca "$CA" \
	--password-file "$T/pass/x.tok.login" --action comment --comment "ký bằng token, từ xa" \
	--key "$FT" --pin-file "$H/pin"
check "  it printed the commit it recorded" test "$(cat "$T/out")" = "$(git -C "$R" rev-parse "refs/docs/$D")"
check "  it showed the commit it signed" grep -q "^Chancery-Actor: x.tok" "$T/err"
before=$(repo_state "$S")
(umask 077; echo 000000 >"$H/badpin")
GNUPGHOME="$G" gpgconf --kill gpg-agent 2>/dev/null # the token's session ends: the PIN is asked again
expect 1 "a wrong PIN: the token refuses, nothing is recorded" env GNUPGHOME="$G" "$CH" remote "$U" \
	act "$D" --as x.tok --ca "$CA" --password-file "$T/pass/x.tok.login" --action comment \
	--comment "x" --key "$FT" --pin-file "$H/badpin"
check "  (the repository is unchanged)" test "$(repo_state "$S")" = "$before"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/o.key" -out "$T/other-ca.pem" -days 1 \
	-subj /CN=other 2>/dev/null
expect 1 "a server whose certificate the given CA did not sign is refused" env GNUPGHOME="$G" \
	"$CH" remote "$U" inbox --as x.tok --ca "$T/other-ca.pem" --password-file "$T/pass/x.tok.login"
stop_server
c=$(git -C "$R" rev-parse "refs/docs/$D")
V="$T/v"; mkdir -m 700 "$V"; GNUPGHOME="$V" gpg --import "$T/tok.asc" 2>/dev/null
check "stock git verify-commit: signed by the token's key" \
	bash -c "GNUPGHOME='$V' git -C '$R' verify-commit --raw $c 2>&1 | grep -q 'VALIDSIG.* $FT\$'"
expect 0 "chancery verify passes" "$CH" verify "$R" --json
check "  the steps count as token steps" test "$(jq -r .custody.token "$T/out")" = 2
GNUPGHOME="$G" gpgconf --kill gpg-agent 2>/dev/null
finish
