#!/usr/bin/env bash
# test_declassify.sh -- bringing a document from the offline tier to the
# networked one: a signed bundle by a declassifier (their key stays on the
# offline machine; the networked policy holds only its public part), gated
# again on import, recorded as an ordinary create step.
. "$(dirname "$0")/lib.sh"
OFF="$BUILD/chancery-offline"
O="$T/offline" S="$T/site"
as() { local who=$1; shift; "$@" --as "$who" --passphrase-file "$(pass "$who")"; }
"$OFF" init "$O" --site-id secret-room --admin admin.o --name "Quản Trị O" \
	--passphrase-file "$(pass admin.o)" >/dev/null || not_ok "offline site"
for p in nv.o:drafter decl.x:declassifier decl.y:declassifier; do
	as admin.o "$OFF" person add "$O" "${p%%:*}" --name "Cán bộ ${p%%:*}" --roles "${p#*:}" \
		--unit secret-room --new-passphrase-file "$(pass "${p%%:*}")" >/dev/null || not_ok "person $p"
done
"$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị A" --passphrase-file "$(pass admin.a)" \
	>/dev/null || not_ok "networked site"
as admin.a "$CH" person add "$S" nv.a --name "Cán bộ A" --roles drafter --unit hq \
	--new-passphrase-file "$(pass nv.a)" >/dev/null || not_ok "drafter"
git -C "$O/repo.git" show refs/heads/policy:policy/keys/decl.x.asc >"$T/decl.x.asc"
expect 0 "the networked policy takes the declassifier's public key only" \
	as admin.a "$CH" person add "$S" decl.x --name "Cán bộ decl.x" --roles declassifier --unit hq \
	--key "$T/decl.x.asc"
fpr=$(git -C "$S/repo.git" show refs/heads/policy:policy/people.json | jq -r '.people[] | select(.id=="decl.x") | .fingerprint')
check "  with the same fingerprint as offline" test "$fpr" = \
	"$(git -C "$O/repo.git" show refs/heads/policy:policy/people.json | jq -r '.people[] | select(.id=="decl.x") | .fingerprint')"
check "  and no secret key on the networked site" bash -c \
	"! gpg --homedir '$S/gnupg' --list-secret-keys '$fpr' >/dev/null 2>&1"

printf 'BỘ NGOẠI GIAO\n\nTỐI MẬT\n\nKế hoạch hợp tác năm 2027.\n' >"$T/secret.md"
D=$(as nv.o "$OFF" doc create "$O" --title "Kế hoạch hợp tác" --type bao-cao \
	--classification secret --file "$T/secret.md") || not_ok "secret document"
printf 'BỘ NGOẠI GIAO\n\nGIẢI MẬT\nQuyết định số 12/QĐ-BNG\n\nKế hoạch hợp tác năm 2027.\n' >"$T/released.md"
REF="Quyết định giải mật số 12/QĐ-BNG ngày 01/03/2027"
expect 1 "a drafter cannot declassify" as nv.o "$OFF" declassify "$O" "$D" --to "$T/b0" --reference "$REF"
err_has "not a declassifier" "  the refusal says why"
expect 1 "a reference without a decision number is refused" \
	as decl.x "$OFF" declassify "$O" "$D" --to "$T/b0" --reference "theo chỉ đạo"
expect 1 "a text still stamped is refused" as decl.x "$OFF" declassify "$O" "$D" --to "$T/b0" --reference "$REF"
err_has "marking" "  the refusal says the marking is still there"
check "  and writes nothing" test ! -e "$T/b0"
expect 0 "the declassifier signs a bundle of the released text" \
	as decl.x "$OFF" declassify "$O" "$D" --to "$T/bundle.json" --reference "$REF" --file "$T/released.md"
check "the bundle names the source and the reference" bash -c \
	"jq -r .payload '$T/bundle.json' | jq -e '.source_doc == \"$D\" and .source_classification == \"secret\" and .classification == \"unclassified\" and .declassifier == \"decl.x\"'"
check "the networked command line has no declassify command" bash -c "! '$CH' declassify '$O' '$D' 2>/dev/null"
check "the offline command line has no import command" bash -c "! '$OFF' import '$S' '$T/bundle.json' 2>/dev/null"

# ---- import ----
jq -c '.payload |= (fromjson | .text = "Văn bản khác.\n" | tojson)' "$T/bundle.json" >"$T/tampered.json"
unchanged "a tampered bundle leaves the repository as it was" "$S" as nv.a "$CH" import "$S" "$T/tampered.json"
expect 1 "a tampered bundle is refused" as nv.a "$CH" import "$S" "$T/tampered.json"
err_has "does not verify" "  the refusal says the signature does not verify"
as decl.y "$OFF" declassify "$O" "$D" --to "$T/bundle-y.json" --reference "$REF" --file "$T/released.md" >/dev/null
expect 1 "a bundle by a declassifier the networked policy does not name is refused" \
	as nv.a "$CH" import "$S" "$T/bundle-y.json"
as admin.a "$CH" person roles "$S" decl.x --roles drafter >/dev/null
expect 1 "a bundle by a person who is no longer a declassifier is refused" \
	as nv.a "$CH" import "$S" "$T/bundle.json"
as admin.a "$CH" person roles "$S" decl.x --roles declassifier >/dev/null
expect 0 "a drafter imports the bundle" as nv.a "$CH" import "$S" "$T/bundle.json"
N=$(head -1 "$T/out")
check "it is a document of the networked site" git -C "$S/repo.git" rev-parse -q --verify "refs/docs/$N"
check "  unclassified" bash -c "git -C '$S/repo.git' show 'refs/docs/$N:meta.json' | jq -e '.classification == \"unclassified\"'"
check "  with the released text" bash -c "git -C '$S/repo.git' show 'refs/docs/$N:document.md' | grep -q 'GIẢI MẬT'"
check "  and its create step names the declassification" bash -c \
	"git -C '$S/repo.git' log -1 --format=%B 'refs/docs/$N' | grep -q '12/QĐ-BNG.*decl.x'"
unchanged "importing the same bundle again leaves the repository as it was" "$S" \
	as nv.a "$CH" import "$S" "$T/bundle.json"
expect 1 "importing the same bundle again is refused" as nv.a "$CH" import "$S" "$T/bundle.json"
err_has "already imported as document $N" "  naming the document it made the first time"
sleep 1 # a new bundle of the same version: another time stamp, another signature
as decl.x "$OFF" declassify "$O" "$D" --to "$T/bundle2.json" --reference "$REF" --file "$T/released.md" >/dev/null
check "  a second bundle of the same version differs from the first" bash -c "! cmp -s '$T/bundle.json' '$T/bundle2.json'"
expect 1 "  is refused too" as nv.a "$CH" import "$S" "$T/bundle2.json"
err_has "already imported as document $N" "  naming the same document"
check "the site holds one imported document" test "$(git -C "$S/repo.git" for-each-ref refs/docs | wc -l)" -eq 1
expect 0 "the networked repository verifies" "$CH" verify "$S/repo.git"
check "no secret text reached the networked repository" bash -c \
	"! git -C '$S/repo.git' cat-file --batch-all-objects --batch | grep -aq 'TỐI MẬT'"
finish
