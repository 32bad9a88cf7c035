#!/usr/bin/env bash
# test_pgp_differential.sh -- Chancery's OpenPGP verdicts (crypto/pgp.c,
# through build/tests/pgp_verdict) set against GnuPG's (`gpg --verify`,
# status-fd) and Sequoia's (`sqv`) on every case of the corpus made by
# GnuPG 2.2 and 1.4, RNP and Sequoia (tests/fixtures/pgp/make-corpus.sh).
#
# gpg runs at the fixed time corpus/GPG_TIME (a month after the corpus was
# made): its verdicts on expiry then never drift with the clock.
#
# A case passes when the three verdicts agree, or when they disagree
# exactly as the table below documents, with its reason. A verdict is
# "accept" or "refuse"; gpg accepts only with GOODSIG (EXPKEYSIG,
# REVKEYSIG, EXPSIG, BADSIG, ERRSIG refuse). Chancery's own verdict is
# also pinned by the table's first column where it says so ("=" rows), so
# a change of Chancery's mind shows up even where the others agree.
set -u
. "$(dirname "$0")/lib.sh"
corpus=$top/tests/fixtures/pgp/corpus
driver=$BUILD/tests/pgp_verdict

# Documented disagreements: case, then the verdicts of chancery, gpg, sqv
# (a = accept, r = refuse), then why. Every case not listed must agree.
#
# Reasons, in short:
#  NOW    gpg judges a key's expiry and revocation now; Chancery and sqv
#         judge them at the signature's creation time (a step signed while
#         the key was good stays good: see SECURITY.md, "Keys").
#  SOFT   a soft revocation (superseded, retired) does not reach back:
#         Chancery and sqv keep earlier signatures; gpg refuses all.
#  SHA1   Chancery refuses SHA-1 on documents and on subkey bindings
#         (DESIGN: SHA-256 or stronger), as sqv does; gpg 2.2 accepts both.
#  TEXT   only binary-document signatures (0x00) sign a commit payload.
#  DSA    DSA keys are not supported (no signing key of an official uses one).
#  TWO    a key file holds exactly one certificate; gpg and sqv take every
#         certificate of a keyring file.
#  NOUID  gpg 2.2 cannot import a certificate without a user ID; RFC 9580
#         allows one (direct-key self-signature), and so do Chancery and sqv.
#  SHA3   SHA3-256 is named and refused: stock GnuPG 2.2 (git verify-commit,
#         the auditors' second verifier) cannot check it.
table='
gpg2-rsa2048-SHA1          r a r  SHA1: SHA-1 over the document; gpg 2.2 still accepts it
gpg1-rsa2048-SHA1          r a r  SHA1: SHA-1 over the document; gpg 2.2 still accepts it
rnp-rsa2048-SHA1           r a r  SHA1: SHA-1 over the document; gpg 2.2 still accepts it
gpg2-sub-sha1binding       r a r  SHA1: subkey bound by a SHA-1 binding; gpg 2.2 accepts self-signatures over SHA-1
gpg2-text                  r a a  TEXT: a text-mode signature (0x01) is not a commit signature
gpg1-dsa2048               r a a  DSA: DSA keys are not supported
gpg2-two-certs             r a a  TWO: the key file holds two certificates; the signature is by the second
gpg2-revprim-soft-before   a r a  SOFT+NOW: superseded after the signature; gpg refuses every signature of a revoked key
gpg2-revsub-soft-before    a r a  SOFT+NOW: retired after the signature; gpg refuses every signature of a revoked key
rnp-revoked-superseded     a r a  SOFT+NOW: superseded after the signature; gpg refuses every signature of a revoked key
sq-revoked-retired-before  a r a  SOFT+NOW: retired after the signature; gpg refuses every signature of a revoked key
gpg2-exp-before            a r a  NOW: signed before the key expired; gpg reports EXPKEYSIG for an expired key
gpg2-subexp-before         a r a  NOW: signed before the subkey expired; gpg reports EXPKEYSIG for an expired key
sq-exp-before              a r a  NOW: signed before the key expired; gpg reports EXPKEYSIG for an expired key
sq-cv25519                 a r a  NOW: sq 0.27 keys expire after 3 years; signed in 2020, expired by now
sq-rsa3k                   a r a  NOW: sq 0.27 keys expire after 3 years; signed in 2020, expired by now
sq-rsa4k                   a r a  NOW: sq 0.27 keys expire after 3 years; signed in 2020, expired by now
sq-notation                a r a  NOW: sq 0.27 keys expire after 3 years; signed in 2020, expired by now
sq-revoked-retired-after   r r r  =: retired before the signature (gpg: expired now as well)
sq-revoked-compromised     r r r  =: compromised: every signature, even the earlier one
sq-nouid                   a r a  NOUID: no user ID, a direct-key self-signature only; gpg 2.2 cannot import it
rnp-rsa2048-SHA3-256       r r r  =: SHA3-256 is named and refused (gpg 2.2 cannot check it either)
'

verdict_gpg() { # key sig -> a|r (and the status word on fd 3)
	local home st
	home=$(mktemp -d "$TMP/gpg.XXXXXX")
	chmod 700 "$home"
	GNUPGHOME=$home gpg --batch --quiet --import "$1" >/dev/null 2>&1
	st=$(GNUPGHOME=$home gpg --batch --no-auto-check-trustdb --faked-system-time "$gpg_time" \
		--status-fd 1 --verify "$2" \
		"$corpus/data.txt" 2>/dev/null | grep -oE '\] (GOODSIG|BADSIG|EXPKEYSIG|REVKEYSIG|EXPSIG|ERRSIG)' |
		head -1)
	rm -rf "$home"
	echo "${st#] }" >&3
	[ "${st#] }" = GOODSIG ] && echo a || echo r
}

verdict_sqv() { sqv --keyring "$1" "$2" "$corpus/data.txt" >/dev/null 2>&1 && echo a || echo r; }

verdict_chancery() { "$driver" "$1" "$2" "$corpus/data.txt" >&3 2>&1 && echo a || echo r; }

need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "not ok - $1 is missing (scripts/deps.sh installs it)"
	exit 1
}
need_tool gpg
need_tool sqv
[ -x "$driver" ] || { echo "not ok - $driver is missing (make all)"; exit 1; }
TMP=$T/diff
gpg_time=$(cat "$corpus/GPG_TIME")
mkdir -p "$TMP"

# Every row of the table names a case of the corpus (no stale rows).
while read -r name _; do
	[ -n "$name" ] || continue
	if grep -q "^$name	" "$corpus/MANIFEST"; then ok "table row $name names a corpus case"
	else not_ok "table row $name names no corpus case"; fi
done <<<"$table"

agree=0 documented=0
while IFS=$'\t' read -r name desc; do
	key=$corpus/$name.key sig=$corpus/$name.sig
	ch=$(verdict_chancery "$key" "$sig" 3>"$TMP/ch.msg")
	gp=$(verdict_gpg "$key" "$sig" 3>"$TMP/gpg.msg")
	sv=$(verdict_sqv "$key" "$sig")
	row=$(awk -v n="$name" '$1 == n' <<<"$table")
	got="$ch $gp $sv"
	if [ -n "$row" ]; then
		want=$(awk '{ print $2, $3, $4 }' <<<"$row")
		why=$(cut -d' ' -f5- <<<"$(tr -s ' ' <<<"$row")")
		if [ "$got" = "$want" ]; then
			documented=$((documented + 1))
			ok "$name: chancery/gpg/sqv $got, as documented ($why)"
		else
			not_ok "$name: chancery/gpg/sqv $got, documented $want ($why); chancery: $(cat "$TMP/ch.msg"); gpg: $(cat "$TMP/gpg.msg")"
		fi
	elif [ "$ch" = "$gp" ] && [ "$gp" = "$sv" ]; then
		agree=$((agree + 1))
		ok "$name: all three $ch ($desc)"
	else
		not_ok "$name: chancery/gpg/sqv $got, an undocumented disagreement ($desc); chancery: $(cat "$TMP/ch.msg"); gpg: $(cat "$TMP/gpg.msg")"
	fi
done <"$corpus/MANIFEST"
echo "# $agree cases agree, $documented documented disagreements or pinned verdicts"
finish
