#!/usr/bin/env bash
# test_attachments.sh -- attachments from the command line: add, replace,
# detach; names and limits; the gate on their names and text; files the
# scanner cannot read (refused, or declared unclassified by a person with
# the right: trailer Chancery-Declared-Unclassified); chancery verify and
# stock git verify-commit; tampered declarations found by rule D10.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

CANARY="CANARY-a77ac4"
make_site nguyen.van.a:drafter an.ninh:drafter,security-officer || { not_ok site; finish; }
R="$S/repo.git"
printf 'Công văn về việc trao đổi tài liệu.\n' >"$T/doc.md"
mkdir -p "$T/f"
printf 'Ghi chú kèm theo, về bảo mật và mật khẩu.\n' >"$T/f/ghi-chu.txt"
printf 'ten,so\nHà Nội,1\n' >"$T/f/bang.csv"
printf 'BỘ NGOẠI GIAO\n\nTỐI MẬT\n\n%s\n' "$CANARY" >"$T/f/phu-luc.txt"
cp "$T/f/ghi-chu.txt" "$T/f/TOI-MAT_baocao.txt"
printf '\x89PNG\r\n\x1a\n' >"$T/f/anh.png"; head -c 300 /dev/urandom >>"$T/f/anh.png"
printf '\x89PNG\r\n\x1a\n%s' "$CANARY" >"$T/f/anh2.png"
{ printf '\x00\x01\x02\x03'; head -c 300 /dev/urandom; } >"$T/f/du-lieu.bin"
printf -- '-----BEGIN PGP MESSAGE-----\n\nhQEMA\n-----END PGP MESSAGE-----\n' >"$T/f/thu.txt"
cp "$T/f/anh.png" "$T/f/renamed.txt"     # an image whatever its extension says
# (repeats of one event are folded into its line: count them all)
events() { cat "$S"/state/security.log* 2>/dev/null | jq -s 'map(.count) | add // 0'; }
create() { # as file [extra...]
	local who=$1; shift
	"$CH" doc create "$S" --as "$who" --title "Công văn kèm tài liệu" --type cong-van \
		--file "$T/doc.md" --passphrase-file "$(pass "$who")" "$@"
}
revise() { # as doc [extra...]
	local who=$1 doc=$2; shift 2
	"$CH" doc revise "$S" "$doc" --as "$who" --passphrase-file "$(pass "$who")" "$@"
}
blob() { git -C "$R" rev-parse -q --verify "refs/docs/$1:attachments/$2" 2>/dev/null; }
no_canary() { ! grep -q "$CANARY" "$T/err" "$T/out"; }

# ---- add, list, replace, detach ----
D=$(create nguyen.van.a --attach "$T/f/ghi-chu.txt" --attach "$T/f/bang.csv" 2>"$T/err")
check "a document is created with two text attachments" test -n "$D"
check "  both are in its tree under attachments/" test -n "$(blob "$D" ghi-chu.txt)" -a -n "$(blob "$D" bang.csv)"
check "  byte for byte" cmp -s <(git -C "$R" cat-file blob "$(blob "$D" bang.csv)") "$T/f/bang.csv"
"$CH" doc show "$S" "$D" >"$T/show"
check "doc show lists them" grep -q '^attachment: *bang.csv (.* bytes, text/plain)' "$T/show"
printf 'Ghi chú mới.\n' >"$T/f2.txt"; mkdir -p "$T/g"; cp "$T/f2.txt" "$T/g/ghi-chu.txt"
old=$(blob "$D" ghi-chu.txt); text_before=$(git -C "$R" rev-parse "refs/docs/$D:document.md")
expect 0 "a revise with --attach of the same name replaces it (text kept)" revise nguyen.van.a "$D" --attach "$T/g/ghi-chu.txt"
check "  the attachment changed" test "$(blob "$D" ghi-chu.txt)" != "$old"
check "  the text did not" test "$(git -C "$R" rev-parse "refs/docs/$D:document.md")" = "$text_before"
expect 0 "--detach removes one" revise nguyen.van.a "$D" --detach bang.csv
check "  it is gone from the tree" test -z "$(blob "$D" bang.csv)"
expect 1 "--detach of a name the document has not is refused" revise nguyen.van.a "$D" --detach khong-co.txt
expect 1 "a revise with nothing to change is refused" revise nguyen.van.a "$D"
NFD=$(printf 'Bie\xcc\x82n-ba\xcc\x89n.txt')   # "Biên bản" decomposed (macOS names)
cp "$T/f/ghi-chu.txt" "$T/g/$NFD"
expect 0 "an NFD name is taken" revise nguyen.van.a "$D" --attach "$T/g/$NFD"
check "  and stored NFC" test -n "$(blob "$D" "$(printf 'Bi\xc3\xaan-b\xe1\xba\xa3n.txt')")"

# ---- names and limits ----
mkdir -p "$T/bad"
for n in .an a:b.txt 'a"b.txt' "$(printf 'x\xe2\x80\xaetxt.exe')" "$(printf 'ab\x01c')" "$(head -c 121 /dev/zero | tr '\0' a)" 'trailing.'; do
	cp "$T/f/ghi-chu.txt" "$T/bad/$n"
	expect 1 "a bad name is refused ($(printf '%s' "$n" | od -An -c | tr -s ' ' | head -c 30))" \
		revise nguyen.van.a "$D" --attach "$T/bad/$n"
done
check "  refusals do not echo the name" bash -c "! grep -q 'txt.exe' '$T/err'"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' a >"$T/big.txt"
expect 1 "a file over 4 MiB is refused before it is read whole" revise nguyen.van.a "$D" --attach "$T/big.txt"
mkdir -p "$T/many"; args=()
for i in $(seq 17); do printf 'tệp %s\n' "$i" >"$T/many/t$i.txt"; args+=(--attach "$T/many/t$i.txt"); done
expect 1 "more than 16 attachments are refused" revise nguyen.van.a "$D" "${args[@]}"
mkdir -p "$T/tot"; args=()
for i in 1 2 3 4 5; do head -c $((4 * 1024 * 1024 - 10)) /dev/zero | tr '\0' b >"$T/tot/t$i.txt"; args+=(--attach "$T/tot/t$i.txt"); done
expect 1 "more than 16 MiB in all is refused" revise nguyen.van.a "$D" "${args[@]}"
err_has "in all" "  the error says the total is the bound"

# ---- the gate ----
n0=$(events)
unchanged "a stamped attachment leaves the repository as it was" "$S" revise nguyen.van.a "$D" --attach "$T/f/phu-luc.txt"
expect 1 "a stamped attachment text is refused" revise nguyen.van.a "$D" --attach "$T/f/phu-luc.txt"
err_has "attachment 1 carries a classification marking" "  the refusal names the attachment by position"
check "  without echoing its content" no_canary
expect 1 "a stamped attachment name is refused" revise nguyen.van.a "$D" --attach "$T/f/TOI-MAT_baocao.txt"
check "  without echoing the name" bash -c "! grep -qi 'toi-mat' '$T/err'"
expect 1 "a stamped attachment is refused on create too" create nguyen.van.a --attach "$T/f/phu-luc.txt"
expect 1 "an image is refused without a policy for it" revise nguyen.van.a "$D" --attach "$T/f/anh.png"
err_has "cannot be checked" "  the refusal says the scanner cannot read it"
expect 1 "an unknown binary is refused" revise nguyen.van.a "$D" --attach "$T/f/du-lieu.bin"
expect 1 "an image named .txt is refused (content, not extension)" revise nguyen.van.a "$D" --attach "$T/f/renamed.txt"
expect 1 "an encrypted message is refused" revise nguyen.van.a "$D" --attach "$T/f/thu.txt"
n1=$(events)
check "each refusal is a security event ($((n1 - n0)))" test $((n1 - n0)) -ge 7
check "  events hold neither content nor names" bash -c "! grep -qi -e '$CANARY' -e 'toi-mat' -e 'anh.png' '$S/state/security.log'"

# ---- Office files: their text is read (zip, from Debian, makes them) ----
mkdocx() { # out paragraph... (each a <w:p>); $EXTRA: a picture part to add
	local d out=$1; shift
	d=$(mktemp -d "$T/docx.XXXXXX"); mkdir -p "$d/word/media" "$d/_rels"
	printf '<?xml version="1.0"?><Types xmlns="x"/>' >"$d/[Content_Types].xml"
	printf '<Relationships/>' >"$d/_rels/.rels"
	{ printf '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="w"><w:body>'
	  for p in "$@"; do printf '<w:p><w:r><w:t>%s</w:t></w:r></w:p>' "$p"; done
	  printf '</w:body></w:document>'; } >"$d/word/document.xml"
	[ -n "${EXTRA:-}" ] && cp "$T/f/anh.png" "$d/word/media/image1.png"
	(cd "$d" && rm -rf word/media/.keep && find word/media -empty -delete &&
	 zip -q -X -r "$out" '[Content_Types].xml' _rels word)
}
mkdocx "$T/g/cong-van.docx" "BỘ NGOẠI GIAO" "Công văn về hợp tác, bảo mật thông tin."
mkdocx "$T/g/phu-luc-2.docx" "BỘ NGOẠI GIAO" "TỐI MẬT" "$CANARY"
EXTRA=1 mkdocx "$T/g/co-anh.docx" "Ảnh hội nghị kèm theo."
expect 0 "a Word file whose text passes is taken undeclared (its text is read)" \
	revise nguyen.van.a "$D" --attach "$T/g/cong-van.docx"
n0=$(events)
expect 1 "a Word file stamped inside is refused" revise nguyen.van.a "$D" --attach "$T/g/phu-luc-2.docx"
err_has "attachment 1 carries a classification marking" "  as a marking, not as unreadable"
check "  without echoing it" no_canary
check "  as a security event" test "$(events)" -gt "$n0"
expect 1 "a Word file holding a picture is unreadable, refused undeclared" \
	revise nguyen.van.a "$D" --attach "$T/g/co-anh.docx"
err_has "cannot be checked" "  the refusal says the scanner cannot read it"
expect 1 "a readable Word file cannot be declared" revise an.ninh "$D" \
	--attach "$T/g/cong-van.docx" --declare-unclassified cong-van.docx

# ---- policy/attachments.json ----
ap() { "$CH" attachment-types set "$S" "$1" --as admin.a --passphrase-file "$(pass admin.a)"; }
printf '{"version":1,"types":[{"type":"application/pgp-encrypted","declare_roles":["security-officer"]}]}' >"$T/p-enc.json"
expect 1 "a policy allowing an encrypted type is refused" ap "$T/p-enc.json"
err_has "encrypted" "  the error says why"
printf '{"version":1,"types":[{"type":"image/pngg","declare_roles":["security-officer"]}]}' >"$T/p-bad.json"
expect 1 "a policy naming an unknown type is refused" ap "$T/p-bad.json"
err_has "policy/attachments.json: types[0]" "  the error names the file and the entry"
printf '{"version":1,"types":[{"type":"image/png","declare_roles":[]}]}' >"$T/p-empty.json"
expect 1 "a type with no declare_roles is refused" ap "$T/p-empty.json"
printf '{"version":1,"types":[{"type":"image/png","declare_roles":["security-officer"]}]}' >"$T/p.json"
expect 0 "the policy allows PNG images, declared by a security officer" ap "$T/p.json"
expect 1 "an image is still refused undeclared" revise an.ninh "$D" --attach "$T/f/anh.png"
n0=$(events)
expect 1 "a declaration by a person without the right is refused" revise nguyen.van.a "$D" \
	--attach "$T/f/anh.png" --declare-unclassified anh.png
err_has "role security-officer" "  the error names the role needed"
check "  and it is a security event" test "$(events)" -gt "$n0"
expect 1 "a declaration of a readable text is refused" revise an.ninh "$D" \
	--attach "$T/f/ghi-chu.txt" --declare-unclassified ghi-chu.txt
n0=$(events)
expect 1 "a stamped text declared unclassified is refused as stamped" revise an.ninh "$D" \
	--attach "$T/f/phu-luc.txt" --declare-unclassified phu-luc.txt
err_has "carries a classification marking" "  the refusal names the marking, not the declaration"
check "  and it is a security event" test "$(events)" -gt "$n0"
expect 1 "a declaration of a name not attached is refused" revise an.ninh "$D" \
	--attach "$T/f/anh.png" --declare-unclassified khac.png
expect 1 "an unknown binary is refused even declared (type not allowed)" revise an.ninh "$D" \
	--attach "$T/f/du-lieu.bin" --declare-unclassified du-lieu.bin
expect 0 "a security officer declares the image unclassified" revise an.ninh "$D" \
	--attach "$T/f/anh.png" --declare-unclassified anh.png
H=$(git -C "$R" rev-parse "refs/docs/$D")
check "  the step carries Chancery-Declared-Unclassified: attachments/anh.png" \
	test "$(git -C "$R" log -1 --format='%(trailers:key=Chancery-Declared-Unclassified,valueonly)' "$H")" = attachments/anh.png
expect 0 "a later revise keeps the image without a new declaration" revise nguyen.van.a "$D" --file "$T/f2.txt"
check "  the image is still there" test -n "$(blob "$D" anh.png)"
"$CH" doc show "$S" "$D" >"$T/show"
check "doc show gives its type by content" grep -q 'anh.png (.* bytes, image/png)' "$T/show"
expect 1 "a document cannot be acted on with a declaration" "$CH" doc act "$S" "$D" --as nguyen.van.a \
	--action submit --declare-unclassified anh.png --passphrase-file "$(pass nguyen.van.a)"
{ printf '\x89PNG\r\n\x1a\n'; head -c 300 /dev/urandom; } >"$T/g/anh-d2.png"
D2=$(create an.ninh --attach "$T/g/anh-d2.png" --declare-unclassified anh-d2.png 2>"$T/err")
check "a create may declare too" test -n "$D2"

# ---- the browser and the JSON API ----
check "server starts" start_server
login nguyen.van.a >/dev/null; login an.ninh >/dev/null
page() { curl_s -b "$T/jar.$1" "$URL/docs/$2"; }
head_of() { git -C "$R" rev-parse "refs/docs/$1"; }
page nguyen.van.a "$D" >"$T/page"
check "the document page lists the attachments with download links" \
	grep -q "class=\"attachment\" href=\"/docs/$D/attachments/anh.png\"" "$T/page"
check "  the revise form offers a detach checkbox per attachment" grep -q 'name="detach" value="anh.png"' "$T/page"
check "  and no declaration checkbox to a person without the right" bash -c "! grep -q 'name=\"declare1\"' '$T/page'"
page an.ninh "$D" >"$T/page2"
check "  but one per upload slot to a security officer" grep -q 'name="declare1"' "$T/page2"
curl_s -b "$T/jar.nguyen.van.a" -D "$T/hdr" -o "$T/dl" "$URL/docs/$D/attachments/ghi-chu.txt"
check "a text attachment downloads byte for byte" cmp -s "$T/dl" "$T/g/ghi-chu.txt"
check "  as an attachment (Content-Disposition)" grep -qi '^content-disposition: attachment; filename="ghi-chu.txt"' "$T/hdr"
check "  as text/plain; charset=utf-8" grep -qi '^content-type: text/plain; charset=utf-8' "$T/hdr"
check "  with X-Content-Type-Options: nosniff" grep -qi '^x-content-type-options: nosniff' "$T/hdr"
curl_s -b "$T/jar.nguyen.van.a" -D "$T/hdr" -o "$T/dl" "$URL/docs/$D/attachments/anh.png"
check "an image downloads as image/png" grep -qi '^content-type: image/png' "$T/hdr"
check "  byte for byte" cmp -s "$T/dl" "$T/f/anh.png"
code=$(curl_s -b "$T/jar.nguyen.van.a" -o /dev/null -w '%{http_code}' "$URL/docs/$D/attachments/..%2Fmeta.json")
check "a path outside attachments/ is not served ($code)" test "$code" = 404
form() { # who doc extra-curl-args... -> http code, page in $T/resp
	local who=$1 doc=$2; shift 2
	curl_s -b "$T/jar.$who" -o "$T/resp" -w '%{http_code}' "$URL/docs/$doc/revise" \
		-F "csrf=$(csrf "$who")" -F "head=$(head_of "$doc")" -F "text=$(git -C "$R" show "refs/docs/$doc:document.md")" \
		-F "passphrase=$(cat "$(pass "$who")")" "$@"
}
before=$(repo_state "$S")
code=$(form nguyen.van.a "$D" -F "attach1=@$T/f/phu-luc.txt;filename=phu-luc.txt")
check "the browser refuses a stamped attachment ($code)" test "$code" = 400
check "  the page says so, by position" grep -q 'attachment 1 carries a classification marking' "$T/resp"
check "  without echoing its content" bash -c "! grep -q '$CANARY' '$T/resp'"
check "  and nothing was stored" test "$before" = "$(repo_state "$S")"
code=$(form nguyen.van.a "$D" -F "attach1=@$T/f/ghi-chu.txt;filename=TOI-MAT_ghichu.txt")
check "the browser refuses a stamped attachment name ($code)" test "$code" = 400
check "  without echoing the name" bash -c "! grep -qi 'toi-mat' '$T/resp'"
code=$(form an.ninh "$D" -F "attach1=@$T/f/anh.png;filename=anh3.png")
check "an undeclared image is refused in the browser ($code)" test "$code" = 400
code=$(form nguyen.van.a "$D" -F "attach1=@$T/f/anh.png;filename=anh3.png" -F declare1=1)
check "a declaration by a person without the right is refused ($code)" test "$code" = 400
code=$(form an.ninh "$D" -F "attach1=@$T/f/anh.png;filename=anh3.png" -F declare1=1 \
	-F "attach2=@$T/f/ghi-chu.txt;filename=them.txt" -F detach=khong-doi.txt)
check "a detach of an unknown name refuses the whole step ($code)" test "$code" = 404
code=$(form an.ninh "$D" -F "attach1=@$T/f/anh.png;filename=anh3.png" -F declare1=1 \
	-F "attach2=@$T/f/ghi-chu.txt;filename=them.txt" -F detach=anh.png)
check "a security officer adds a declared image and a text, detaches another ($code)" test "$code" = 200
check "  the step declares exactly the image" test "$(git -C "$R" log -1 --format='%(trailers:key=Chancery-Declared-Unclassified,valueonly)' "refs/docs/$D")" = attachments/anh3.png
check "  anh.png is gone, them.txt is there" test -z "$(blob "$D" anh.png)" -a -n "$(blob "$D" them.txt)"
printf '<html><body><script>alert(1)</script>Ghi chú</body></html>\n' >"$T/x.html"
code=$(form nguyen.van.a "$D" -F "attach1=@$T/x.html;filename=x.html")
curl_s -b "$T/jar.nguyen.van.a" -D "$T/hdr" -o /dev/null "$URL/docs/$D/attachments/x.html"
check "an HTML attachment ($code) is served as text/plain, never text/html" grep -qi '^content-type: text/plain' "$T/hdr"
printf 'Dòng một.\r\nDòng hai.\r\n' >"$T/crlf.txt"
code=$(curl_s -b "$T/jar.nguyen.van.a" -o "$T/resp" -w '%{http_code}' "$URL/docs/$D/revise" \
	-F "csrf=$(csrf nguyen.van.a)" -F "head=$(head_of "$D")" -F "passphrase=$(cat "$(pass nguyen.van.a)")" \
	-F "text=<$T/crlf.txt")
check "a textarea's CRLF line ends are stored as LF ($code)" \
	test "$code" = 200 -a "$(git -C "$R" show "refs/docs/$D:document.md" | od -An -tx1 | tr -d ' \n')" = \
	"$(printf 'Dòng một.\nDòng hai.\n' | od -An -tx1 | tr -d ' \n')"
# JSON API
curl_s -o "$T/sess.json" -H 'Content-Type: application/json' "$URL/api/v1/session" \
	-d "{\"id\":\"nguyen.van.a\",\"password\":\"$(cat "$T/pass/nguyen.van.a.login")\"}"
api=$(jq -r .token "$T/sess.json")
apirev() { # json-body-file -> code
	curl_s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $api" -H 'Content-Type: application/json' \
		--data-binary @"$1" "$URL/api/v1/docs/$D/revise"
}
jq -n --arg h "$(head_of "$D")" --arg p "$(cat "$(pass nguyen.van.a)")" --arg c "$(base64 -w0 "$T/f/bang.csv")" \
	'{head:$h, passphrase:$p, attachments:[{name:"bang-api.csv", content_base64:$c}], detach:["x.html"]}' >"$T/b.json"
code=$(apirev "$T/b.json")
check "the JSON API adds and detaches attachments ($code)" test "$code" = 200
check "  the file is there byte for byte" cmp -s <(git -C "$R" cat-file blob "$(blob "$D" bang-api.csv)") "$T/f/bang.csv"
curl_s -H "Authorization: Bearer $api" -o "$T/dl" "$URL/api/v1/docs/$D/attachments/bang-api.csv"
check "  and downloads through the API" cmp -s "$T/dl" "$T/f/bang.csv"
curl_s -H "Authorization: Bearer $api" "$URL/api/v1/docs/$D" >"$T/doc.json"
check "  the document's JSON lists its attachments" jq -e '.attachments | map(.name) | index("bang-api.csv")' "$T/doc.json"
jq -n --arg h "$(head_of "$D")" --arg p "$(cat "$(pass nguyen.van.a)")" --arg c "$(base64 -w0 "$T/f/phu-luc.txt")" \
	'{head:$h, passphrase:$p, attachments:[{name:"p.txt", content_base64:$c}]}' >"$T/b.json"
code=$(apirev "$T/b.json")
check "the JSON API refuses a stamped attachment ($code)" test "$code" = 400
check "  without echoing it" bash -c "! grep -q '$CANARY' '$T/resp'"
# the gate on the way out: a stamped attachment put in by hand (unsigned,
# as a copied-in repository might hold) is withheld, and recorded
h=$(head_of "$D")
sub=$( { git -C "$R" ls-tree "$h:attachments"; printf '100644 blob %s\tnhap.txt\n' "$(git -C "$R" hash-object -w "$T/f/phu-luc.txt")"; } | git -C "$R" mktree)
tree=$( { git -C "$R" ls-tree "$h^{tree}" | grep -v 'attachments$'; printf '040000 tree %s\tattachments\n' "$sub"; } | git -C "$R" mktree)
printf 'revise: by hand\n\nChancery-Action: revise\nChancery-Step: draft\nChancery-Actor: nguyen.van.a\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
	"$(git -C "$R" rev-parse refs/heads/policy)" >"$T/msg"
git -C "$R" update-ref "refs/docs/$D" "$(git -C "$R" commit-tree "$tree" -p "$h" -F "$T/msg")" "$h"
n0=$(events)
code=$(curl_s -b "$T/jar.nguyen.van.a" -o "$T/dl" -w '%{http_code}' "$URL/docs/$D/attachments/nhap.txt")
check "a stamped attachment in the repository is withheld on download ($code)" test "$code" = 451
check "  without its content" bash -c "! grep -q '$CANARY' '$T/dl'"
check "  as a security event" test "$(events)" -gt "$n0"
git -C "$R" update-ref "refs/docs/$D" "$h"
check "the server's log holds no content or names" bash -c "! grep -qi -e '$CANARY' -e 'toi-mat' '$T/server.log' '$T/server.out' '$S/state/'*.log"
stop_server

# ---- verification ----
expect 0 "chancery verify passes on the site" "$CH" verify "$S"
V="$T/auditor-gnupg"; mkdir -m 700 "$V"
"$CH" export-keys "$S" | GNUPGHOME="$V" gpg --batch --quiet --import 2>/dev/null
bad=0 n=0
for c in $(git -C "$R" rev-list refs/docs/"$D" refs/docs/"$D2"); do
	n=$((n + 1)); GNUPGHOME="$V" git -C "$R" verify-commit "$c" 2>/dev/null || bad=1
done
check "stock git verify-commit passes on all $n steps" test "$bad" -eq 0

# tampering with stock git: a copy of the repository, commits signed with
# the person's own key through a loopback pinentry
cat >"$T/gpg-loopback" <<EOS
#!/bin/sh
exec gpg --batch --pinentry-mode loopback --passphrase-file "$T/pass/\$CH_SIGNER" "\$@"
EOS
chmod +x "$T/gpg-loopback"
fpr_of() { git -C "$R" show refs/heads/policy:policy/people.json | jq -r --arg id "$1" '.people[] | select(.id == $id) | .fingerprint'; }
POL=$(git -C "$R" rev-parse refs/heads/policy)
tamper() { # name signer trailer-lines -> a copy whose $D gains a revise adding anh2.png
	local c="$T/c/$1.git" head tree sub msg
	mkdir -p "$T/c"; cp -a "$R" "$c"
	head=$(git -C "$c" rev-parse "refs/docs/$D")
	sub=$( { git -C "$c" ls-tree "$head:attachments"
	         printf '100644 blob %s\tanh2.png\n' "$(git -C "$c" hash-object -w "$T/f/anh2.png")"; } | git -C "$c" mktree)
	tree=$( { git -C "$c" ls-tree "$head^{tree}" | grep -v 'attachments$'
	          printf '040000 tree %s\tattachments\n' "$sub"; } | git -C "$c" mktree)
	msg="$T/c/$1.msg"
	printf 'revise: tampered\n\nChancery-Action: revise\nChancery-Step: draft\nChancery-Actor: %s\nChancery-Policy: %s\nChancery-Classification: unclassified\n%s' \
		"$2" "$POL" "$3" >"$msg"
	c2=$(CH_SIGNER=$2 GNUPGHOME="$S/gnupg" git -C "$c" -c gpg.program="$T/gpg-loopback" \
		commit-tree "$tree" -p "$head" -S"$(fpr_of "$2")" -F "$msg") &&
	git -C "$c" update-ref "refs/docs/$D" "$c2" "$head" && echo "$c"
}
c=$(tamper noright nguyen.van.a $'Chancery-Declared-Unclassified: attachments/anh2.png\n')
expect 1 "verify finds a declaration by a person without the right" "$CH" verify "$c"
check "  as rule D10, naming the role file" grep -q 'D10.*holds no role that policy/attachments.json' "$T/out"
check "  and echoes no content" bash -c "! grep -q '$CANARY' '$T/out'"
c=$(tamper notrailer an.ninh '')
expect 1 "verify finds an unreadable file added without a declaration" "$CH" verify "$c"
check "  as rule D10" grep -q 'D10.*cannot read' "$T/out"
c=$(tamper twice an.ninh $'Chancery-Declared-Unclassified: attachments/anh2.png\nChancery-Declared-Unclassified: attachments/anh2.png\n')
expect 1 "verify finds a declaration repeated" "$CH" verify "$c"
check "  as rule D10" grep -q 'D10.*twice' "$T/out"
c=$(tamper fine an.ninh $'Chancery-Declared-Unclassified: attachments/anh2.png\n')
log_by_hand "$S" "$c" "refs/docs/$D" # (entered in the site log, as the site would)
expect 0 "the same step with a valid declaration verifies clean" "$CH" verify "$c"
# a declaration edited into a signed step without re-signing breaks the signature
mkdir -p "$T/c"; cp -a "$R" "$T/c/edit.git"; c="$T/c/edit.git"
h=$(git -C "$c" rev-parse "refs/docs/$D")
git -C "$c" cat-file commit "$h" | sed 's/^Chancery-Classification: unclassified$/&\nChancery-Declared-Unclassified: attachments\/anh.png/' >"$T/raw"
h2=$(git -C "$c" hash-object -t commit -w "$T/raw")
git -C "$c" update-ref "refs/docs/$D" "$h2" "$h"
expect 1 "verify finds a declaration edited into a signed step" "$CH" verify "$c"
check "  (D1: the signature no longer matches)" grep -q 'FINDING D1 ' "$T/out"

# ---- spillage takes the attachments with it ----
pb=$(blob "$D2" anh-d2.png)
expect 0 "a document with an attachment is spilled" "$CH" spill "$S" "$D2" --as an.ninh \
	--reason "kiểm thử" --passphrase-file "$(pass an.ninh)"
check "  its attachment's blob is gone from the object store" bash -c "! git -C '$R' cat-file -e '$pb' 2>/dev/null"
check "  the other document keeps its attachments" test -n "$(blob "$D" anh3.png)"
expect 0 "  and the site still verifies" "$CH" verify "$S"
finish
