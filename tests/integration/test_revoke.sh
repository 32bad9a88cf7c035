#!/usr/bin/env bash
# test_revoke.sh -- revocation cuts access at once (issue 16, part 6): a
# person revoked in the policy (`chancery person revoke`), or removed from
# it, loses their browser session, their API token and their login on the
# very next request, reading and acting alike. Real chanceryd, real curl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

make_site nguyen.van.a:drafter tran.thi.b:head || { not_ok "site"; finish; }
DOC=$("$CH" doc create "$S" --as nguyen.van.a --title "Công văn thử" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)") || not_ok "a document"
start_server || { not_ok "chanceryd starts"; finish; }

api_token() { # ID: a bearer token, or nothing
	curl_s -H 'Content-Type: application/json' "$URL/api/v1/session" \
		-d "{\"id\":\"$1\",\"password\":\"$(cat "$T/pass/$1.login")\"}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("token",""))'
}
code() { curl_s -o "$T/body" -w '%{http_code}' "$@"; }

check "login of nguyen.van.a (303)" test "$(login nguyen.van.a)" = 303
TOK=$(api_token nguyen.van.a)
check "an API token for nguyen.van.a" test ${#TOK} -eq 64
check "  the session reads the document page (200)" test "$(code -b "$T/jar.nguyen.van.a" "$URL/docs/$DOC")" = 200
check "  the token reads the document (200)" \
	test "$(code -H "Authorization: Bearer $TOK" "$URL/api/v1/docs/$DOC")" = 200
CSRF=$(csrf nguyen.van.a)

"$CH" person revoke "$S" nguyen.van.a --as admin.a --passphrase-file "$(pass admin.a)" >/dev/null ||
	not_ok "chancery person revoke"

c=$(code -b "$T/jar.nguyen.van.a" "$URL/docs/$DOC")
check "after the revocation, the session no longer reads the page (sent to /login: $c)" test "$c" = 303
check "  and the page's text was not sent" bash -c "! grep -q 'Công văn thử' '$T/body'"
c=$(code -b "$T/jar.nguyen.van.a" "$URL/docs/$DOC/act" --data-urlencode "csrf=$CSRF" \
	--data-urlencode action=submit --data-urlencode "passphrase=$(cat "$(pass nguyen.van.a)")")
check "  nor acts (a submit with the old CSRF token: $c)" test "$c" = 303 -o "$c" = 403
check "  the document is still a draft" \
	bash -c "git -C '$S/repo.git' log -1 --format=%B refs/docs/$DOC | grep -q 'Chancery-Action: create'"
c=$(code -H "Authorization: Bearer $TOK" "$URL/api/v1/docs/$DOC")
check "  the API token is refused (401: $c)" test "$c" = 401
c=$(code -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' "$URL/api/v1/docs/$DOC/act" \
	-d "{\"action\":\"submit\",\"passphrase\":\"x\"}")
check "  the token cannot act either ($c)" test "$c" = 401
check "  the login is refused (403)" test "$(login nguyen.van.a)" = 403
check "  and an API token is refused" test -z "$(api_token nguyen.van.a)"
check "  the server log says why the session ended" grep -q 'session of nguyen.van.a ended: revoked' "$T/server.log"
check "tran.thi.b, not revoked, still logs in" test "$(login tran.thi.b)" = 303
check "  and reads the page" test "$(code -b "$T/jar.tran.thi.b" "$URL/docs/$DOC")" = 200
finish
