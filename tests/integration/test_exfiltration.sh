#!/usr/bin/env bash
# test_exfiltration.sh -- classified material never leaves through the
# networked server. A canary string sits in a secret document of an
# offline repository on the same machine, and in uploads stamped or
# labelled classified; the test tries every route the server has (form,
# upload, JSON, revise, comment, template, diff, search, error pages, login,
# attachments (stamped text, stamped name, an unreadable file without the
# right), a mission's sync fetch with stock git, and a push of a document
# holding the canary)
# while capturing the loopback traffic of the server's port with tshark and
# decrypting it with curl's TLS key log. The canary must appear zero times
# in what the server sent, in its logs, in the site's repository objects and
# in SITE/state. A positive control (a second canary in an allowed document)
# must be found in each place, so the searches are shown to work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

CANARY="CANARY-$RANDOM$RANDOM-XF"      # upper case: never a valid document id
CONTROL="CONTROL-$RANDOM$RANDOM-OK"
make_site nv.a:drafter tt.b:head || { not_ok site; finish; }
"$top/scripts/tls-demo.sh" "$T/tls" mission-a >/dev/null || not_ok "tls"
"$CH" site set "$S" mission-a --units mission-a --tls-fingerprint \
	"$(openssl x509 -in "$T/tls/mission-a.pem" -outform DER | sha256sum | cut -c1-64)" \
	--as admin.a --passphrase-file "$(pass admin.a)" >/dev/null || not_ok "site set mission-a"
"$CH" person add "$S" lv.m --name "Lê Văn M" --roles drafter --unit mission-a --as admin.a \
	--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass lv.m)" >/dev/null ||
	not_ok "person lv.m (mission-a)"
# the mission's own keys: a copy of the GnuPG home that holds lv.m's (steps signed by hand)
cp -a "$S/gnupg" "$T/m-gnupg" && rm -f "$T/m-gnupg"/S.*
R="$S/repo.git"
P=$(cat "$(pass nv.a)")
stamped() { printf 'BỘ NGOẠI GIAO\n\nTỐI MẬT\n\nNội dung %s.\n' "$CANARY"; }

# ---- the offline repository on the same machine ----
O="$T/offline"
"$BUILD/chancery-offline" init "$O" --site-id secret-room --admin admin.o --name "Quản Trị O" \
	--passphrase-file "$(pass admin.o)" >/dev/null &&
"$BUILD/chancery-offline" person add "$O" nv.o --name "Cán bộ O" --roles drafter --unit secret-room \
	--as admin.o --passphrase-file "$(pass admin.o)" --new-passphrase-file "$(pass nv.o)" >/dev/null ||
	not_ok "offline site"
stamped >"$T/secret.md"
"$BUILD/chancery-offline" doc create "$O" --as nv.o --passphrase-file "$(pass nv.o)" \
	--title "Báo cáo $CANARY" --type bao-cao --classification secret --file "$T/secret.md" >/dev/null ||
	not_ok "a secret document in the offline repository"
check "control: the offline repository holds the canary" bash -c \
	"git -C '$O/repo.git' cat-file --batch-all-objects --batch | grep -aq '$CANARY'"

# ---- capture ----
CAP=""
if command -v tshark >/dev/null 2>&1; then
	CAP="$T/cap.pcapng"
else
	echo "# skipped: tshark is not installed (scripts/deps.sh installs it): checking curl's record only"
fi
export SSLKEYLOGFILE="$T/tls-keys.log"
free_port PORT_FIXED
start_capture() {
	[ -n "$CAP" ] || return 0
	tshark -i lo -f "tcp port $1" -w "$CAP" -q 2>"$T/tshark.err" &
	cap_pid=$!
	local i
	for i in $(seq 100); do
		grep -q "Capturing on" "$T/tshark.err" 2>/dev/null && return 0
		kill -0 "$cap_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# tshark could not capture: $(head -2 "$T/tshark.err")"
	CAP=""
}
stop_capture() {
	[ -n "${cap_pid:-}" ] || return 0
	sleep 0.5
	kill -INT "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	cap_pid=
}
trap 'stop_capture; stop_server; cleanup; [ "$FAILED" -eq 0 ] || exit 1' EXIT

# ---- chanceryd refuses the offline repository ----
timeout 10 "$CHD" "$O" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --port "$PORT_FIXED" \
	>"$T/offline-srv.out" 2>"$T/offline-srv.err"
rc=$?
check "chanceryd refuses to serve the offline repository (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "  saying why" grep -q "offline" "$T/offline-srv.err"
check "  without showing any of it" bash -c "! grep -q '$CANARY' '$T/offline-srv.err' '$T/offline-srv.out'"

# server_lib's start_server, with --client-ca for the missions' sync
start_mission_server() {
	free_port PORT
	URL="https://127.0.0.1:$PORT"
	CA="$T/tls/ca.pem"
	"$CHD" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --client-ca "$CA" \
		--port "$PORT" >>"$T/server.out" 2>>"$T/server.log" &
	srv_pid=$!
	local i
	for i in $(seq 300); do
		curl -s -m 5 --cacert "$CA" -o /dev/null "$URL/login" && return 0
		kill -0 "$srv_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
check "server starts" start_mission_server
start_capture "$PORT"
RESP="$T/responses"   # every answer as curl received it: headers and body
mkdir -p "$RESP"
n=0
# send DESC EXPECTED-CODE CURL-ARGS...: one request; the answer is kept.
send() {
	local desc=$1 want=$2 code; shift 2
	n=$((n + 1))
	code=$(curl_s -D "$RESP/$n.h" -o "$RESP/$n.b" -w '%{http_code}' "$@")
	if [ "$code" = "$want" ]; then ok "$desc ($code)"; else not_ok "$desc ($code, wanted $want)"; fi
}
login nv.a >/dev/null
J="$T/jar.nv.a"
tok=$(csrf nv.a)
curl_s -o "$T/sess.json" -H 'Content-Type: application/json' "$URL/api/v1/session" \
	-d "{\"id\":\"nv.a\",\"password\":\"$(cat "$T/pass/nv.a.login")\"}"
API=(-H "Authorization: Bearer $(jq -r .token "$T/sess.json")" -H 'Content-Type: application/json')

# The positive control: an allowed document with the control canary.
jq -n --arg t "Thông báo $CONTROL" --arg p "$P" \
	'{title:"Thông báo", type:"bao-cao", text:$t, passphrase:$p, recipients:["mission-a"]}' >"$T/ok.json"
send "an allowed document is created through the API" 201 "${API[@]}" --data-binary @"$T/ok.json" "$URL/api/v1/docs"
D=$(jq -r .id "$RESP/$n.b")
send "and served" 200 -b "$J" "$URL/docs/$D"
HEAD=$(git -C "$R" rev-parse "refs/docs/$D")

# ---- every door, with the canary ----
stamped >"$T/stamped.md"
printf 'Nội dung %s.\n' "$CANARY" >"$T/plain.md"
form=(-b "$J" --data-urlencode "csrf=$tok" --data-urlencode "passphrase=$P")
send "form: a stamped text" 400 "${form[@]}" --data-urlencode "title=Thông báo" -d type=bao-cao \
	--data-urlencode "text=$(cat "$T/stamped.md")" "$URL/docs/new"
send "form: a stamped title" 400 "${form[@]}" --data-urlencode "title=TỐI MẬT $CANARY" -d type=bao-cao \
	--data-urlencode "text=$(cat "$T/plain.md")" "$URL/docs/new"
send "form: a text labelled secret" 400 "${form[@]}" --data-urlencode "title=Thông báo" -d type=bao-cao \
	-d classification=secret --data-urlencode "text=$(cat "$T/plain.md")" "$URL/docs/new"
send "upload: a stamped file" 400 -b "$J" -F "csrf=$tok" -F "passphrase=$P" -F "title=Thông báo" \
	-F type=bao-cao -F "text=" -F "file=@$T/stamped.md;filename=thong-bao.md" "$URL/docs/new"
cp "$T/plain.md" "$T/TOI-MAT_$CANARY.md"
send "upload: a file named as secret" 400 -b "$J" -F "csrf=$tok" -F "passphrase=$P" -F "title=Thông báo" \
	-F type=bao-cao -F "text=" -F "file=@$T/TOI-MAT_$CANARY.md" "$URL/docs/new"
api_create() { jq -n --arg ti "$1" --arg t "$2" --arg c "$3" --arg p "$P" \
	'{title:$ti, type:"bao-cao", text:$t, classification:$c, passphrase:$p}' >"$T/body.json"; }
api_create "Thông báo" "$(cat "$T/stamped.md")" unclassified
send "JSON: a stamped text" 400 "${API[@]}" --data-binary @"$T/body.json" "$URL/api/v1/docs"
api_create "Thông báo" "$(cat "$T/plain.md")" top-secret
send "JSON: a text labelled top-secret" 400 "${API[@]}" --data-binary @"$T/body.json" "$URL/api/v1/docs"
api_create "MẬT - $CANARY" "Nội dung." unclassified
send "JSON: a stamped title" 400 "${API[@]}" --data-binary @"$T/body.json" "$URL/api/v1/docs"
send "form: revise with a stamped text" 400 "${form[@]}" -d "head=$HEAD" \
	--data-urlencode "text=$(cat "$T/stamped.md")" "$URL/docs/$D/revise"
send "upload: revise with a stamped file" 400 -b "$J" -F "csrf=$tok" -F "passphrase=$P" -F "head=$HEAD" \
	-F "text=" -F "file=@$T/stamped.md;filename=v2.md" "$URL/docs/$D/revise"
jq -n --arg t "$(cat "$T/stamped.md")" --arg p "$P" --arg h "$HEAD" '{text:$t, passphrase:$p, head:$h}' >"$T/body.json"
send "JSON: revise with a stamped text" 400 "${API[@]}" --data-binary @"$T/body.json" "$URL/api/v1/docs/$D/revise"
send "form: a stamped comment" 400 "${form[@]}" -d "head=$HEAD" -d action=comment \
	--data-urlencode "comment=TUYỆT MẬT $CANARY" "$URL/docs/$D/act"
jq -n --arg c "TUYỆT MẬT $CANARY" --arg p "$P" --arg h "$HEAD" '{action:"comment", comment:$c, passphrase:$p, head:$h}' >"$T/body.json"
send "JSON: a stamped comment" 400 "${API[@]}" --data-binary @"$T/body.json" "$URL/api/v1/docs/$D/act"
send "template: a skeleton named by the canary" 200 -b "$J" "$URL/docs/new?skeleton=$CANARY"
send "template: a path for a skeleton" 200 -b "$J" "$URL/docs/new?skeleton=../../$CANARY"
send "diff: revisions named by the canary" 404 -b "$J" "$URL/docs/$D/diff?from=$CANARY&to=$CANARY"
send "search: a stamped query" 400 -b "$J" -G --data-urlencode "q=TỐI MẬT $CANARY" "$URL/docs"
send "JSON search: a stamped query" 400 "${API[@]}" -G --data-urlencode "q=TỐI MẬT $CANARY" "$URL/api/v1/docs"
send "error page: a document id of the canary" 404 -b "$J" "$URL/docs/$CANARY"
send "error page: a path and query of the canary" 404 -b "$J" "$URL/$CANARY?x=$CANARY"
send "JSON error: a document id of the canary" 400 "${API[@]}" "$URL/api/v1/docs/$CANARY"
send "JSON error: an unknown endpoint" 404 "${API[@]}" "$URL/api/v1/$CANARY"
send "login: the canary as identifier and password" 400 --data-urlencode "id=$CANARY" \
	--data-urlencode "password=$CANARY" "$URL/login"
# attachments
stamped >"$T/phu-luc.txt"
printf 'Phụ lục %s.\n' "$CANARY" >"$T/plain.txt"
{ printf '\x89PNG\r\n\x1a\n'; printf '%s' "$CANARY"; head -c 200 /dev/urandom; } >"$T/anh.png"
att=(-b "$J" -F "csrf=$tok" -F "passphrase=$P" -F "head=$HEAD" -F "text=$(git -C "$R" show "$HEAD:document.md")")
send "attachment: a stamped text attachment (revise)" 400 "${att[@]}" \
	-F "attach1=@$T/phu-luc.txt;filename=phu-luc.txt" "$URL/docs/$D/revise"
send "attachment: a stamped attachment name (revise)" 400 "${att[@]}" \
	-F "attach1=@$T/plain.txt;filename=TOI-MAT_$CANARY.txt" "$URL/docs/$D/revise"
send "attachment: an unreadable binary, declared without the right" 400 "${att[@]}" \
	-F "attach1=@$T/anh.png;filename=anh.png" -F declare1=1 "$URL/docs/$D/revise"
send "attachment: an unreadable binary, undeclared" 400 "${att[@]}" \
	-F "attach1=@$T/anh.png;filename=anh.png" "$URL/docs/$D/revise"
send "attachment: a stamped attachment on a new document" 400 -b "$J" -F "csrf=$tok" -F "passphrase=$P" \
	-F "title=Thông báo" -F type=bao-cao -F "text=Nội dung." -F "attach1=@$T/phu-luc.txt;filename=a.txt" "$URL/docs/new"
jq -n --arg c "$(base64 -w0 "$T/phu-luc.txt")" --arg p "$P" --arg h "$HEAD" \
	'{head:$h, passphrase:$p, attachments:[{name:"a.txt", content_base64:$c}]}' >"$T/body.json"
send "JSON: a stamped attachment" 400 "${API[@]}" --data-binary @"$T/body.json" "$URL/api/v1/docs/$D/revise"
jq -n --arg c "$(base64 -w0 "$T/plain.txt")" --arg p "$P" --arg h "$HEAD" \
	'{head:$h, passphrase:$p, attachments:[{name:"TUYET-MAT.txt", content_base64:$c}]}' >"$T/body.json"
send "JSON: a stamped attachment name" 400 "${API[@]}" --data-binary @"$T/body.json" "$URL/api/v1/docs/$D/revise"
jq -n --arg c "$(base64 -w0 "$T/anh.png")" --arg p "$P" --arg h "$HEAD" \
	'{head:$h, passphrase:$p, attachments:[{name:"anh.png", content_base64:$c}], declare_unclassified:["anh.png"]}' >"$T/body.json"
send "JSON: an unreadable binary, declared without the right" 400 "${API[@]}" --data-binary @"$T/body.json" \
	"$URL/api/v1/docs/$D/revise"
send "attachment: a download named by the canary" 404 -b "$J" "$URL/docs/$D/attachments/$CANARY.txt"
printf 'Phụ lục %s.\n' "$CONTROL" >"$T/control.txt"
send "attachment: an allowed attachment (control)" 200 "${att[@]}" \
	-F "attach1=@$T/control.txt;filename=phu-luc.txt" "$URL/docs/$D/revise"
send "  is downloaded" 200 -b "$J" "$URL/docs/$D/attachments/phu-luc.txt"
# ---- every string of meta.json, at every door (issue 15) ----
MARK="TỐI MẬT $CANARY"
DECO="ⓉⓄⒾ ⓂⒶⓉ $CANARY"          # decorative letters (circled)
declare -A DEF=([title]="Thông báo" [type]=bao-cao [text]="Nội dung.")
form_field() { # FIELD VALUE [WHAT]: a new-document form with FIELD set to VALUE
	local args=() k
	for k in title type text; do [ "$k" = "$1" ] || args+=(--data-urlencode "$k=${DEF[$k]}"); done
	send "form: the canary in the $1 field${3:+ ($3)}" 400 "${form[@]}" "${args[@]}" \
		--data-urlencode "$1=$2" "$URL/docs/new"
}
json_field() { # FIELD VALUE [WHAT]
	jq -n --arg p "$P" --arg k "$1" --arg v "$2" '{title:"Thông báo", type:"bao-cao",
		text:"Nội dung.", passphrase:$p} | .[$k] = (if $k == "recipients" then [$v] else $v end)' \
		>"$T/body.json"
	send "JSON: the canary in the $1 field${3:+ ($3)}" 400 "${API[@]}" --data-binary @"$T/body.json" \
		"$URL/api/v1/docs"
}
printf 'Nội dung.\n' >"$T/ok.md"
cli_field() { # OPTION VALUE [WHAT]: chancery doc create with --OPTION VALUE: refused, nothing echoed
	local args=(--title "Thông báo" --type bao-cao) rc
	[ "$1" = title ] && args=(--type bao-cao)
	[ "$1" = type ] && args=(--title "Thông báo")
	"$CH" doc create "$S" --as nv.a --passphrase-file "$(pass nv.a)" --file "$T/ok.md" "${args[@]}" \
		--"$1" "$2" >>"$T/cli.out" 2>>"$T/cli.err"; rc=$?
	if [ "$rc" -eq 1 ]; then ok "command line: the canary in --$1${3:+ ($3)} is refused"
	else not_ok "command line: the canary in --$1${3:+ ($3)} (exit $rc, wanted 1)"; fi
}
for f in number type urgency recipients classification title; do
	form_field "$f" "$MARK"
done
form_field number "$DECO" "decorative letters"
for f in number type workflow urgency recipients classification; do
	json_field "$f" "$MARK"
done
json_field number "$DECO" "decorative letters"
for f in number type workflow urgency classification id to title comment; do
	cli_field "$f" "$MARK"
done
cli_field number "$DECO" "decorative letters"
D_CLI=$("$CH" doc create "$S" --as nv.a --passphrase-file "$(pass nv.a)" --file "$T/ok.md" \
	--title "Thông báo" --type bao-cao 2>>"$T/cli.err")
if "$CH" doc act "$S" "$D_CLI" --as nv.a --passphrase-file "$(pass nv.a)" --action comment \
	--comment "$MARK" >>"$T/cli.out" 2>>"$T/cli.err"; then not_ok "command line: a stamped comment accepted"
else ok "command line: a stamped comment is refused"; fi
check "command line: what it printed holds the canary 0 times" bash -c \
	"! grep -aq '$CANARY' '$T/cli.out' '$T/cli.err'"
# list filters, echoed into attribute values of the answer: the query string is a door
for f in state type unit urgency; do
	send "filter: the canary in the $f filter" 400 -b "$J" -G --data-urlencode "$f=$MARK" "$URL/docs"
	send "JSON filter: the canary in the $f filter" 400 "${API[@]}" -G --data-urlencode "$f=$MARK" \
		"$URL/api/v1/docs"
done
send "filter: decorative letters in a filter" 400 -b "$J" -G --data-urlencode "unit=$DECO" "$URL/docs"
send "filter: a stamped parameter name" 400 -b "$J" "$URL/docs?$(jq -rn --arg k "$MARK" '$k | @uri')=1"
# foreign markings (workflows/markings.c), at the doors of the browser, the API and the command line
form_field number "NATO SECRET $CANARY" "a NATO marking"
form_field title "TRÈS SECRET DÉFENSE $CANARY" "a French marking"
json_field title "TOP SECRET//NOFORN $CANARY" "an English marking with a caveat"
json_field number "机密★1年 $CANARY" "a Chinese marking with its term"
cli_field title "СОВЕРШЕННО СЕКРЕТНО $CANARY" "a Russian marking"
cli_field number "EU SECRET $CANARY" "an EU marking"
json_field title "🆃🅾🅸 🅼🅰🆃 $CANARY" "negative squared letters"
# Word files: text in a CDATA section, and a part named like a thumbnail that is text
mkdocx() { # OUT PART CONTENT: a small Word file; PART (if not word/document.xml) added
	python3 -c '
import sys, zipfile
out, part, content = sys.argv[1], sys.argv[2], sys.argv[3]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ct = ("<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
      "content-types\"><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override "
      "PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-"
      "officedocument.wordprocessingml.document.main+xml\"/></Types>")
doc = ("<?xml version=\"1.0\"?><w:document xmlns:w=\"%s\"><w:body><w:p><w:r><w:t>Phụ lục"
       "</w:t></w:r></w:p></w:body></w:document>" % W)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", ct)
    z.writestr("word/document.xml", content if part == "word/document.xml" else doc)
    if part != "word/document.xml":
        z.writestr(part, content)
' "$@"
}
W='xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
mkdocx "$T/cdata.docx" word/document.xml \
	"<?xml version=\"1.0\"?><w:document $W><w:body><w:p><w:r><w:t><![CDATA[TỐI MẬT]]></w:t></w:r></w:p><w:p><w:r><w:t><![CDATA[$CANARY]]></w:t></w:r></w:p></w:body></w:document>"
mkdocx "$T/thumb.docx" docProps/thumbnail.jpeg "$(printf 'TỐI MẬT\n\n%s\n' "$CANARY")"
mkdocx "$T/control.docx" word/document.xml \
	"<?xml version=\"1.0\"?><w:document $W><w:body><w:p><w:r><w:t><![CDATA[Phụ lục $CONTROL]]></w:t></w:r></w:p></w:body></w:document>"
HEAD=$(git -C "$R" rev-parse "refs/docs/$D")
att=(-b "$J" -F "csrf=$tok" -F "passphrase=$P" -F "head=$HEAD" -F "text=$(git -C "$R" show "$HEAD:document.md")")
send "attachment: a Word file with the canary in a CDATA section (form)" 400 "${att[@]}" \
	-F "attach1=@$T/cdata.docx;filename=phu-luc.docx" "$URL/docs/$D/revise"
send "attachment: a Word file whose thumbnail-named part is stamped text (form)" 400 "${att[@]}" \
	-F "attach1=@$T/thumb.docx;filename=phu-luc.docx" "$URL/docs/$D/revise"
for f in cdata thumb; do
	jq -n --arg c "$(base64 -w0 "$T/$f.docx")" --arg p "$P" --arg h "$HEAD" \
		'{head:$h, passphrase:$p, attachments:[{name:"phu-luc.docx", content_base64:$c}]}' >"$T/body.json"
	send "JSON: a Word file with the canary ($f)" 400 "${API[@]}" --data-binary @"$T/body.json" \
		"$URL/api/v1/docs/$D/revise"
done
send "attachment: a Word file holding the control canary (control)" 200 "${att[@]}" \
	-F "attach1=@$T/control.docx;filename=phu-luc-2.docx" "$URL/docs/$D/revise"
# sync: a mission fetching with stock git (its TLS keys logged by GnuTLS too)
if GIT_SSL_CERT="$T/tls/mission-a.pem" GIT_SSL_KEY="$T/tls/mission-a.key" GIT_SSL_CAINFO="$CA" \
	git clone -q --mirror "$URL/git/hq.git" "$T/mission.git" 2>"$T/clone.err"; then
	ok "sync: mission-a fetches with stock git over /git/hq.git"
else
	not_ok "sync: mission-a fetches with stock git"; sed 's/^/#   /' "$T/clone.err" | head -3
fi
check "  control: it received the control canary (document and attachment)" bash -c \
	"test \$(git -C '$T/mission.git' cat-file --batch-all-objects --batch | grep -ac '$CONTROL') -ge 2"
check "  it received the canary 0 times (in every object, decompressed)" bash -c \
	"! git -C '$T/mission.git' cat-file --batch-all-objects --batch | grep -aq '$CANARY'"
# push: the mission pushes, with stock git, a document holding the canary
# (stamped text, title and subject); it is refused, and the refusal the
# server sends (captured) must not carry it
M="$T/mission.git"
pol=$(git -C "$M" rev-parse refs/heads/policy)
blob_t=$(stamped | git -C "$M" hash-object -w --stdin)
blob_m=$(printf '{"version":1,"title":"Báo cáo %s","type":"bao-cao","classification":"unclassified","urgency":"normal","workflow":"bao-cao","number":"","recipients":["mission-a"]}\n' \
	"$CANARY" | git -C "$M" hash-object -w --stdin)
tree=$(printf '100644 blob %s\tdocument.md\n100644 blob %s\tmeta.json\n' "$blob_t" "$blob_m" | git -C "$M" mktree)
pc=$(printf 'Báo cáo %s\n\nChancery-Action: create\nChancery-Step: draft\nChancery-Actor: nguyen.van.a\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
	"$CANARY" "$pol" | git -C "$M" commit-tree "$tree")
git -C "$M" update-ref refs/docs/exfil-push "$pc"
if GIT_SSL_CERT="$T/tls/mission-a.pem" GIT_SSL_KEY="$T/tls/mission-a.key" GIT_SSL_CAINFO="$CA" \
	git -C "$M" push "$URL/git/hq.git" refs/docs/exfil-push >"$T/push.out" 2>&1; then
	not_ok "push: a document holding the canary was accepted"
else
	ok "push: a document holding the canary is refused"
fi
check "  the refusal names a rule" grep -aqE 'D[0-9]|G |rule' "$T/push.out"
check "  what git printed of the server's answer holds the canary 0 times" bash -c "! grep -aq '$CANARY' '$T/push.out'"
check "  no quarantine is left under SITE/state" bash -c "! find '$S/state' -path '*quarantine/*' -name '*.pack' | grep -q ."
# A mission official's steps made by hand with stock git and signed with his
# own key (so that only the gate can refuse them): the canary in the subject,
# the body, a trailer value, the author, meta.json's number (also in
# decorative letters), an attachment's name over a blob HQ already holds; a
# control step is accepted. Then the same through bundles applied at HQ.
printf '#!/bin/sh\nexec gpg --homedir "$FORGE_HOME" --batch --pinentry-mode loopback --passphrase-file "$FORGE_PASS" "$@"\n' >"$T/gpgw"
chmod 755 "$T/gpgw"
person_fpr() { git -C "$R" show refs/heads/policy:policy/people.json |
	jq -r --arg id "$1" '.people[] | select(.id == $id) | .fingerprint'; }
LVFPR=$(person_fpr lv.m)
NVFPR=$(person_fpr nv.a)
mstep() { # ID: a create by lv.m from SUBJ BODY TRAILER AUTHOR NUMBER TEXT ATT; sets c and the ref in $M
	local blob_t blob_m tree att msg="$T/mstep.msg"
	blob_t=$(printf '%s\n' "${TEXT:-Báo cáo.}" | git -C "$M" hash-object -w --stdin)
	blob_m=$(jq -cn --arg n "${NUMBER:-}" '{version:1, title:"Báo cáo từ mission-a", type:"bao-cao",
		classification:"unclassified", urgency:"normal", workflow:"bao-cao", number:$n,
		recipients:["mission-a"]}' | git -C "$M" hash-object -w --stdin)
	tree=$( { printf '100644 blob %s\tdocument.md\n100644 blob %s\tmeta.json\n' "$blob_t" "$blob_m"
		if [ -n "${ATT:-}" ]; then
			att=$(printf '100644 blob %s\t%s\n' \
				"$( [ -n "${ATTFILE:-}" ] && git -C "$M" hash-object -w "$ATTFILE" || echo "$blob_t")" \
				"$ATT" | git -C "$M" mktree)
			printf '040000 tree %s\tattachments\n' "$att"
		fi; } | git -C "$M" mktree)
	{ printf '%s\n\n' "${SUBJ:-create: Báo cáo từ mission-a}"
	  [ -n "${BODY:-}" ] && printf '%s\n\n' "$BODY"
	  printf 'Chancery-Action: create\nChancery-Step: draft\nChancery-Actor: lv.m\n'
	  printf 'Chancery-Policy: %s\nChancery-Classification: unclassified\n' "$pol"
	  [ -n "${TRAILER:-}" ] && printf 'Reviewed-by: %s\n' "$TRAILER"; } >"$msg"
	c=$(GIT_AUTHOR_NAME="${AUTHOR:-Lê Văn M}" GIT_AUTHOR_EMAIL=lv.m@mission-a \
		GIT_COMMITTER_NAME="Lê Văn M" GIT_COMMITTER_EMAIL=lv.m@mission-a \
		FORGE_HOME="$T/m-gnupg" FORGE_PASS="$(pass lv.m)" \
		git -C "$M" -c gpg.program="$T/gpgw" commit-tree "$tree" -F "$msg" -S"$LVFPR") &&
	git -C "$M" update-ref "refs/docs/$1" "$c"
}
mpush() { GIT_SSL_CERT="$T/tls/mission-a.pem" GIT_SSL_KEY="$T/tls/mission-a.key" GIT_SSL_CAINFO="$CA" \
	git -C "$M" push "$URL/git/hq.git" "$@"; }
TEXT="Báo cáo $CONTROL từ mission-a." mstep ctl-push
if mpush refs/docs/ctl-push >"$T/push.out" 2>&1; then ok "push: a signed step by lv.m (control) is accepted"
else not_ok "push: the control step"; sed 's/^/#   /' "$T/push.out" | head -5; fi
push_refused() { # DESC ID
	if mpush "refs/docs/$2" >"$T/push.out" 2>&1; then not_ok "push: $1 was accepted"
	elif grep -aq "G commit $c" "$T/push.out"; then ok "push: $1 is refused by the gate (G, the commit)"
	else not_ok "push: $1 refused, but not by the gate"; sed 's/^/#   /' "$T/push.out" | head -4; fi
	check "  git's output holds the canary 0 times" bash -c "! grep -aq '$CANARY' '$T/push.out'"
}
SUBJ="create: Báo cáo TỐI MẬT $CANARY" mstep xf-subject &&
	push_refused "a step whose subject carries the canary" xf-subject
BODY="TỐI MẬT $CANARY" mstep xf-body && push_refused "a step whose body carries the canary" xf-body
TRAILER="tối mật $CANARY" mstep xf-trailer &&
	push_refused "a step whose trailer value carries the canary" xf-trailer
AUTHOR="TỐI MẬT $CANARY" mstep xf-author && push_refused "a step whose author carries the canary" xf-author
NUMBER="12 - TỐI MẬT $CANARY" mstep xf-number &&
	push_refused "a step whose meta.json number carries the canary" xf-number
NUMBER="$DECO" mstep xf-deco && push_refused "a number in decorative letters" xf-deco
ATT="TOI-MAT_$CANARY.txt" TEXT="Báo cáo $CONTROL từ mission-a." mstep xf-name &&
	push_refused "an attachment name over a blob HQ already holds" xf-name
ATT=phu-luc.docx ATTFILE="$T/cdata.docx" mstep xf-cdata &&
	push_refused "a Word attachment with the canary in a CDATA section" xf-cdata
ATT=phu-luc.docx ATTFILE="$T/thumb.docx" mstep xf-thumb &&
	push_refused "a Word attachment whose thumbnail-named part is stamped text" xf-thumb
SUBJ="create: TOP SECRET//NOFORN $CANARY" mstep xf-foreign &&
	push_refused "a subject with a foreign marking" xf-foreign
BODY="$(printf 'СЕКРЕТНО\n\n%s' "$CANARY")" mstep xf-russian &&
	push_refused "a body with a Russian marking" xf-russian
# bundles: made by hand as `chancery bundle create` makes them, signed by
# lv.m, encrypted to nv.a, applied at HQ
mbundle() { # ID OUT: a bundle from mission-a to hq holding refs/docs/ID
	local head
	head=$(git -C "$M" rev-parse "refs/docs/$1")
	printf '%s\n' "$head" | git -C "$M" pack-objects --revs --stdout >"$T/b.pack"
	{ printf 'from mission-a\nto hq\nsigner lv.m\ncreated %s\n' "$(date +%s)"
	  printf 'ref %s refs/docs/%s\nref %s refs/heads/policy\n' "$head" "$1" "$pol"
	  printf 'pack %s\n' "$(stat -c %s "$T/b.pack")"; cat "$T/b.pack"; } >"$T/b.body"
	gpg --homedir "$T/m-gnupg" --batch --quiet --pinentry-mode loopback --passphrase-file "$(pass lv.m)" \
		--local-user "$LVFPR" --digest-algo SHA256 --armor --detach-sign -o "$T/b.sig" "$T/b.body" &&
	{ printf 'chancery-bundle 1\nsignature %s\n' "$(stat -c %s "$T/b.sig")"
	  cat "$T/b.sig" "$T/b.body"; } >"$T/b.plain" &&
	gpg --homedir "$T/m-gnupg" --batch --quiet --yes --trust-model always --compress-algo none \
		-r "$NVFPR" -o "$2" -e "$T/b.plain"
	rm -f "$T/b.plain" "$T/b.body" "$T/b.pack" "$T/b.sig"
}
apply() { "$CH" bundle apply "$S" "$1" --as nv.a --passphrase-file "$(pass nv.a)" >"$T/apply.out" 2>&1; }
TEXT="Báo cáo $CONTROL qua bundle." mstep ctl-bundle && mbundle ctl-bundle "$T/ctl.bundle"
if apply "$T/ctl.bundle"; then ok "bundle: a hand-made bundle from mission-a (control) is applied"
else not_ok "bundle: the control bundle"; sed 's/^/#   /' "$T/apply.out" | head -5; fi
for v in subject trailer number; do
	case $v in
	subject) SUBJ="create: Báo cáo TỐI MẬT $CANARY" mstep "xb-$v" ;;
	trailer) TRAILER="tối mật $CANARY" mstep "xb-$v" ;;
	number) NUMBER="12 - TỐI MẬT $CANARY" mstep "xb-$v" ;;
	esac
	mbundle "xb-$v" "$T/xb.bundle"
	if apply "$T/xb.bundle"; then not_ok "bundle: the canary in the $v was applied"
	elif grep -aq "G commit" "$T/apply.out"; then ok "bundle: the canary in the $v is refused by the gate"
	else not_ok "bundle: the canary in the $v refused, but not by the gate"
		sed 's/^/#   /' "$T/apply.out" | head -4; fi
	check "  what it printed holds the canary 0 times" bash -c "! grep -aq '$CANARY' '$T/apply.out'"
done
rm -f "$T/xb.bundle"
send "the allowed document is served again (control)" 200 -b "$J" "$URL/docs/$D"
stop_capture
stop_server

# ---- where the canary must not be ----
cat "$RESP"/*.h "$RESP"/*.b >"$T/received"
check "control: curl received the control canary" grep -aq "$CONTROL" "$T/received"
check "curl received the canary 0 times (in $n answers)" bash -c "! grep -aq '$CANARY' '$T/received'"
if [ -n "$CAP" ]; then
	# Server to client only: the client sent the canary itself.
	tshark -r "$CAP" -o "tls.keylog_file:$SSLKEYLOGFILE" -Y "tcp.srcport == $PORT && tls" \
		-T fields -e tls.segment.data -e http.file_data -e http.response.line \
		>"$T/s2c.txt" 2>"$T/tshark-read.err"
	tshark -r "$CAP" -o "tls.keylog_file:$SSLKEYLOGFILE" -Y "tcp.dstport == $PORT && http.request" \
		-T fields -e http.request.uri -e urlencoded-form.value -e http.file_data \
		>"$T/c2s.txt" 2>>"$T/tshark-read.err"
	# fields come as text or as hex bytes: search both forms
	hexc=$(printf '%s' "$CANARY" | od -An -tx1 | tr -d ' \n')
	hexk=$(printf '%s' "$CONTROL" | od -An -tx1 | tr -d ' \n')
	has() { grep -aq -e "$1" -e "$2" "$3" || tr -d ':' <"$3" | grep -aqi "$2"; }
	check "capture: $(tshark -r "$CAP" 2>/dev/null | wc -l) packets on port $PORT" test -s "$CAP"
	check "control: the decrypted capture holds the canary the client sent" has "$CANARY" "$hexc" "$T/c2s.txt"
	check "control: the decrypted capture holds the control canary the server sent" has "$CONTROL" "$hexk" "$T/s2c.txt"
	check "the server sent the canary 0 times in the decrypted capture" bash -c \
		"! { grep -aq -e '$CANARY' -e '$hexc' '$T/s2c.txt' || tr -d ':' <'$T/s2c.txt' | grep -aqi '$hexc'; }"
fi
check "control: the repository holds the control canary" bash -c \
	"git -C '$R' cat-file --batch-all-objects --batch | grep -aq '$CONTROL'"
check "the repository's objects hold the canary 0 times" bash -c \
	"! git -C '$R' cat-file --batch-all-objects --batch | grep -aq '$CANARY'"
check "no file under the repository holds it" bash -c "! grep -rlaq '$CANARY' '$R'"
check "SITE/state holds it 0 times" bash -c "! grep -rlaq '$CANARY' '$S/state'"
grep -rla "$CANARY" "$S/state" | sed 's/^/#   found in /' | head -5
check "  though the refusals were recorded there" test "$(jq -s 'map(.count // 1) | add' "$S/state/security.log")" -ge 60
for door in browser\ form JSON\ API command\ line git\ push bundle query\ string; do
	check "  at the door: $door" grep -q "\"door\":\"$door\"" "$S/state/security.log"
done
check "the server's logs hold it 0 times" bash -c "! grep -aq '$CANARY' '$T/server.log' '$T/server.out'"
check "  though they logged the requests" test -s "$T/server.log" -o -s "$T/server.out"
finish
