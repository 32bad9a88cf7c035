#!/usr/bin/env bash
# test_spill.sh -- spillage: a published unclassified document, sent to a
# mission, is found to be classified; the security officer records the
# spill and purges it. Afterwards no route of the server serves its title or
# text, git finds none of its objects, every other document still verifies,
# a checkpoint taken before accepts the spilled ref as a (signed) warning,
# and the command names the sites that received it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

TITLE_CANARY="SPILLTITLE$RANDOM$RANDOM"
TEXT_CANARY="SPILLTEXT$RANDOM$RANDOM"
REV_CANARY="SPILLREV$RANDOM$RANDOM"
make_site nv.a:drafter tt.b:head pd.c:deputy vt.d:clerk an.ninh:security-officer \
	kt.e:auditor || { not_ok site; finish; }
R="$S/repo.git"
as() { local who=$1; shift; "$@" --as "$who" --passphrase-file "$(pass "$who")"; }
as admin.a "$CH" site set "$S" mission-tokyo --units mission-tokyo >/dev/null ||
	not_ok "site mission-tokyo"
# a clerk of another unit: X is none of hers, before the spill or after
"$CH" person add "$S" kim.c --name "Cán bộ kim.c" --roles clerk --unit hq/consular \
	--as admin.a --passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass kim.c)" \
	>/dev/null || not_ok "person add kim.c"
(umask 077; printf 'login-kim.c-2026\n' >"$T/pass/kim.c.login")
"$CH" account set "$S" kim.c --password-file "$T/pass/kim.c.login" >/dev/null || not_ok "account kim.c"
act() { as "$2" "$CH" doc act "$S" "$1" --action "$3" >/dev/null || not_ok "$3 by $2 on $1"; }
publish() { act "$1" nv.a submit; act "$1" tt.b approve; act "$1" pd.c sign; act "$1" vt.d publish; }

printf 'BỘ NGOẠI GIAO\n\nBáo cáo về hợp tác %s.\n' "$TEXT_CANARY" >"$T/x1.md"
printf 'BỘ NGOẠI GIAO\n\nBáo cáo về hợp tác %s.\n\nBổ sung %s.\n' "$TEXT_CANARY" "$REV_CANARY" >"$T/x2.md"
X=$(as nv.a "$CH" doc create "$S" --title "Báo cáo $TITLE_CANARY" --type bao-cao \
	--file "$T/x1.md" --to mission-tokyo) || not_ok "create the document to spill"
as nv.a "$CH" doc revise "$S" "$X" --file "$T/x2.md" || not_ok "revise it"
publish "$X"
printf 'Thông báo lịch làm việc tuần tới.\n' >"$T/y.md"
Y=$(as nv.a "$CH" doc create "$S" --title "Lịch làm việc" --type bao-cao --file "$T/y.md") ||
	not_ok "create another document"
publish "$Y"
cp "$CORPUS/$(ls "$CORPUS" | head -1)" "$T/z.md"
Z=$(as nv.a "$CH" doc create "$S" --title "Văn bản khác" --type cong-van --file "$T/z.md") ||
	not_ok "create a third document"
check "the repository verifies before the spill" "$CH" verify "$R" --checkpoint "$T/cp.json"
git -C "$R" rev-list --objects "refs/docs/$X" | cut -d' ' -f1 | sort -u >"$T/x-objects"
check "the document has objects to purge ($(wc -l <"$T/x-objects"))" test "$(wc -l <"$T/x-objects")" -ge 8

check "server starts" start_server
login nv.a >/dev/null
code=$(curl_s -b "$T/jar.nv.a" -o "$T/before.html" -w '%{http_code}' "$URL/docs/$X")
check "before the spill the page shows the title (control: $code)" grep -q "$TITLE_CANARY" "$T/before.html"
curl_s -b "$T/jar.nv.a" "$URL/docs?q=$TITLE_CANARY" >"$T/before-list.html"
check "before the spill a search finds it (control)" grep -q "$TITLE_CANARY" "$T/before-list.html"

# ---- refusals ----
unchanged "a drafter cannot record a spill" "$S" as nv.a "$CH" spill "$S" "$X"
expect 1 "a drafter's spill is refused" as nv.a "$CH" spill "$S" "$X"
err_has "security-officer" "  the refusal says who may"
expect 1 "spilling a document that does not exist is refused" as an.ninh "$CH" spill "$S" no-such-doc
expect 1 "a stamped reason is refused by the gate" as an.ninh "$CH" spill "$S" "$X" --reason "TỐI MẬT"
check "  and records nothing" bash -c "! git -C '$R' rev-parse -q --verify refs/chancery/spills"

# ---- the spill ----
expect 0 "the security officer spills the document" as an.ninh "$CH" spill "$S" "$X" \
	--reason "Phát hiện thông tin thuộc bí mật nhà nước sau khi công bố"
cp "$T/out" "$T/spill.out"
check "it names the site that received it" grep -qx "recipient: mission-tokyo" "$T/spill.out"
check "it purged the chain's objects" grep -q "purged $X: [1-9][0-9]* objects" "$T/spill.out"
check "the ref is gone" bash -c "! git -C '$R' rev-parse -q --verify 'refs/docs/$X'"
check "the spill record names the document" bash -c \
	"git -C '$R' show refs/chancery/spills:spills.json | jq -e '.spills[0].doc == \"$X\" and .spills[0].by == \"an.ninh\" and .spills[0].recipients == [\"mission-tokyo\"]'"
check "the spill record holds no title or text" bash -c \
	"! git -C '$R' cat-file -p refs/chancery/spills^{tree} | grep -q . || ! git -C '$R' log -p refs/chancery/spills | grep -qE '$TITLE_CANARY|$TEXT_CANARY'"
check "the spill commit is signed by the security officer (stock git)" bash -c \
	"GNUPGHOME='$T/vg' && mkdir -p -m 700 \$GNUPGHOME && export GNUPGHOME && '$CH' export-keys '$S' | gpg -q --import 2>/dev/null; git -C '$R' verify-commit refs/chancery/spills 2>&1 | grep -q 'an.ninh@hq'"

# ---- no object left ----
missing=0
while read -r o; do git -C "$R" cat-file -e "$o" 2>/dev/null || missing=$((missing + 1)); done <"$T/x-objects"
check "git cat-file finds none of its $(wc -l <"$T/x-objects") objects ($missing gone)" \
	test "$missing" -eq "$(wc -l <"$T/x-objects")"
git -C "$R" cat-file --batch-all-objects --batch >"$T/all-objects" 2>/dev/null
check "no object of the repository holds its title or text" \
	bash -c "! grep -aqE '$TITLE_CANARY|$TEXT_CANARY|$REV_CANARY' '$T/all-objects'"
check "no file under the repository holds them" \
	bash -c "! grep -rlaE '$TITLE_CANARY|$TEXT_CANARY|$REV_CANARY' '$R'"
check "nor the site's state" \
	bash -c "! grep -rlaE '$TITLE_CANARY|$TEXT_CANARY|$REV_CANARY' '$S/state'"
check "the other documents are still there" git -C "$R" rev-parse -q --verify "refs/docs/$Y"
expect 0 "every other document still verifies" "$CH" verify "$R"
expect 0 "a checkpoint taken before the spill accepts it" "$CH" verify "$R" --checkpoint "$T/cp.json"
check "  as a warning naming the signed spill record" grep -q "spilled on .* by an.ninh" "$T/out"

# ---- no route serves it ----
login kt.e >/dev/null
get() { curl_s -b "$T/jar.${3:-nv.a}" -o "$T/resp.$1" -w '%{http_code}' "$URL$2"; }
for route in "/docs/$X" "/docs/$X/diff" "/docs/$X?lang=en"; do
	code=$(get page "$route")
	check "GET $route is a tombstone ($code)" test "$code" = 410
	check "  without its title or text" bash -c "! grep -qE '$TITLE_CANARY|$TEXT_CANARY' '$T/resp.page'"
done
check "the tombstone says it was withdrawn" grep -q "$X" "$T/resp.page"
# (a search for part of the title: the search box shows the query itself)
for route in / /inbox "/docs" "/docs?q=SPILLTITLE" "/docs?q=${X%-*}" "/docs?state=published"; do
	code=$(get list "$route")
	check "GET $route ($code) shows neither title nor text" \
		bash -c "[ '$code' = 200 ] && ! grep -qE '$TITLE_CANARY|$TEXT_CANARY' '$T/resp.list'"
done
code=$(get audit "/audit" kt.e)
check "the audit page ($code) shows neither" \
	bash -c "[ '$code' = 200 ] && ! grep -qE '$TITLE_CANARY|$TEXT_CANARY' '$T/resp.audit'"
code=$(get audit "/audit?doc=$X" kt.e)
check "the audit page of the spilled document is a tombstone ($code)" test "$code" = 410
tok=$(csrf nv.a)
code=$(curl_s -b "$T/jar.nv.a" -o "$T/resp.post" -w '%{http_code}' "$URL/docs/$X/act" \
	--data-urlencode "csrf=$tok" -d action=comment -d "head=$(head -c 40 /dev/zero | tr '\0' 0)" \
	--data-urlencode "passphrase=$(cat "$(pass nv.a)")")
check "a step on it is refused with a tombstone ($code)" test "$code" = 410
curl_s -o "$T/sess.json" -H 'Content-Type: application/json' "$URL/api/v1/session" \
	-d "{\"id\":\"nv.a\",\"password\":\"$(cat "$T/pass/nv.a.login")\"}"
api=$(jq -r .token "$T/sess.json")
apiget() { curl_s -H "Authorization: Bearer $api" -o "$T/resp.api" -w '%{http_code}' "$URL$1"; }
code=$(apiget "/api/v1/docs/$X")
check "API GET the document: 410 ($code)" test "$code" = 410
check "  a tombstone" jq -e '.tombstone == true and .error == "withdrawn (spillage)"' "$T/resp.api"
for route in /api/v1/docs "/api/v1/docs?q=SPILLTITLE" /api/v1/inbox; do
	code=$(apiget "$route")
	check "API GET $route ($code) shows neither" \
		bash -c "[ '$code' = 200 ] && ! grep -qE '$TITLE_CANARY|$TEXT_CANARY|\"$X\"' '$T/resp.api'"
done
code=$(curl_s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $api" \
	-H 'Content-Type: application/json' -d '{"action":"comment","passphrase":"x"}' \
	"$URL/api/v1/docs/$X/act")
check "API step on it: 410 ($code)" test "$code" = 410
code=$(get other "/docs/$Y")
check "another document is still served ($code)" test "$code" = 200

# ---- a spill tells nobody outside the document that it existed ----
R_LIST="$S/state/spilled-$X.readers"
check "the purge kept who could read it ($(tr '\n' ' ' <"$R_LIST" 2>/dev/null))" \
	bash -c "grep -qx nv.a '$R_LIST' && grep -qx kt.e '$R_LIST' && ! grep -qx kim.c '$R_LIST'"
login kim.c >/dev/null
login an.ninh >/dev/null
U="${X%?}$(printf '%x' $(( (0x${X: -1} + 1) % 16 )))" # an id never used
for route in "/docs/$X" "/docs/$X/diff" "/audit?doc=$X"; do
	code=$(get kim "$route" kim.c)
	code_u=$(get unused "${route//$X/$U}" kim.c)
	check "GET $route by a clerk of another unit: $code, as for an id never used ($code_u)" \
		test "$code" = "$code_u" -a "$code" != 410
	check "  the same page but for the id" \
		bash -c "diff <(sed 's/$X/ID/g' '$T/resp.kim') <(sed 's/$U/ID/g' '$T/resp.unused') >/dev/null"
done
code=$(get sec "/docs/$X" an.ninh)
check "the security officer, who could not read it, is shown the tombstone ($code)" test "$code" = 410
curl_s -o "$T/sess.kim" -H 'Content-Type: application/json' "$URL/api/v1/session" \
	-d "{\"id\":\"kim.c\",\"password\":\"$(cat "$T/pass/kim.c.login")\"}"
api_kim=$(jq -r .token "$T/sess.kim")
code=$(curl_s -H "Authorization: Bearer $api_kim" -o "$T/resp.kapi" -w '%{http_code}' "$URL/api/v1/docs/$X")
code_u=$(curl_s -H "Authorization: Bearer $api_kim" -o "$T/resp.uapi" -w '%{http_code}' "$URL/api/v1/docs/$U")
check "API GET by the clerk: $code, as for an id never used ($code_u), no tombstone" \
	bash -c "[ '$code' = '$code_u' ] && [ '$code' != 410 ] && ! grep -q tombstone '$T/resp.kapi'"
check "the server's log holds neither" bash -c "! grep -qE '$TITLE_CANARY|$TEXT_CANARY' '$T/server.log' '$T/server.out'"

# ---- what was spilled cannot come back (issue 16, part 5) ----
check "the spill record keeps the ids of the chain's objects (spilled/$X)" bash -c \
	"git -C '$R' show 'refs/chancery/spills:spilled/$X' | sort >'$T/kept' && comm -23 '$T/x-objects' '$T/kept' | wc -l | grep -qx 0"
check "  ids only: no title or text in it" bash -c "! git -C '$R' show 'refs/chancery/spills:spilled/$X' | grep -qvE '^[0-9a-f]{40}\$'"
before=$(repo_state "$S")
expect 1 "re-creating it with the same text, through the command line, is refused" \
	as nv.a "$CH" doc create "$S" --title "Báo cáo lại" --type bao-cao --file "$T/x2.md" --to mission-tokyo
err_has "spilled" "  the refusal says why"
check "  and nothing was written" test "$before" = "$(repo_state "$S")"
check "  a security event (rule SPILL)" grep -q '"rule":"SPILL"' "$S/state/security.log"
W=$(as nv.a "$CH" doc create "$S" --title "Báo cáo mới" --type bao-cao --file "$T/y.md")
check "a different text is still accepted" test -n "$W"
expect 1 "a revise of that draft to the spilled text is refused" as nv.a "$CH" doc revise "$S" "$W" --file "$T/x1.md"
err_has "spilled" "  naming the spill"

# ---- again: idempotent, and the record is not doubled ----
expect 0 "running the spill again finishes cleanly" as an.ninh "$CH" spill "$S" "$X"
check "  the list still holds one record" bash -c \
	"[ \$(git -C '$R' show refs/chancery/spills:spills.json | jq '.spills | length') = 1 ]"
check "  and names the recipients again" grep -qx "recipient: mission-tokyo" "$T/out"
stop_server
finish
