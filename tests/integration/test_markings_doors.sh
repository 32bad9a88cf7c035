#!/usr/bin/env bash
# test_markings_doors.sh -- the generated corpus (build/tests/gen_markings:
# every marking of workflows/markings.c and the Vietnamese levels, in every
# folding family) is refused at every door of the networked tier, and every
# false friend of the table passes (issue 15).
#
# Doors and what is tried, so that the run stays near a minute:
#   - every variant through one of the web doors, in turn: the query string
#     (a list filter of the JSON API), the JSON API (title), the browser
#     form (number); every door x family and most door x marking pairs are
#     tried (the full product, every variant at every door, took minutes:
#     each refusal is a security event synced to disk);
#   - the command line (title): one variant per family;
#   - stock git push and a bundle (subject and meta.json number of a step
#     signed by hand by a mission official): one variant per family and
#     level, each on its own ref of one push / one bundle.
# Every false friend: as a document's text (JSON API), as a title where it
# is one line (JSON API, command line, query string), in a pushed step.
. "$(dirname "$0")/lib.sh"
# Hundreds of documents created by one person within a minute: the
# signer's rate (30 a minute a person, server/signer.c) raised for this test.
export CHANCERY_TEST_SIGNS_PER_MINUTE=100000
. "$(dirname "$0")/server_lib.sh"

GEN="$BUILD/tests/gen_markings"
[ -x "$GEN" ] || { not_ok "gen_markings is built ($GEN)"; finish; }
"$GEN" -v >"$T/variants.tsv"
"$GEN" -f -0 >"$T/friends.bin"
NV=$(wc -l <"$T/variants.tsv")
check "the corpus: $NV variants" test "$NV" -ge 500

make_site nv.a:drafter || { not_ok site; finish; }
"$top/scripts/tls-demo.sh" "$T/tls" mission-a >/dev/null || not_ok "tls"
"$CH" site set "$S" mission-a --units mission-a --tls-fingerprint \
	"$(openssl x509 -in "$T/tls/mission-a.pem" -outform DER | sha256sum | cut -c1-64)" \
	--as admin.a --passphrase-file "$(pass admin.a)" >/dev/null || not_ok "site set mission-a"
"$CH" person add "$S" lv.m --name "Lê Văn M" --roles drafter --unit mission-a --as admin.a \
	--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass lv.m)" >/dev/null ||
	not_ok "person lv.m"
cp -a "$S/gnupg" "$T/m-gnupg" && rm -f "$T/m-gnupg"/S.*
R="$S/repo.git"
printf 'Nội dung.\n' >"$T/ok.md"
free_port PORT
URL="https://127.0.0.1:$PORT"
CA="$T/tls/ca.pem"
"$CHD" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --client-ca "$CA" \
	--port "$PORT" >>"$T/server.out" 2>>"$T/server.log" &
srv_pid=$!
for i in $(seq 300); do curl -s -m 5 --cacert "$CA" -o /dev/null "$URL/login" && break; sleep 0.1; done
login nv.a >/dev/null
J="$T/jar.nv.a"
tok=$(csrf nv.a)
curl_s -o "$T/sess.json" -H 'Content-Type: application/json' "$URL/api/v1/session" \
	-d "{\"id\":\"nv.a\",\"password\":\"$(cat "$T/pass/nv.a.login")\"}"
BEARER="Authorization: Bearer $(jq -r .token "$T/sess.json")"
P=$(cat "$(pass nv.a)")
objects() { git -C "$R" count-objects -v | awk '/^(count|in-pack)/ {s += $2} END {print s}'; }
before=$(objects)
refs_before=$(git -C "$R" for-each-ref | md5sum)

# one curl process, one request per line of the corpus (curl's --next):
# prints one status code per request
many() { # KIND < variants: KIND is filter, json or form
	local v first=1
	cut -f4 | while IFS= read -r v; do
		[ -n "$first" ] || printf 'next\n'
		first=
		case $1 in
		filter) printf 'url = "%s/api/v1/docs?state=%s"\nheader = "%s"\n' "$URL" \
			"$(jq -rn --arg v "$v" '$v | @uri')" "$BEARER" ;;
		json) jq -cn --arg t "$v" --arg p "$P" '{title:$t, type:"bao-cao", text:"Nội dung.",
			passphrase:$p}' >"$T/j.$((++n))"
			printf 'url = "%s/api/v1/docs"\nheader = "%s"\nheader = "Content-Type: application/json"\ndata-binary = "@%s"\n' \
				"$URL" "$BEARER" "$T/j.$n" ;;
		form) printf 'url = "%s/docs/new"\ncookie = "%s"\ndata-urlencode = "csrf=%s"\ndata-urlencode = "passphrase=%s"\ndata-urlencode = "title=Thông báo"\ndata-urlencode = "type=bao-cao"\ndata-urlencode = "text=Nội dung."\ndata-urlencode = "number=%s"\n' \
			"$URL" "$J" "$tok" "$P" "$(printf '%s' "$v" | sed 's/\\/\\\\/g; s/"/\\"/g')" ;;
		esac
		printf 'cacert = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$CA"
	done >"$T/curl.cfg"
	curl -s -K "$T/curl.cfg"
}
n=0
t0=$(date +%s)
# every variant through one of the three web doors, in turn: the query
# string, the JSON API's title, the form's number (each refusal is a
# security event, synced to disk: the whole product took minutes)
awk 'NR % 3 == 1' "$T/variants.tsv" >"$T/v.filter"
awk 'NR % 3 == 2' "$T/variants.tsv" >"$T/v.json"
awk 'NR % 3 == 0' "$T/variants.tsv" >"$T/v.form"
for door in filter json form; do
	many "$door" <"$T/v.$door" >"$T/codes.$door"
	nd=$(wc -l <"$T/v.$door")
	bad=$(grep -cv '^400$' "$T/codes.$door")
	check "$door: $nd variants, each refused (400); $bad not" test "$bad" -eq 0 -a \
		"$(wc -l <"$T/codes.$door")" -eq "$nd"
	if [ "$bad" -ne 0 ]; then
		paste "$T/codes.$door" "$T/v.$door" | grep -v '^400' | head -5 | sed 's/^/#   /'
	fi
done
# the command line: one variant per family (a process each), the push and
# the bundle: one per family and level
awk -F'\t' '!seen[$1 FS $3]++' "$T/variants.tsv" >"$T/sample.tsv"
awk -F'\t' '!seen[$3]++' "$T/variants.tsv" >"$T/sample.cli"
NS=$(wc -l <"$T/sample.tsv")
miss=0 tried=0
while IFS=$'\t' read -r level lang family v; do
	tried=$((tried + 1))
	"$CH" doc create "$S" --as nv.a --passphrase-file "$(pass nv.a)" --file "$T/ok.md" \
		--title "$v" --type bao-cao </dev/null >/dev/null 2>>"$T/cli.err"
	[ $? -eq 1 ] || { miss=$((miss + 1)); echo "#   command line let through: $level $lang $family"; }
done <"$T/sample.cli"
check "command line: $tried variants (one per family) refused as a title, $miss not" test "$miss" -eq 0
echo "# web and command-line doors: $(( $(date +%s) - t0 )) s"

# ---- stock git push and a bundle, signed by hand by a mission official ----
git clone -q --mirror --no-local "$R" "$T/m.git" 2>/dev/null
M="$T/m.git"
pol=$(git -C "$M" rev-parse refs/heads/policy)
printf '#!/bin/sh\nexec gpg --homedir "$FORGE_HOME" --batch --pinentry-mode loopback --passphrase-file "$FORGE_PASS" "$@"\n' >"$T/gpgw"
chmod 755 "$T/gpgw"
fpr_of() { git -C "$R" show refs/heads/policy:policy/people.json |
	jq -r --arg id "$1" '.people[] | select(.id == $id) | .fingerprint'; }
LVFPR=$(fpr_of lv.m)
NVFPR=$(fpr_of nv.a)
mstep() { # ID SUBJECT NUMBER TEXT: a signed create by lv.m in $M
	local bt bm tree
	bt=$(printf '%s\n' "$4" | git -C "$M" hash-object -w --stdin)
	bm=$(jq -cn --arg n "$3" '{version:1, title:"Báo cáo", type:"bao-cao", classification:"unclassified",
		urgency:"normal", workflow:"bao-cao", number:$n, recipients:["mission-a"]}' |
		git -C "$M" hash-object -w --stdin)
	tree=$(printf '100644 blob %s\tdocument.md\n100644 blob %s\tmeta.json\n' "$bt" "$bm" | git -C "$M" mktree)
	printf '%s\n\nChancery-Action: create\nChancery-Step: draft\nChancery-Actor: lv.m\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
		"$2" "$pol" >"$T/m.msg"
	c=$(FORGE_HOME="$T/m-gnupg" FORGE_PASS="$(pass lv.m)" \
		git -C "$M" -c gpg.program="$T/gpgw" commit-tree "$tree" -F "$T/m.msg" -S"$LVFPR") &&
	git -C "$M" update-ref "refs/docs/$1" "$c"
}
# one variant per family and level, alternately in the subject and the number
k=0 refs=()
while IFS=$'\t' read -r level lang family v; do
	k=$((k + 1))
	if [ $((k % 2)) -eq 0 ]; then mstep "mk-$k" "create: $v" "" "Báo cáo."
	else mstep "mk-$k" "create: Báo cáo" "$v" "Báo cáo."; fi
	refs+=("refs/docs/mk-$k")
done <"$T/sample.tsv"
gitc() { GIT_SSL_CERT="$T/tls/mission-a.pem" GIT_SSL_KEY="$T/tls/mission-a.key" GIT_SSL_CAINFO="$CA" git "$@"; }
gitc -C "$M" push "$URL/git/hq.git" "${refs[@]}" >"$T/push.out" 2>&1
ng=$(grep -c 'remote rejected\].*G commit' "$T/push.out")
check "git push: $NS variants (each family x level) on $NS refs, each refused by the gate ($ng)" \
	test "$ng" -eq "$NS"
grep -a '\[remote rejected\]\|->' "$T/push.out" | grep -av 'G commit' | head -5 | sed 's/^/#   not G: /'
# the bundle: the same refs, one bundle
{ for r in "${refs[@]}"; do printf 'ref %s %s\n' "$(git -C "$M" rev-parse "$r")" "$r"; done |
	LC_ALL=C sort -k3; printf 'ref %s refs/heads/policy\n' "$pol"; } >"$T/refs"
printf '%s\n' "${refs[@]}" | while read -r r; do git -C "$M" rev-parse "$r"; done |
	git -C "$M" pack-objects --revs --stdout >"$T/b.pack"
{ printf 'from mission-a\nto hq\nsigner lv.m\ncreated %s\n' "$(date +%s)"; cat "$T/refs"
  printf 'pack %s\n' "$(stat -c %s "$T/b.pack")"; cat "$T/b.pack"; } >"$T/b.body"
gpg --homedir "$T/m-gnupg" --batch --quiet --pinentry-mode loopback --passphrase-file "$(pass lv.m)" \
	--local-user "$LVFPR" --digest-algo SHA256 --armor --detach-sign -o "$T/b.sig" "$T/b.body"
{ printf 'chancery-bundle 1\nsignature %s\n' "$(stat -c %s "$T/b.sig")"; cat "$T/b.sig" "$T/b.body"; } >"$T/b.plain"
gpg --homedir "$T/m-gnupg" --batch --quiet --yes --trust-model always --compress-algo none \
	-r "$NVFPR" -o "$T/m.bundle" -e "$T/b.plain"
"$CH" bundle apply "$S" "$T/m.bundle" --as nv.a --passphrase-file "$(pass nv.a)" >"$T/apply.out" 2>&1
nb=$(grep -c 'G commit' "$T/apply.out")
check "bundle: the same $NS refs in one bundle, each refused by the gate ($nb)" test "$nb" -eq "$NS"
check "nothing entered: HQ's refs are as they were" test "$(git -C "$R" for-each-ref | md5sum)" = "$refs_before"
check "  and no object was added" test "$(objects)" -eq "$before"

# ---- the false friends pass ----
fr=0 fbad=0
while IFS= read -r -d '' f; do
	fr=$((fr + 1))
	jq -cn --arg t "$f" --arg p "$P" '{title:"Ghi chú", type:"bao-cao", text:$t, passphrase:$p}' >"$T/f.json"
	code=$(curl_s -o "$T/f.out" -w '%{http_code}' -H "$BEARER" -H 'Content-Type: application/json' \
		--data-binary @"$T/f.json" "$URL/api/v1/docs")
	[ "$code" = 201 ] || { fbad=$((fbad + 1)); echo "#   text refused ($code): $(printf '%s' "$f" | head -1): $(head -c 300 "$T/f.out")"; }
	# one-line fields: the title rule refuses a marking in capitals anywhere in a
	# title (stamp.h), so prose that names markings in capitals (a guide to the
	# rules) passes as text only
	case $f in *$'\n'*) continue ;; esac
	printf '%s' "$f" | grep -qE '(^|[^[:alpha:]])(TOP SECRET|TRÈS SECRET|SECRET|CONFIDENTIAL|CONFIDENTIEL)([^[:alpha:]]|$)' &&
		continue
	jq -cn --arg t "$f" --arg p "$P" '{title:$t, type:"bao-cao", text:"Nội dung.", passphrase:$p}' >"$T/f.json"
	code=$(curl_s -o /dev/null -w '%{http_code}' -H "$BEARER" -H 'Content-Type: application/json' \
		--data-binary @"$T/f.json" "$URL/api/v1/docs")
	[ "$code" = 201 ] || { fbad=$((fbad + 1)); echo "#   title refused ($code): $f"; }
	code=$(curl_s -o /dev/null -w '%{http_code}' -H "$BEARER" -G --data-urlencode "q=$f" "$URL/api/v1/docs")
	[ "$code" = 200 ] || { fbad=$((fbad + 1)); echo "#   query refused ($code): $f"; }
	"$CH" doc create "$S" --as nv.a --passphrase-file "$(pass nv.a)" --file "$T/ok.md" --title "$f" \
		--type bao-cao </dev/null >/dev/null 2>>"$T/cli.err" ||
		{ fbad=$((fbad + 1)); echo "#   command line refused: $f"; }
done <"$T/friends.bin"
check "$fr false friends pass as text, as titles (JSON, command line) and queries; $fbad refusals" \
	test "$fbad" -eq 0 -a "$fr" -gt 10
# and in a pushed step: every false friend in one text, signed by hand
tr '\0' '\n' <"$T/friends.bin" >"$T/friends.txt"
mstep friends "create: Báo cáo" "" "$(cat "$T/friends.txt")"
if gitc -C "$M" push "$URL/git/hq.git" refs/docs/friends >"$T/push.out" 2>&1; then
	ok "git push: a step whose text holds every false friend is accepted"
else
	not_ok "git push: the false friends' step"; sed 's/^/#   /' "$T/push.out" | head -4
fi
check "the server's log and the command line's messages hold no variant" bash -c \
	"! grep -aqF -f <(cut -f4 '$T/variants.tsv' | grep -v '^.\{0,11\}$') '$T/server.log' '$T/cli.err'"
expect 0 "HQ verifies clean" "$CH" verify "$R"
finish
