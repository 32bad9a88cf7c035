#!/usr/bin/env bash
# test_read_scope.sh -- read authorization in chanceryd (DESIGN.md "Scoped
# roles"): a person reads a document when its unit, or a unit of one of its
# recipient sites, lies in their scope; auditors read all. Anything else is
# answered exactly as a document that does not exist: a clerk of
# hq/consular gets the same status and bytes for hq/legal's existing draft
# as for an id that was never used (the page, the API, attachments, the
# diff, an action, the audit page), and lists, searches and counts do not
# hold it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

make_site nguyen.van.a:drafter tran.thi.b:head || { not_ok "site"; finish; }
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
"$CH" site set "$S" mission-a --units mission-a "${ADM[@]}" >/dev/null || not_ok "site set"
add() { # id roles unit
	"$CH" person add "$S" "$1" --name "Cán bộ $1" --roles "$2" --unit "$3" "${ADM[@]}" \
		--new-passphrase-file "$(pass "$1")" >/dev/null || not_ok "person add $1"
	(umask 077; printf 'login-%s-2026\n' "$1" >"$T/pass/$1.login")
	"$CH" account set "$S" "$1" --password-file "$T/pass/$1.login" >/dev/null || not_ok "account $1"
}
add kim.c clerk,drafter,head hq/consular
add pa.c policy-admin hq/consular
add kiem.toan auditor hq/audit
add mis.a head mission-a
mk() { # title [recipients]
	"$CH" doc create "$S" --as nguyen.van.a --title "$1" --type cong-van \
		--file "$CORPUS/bao-gia-lai-tin-292.txt" ${2:+--to "$2"} --passphrase-file "$(pass nguyen.van.a)"
}
D=$(mk "Bí mật đơn vị pháp chế zebra") || not_ok "the draft"
"$CH" doc act "$S" "$D" --as nguyen.van.a --action submit --passphrase-file "$(pass nguyen.van.a)" >/dev/null
DM=$(mk "Gửi phái đoàn okapi" mission-a) || not_ok "a document to mission-a"
# an id never used, of the same length: the answers must be byte for byte the same but for it
X="${D%?}$(printf '%x' $(( (0x${D: -1} + 1) % 16 )))"
check "a draft of hq/legal ($D) and an unused id ($X)" test -n "$D" -a "$D" != "$X" -a ${#D} -eq ${#X}
start_server || { not_ok "chanceryd starts"; finish; }
for p in kim.c pa.c kiem.toan nguyen.van.a tran.thi.b mis.a; do login "$p" >/dev/null; done
api_token() {
	curl_s -H 'Content-Type: application/json' "$URL/api/v1/session" \
		-d "{\"id\":\"$1\",\"password\":\"$(cat "$T/pass/$1.login")\"}" | jq -r .token
}
TOK=$(api_token kim.c)
AUD=$(api_token kiem.toan)

# fetch NAME ARGS...: status line, headers but Date, and body, with $D and
# $X both written as ID, into $T/NAME
fetch() {
	local name=$1; shift
	curl_s -D "$T/$name.h" -o "$T/$name.b" "$@"
	{ grep -viE '^(date|set-cookie):' "$T/$name.h"; cat "$T/$name.b"; } |
		sed -e "s/$D/ID/g" -e "s/$X/ID/g" >"$T/$name"
}
same() { # DESC A B: identical, and a 404
	if cmp -s "$T/$2" "$T/$3" && head -1 "$T/$2" | grep -q ' 404'; then ok "$1"
	else not_ok "$1"; diff "$T/$2" "$T/$3" | head -6 | sed 's/^/#   /'; head -1 "$T/$2" | sed 's/^/#   /'; fi
}

# ---- one document, every door ----
J=(-b "$T/jar.kim.c")
fetch page-d "${J[@]}" "$URL/docs/$D"; fetch page-x "${J[@]}" "$URL/docs/$X"
same "the page: another unit's draft answers as an unused id" page-d page-x
check "  and holds none of its title" bash -c "! grep -q zebra '$T/page-d.b'"
fetch diff-d "${J[@]}" "$URL/docs/$D/diff"; fetch diff-x "${J[@]}" "$URL/docs/$X/diff"
same "the diff page" diff-d diff-x
fetch att-d "${J[@]}" "$URL/docs/$D/attachments/a.txt"; fetch att-x "${J[@]}" "$URL/docs/$X/attachments/a.txt"
same "an attachment" att-d att-x
tok=$(csrf kim.c)
head=$(git -C "$S/repo.git" rev-parse "refs/docs/$D")
fetch act-d "${J[@]}" "$URL/docs/$D/act" -d "csrf=$tok" -d action=approve -d head="$head" \
	--data-urlencode "passphrase=$(cat "$(pass kim.c)")"
fetch act-x "${J[@]}" "$URL/docs/$X/act" -d "csrf=$tok" -d action=approve -d head="$head" \
	--data-urlencode "passphrase=$(cat "$(pass kim.c)")"
same "an action posted on the page" act-d act-x
check "  nothing was recorded" test "$(git -C "$S/repo.git" rev-parse "refs/docs/$D")" = "$head"
A=(-H "Authorization: Bearer $TOK")
fetch api-d "${A[@]}" "$URL/api/v1/docs/$D"; fetch api-x "${A[@]}" "$URL/api/v1/docs/$X"
same "the API's document" api-d api-x
fetch apiatt-d "${A[@]}" "$URL/api/v1/docs/$D/attachments/a.txt"
fetch apiatt-x "${A[@]}" "$URL/api/v1/docs/$X/attachments/a.txt"
same "the API's attachment" apiatt-d apiatt-x
jq -n --arg p "$(cat "$(pass kim.c)")" --arg h "$head" '{action:"approve", passphrase:$p, head:$h}' >"$T/body.json"
fetch apiact-d "${A[@]}" -H 'Content-Type: application/json' --data-binary @"$T/body.json" "$URL/api/v1/docs/$D/act"
fetch apiact-x "${A[@]}" -H 'Content-Type: application/json' --data-binary @"$T/body.json" "$URL/api/v1/docs/$X/act"
same "an action by the API" apiact-d apiact-x
jq -n --arg p "$(cat "$(pass kim.c)")" --arg h "$head" '{text:"x", passphrase:$p, head:$h}' >"$T/body.json"
fetch apirev-d "${A[@]}" -H 'Content-Type: application/json' --data-binary @"$T/body.json" "$URL/api/v1/docs/$D/revise"
fetch apirev-x "${A[@]}" -H 'Content-Type: application/json' --data-binary @"$T/body.json" "$URL/api/v1/docs/$X/revise"
same "a revise by the API" apirev-d apirev-x
P=(-b "$T/jar.pa.c")
fetch aud-d "${P[@]}" "$URL/audit?doc=$D"; fetch aud-x "${P[@]}" "$URL/audit?doc=$X"
if cmp -s "$T/aud-d" "$T/aud-x"; then ok "the audit page of a policy-admin of hq/consular"
else not_ok "the audit page of a policy-admin of hq/consular"; diff "$T/aud-d" "$T/aud-x" | head -6 | sed 's/^/#   /'; fi
fetch aud-all "${P[@]}" "$URL/audit"
check "  the whole audit holds neither of hq/legal's documents" \
	bash -c "! grep -qE '$D|$DM|zebra|okapi' '$T/aud-all.b'"

# ---- lists, searches, counts, the inbox ----
count() { curl_s -H "Authorization: Bearer $1" "$URL/api/v1/docs${2:+?q=$2}" | jq length; }
check "the API list of hq/consular's clerk holds none of hq/legal's ($(count "$TOK"))" test "$(count "$TOK")" -eq 0
check "  nor does a search for the draft's title ($(count "$TOK" zebra))" test "$(count "$TOK" zebra)" -eq 0
check "  nor a search for its id" test "$(count "$TOK" "$D")" -eq 0
check "an auditor's list holds both ($(count "$AUD"))" test "$(count "$AUD")" -eq 2
check "  and the search finds the draft" test "$(count "$AUD" zebra)" -eq 1
curl_s "${J[@]}" "$URL/docs?q=zebra" >"$T/list.b"
check "the list page's search for the clerk is empty (the query echoed, no result)" \
	bash -c "! grep -q '$D' '$T/list.b' && grep -q 'zebra' '$T/list.b'"
curl_s "${J[@]}" "$URL/docs" >"$T/list.b"
check "  the whole list too" bash -c "! grep -qE '$D|$DM' '$T/list.b'"
curl_s "${J[@]}" "$URL/" >"$T/inbox.b"
check "the inbox of hq/consular's head holds no hq/legal document in review" \
	bash -c "! grep -q '$D' '$T/inbox.b'"
curl_s -b "$T/jar.tran.thi.b" "$URL/" >"$T/inbox.b"
check "  hq/legal's head has it in his" grep -q "$D" "$T/inbox.b"
code=$(curl_s -b "$T/jar.kiem.toan" -o "$T/aud.b" -w '%{http_code}' "$URL/docs/$D")
check "an auditor opens the draft ($code)" test "$code" = 200 -a -n "$(grep zebra "$T/aud.b")"
code=$(curl_s -b "$T/jar.mis.a" -o /dev/null -w '%{http_code}' "$URL/docs/$DM")
check "mission-a's head reads the document addressed to mission-a ($code)" test "$code" = 200
code=$(curl_s -b "$T/jar.mis.a" -o /dev/null -w '%{http_code}' "$URL/docs/$D")
check "  but not hq/legal's draft ($code)" test "$code" = 404
check "  and lists only the one addressed to it" \
	test "$(curl_s -H "Authorization: Bearer $(api_token mis.a)" "$URL/api/v1/docs" | jq -r '.[].id')" = "$DM"

finish
