#!/usr/bin/env bash
# test_bundle.sh -- sync by file (docs/sync.md "Bundles"): HQ writes a
# bundle for mission-a with `chancery bundle create` (signed by an HQ
# official, encrypted to mission-a's people); the mission applies it with
# `chancery bundle apply` through the quarantine, twice (the second time
# nothing changes). What goes in is exactly what a fetch would serve: the
# policy and the documents addressed to mission-a, never one addressed to
# nobody or to mission-b, never a stamped (classified) one. Tampered,
# truncated, unsigned, re-signed-by-nobody, wrong-recipient bundles and
# bundles from a revoked official are refused with a clear message and
# nothing moves.
#
# The mission site is a copy of HQ's site directory with its site id
# changed, its documents removed, and only its own people's secret keys in
# its GnuPG home (until `chancery join` exists).
. "$(dirname "$0")/lib.sh"

H="$T/hq"
M="$T/ma"
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
"$CH" init "$H" --site-id hq --admin admin.a --name "Quản Trị A" \
	--passphrase-file "$(pass admin.a)" >/dev/null || { not_ok "init"; finish; }
for m in mission-a mission-b mission-c; do
	"$CH" site set "$H" "$m" --units "$m" "${ADM[@]}" >/dev/null || not_ok "site set $m"
done
add() { # id roles unit
	"$CH" person add "$H" "$1" --name "Cán bộ $1" --roles "$2" --unit "$3" "${ADM[@]}" \
		--new-passphrase-file "$(pass "$1")" >/dev/null || not_ok "person add $1"
}
add nguyen.van.a drafter hq/legal
add tran.thi.b head hq/legal
add lan.thi.m drafter mission-a/consular
add hoa.van.n drafter mission-a
add binh.van.k drafter mission-b
add quan.tri.m policy-admin mission-a/admin
mk() { # title recipients
	"$CH" doc create "$H" --as nguyen.van.a --title "$1" --type cong-van \
		--file "$CORPUS/bao-gia-lai-tin-292.txt" ${2:+--to "$2"} --passphrase-file "$(pass nguyen.van.a)"
}
DA=$(mk "Gửi Tokyo" mission-a)
DAB=$(mk "Gửi cả hai" mission-a,mission-b)
DN=$(mk "Nội bộ" "")
DB=$(mk "Gửi riêng B" mission-b)
"$CH" doc act "$H" "$DA" --as nguyen.van.a --action submit --passphrase-file "$(pass nguyen.van.a)" >/dev/null
check "HQ: documents to mission-a, to both, to nobody, to mission-b" test -n "$DA" -a -n "$DAB" -a -n "$DN" -a -n "$DB"
R="$H/repo.git"
# A stamped document addressed to mission-a that reached the repository
# around the gate (written with stock git, as test_gate.sh does).
CANARY="canary-$RANDOM$RANDOM"
printf 'BỘ NGOẠI GIAO\n\nTỐI MẬT\n\nNội dung %s.\n' "$CANARY" >"$T/stamped.md"
sblob=$(git -C "$R" hash-object -w "$T/stamped.md")
meta=$(git -C "$R" show "refs/docs/$DA:meta.json" | git -C "$R" hash-object -w --stdin)
tree=$(printf '100644 blob %s\tdocument.md\n100644 blob %s\tmeta.json\n' "$sblob" "$meta" | git -C "$R" mktree)
smug=$(git -C "$R" commit-tree "$tree" -m "$(git -C "$R" log -1 --format=%B "refs/docs/$DA")")
git -C "$R" update-ref refs/docs/smuggled "$smug"

# ---- the mission's site ----
gpgconf --homedir "$H/gnupg" --kill gpg-agent 2>/dev/null
cp -a "$H" "$M"
rm -f "$M"/gnupg/S.* "$M"/gnupg/*.lock
jq '.site = "mission-a"' "$H/site.json" >"$M/site.json"
git -C "$M/repo.git" config chancery.site mission-a
git -C "$M/repo.git" for-each-ref --format='%(refname)' refs/docs refs/chancery |
	while read -r r; do git -C "$M/repo.git" update-ref -d "$r"; done
git -C "$M/repo.git" reflog expire --expire=now --all 2>/dev/null
git -C "$M/repo.git" gc -q --prune=now 2>/dev/null
for p in admin.a nguyen.van.a tran.thi.b binh.van.k; do # only mission-a's people keep secret keys
	fpr=$(git -C "$M/repo.git" show "refs/heads/policy:policy/people.json" |
		jq -r --arg id "$p" '.people[] | select(.id == $id) | .fingerprint')
	GNUPGHOME="$M/gnupg" gpg --batch --yes --quiet --delete-secret-keys "$fpr" 2>/dev/null ||
		not_ok "delete the secret key of $p from the mission's home"
done
gpgconf --homedir "$M/gnupg" --kill gpg-agent 2>/dev/null
cp -a "$M" "$T/mfresh" && rm -f "$T"/mfresh/gnupg/S.* # a mission that never received anything
check "the mission holds only the policy" test "$(git -C "$M/repo.git" for-each-ref --format='%(refname)')" = refs/heads/policy
check "  and none of HQ's document objects" bash -c "! git -C '$M/repo.git' cat-file -e '$(git -C "$R" rev-parse "refs/docs/$DA")' 2>/dev/null"

# ---- create ----
AS_A=(--as nguyen.van.a --passphrase-file "$(pass nguyen.van.a)")
expect 0 "HQ: bundle create for mission-a, signed by nguyen.van.a" \
	"$CH" bundle create "$H" --for mission-a "${AS_A[@]}" -o "$T/a.bundle"
check "  it says what it holds (4 refs: policy, two documents, HQ's site log)" grep -q "bundle for mission-a: 4 refs" "$T/out"
check "  the file is an OpenPGP encrypted message, not plain text" \
	bash -c "! grep -aq 'chancery-bundle' '$T/a.bundle' && ! grep -aq '$DA' '$T/a.bundle' && file -b '$T/a.bundle' 2>/dev/null | grep -qiE 'PGP|data'"
expect 0 "HQ: bundle create for mission-b" "$CH" bundle create "$H" --for mission-b "${AS_A[@]}" -o "$T/b.bundle"
expect 1 "a bundle for a site with nobody to encrypt to is refused" \
	"$CH" bundle create "$H" --for mission-c "${AS_A[@]}" -o "$T/c.bundle"
err_has "mission-c has no person" "  and the message says so"
check "  and no file is written" test ! -e "$T/c.bundle"
expect 1 "a mission official cannot sign a bundle from HQ" \
	"$CH" bundle create "$H" --for mission-a --as lan.thi.m --passphrase-file "$(pass lan.thi.m)" -o "$T/x.bundle"
err_has "is not a person of site hq" "  (not a person of site hq)"
expect 1 "a wrong passphrase writes no bundle" \
	"$CH" bundle create "$H" --for mission-a --as nguyen.van.a --passphrase-file "$(pass tran.thi.b)" -o "$T/x.bundle"
check "  no file" test ! -e "$T/x.bundle"
expect 1 "a site not in the policy is refused" "$CH" bundle create "$H" --for mission-z "${AS_A[@]}" -o "$T/x.bundle"

# ---- what is inside (decrypted with stock gpg and a mission key) ----
GNUPGHOME="$M/gnupg" gpg --batch --quiet --pinentry-mode loopback --passphrase-file "$(pass lan.thi.m)" \
	-d "$T/a.bundle" >"$T/a.plain" 2>/dev/null
check "stock gpg decrypts the bundle with lan.thi.m's key" grep -aq '^chancery-bundle 1$' "$T/a.plain"
python3 - "$T/a.plain" "$T/a.pack" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"\npack ") + 6
j = d.index(b"\n", i)
open(sys.argv[2], "wb").write(d[j + 1:j + 1 + int(d[i:j])])
PY
mkdir -p "$T/inspect.git" && git init -q --bare "$T/inspect.git"
git -C "$T/inspect.git" index-pack --stdin <"$T/a.pack" >/dev/null 2>&1
check "  its pack is a valid git pack" test -n "$(ls "$T/inspect.git/objects/pack/"*.idx 2>/dev/null)"
git -C "$T/inspect.git" verify-pack -v "$T/inspect.git"/objects/pack/*.idx 2>/dev/null | awk '{print $1}' >"$T/a.objects"
check "  it holds mission-a's documents" grep -q "$(git -C "$R" rev-parse "refs/docs/$DAB")" "$T/a.objects"
check "  not the document addressed to nobody" bash -c "! grep -q '$(git -C "$R" rev-parse "refs/docs/$DN")' '$T/a.objects'"
check "  not the one for mission-b only" bash -c "! grep -q '$(git -C "$R" rev-parse "refs/docs/$DB")' '$T/a.objects'"
check "  not the stamped one's commit" bash -c "! grep -q '$smug' '$T/a.objects'"
check "  nor its classified text" bash -c "! grep -q '$sblob' '$T/a.objects' && ! grep -aq '$CANARY' '$T/a.plain'"
check "  the header names from, to and the signer" \
	bash -c "grep -aq '^from hq$' '$T/a.plain' && grep -aq '^to mission-a$' '$T/a.plain' && grep -aq '^signer nguyen.van.a$' '$T/a.plain'"

# ---- apply ----
AS_M=(--as lan.thi.m --passphrase-file "$(pass lan.thi.m)")
expect 0 "mission-a: bundle apply" "$CH" bundle apply "$M" "$T/a.bundle" "${AS_M[@]}"
sed 's/^/#   /' "$T/out" | head -6
check "  the document addressed to it arrived at HQ's head" \
	test "$(git -C "$M/repo.git" rev-parse "refs/docs/$DA" 2>/dev/null)" = "$(git -C "$R" rev-parse "refs/docs/$DA")"
check "  and the one addressed to both" \
	test "$(git -C "$M/repo.git" rev-parse "refs/docs/$DAB" 2>/dev/null)" = "$(git -C "$R" rev-parse "refs/docs/$DAB")"
check "  one line a ref: accepted (documents), unchanged (the policy)" \
	bash -c "grep -q '^accepted refs/docs/$DA ' '$T/out' && grep -q '^unchanged refs/heads/policy ' '$T/out'"
check "  nothing else: no document to nobody, to mission-b, nor the stamped one" \
	test "$(git -C "$M/repo.git" for-each-ref --format='%(refname)' refs/docs | sort | tr '\n' ' ')" = \
	"$(printf '%s\n' "refs/docs/$DA" "refs/docs/$DAB" | sort | tr '\n' ' ')"
check "  not one object of them" bash -c "! git -C '$M/repo.git' cat-file -e '$(git -C "$R" rev-parse "refs/docs/$DN")' 2>/dev/null &&
	! git -C '$M/repo.git' cat-file -e '$smug' 2>/dev/null && ! git -C '$M/repo.git' cat-file -e '$sblob' 2>/dev/null"
expect 0 "  chancery verify passes on the mission's repository" "$CH" verify "$M/repo.git"
before=$(repo_state "$M")
expect 0 "applying the same bundle again succeeds" "$CH" bundle apply "$M" "$T/a.bundle" "${AS_M[@]}"
check "  every ref unchanged" bash -c "! grep -qv '^unchanged ' <(tail -n +2 '$T/out') && test \$(grep -c '^unchanged ' '$T/out') -eq 3"
check "  and the repository is exactly as it was" test "$(repo_state "$M")" = "$before"

# ---- refused, and nothing moves ----
refused() { # desc text file [apply-args]
	local desc=$1 text=$2 f=$3; shift 3
	local b
	b=$(repo_state "$M")
	expect 1 "$desc" "$CH" bundle apply "$M" "$f" "${@:-${AS_M[@]}}"
	err_has "$text" "  the message: $text"
	check "  nothing moved" test "$(repo_state "$M")" = "$b"
}
# A new step at HQ, so that a refused bundle would have had something to bring.
"$CH" doc act "$H" "$DAB" --as nguyen.van.a --action submit --passphrase-file "$(pass nguyen.van.a)" >/dev/null
"$CH" bundle create "$H" --for mission-a "${AS_A[@]}" -o "$T/a2.bundle" >/dev/null || not_ok "second bundle"
size=$(stat -c %s "$T/a2.bundle")
cp "$T/a2.bundle" "$T/flip.bundle"
# one byte of the encrypted data inverted, 64 bytes before the end (the
# middle byte may fall in the session-key packet of another recipient,
# which the decryption rightly passes over; a byte written over it may be
# the same byte)
at=$((size - 64))
byte=$(od -An -tu1 -j "$at" -N1 "$T/a2.bundle" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 255)))" | dd of="$T/flip.bundle" bs=1 seek="$at" conv=notrunc 2>/dev/null
check "  (the flipped copy differs from the bundle)" bash -c "! cmp -s '$T/a2.bundle' '$T/flip.bundle'"
refused "a bundle with one byte changed is refused" "cannot be decrypted" "$T/flip.bundle"
head -c $((size - 100)) "$T/a2.bundle" >"$T/trunc.bundle"
refused "a truncated bundle is refused" "cannot be decrypted" "$T/trunc.bundle"
refused "a bundle for mission-b is refused at mission-a" "not addressed to this site" "$T/b.bundle"
(umask 077; echo "not-the-passphrase-2026" >"$T/wrong.pass")
refused "a bundle applied with the wrong passphrase is refused" "wrong passphrase" "$T/a2.bundle" \
	--as lan.thi.m --passphrase-file "$T/wrong.pass"
refused "a file that is not a bundle is refused" "cannot be decrypted" "$CORPUS/bao-gia-lai-tin-292.txt"
# HQ's own home holds lan.thi.m's key (it made it): the header is checked too.
b=$(repo_state "$H")
expect 1 "HQ applying mission-a's bundle: refused" "$CH" bundle apply "$H" "$T/a2.bundle" "${AS_M[@]}"
err_has "addressed to site mission-a, and this site is hq" "  (addressed to site mission-a, this is hq)"
check "  nothing moved at HQ" test "$(repo_state "$H")" = "$b"

# Forgeries made with stock gpg from a decrypted bundle: encrypted to
# lan.thi.m's public key, so that only the signature can tell.
GNUPGHOME="$M/gnupg" gpg --batch --quiet --pinentry-mode loopback --passphrase-file "$(pass lan.thi.m)" \
	-d "$T/a2.bundle" >"$T/a2.plain" 2>/dev/null
E="$T/enc-gnupg"
mkdir -m 700 "$E"
"$CH" export-keys "$H" >"$T/keys.asc"
GNUPGHOME="$E" gpg --batch --quiet --import "$T/keys.asc" 2>/dev/null
lanfpr=$(git -C "$R" show "refs/heads/policy:policy/people.json" | jq -r '.people[] | select(.id == "lan.thi.m") | .fingerprint')
seal() { GNUPGHOME="$E" gpg --batch --quiet --yes --trust-model always -r "$lanfpr" -o "$2" -e "$1"; }
python3 - "$T/a2.plain" "$T" "$(git -C "$R" rev-parse "refs/docs/$DN")" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
t = sys.argv[2]
m = re.match(rb"chancery-bundle 1\nsignature (\d+)\n", d)
n = int(m.group(1)); sig = d[m.end():m.end() + n]; body = d[m.end() + n:]
open(t + "/unsigned.plain", "wb").write(b"chancery-bundle 1\nsignature 0\n" + body)
# a ref line changed: the document addressed to nobody, under an addressed name
body2 = re.sub(rb"\nref [0-9a-f]{40} refs/docs/", b"\nref " + sys.argv[3].encode() + b" refs/docs/", body, count=1)
open(t + "/forged.plain", "wb").write(d[:m.end() + n] + body2)
# the header edited to name another sender, the signature kept
open(t + "/from.plain", "wb").write(d[:m.end() + n] + body.replace(b"from hq\n", b"from mission-b\n", 1))
PY
seal "$T/unsigned.plain" "$T/unsigned.bundle"
seal "$T/forged.plain" "$T/forged.bundle"
seal "$T/from.plain" "$T/from.bundle"
seal "$T/a2.plain" "$T/resealed.bundle"
refused "an unsigned bundle is refused" "it is not signed" "$T/unsigned.bundle"
refused "a bundle whose ref list was edited after signing is refused" "signature does not verify" "$T/forged.bundle"
refused "a bundle whose sender was edited after signing is refused" "signature does not verify" "$T/from.bundle"
# control: the same plaintext re-encrypted by stock gpg is accepted
expect 0 "control: the untouched plaintext re-encrypted with stock gpg is accepted" \
	"$CH" bundle apply "$M" "$T/resealed.bundle" "${AS_M[@]}"
check "  and brings HQ's new step" test "$(git -C "$M/repo.git" rev-parse "refs/docs/$DAB")" = "$(git -C "$R" rev-parse "refs/docs/$DAB")"

b=$(repo_state "$M")
expect 1 "an older bundle applied after a newer one (a replay) is refused" "$CH" bundle apply "$M" "$T/a.bundle" "${AS_M[@]}"
check "  the document that moved on since: refused, rule R1 (rollback)" grep -q "^refused refs/docs/$DAB .* rule R1" "$T/out"
check "  the others unchanged" bash -c "grep -q '^unchanged refs/docs/$DA ' '$T/out' && grep -q '^unchanged refs/heads/policy ' '$T/out'"
check "  and nothing moved back" test "$(repo_state "$M")" = "$b"

# Incremental: what the mission's checkpoint says it holds is left out.
expect 0 "the mission writes a checkpoint of what it holds (chancery verify --checkpoint)" \
	"$CH" verify "$M/repo.git" --checkpoint "$T/cp.json"
"$CH" doc act "$H" "$DA" --as tran.thi.b --action comment --comment "Ý kiến mới" --passphrase-file "$(pass tran.thi.b)" >/dev/null
"$CH" bundle create "$H" --for mission-a "${AS_A[@]}" -o "$T/full.bundle" >/dev/null || not_ok "full bundle"
expect 0 "HQ: an incremental bundle since the mission's checkpoint" \
	"$CH" bundle create "$H" --for mission-a "${AS_A[@]}" --since-checkpoint "$T/cp.json" -o "$T/inc.bundle"
check "  it says so" grep -q "incremental" "$T/out"
fs=$(stat -c %s "$T/full.bundle") is=$(stat -c %s "$T/inc.bundle")
check "  it is smaller than the full one ($is < $fs bytes)" test "$is" -lt "$fs"
expect 0 "  the mission applies it" "$CH" bundle apply "$M" "$T/inc.bundle" "${AS_M[@]}"
check "  the new step arrived" test "$(git -C "$M/repo.git" rev-parse "refs/docs/$DA")" = "$(git -C "$R" rev-parse "refs/docs/$DA")"
expect 0 "  and the mission still verifies" "$CH" verify "$M/repo.git" --checkpoint "$T/cp.json"
echo '{"version": 1, "refs": {"refs/heads/policy": "not-an-id"}}' >"$T/bad-cp.json"
expect 1 "a malformed checkpoint is refused" \
	"$CH" bundle create "$H" --for mission-a "${AS_A[@]}" --since-checkpoint "$T/bad-cp.json" -o "$T/x.bundle"
err_has "not an object id" "  naming what is wrong"
b=$(git -C "$T/mfresh/repo.git" for-each-ref --format='%(refname) %(objectname)' refs/heads refs/docs refs/conflicts)
expect 1 "an incremental bundle at a mission that lacks its base is refused" \
	"$CH" bundle apply "$T/mfresh" "$T/inc.bundle" "${AS_M[@]}"
sed 's/^/#   /' "$T/out"
check "  the documents it brings are refused" \
	bash -c "grep -q '^refused refs/docs/$DA ' '$T/out' && grep -q '^refused refs/docs/$DAB ' '$T/out'"
err_has "ask for a full one" "  and the command says what to do"
# (HQ's site log, verified on its own, may be taken: logsync.h)
check "  and no document or policy ref moved there" \
	test "$(git -C "$T/mfresh/repo.git" for-each-ref --format='%(refname) %(objectname)' refs/heads refs/docs refs/conflicts)" = "$b"
expect 0 "  the full bundle applies there" "$CH" bundle apply "$T/mfresh" "$T/full.bundle" "${AS_M[@]}"

# A revoked official's bundle (revoked in the mission's current policy).
"$CH" doc act "$H" "$DAB" --as tran.thi.b --action comment --comment "Ý kiến" --passphrase-file "$(pass tran.thi.b)" >/dev/null
"$CH" bundle create "$H" --for mission-a "${AS_A[@]}" -o "$T/a3.bundle" >/dev/null || not_ok "third bundle"
expect 0 "the mission's policy-admin revokes nguyen.van.a" \
	"$CH" person revoke "$M" nguyen.van.a --as quan.tri.m --passphrase-file "$(pass quan.tri.m)"
refused "a bundle signed by an official revoked in the current policy is refused" "revoked" "$T/a3.bundle"
"$CH" person revoke "$H" nguyen.van.a "${ADM[@]}" >/dev/null || not_ok "revoke at HQ"
expect 1 "HQ: a revoked official cannot create a bundle" \
	"$CH" bundle create "$H" --for mission-a "${AS_A[@]}" -o "$T/x.bundle"
err_has "signer nguyen.van.a is revoked" "  the message says so"
check "  and no file is written" test ! -e "$T/x.bundle"
finish
