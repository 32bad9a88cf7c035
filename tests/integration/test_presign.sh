#!/usr/bin/env bash
# test_presign.sh -- steps signed outside the server (issue 17, part 4),
# through chanceryd with curl: the server prepares the exact commit, a key
# in the official's own custody signs the digest (tests/helper/devkey.c,
# the browser's WebCrypto Ed25519 in software, built as chancery.js
# builds it), the server verifies against the current policy and records
# by compare-and-swap. Every refusal -- another payload, another head, a
# pending key, a revoked key, another person's key, a replayed signature --
# is tested, with nothing recorded. Then stock git verifies every step by
# its actor, the site's GnuPG home holds no secret key of theirs, and the
# verifier reports the custody of each step.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

DK="$BUILD/tests/devkey"
S="$T/site"
R="$S/repo.git"
chmod 755 "$T"
(umask 077; printf 'login-admin.a-2026\n' >"$T/pass/admin.a.login")
"$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị A" --passphrase-file "$(pass admin.a)" \
	--password-file "$T/pass/admin.a.login" >/dev/null || { not_ok "init"; finish; }
adm=(--as admin.a --passphrase-file "$(pass admin.a)")
enrol_browser() { # id roles -> device key in $T/dev.ID, login in $T/pass/ID.login
	"$CH" person add "$S" "$1" --name "Cán bộ $1" --roles "$2" --unit hq/legal --custody browser \
		"${adm[@]}" >"$T/add.out" || return 1
	(umask 077; sed -n 's/^enrolment code for [^:]*: //p' "$T/add.out" >"$T/pass/$1.code"
	 printf 'login-%s-2026\n' "$1" >"$T/pass/$1.login")
	"$DK" new "$T/dev.$1" "$1 <$1@hq>" >"$T/dev.$1.asc" || return 1
	"$CH" enrol "$S" "$1" --code-file "$T/pass/$1.code" --password-file "$T/pass/$1.login" \
		--device-key "$T/dev.$1.asc" --custody browser --label "Chromium" >/dev/null
}
check "two officials enrol browser keys" bash -c "true"
enrol_browser nv.a drafter,deputy || not_ok "enrol nv.a"
enrol_browser tt.b head,clerk || not_ok "enrol tt.b"
enrol_browser x.pending drafter || not_ok "enrol x.pending"
FA=$("$DK" fpr "$T/dev.nv.a"); FB=$("$DK" fpr "$T/dev.tt.b"); FX=$("$DK" fpr "$T/dev.x.pending")
expect 0 "the admin approves the two keys (policy commits)" bash -c \
	"'$CH' person approve '$S' nv.a $FA ${adm[*]} && '$CH' person approve '$S' tt.b $FB ${adm[*]}"
check "server-side: the GnuPG home holds no secret key of theirs" \
	bash -c "! GNUPGHOME='$S/gnupg' gpg --list-secret-keys --with-colons 2>/dev/null | grep -qE 'nv\.a|tt\.b'"
# A token's key: made in the official's own GnuPG home (SoftHSM2 behind
# gnupg-pkcs11-scd is not set up here: SECURITY.md), listed as custody token.
TOKH="$T/tok-home"; mkdir -m 700 "$TOKH"
GNUPGHOME="$TOKH" gpg --batch --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "x.tok <x.tok@token>" ed25519 sign never 2>/dev/null
FT=$(GNUPGHOME="$TOKH" gpg --with-colons --list-keys | awk -F: '/^fpr/{print $10; exit}')
GNUPGHOME="$TOKH" gpg --armor --export "$FT" >"$T/tok.asc"
"$CH" person add "$S" x.tok --name "Cán bộ token" --roles drafter --unit hq/legal --custody browser \
	"${adm[@]}" >"$T/add.out"
(umask 077; sed -n 's/^enrolment code for [^:]*: //p' "$T/add.out" >"$T/pass/x.tok.code"
 printf 'login-x.tok-2026\n' >"$T/pass/x.tok.login")
"$CH" enrol "$S" x.tok --code-file "$T/pass/x.tok.code" --password-file "$T/pass/x.tok.login" \
	--device-key "$T/tok.asc" --custody token --label "token" >/dev/null
expect 0 "a token key is approved for x.tok" "$CH" person approve "$S" x.tok "$FT" "${adm[@]}"
check "start the server" start_server

api_login() { # id -> token
	curl_s -H 'Content-Type: application/json' -d "{\"id\":\"$1\",\"password\":\"$(cat "$T/pass/$1.login")\"}" \
		"$URL/api/v1/session" | jq -r .token
}
TA=$(api_login nv.a); TB=$(api_login tt.b); TX=$(api_login x.pending)
check "the officials log in with the passwords they chose" test ${#TA} -eq 64 -a ${#TB} -eq 64

# create: a page form (cookie, CSRF), prepared
check "nv.a logs in to the pages" test "$(login nv.a)" = 303
tok=$(csrf nv.a)
curl_s -b "$T/jar.nv.a" -o "$T/prep.json" -w '%{http_code}' -H "Origin: $URL" \
	-F csrf="$tok" -F title="Báo cáo ký trong trình duyệt" -F type=bao-cao -F text="Nội dung báo cáo." \
	-F key="$FA" "$URL/docs/new/prepare" >"$T/code"
check "the server prepares a create step (200)" test "$(cat "$T/code")" = 200
D=$(jq -r .doc "$T/prep.json")
check "  the payload is the whole commit: tree, author, trailers" \
	bash -c "jq -r .payload '$T/prep.json' | grep -q '^tree [0-9a-f]\{40\}$' && jq -r .payload '$T/prep.json' | grep -q '^Chancery-Actor: nv.a$'"
check "  nothing was written yet" bash -c "! git -C '$R' rev-parse -q --verify refs/docs/$D >/dev/null"
# the client computes the digest itself: payload || hashed || 04 FF len
digest_of() { # prep.json -> hex
	python3 - "$1" <<'PY'
import hashlib, json, sys
p = json.load(open(sys.argv[1]))
h = bytes.fromhex(p["hashed"])
print(hashlib.sha256(p["payload"].encode() + h + b"\x04\xff" + len(h).to_bytes(4, "big")).hexdigest())
PY
}
check "  the digest is over exactly the payload and the hashed part" \
	test "$(digest_of "$T/prep.json")" = "$(jq -r .digest "$T/prep.json")"
finish_page() { # who prep.json sig
	curl_s -b "$T/jar.$1" -o "$T/fin.json" -w '%{http_code}' -H "Origin: $URL" \
		--data-urlencode "csrf=$(csrf "$1")" --data-urlencode "token=$(jq -r .token "$2")" \
		--data-urlencode "signature=$3" "$URL/sign/finish"
}
SIG0=$("$DK" sign "$T/dev.nv.a" "$(digest_of "$T/prep.json")")
check "the signed create is recorded (200)" test "$(finish_page nv.a "$T/prep.json" "$SIG0")" = 200
check "  refs/docs/$D holds it" git -C "$R" rev-parse -q --verify "refs/docs/$D"

prepare() { # token action key -> $T/prep.json, status
	local head
	head=$(git -C "$R" rev-parse "refs/docs/$D")
	curl_s -o "$T/prep.json" -w '%{http_code}' -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' \
		-d "{\"action\":\"$2\",\"head\":\"$head\",\"key\":\"$3\"}" "$URL/api/v1/docs/$D/prepare"
}
finish_api() { # token prep.json sig
	curl_s -o "$T/fin.json" -w '%{http_code}' -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' \
		-d "{\"token\":\"$(jq -r .token "$2")\",\"signature\":\"$3\"}" "$URL/api/v1/sign/finish"
}
refused() { # desc status-wanted actual-status text
	if [ "$3" = "$2" ]; then ok "$1 ($3)"; else not_ok "$1 (got $3, wanted $2)"; fi
	if grep -qF -- "$4" "$T/fin.json" "$T/prep.json" 2>/dev/null; then ok "  says: $4"; else
		not_ok "  says: $4"; sed 's/^/#   /' "$T/fin.json"; echo; sed 's/^/#   /' "$T/prep.json"; echo; fi
	if [ "$(repo_state "$S")" = "$before" ]; then ok "  nothing recorded"; else not_ok "  nothing recorded"; fi
}

# a token: the official's own GnuPG signs the payload (an armored signature)
TT=$(api_login x.tok)
prepare "$TT" comment "$FT" >/dev/null
jq -j .payload "$T/prep.json" >"$T/payload"
GNUPGHOME="$TOKH" gpg --batch --pinentry-mode loopback --passphrase '' --digest-algo SHA256 \
	--armor --detach-sign -o "$T/payload.asc" "$T/payload" 2>/dev/null
code=$(curl_s -o "$T/fin.json" -w '%{http_code}' -H "Authorization: Bearer $TT" -H 'Content-Type: application/json' \
	-d "$(jq -n --arg t "$(jq -r .token "$T/prep.json")" --rawfile s "$T/payload.asc" '{token: $t, signature_armored: $s}')" \
	"$URL/api/v1/sign/finish")
check "a step signed with a token key through the JSON API is recorded ($code)" test "$code" = 200

# another payload: a signature over something else
before=$(repo_state "$S")
prepare "$TA" submit "$FA" >/dev/null
cp "$T/prep.json" "$T/prep.submit.json"
other=$(printf 'another payload' | sha256sum | cut -c1-64)
refused "a signature over another payload is refused" 403 "$(finish_api "$TA" "$T/prep.json" "$("$DK" sign "$T/dev.nv.a" "$other")")" "not a good one over the step prepared"
refused "the same token again (one try) is refused" 404 "$(finish_api "$TA" "$T/prep.submit.json" "$("$DK" sign "$T/dev.nv.a" "$(digest_of "$T/prep.submit.json")")")" "no step awaits this signature"
# replay of an earlier step's signature (the create's) on a new prepared step
prepare "$TA" submit "$FA" >/dev/null
refused "an earlier step's signature replayed is refused" 403 "$(finish_api "$TA" "$T/prep.json" "$SIG0")" "not a good one over the step prepared"
# a pending key, another person's key
refused "a key awaiting approval cannot prepare a step" 403 "$(prepare "$TX" comment "$FX")" "awaiting approval"
refused "another person's key is refused" 403 "$(prepare "$TA" submit "$FB")" "another person's"
# another person's token
prepare "$TA" submit "$FA" >/dev/null
refused "another person cannot finish nv.a's prepared step" 404 "$(finish_api "$TB" "$T/prep.json" "$("$DK" sign "$T/dev.tt.b" "$(digest_of "$T/prep.json")")")" "no step awaits"
# a good one
prepare "$TA" submit "$FA" >/dev/null
check "nv.a submits, signed in the 'browser' (200)" test "$(finish_api "$TA" "$T/prep.json" "$("$DK" sign "$T/dev.nv.a" "$(digest_of "$T/prep.json")")")" = 200
check "  a good signature posted twice: the second is refused" \
	test "$(finish_api "$TA" "$T/prep.json" "$("$DK" sign "$T/dev.nv.a" "$(digest_of "$T/prep.json")")")" = 404
# another head: tt.b prepares; nv.a comments meanwhile; tt.b's signature is then refused
prepare "$TB" approve "$FB" >/dev/null; cp "$T/prep.json" "$T/prep.b.json"
prepare "$TA" comment "$FA" >/dev/null
check "meanwhile nv.a comments (200)" test "$(finish_api "$TA" "$T/prep.json" "$("$DK" sign "$T/dev.nv.a" "$(digest_of "$T/prep.json")")")" = 200
before=$(repo_state "$S")
refused "a step prepared on an older head is refused" 409 "$(finish_api "$TB" "$T/prep.b.json" "$("$DK" sign "$T/dev.tt.b" "$(digest_of "$T/prep.b.json")")")" "nothing was recorded"
# a key revoked between prepare and finish
prepare "$TB" approve "$FB" >/dev/null; cp "$T/prep.json" "$T/prep.b.json"
"$CH" person key add "$S" tt.b --key "$T/dev.tt.b.asc" --custody browser "${adm[@]}" >/dev/null 2>&1 # (listed already: refused)
"$DK" new "$T/dev.tt.b2" "tt.b <tt.b@hq>" >"$T/dev.tt.b2.asc"
FB2=$("$DK" fpr "$T/dev.tt.b2")
"$CH" person key add "$S" tt.b --key "$T/dev.tt.b2.asc" --custody browser --label "second" "${adm[@]}" >/dev/null
"$CH" person key revoke "$S" tt.b "$FB" "${adm[@]}" >/dev/null
before=$(repo_state "$S")
refused "a key revoked after the step was prepared is refused" 403 "$(finish_api "$TB" "$T/prep.b.json" "$("$DK" sign "$T/dev.tt.b" "$(digest_of "$T/prep.b.json")")")" "is revoked in the policy"
refused "a revoked key cannot prepare either" 403 "$(prepare "$TB" approve "$FB")" "is revoked in the policy"
# the rest of the way with the second device
for step in "tt.b approve $FB2 tt.b2" "nv.a sign $FA nv.a" "tt.b publish $FB2 tt.b2"; do
	set -- $step
	tk=$TA; [ "$1" = tt.b ] && tk=$TB
	prepare "$tk" "$2" "$3" >/dev/null
	check "$1 ${2}s, signed outside the server (200)" test "$(finish_api "$tk" "$T/prep.json" "$("$DK" sign "$T/dev.$4" "$(digest_of "$T/prep.json")")")" = 200
done
stop_server
check "the document is published" bash -c "git -C '$R' log -1 --format=%B refs/docs/$D | grep -q '^Chancery-Action: publish'"

# stock git verifies every step by its actor
V="$T/verify-home"; mkdir -m 700 "$V"
for f in "$T"/dev.*.asc "$T/tok.asc"; do GNUPGHOME="$V" gpg --import "$f" 2>/dev/null; done
bad=0 n=0
for c in $(git -C "$R" rev-list "refs/docs/$D"); do
	n=$((n + 1))
	fpr=$(GNUPGHOME="$V" git -C "$R" verify-commit --raw "$c" 2>&1 | awk '/VALIDSIG/{print $NF}')
	actor=$(git -C "$R" log -1 --format='%(trailers:key=Chancery-Actor,valueonly)' "$c" | head -1)
	case "$actor" in nv.a) want=$FA ;; tt.b) want="$FB $FB2" ;; x.tok) want=$FT ;; *) want=none ;; esac
	[[ " $want " == *" $fpr "* ]] || { bad=1; echo "# $c: $actor signed by '$fpr'"; }
done
check "stock git verify-commit: all $n steps good, each by its actor's key" test "$bad" -eq 0 -a "$n" -eq 7
expect 0 "chancery verify passes" "$CH" verify "$R" --json
check "  every step by a browser or token key, none by a key the server held" \
	test "$(jq -c .custody "$T/out")" = '{"server":0,"browser":6,"token":1,"unknown":0}'
check "the site's GnuPG home holds no secret key of theirs (still)" \
	bash -c "! GNUPGHOME='$S/gnupg' gpg --list-secret-keys --with-colons 2>/dev/null | grep -qE 'nv\.a|tt\.b'"
finish
