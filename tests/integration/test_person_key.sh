#!/usr/bin/env bash
# test_person_key.sh -- `person add --key` refuses a certificate that could
# never sign an accepted step (issue 20), naming why, and leaves the
# repository as it was; a good one (GnuPG's, RNP's, Sequoia's) is taken.
# The certificates come from the differential corpus
# (tests/fixtures/pgp/make-corpus.sh).
. "$(dirname "$0")/lib.sh"

S="$T/hq"
K=$top/tests/fixtures/pgp/corpus
expect 0 "init creates a site" "$CH" init "$S" --site-id hq --admin admin.a \
	--name "Quản Trị A" --unit hq/admin --passphrase-file "$(pass admin.a)"
add() { # id keyfile
	"$CH" person add "$S" "$1" --name "Cán bộ $1" --roles drafter --unit hq/legal \
		--as admin.a --passphrase-file "$(pass admin.a)" --key "$2"
}
refused() { # id keyfile text desc
	local before
	before=$(repo_state "$S")
	expect 1 "$4: refused" add "$1" "$2"
	err_has "$3" "$4: the message says '$3'"
	if [ "$(repo_state "$S")" = "$before" ]; then
		ok "$4: the repository is unchanged"
	else not_ok "$4: the repository changed"; fi
}
refused p.revoked "$K/gpg2-revprim-hard.key" "is revoked (key material compromised)" "a revoked key"
refused p.revsha1 "$K/gpg2-revprim-hard-sha1.key" "is revoked" "a key revoked with SHA-1"
refused p.retired "$K/sq-revoked-retired-before.key" "is revoked (retired) since" "a retired key"
refused p.expired "$K/gpg2-exp-before.key" "expired on 2021-01-01" "an expired key"
refused p.sha1bind "$K/gpg2-sub-sha1binding.key" "binding signature uses SHA-1" \
	"a certify-only key whose signing subkey has a SHA-1 binding"
refused p.two "$K/gpg2-two-certs.key" "more than one certificate" "two certificates"
refused p.dsa "$K/gpg1-dsa2048.key" "unsupported public-key algorithm 17" "a DSA key"
expect 0 "a GnuPG key is taken" add p.gpg "$K/gpg2-sub-ed25519.key"
expect 0 "an RNP key is taken" add p.rnp "$K/rnp-p384.key"
expect 0 "a Sequoia key is taken" add p.sqop "$K/sqop-default.key"
finish
