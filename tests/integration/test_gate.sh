#!/usr/bin/env bash
# test_gate.sh -- the classification gate at every door of the networked
# tier: command line, browser form (with an uploaded file), JSON API,
# comments, and responses. Each refusal leaves the repository as it was,
# never echoes the content, and is recorded as a security event.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

CANARY="CANARY-7f3e1b2a"
make_site nguyen.van.a:drafter tran.thi.b:head an.ninh:security-officer || { not_ok site; finish; }
mkd() { printf '%s\n' "$@" >"$T/$1.md.tmp"; }
printf 'BỘ NGOẠI GIAO\n\nTỐI MẬT\n\nNội dung %s.\n' "$CANARY" >"$T/stamped.md"
printf 'Ghi chú %s về bảo mật và mật khẩu, bí mật nhà nước.\n' "$CANARY" >"$T/friend.md"
printf 'T\xe1\xbb\x90I\xe2\x80\x8bM\xe1\xba\xacT\n\n%s\n' "$CANARY" >"$T/zw.md"   # TỐI<ZWSP>MẬT
cli_create() { # file title [extra...]
	local f=$1 t=$2; shift 2
	"$CH" doc create "$S" --as nguyen.van.a --title "$t" --type cong-van --file "$f" \
		--passphrase-file "$(pass nguyen.van.a)" "$@"
}
# (repeats of one event are folded into its line: count them all)
events() { cat "$S"/state/security.log* 2>/dev/null | jq -s 'map(.count) | add // 0'; }

# ---- the command line ----
n0=$(events)
unchanged "a stamped text leaves the repository as it was" "$S" cli_create "$T/stamped.md" "Báo cáo"
expect 1 "the command line refuses a stamped text" cli_create "$T/stamped.md" "Báo cáo"
err_has "refused at the command line" "the refusal names the door"
check "the refusal does not echo the content" bash -c "! grep -q '$CANARY' '$T/err'"
expect 1 "a stamp in the title is refused" cli_create "$T/friend.md" "TỐI MẬT - Kế hoạch"
err_has "the title" "the refusal says it was the title"
expect 1 "a stamp with a zero-width space is refused" cli_create "$T/zw.md" "Ghi chú"
cp "$T/friend.md" "$T/TOI-MAT_baocao.md"
expect 1 "a stamped file name is refused" cli_create "$T/TOI-MAT_baocao.md" "Ghi chú"
err_has "the file name" "the refusal says it was the file name"
expect 1 "a classified label is refused" cli_create "$T/friend.md" "Ghi chú" --classification confidential
D=$(cli_create "$T/friend.md" "Ghi chú về bảo mật") && ok "false friends pass (bảo mật, mật khẩu, bí mật nhà nước)" ||
	not_ok "false friends pass"
for f in "$CORPUS"/*.txt; do
	cli_create "$f" "$(basename "$f" .txt)" >/dev/null || not_ok "corpus file $(basename "$f") passes the gate"
done
ok "every corpus document passes the gate"
expect 1 "a stamped comment is refused" "$CH" doc act "$S" "$D" --as nguyen.van.a --action comment \
	--comment "TUYỆT MẬT" --passphrase-file "$(pass nguyen.van.a)"
n1=$(events)
check "each refusal is a security event ($((n1 - n0)) new)" test $((n1 - n0)) -ge 6
check "events hold no content" bash -c "! grep -q '$CANARY' '$S/state/security.log'"
check "events name door, person, rule and level" \
	grep -q '"door":"command line","person":"nguyen.van.a","rule":"[a-z-]*","level":"secret"' "$S/state/security.log"

# ---- the server: form, upload, API, responses ----
check "server starts" start_server
login nguyen.van.a >/dev/null
tok=$(csrf nguyen.van.a)
before=$(repo_state "$S")
code=$(curl_s -b "$T/jar.nguyen.van.a" -o "$T/resp" -w '%{http_code}' "$URL/docs/new" \
	-F "csrf=$tok" -F "title=Thông báo" -F type=cong-van -F "text=" \
	-F "file=@$T/stamped.md;filename=thong-bao.md" -F "passphrase=$(cat "$(pass nguyen.van.a)")")
check "an uploaded stamped file is refused ($code)" test "$code" = 400
check "  the page says the browser form refused it" grep -q "refused at the browser form" "$T/resp"
check "  without echoing the content" bash -c "! grep -q '$CANARY' '$T/resp'"
code=$(curl_s -b "$T/jar.nguyen.van.a" -o "$T/resp" -w '%{http_code}' "$URL/docs/new" \
	--data-urlencode "csrf=$tok" --data-urlencode "title=MẬT" -d type=cong-van \
	--data-urlencode "text=$(cat "$T/friend.md")" --data-urlencode "passphrase=$(cat "$(pass nguyen.van.a)")")
check "a stamped title from the form is refused ($code)" test "$code" = 400
curl_s -o "$T/sess.json" -H 'Content-Type: application/json' "$URL/api/v1/session" \
	-d "{\"id\":\"nguyen.van.a\",\"password\":\"$(cat "$T/pass/nguyen.van.a.login")\"}"
api=$(jq -r .token "$T/sess.json")
jq -n --arg t "$(cat "$T/stamped.md")" --arg p "$(cat "$(pass nguyen.van.a)")" \
	'{title:"API", type:"cong-van", text:$t, passphrase:$p}' >"$T/body.json"
code=$(curl_s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $api" \
	-H 'Content-Type: application/json' --data-binary @"$T/body.json" "$URL/api/v1/docs")
check "the API refuses a stamped text ($code)" test "$code" = 400
check "  without echoing it" bash -c "! grep -q '$CANARY' '$T/resp'"
check "nothing reached the repository through the server" test "$(repo_state "$S")" = "$before"

# A stamped document that reached the repository around the gate (written
# with stock git) is withheld on the way out.
R="$S/repo.git"
blob=$(git -C "$R" hash-object -w "$T/stamped.md")
meta=$(git -C "$R" show "refs/docs/$D:meta.json" | jq '.id = "smuggled"' | git -C "$R" hash-object -w --stdin)
tree=$(printf '100644 blob %s\tdocument.md\n100644 blob %s\tmeta.json\n' "$blob" "$meta" | git -C "$R" mktree)
msg=$(git -C "$R" log -1 --format=%B "refs/docs/$D")
c=$(git -C "$R" commit-tree "$tree" -m "$msg")
git -C "$R" update-ref refs/docs/smuggled "$c" # bound to its own id (D11), so only the gate stops it
code=$(curl_s -b "$T/jar.nguyen.van.a" -o "$T/resp" -w '%{http_code}' "$URL/docs/smuggled")
check "a page that would show a stamped text is withheld ($code)" test "$code" = 451
check "  and holds none of it" bash -c "! grep -q '$CANARY' '$T/resp'"
check "  and the event is recorded" grep -q '"door":"response"' "$S/state/security.log"
git -C "$R" update-ref -d refs/docs/smuggled

login an.ninh >/dev/null
curl_s -b "$T/jar.an.ninh" "$URL/security" >"$T/sec.html"
check "the security officer sees the events" grep -q 'id="events"' "$T/sec.html"
check "  with the doors" grep -q "browser form" "$T/sec.html"
code=$(curl_s -b "$T/jar.nguyen.van.a" -o /dev/null -w '%{http_code}' "$URL/security")
check "a drafter does not ($code)" test "$code" = 404
finish
