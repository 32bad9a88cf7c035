#!/usr/bin/env bash
# test_custody.sh -- keys with custody (DESIGN "Keys with custody", issue
# 17 part 1): a person lists several keys, each with its custody; a step
# signed by any listed key that is not revoked counts (D1); revoking one
# key leaves the person and their other keys; the signed setting
# `server_custody: forbidden` stops server-held keys; key files hold one
# certificate per listed key and nothing else; the verifier's reports name
# the custody of every step and count the server-held ones.
. "$(dirname "$0")/lib.sh"

S="$T/hq"
R="$S/repo.git"
expect 0 "init creates a site" "$CH" init "$S" --site-id hq --admin admin.a \
	--name "Quản Trị A" --unit hq/admin --passphrase-file "$(pass admin.a)"
adm=(--as admin.a --passphrase-file "$(pass admin.a)")
expect 0 "a drafter with a server-held key" "$CH" person add "$S" nv.a --name "Nguyễn Văn A" \
	--roles drafter,head --unit hq/legal "${adm[@]}" --new-passphrase-file "$(pass nv.a)"

# The drafter's token: a key made in their own GnuPG home (the token's
# stand-in here; test_token.sh uses SoftHSM2), of which the site sees only
# the public part.
TOK="$T/token-home"; mkdir -m 700 "$TOK"
GNUPGHOME="$TOK" gpg --batch --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "Nguyễn Văn A <nv.a@token>" ed25519 sign never 2>/dev/null
TFPR=$(GNUPGHOME="$TOK" gpg --with-colons --list-keys | awk -F: '/^fpr/{print $10; exit}')
GNUPGHOME="$TOK" gpg --armor --export "$TFPR" >"$T/token.asc"
expect 0 "person key add lists the token key" "$CH" person key add "$S" nv.a \
	--key "$T/token.asc" --custody token --label "YubiKey 5" "${adm[@]}"
people() { git -C "$R" show refs/heads/policy:policy/people.json; }
check "  people.json: two keys, the old one server, the new one token" \
	test "$(people | jq -r '.people[] | select(.id=="nv.a") | [.keys[].custody] | join(",")')" = "server,token"
check "  the entry no longer has a version-1 fingerprint" \
	test "$(people | jq -r '.people[] | select(.id=="nv.a") | has("fingerprint")')" = false
check "  keys/nv.a.asc holds both certificates" \
	test "$(git -C "$R" show refs/heads/policy:policy/keys/nv.a.asc | grep -c 'BEGIN PGP PUBLIC KEY')" = 2
expect 1 "the same key cannot be listed twice" "$CH" person key add "$S" nv.a \
	--key "$T/token.asc" --custody token "${adm[@]}"
expect 1 "a file of two certificates is refused as one key" "$CH" person key add "$S" nv.a \
	--key "$top/tests/fixtures/pgp/corpus/gpg2-two-certs.key" --custody token "${adm[@]}"
err_has "more than one certificate" "  naming why"

# A key file holding a certificate that people.json does not list: P6.
echo 'x' >"$T/doc.md"
expect 0 "a step with the server-held key" "$CH" doc create "$S" --as nv.a --title "Công văn" \
	--type cong-van --file "$T/doc.md" --id cv1 --passphrase-file "$(pass nv.a)"
# A step signed on the token with stock git.
POL=$(git -C "$R" rev-parse refs/heads/policy)
head=$(git -C "$R" rev-parse refs/docs/cv1)
token_step() { # action step -> commit id on refs/docs/cv1
	printf '%s: Công văn\n\nChancery-Action: %s\nChancery-Step: %s\nChancery-Actor: nv.a\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
		"$1" "$1" "$2" "$POL" >"$T/msg"
	GNUPGHOME="$TOK" git -C "$R" commit-tree "$(git -C "$R" rev-parse "$head^{tree}")" \
		-p "$head" -S"$TFPR" -F "$T/msg"
}
c=$(token_step submit draft) && git -C "$R" update-ref refs/docs/cv1 "$c" "$head" &&
	log_by_hand "$S" "$R" refs/docs/cv1 # the site enters the step it took in its log
expect 0 "verify accepts a step signed on the token" "$CH" verify "$R"
check "  the text report names the custody of each step" \
	grep -q "step refs/docs/cv1 commit $c: submit by nv.a, key $TFPR, custody token" "$T/out"
check "  and counts them" grep -q "custody: 1 steps signed by server-held keys, 0 by browser keys, 1 by token keys" "$T/out"
expect 0 "verify --json" "$CH" verify "$R" --json
check "  JSON: custody counts" test "$(jq -c .custody "$T/out")" = '{"server":1,"browser":0,"token":1,"unknown":0}'
check "  JSON: each step's custody" test "$(jq -r '.document_list[0].steps | map(.custody) | join(",")' "$T/out")" = "server,token"
expect 0 "verify --html" "$CH" verify "$R" --html "$T/report.html"
check "  HTML: the custody of each step" grep -q '<td class="custody">token</td>' "$T/report.html"
check "  HTML: the count of server-held steps" grep -q '1 steps signed by keys the server held' "$T/report.html"

# Revoking the token key (a lost token): the person stays, the server key signs.
expect 0 "person key revoke revokes one key" "$CH" person key revoke "$S" nv.a "$TFPR" "${adm[@]}"
check "  the key is marked revoked, the person is not" \
	test "$(people | jq -c '.people[] | select(.id=="nv.a") | [.revoked, (.keys[] | .revoked)]')" = '[null,null,true]'
expect 0 "verify: the earlier token step stays valid (it names the older policy)" "$CH" verify "$R"
check "  the site log shows it accepted before the revocation (no warning needed)" \
	grep -q "before the revocation" "$T/out"
POL=$(git -C "$R" rev-parse refs/heads/policy)
head=$(git -C "$R" rev-parse refs/docs/cv1)
c=$(token_step comment review) && cp -a "$R" "$T/copy.git" &&
	git -C "$T/copy.git" update-ref refs/docs/cv1 "$c" "$head"
expect 1 "verify: a step by the revoked key, naming the policy that revokes it, is a D1 finding" \
	"$CH" verify "$T/copy.git"
check "  naming the key and why" grep -q "FINDING D1.*key $TFPR of nv.a (YubiKey 5) is revoked in the policy" "$T/out"
expect 0 "the person still acts with their server-held key" "$CH" doc act "$S" cv1 --as nv.a \
	--action approve --passphrase-file "$(pass nv.a)"

# The site forbids server custody.
expect 0 "custody set --server forbidden" "$CH" custody set "$S" --server forbidden "${adm[@]}"
check "  policy/settings.json says so" \
	test "$(git -C "$R" show refs/heads/policy:policy/settings.json | jq -r .server_custody)" = forbidden
before=$(repo_state "$S")
expect 1 "a step with a server-held key is then refused" "$CH" doc act "$S" cv1 --as nv.a \
	--action comment --comment "x" --passphrase-file "$(pass nv.a)"
err_has "forbids server custody" "  naming the setting"
check "  and nothing was recorded" test "$(repo_state "$S")" = "$before"
expect 0 "policy changes stay the admins' (P2): the setting governs document steps" \
	"$CH" custody set "$S" --server allowed "${adm[@]}"
expect 0 "  and a step with the server-held key is taken again" "$CH" doc act "$S" cv1 --as nv.a \
	--action comment --comment "y" --passphrase-file "$(pass nv.a)"
expect 0 "verify: server-held steps named policies that allowed them" "$CH" verify "$R"
check "  the counts" grep -q "custody: 3 steps signed by server-held keys, 0 by browser keys, 1 by token keys" "$T/out"
finish
