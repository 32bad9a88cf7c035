#!/usr/bin/env bash
# test_messages.sh -- messages that once read wrong say what was wrong:
# who may create a document with a workflow (not "in state 'cong-van'"),
# an invalid site id (not "not a valid unit"), a refused search query (not
# "the title"), the quorum refusal through a delegation (the person who
# has counted, not the one acted for), and the people page's name column.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

# ---- init --site-id HQ ----
expect 1 "init --site-id HQ is refused" "$CH" init "$T/bad" --site-id HQ --admin admin.a \
	--name "Quản Trị A" --passphrase-file "$(pass admin.a)"
err_has "'HQ' is not a valid site id" "  as an invalid site id"
check "  not as a unit" sh -c "! grep -q 'valid unit' '$T/err'"
check "  and no site is left" test ! -e "$T/bad/repo.git"

make_site nguyen.van.a:drafter tran.thi.b:head le.van.c:deputy pham.thi.d:deputy ||
	{ not_ok "site"; finish; }
act() { # doc who action [extra...]
	local d=$1 w=$2 a=$3; shift 3
	"$CH" doc act "$S" "$d" --as "$w" --action "$a" --passphrase-file "$(pass "$w")" "$@"
}

# ---- create without a role the workflow names for it ----
expect 1 "a head may not create a công văn" "$CH" doc create "$S" --as tran.thi.b --title T \
	--type cong-van --file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass tran.thi.b)"
err_has "tran.thi.b has no role that may create a document with workflow 'cong-van' (it takes one of: drafter)" \
	"  the message names the workflow and the role it takes"
check "  and no state" sh -c "! grep -q \"in state 'cong-van'\" '$T/err'"

# ---- the quorum refusal through a delegation ----
D=$("$CH" doc create "$S" --as nguyen.van.a --title "Công văn thử" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)")
act "$D" nguyen.van.a submit >/dev/null && act "$D" tran.thi.b approve >/dev/null &&
	act "$D" le.van.c approve >/dev/null || not_ok "to the deputies' round"
"$CH" delegate "$S" --from pham.thi.d --to le.van.c --roles deputy --as admin.a \
	--passphrase-file "$(pass admin.a)" >/dev/null || not_ok "delegate"
expect 1 "le.van.c, who has approved, may not approve again for pham.thi.d" \
	act "$D" le.van.c approve --on-behalf-of pham.thi.d
err_has "le.van.c has already counted towards this approve round" \
	"  the message names le.van.c, who has counted"
err_has "le.van.c acting for pham.thi.d may not count again" "  and the delegation"
check "  not pham.thi.d, who has not" sh -c "! grep -q 'pham.thi.d has already' '$T/err'"

# ---- the server: a refused search, the people page ----
check "server starts" start_server
login admin.a >/dev/null
curl_s -b "$T/jar.admin.a" -G --data-urlencode "q=TỐI MẬT kế hoạch" "$URL/docs?lang=en" >"$T/search.html"
check "a stamped search query is refused as a search query" grep -q "the search query carries" "$T/search.html"
check "  not as a title" sh -c "! grep -q 'the title carries' '$T/search.html'"
check "  and says the search was not run" grep -q "the search was not run" "$T/search.html"
curl_s -c "$T/jar.en" -o /dev/null "$URL/login?lang=en" --data-urlencode id=admin.a \
	--data-urlencode "password=$(cat "$T/pass/admin.a.login")" # a session in English
curl_s -b "$T/jar.en" "$URL/people" >"$T/people.html"
check "the people page labels the name column Full name" grep -q "<th>Full name</th>" "$T/people.html"
check "  not Identifier" sh -c "! grep -q '<th>Identifier</th>' '$T/people.html'"
curl_s -b "$T/jar.admin.a" "$URL/people" >"$T/people-vi.html"
check "  in Vietnamese: Họ và tên" grep -q "<th>Họ và tên</th>" "$T/people-vi.html"
stop_server
finish
