#!/usr/bin/env bash
# test_sync_graft.sh -- a push builds only on what the pushing site may see
# (issue 16, part 4). A compromised mission (its client certificate, one
# official's key) saw the commit id of a document hidden from it on a page:
#   1. it pushes one signed step whose parent is that hidden commit (a
#      revise that adds itself to the recipients) under a new id;
#   2. it pushes a thin pack whose delta base is the hidden document's
#      text (the delta rebuilds that text plus one line).
# Both are refused naming rule N and the commit, no HQ ref moves, and the
# mission's next fetch (stock git) holds none of the hidden objects.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

make_site nguyen.van.a:drafter tran.thi.b:head || { not_ok "site"; finish; }
"$top/scripts/tls-demo.sh" "$T/tls" mission-a mission-b >/dev/null || { not_ok "certificates"; finish; }
CA="$T/tls/ca.pem"
fpr() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
for m in mission-a mission-b; do
	"$CH" site set "$S" "$m" --units "$m" --tls-fingerprint "$(fpr "$T/tls/$m.pem")" "${ADM[@]}" >/dev/null ||
		not_ok "site set $m"
done
"$CH" person add "$S" le.van.c --name "Lê Văn C" --roles drafter,head --unit mission-a "${ADM[@]}" \
	--new-passphrase-file "$(pass le.van.c)" >/dev/null || not_ok "person le.van.c (mission-a)"
R="$S/repo.git"
# The mission's own site (its official's key), copied before HQ writes the hidden document.
M="$T/ma"
cp -a "$S" "$M" && rm -f "$M"/gnupg/S.*
MR="$M/repo.git"
printf 'Mật lệnh nội bộ %s: chỉ gửi mission-b.\n\n' "$RANDOM$RANDOM" >"$T/hidden.md"
cat "$CORPUS/bao-gia-lai-tin-292.txt" >>"$T/hidden.md"
DH=$("$CH" doc create "$S" --as nguyen.van.a --title "Chỉ gửi B" --type cong-van --file "$T/hidden.md" \
	--to mission-b --passphrase-file "$(pass nguyen.van.a)") || not_ok "the hidden document"
HH=$(git -C "$R" rev-parse "refs/docs/$DH")
HBLOB=$(git -C "$R" rev-parse "$HH:document.md")
HTREE=$(git -C "$R" rev-parse "$HH^{tree}")

free_port PORT
URL="https://127.0.0.1:$PORT"
G="$URL/git/hq.git"
"$CHD" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --client-ca "$CA" \
	--port "$PORT" >>"$T/server.out" 2>>"$T/server.log" &
srv_pid=$!
for i in $(seq 300); do curl -s -m 5 --cacert "$CA" -o /dev/null "$URL/login" && break; sleep 0.1; done
gitc() { local n=$1; shift; GIT_SSL_CERT="$T/tls/$n.pem" GIT_SSL_KEY="$T/tls/$n.key" GIT_SSL_CAINFO="$CA" git "$@"; }
hq_state() { git -C "$R" for-each-ref --format='%(refname) %(objectname)'; find "$R/objects" -type f | sort; }

cat >"$T/gpgw" <<'EOG'
#!/bin/sh
exec gpg --homedir "$FORGE_HOME" --batch --pinentry-mode loopback --passphrase-file "$FORGE_PASS" "$@"
EOG
chmod 755 "$T/gpgw"
LEFPR=$(git -C "$R" show refs/heads/policy:policy/people.json |
	python3 -c "import json,sys; print([p['fingerprint'] for p in json.load(sys.stdin)['people'] if p['id']=='le.van.c'][0])")
forge() { # REPO PARENT|- TREE MSGFILE: signed by le.van.c's key, by hand (the
	# parent need not be held: git commit-tree would insist, hash-object does not)
	local now; now="$(date +%s) +0700"
	{ printf 'tree %s\n' "$3"; [ "$2" = - ] || printf 'parent %s\n' "$2"
	  printf 'author Le Van C <c@mission-a.invalid> %s\ncommitter Le Van C <c@mission-a.invalid> %s\n\n' "$now" "$now"
	  cat "$4"; } >"$T/payload"
	FORGE_HOME="$M/gnupg" FORGE_PASS="$(pass le.van.c)" "$T/gpgw" -q --digest-algo SHA256 -u "$LEFPR!" \
		--detach-sign --armor -o - "$T/payload" >"$T/sig" || return 1
	{ sed -n '/^committer /q;p' "$T/payload"; grep '^committer ' "$T/payload"
	  printf 'gpgsig'; sed 's/^/ /' "$T/sig"; sed -n '/^$/,$p' "$T/payload"; } |
		git -C "$1" hash-object -t commit -w --stdin
}
# post ID NEW REPO OBJECT-LIST-ARGS...: a hand-made receive-pack request creating refs/docs/ID
post() {
	local id=$1 new=$2 repo=$3; shift 3
	{ printf '%04x%s %s refs/docs/%s\0report-status\n' $((4 + 82 + 10 + ${#id} + 1 + 13 + 1)) \
		0000000000000000000000000000000000000000 "$new" "$id"; printf 0000
	  git -C "$repo" pack-objects -q --stdout "$@"; } >"$T/req"
	curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o "$T/resp" \
		-H 'Content-Type: application/x-git-receive-pack-request' --data-binary @"$T/req" "$G/git-receive-pack"
}

# The mission's own document (le.van.c, to hq): its meta.json and message are the model.
DM=$("$CH" doc create "$M" --as le.van.c --title "Báo cáo Tokyo" --type cong-van \
	--file "$CORPUS/chinh-phu-tin-292.txt" --to hq --passphrase-file "$(pass le.van.c)") || not_ok "a mission document"
MH=$(git -C "$MR" rev-parse "refs/docs/$DM")
POL=$(git -C "$R" rev-parse refs/heads/policy)

# ---- 1. a step grafted onto the hidden commit ----
export GIT_INDEX_FILE="$T/index"
git -C "$MR" read-tree "$MH^{tree}"
meta=$(git -C "$MR" show "$MH:meta.json" | sed 's/"recipients":\["hq"\]/"recipients":["hq","mission-a"]/' |
	git -C "$MR" hash-object -w --stdin)
git -C "$MR" update-index --cacheinfo "100644,$meta,meta.json"
GTREE=$(git -C "$MR" write-tree)
unset GIT_INDEX_FILE
printf 'Sửa đổi\n\nChancery-Action: revise\nChancery-Step: draft\nChancery-Actor: le.van.c\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
	"$POL" >"$T/msg"
GRAFT=$(forge "$MR" "$HH" "$GTREE" "$T/msg")
check "  (the mission does not hold the hidden commit it names)" bash -c "! git -C '$MR' cat-file -e '$HH' 2>/dev/null"
before=$(hq_state)
# the pack: the commit, its tree and the new meta.json (what stock git would send)
printf '%s\n%s\n%s\n' "$GRAFT" "$GTREE" "$meta" >"$T/objs"
post graft-1 "$GRAFT" "$MR" <"$T/objs"
check "a signed step whose parent is a hidden commit: ng, rule N, naming the step" \
	grep -aq "ng refs/docs/graft-1 N commit $GRAFT: it builds on $HH" "$T/resp"
grep -a 'ng ' "$T/resp" | sed 's/^/#   /'
check "  no HQ ref moved, no object added" test "$before" = "$(hq_state)"
check "  recorded as a security event (rule N)" grep -q '"rule":"N"' "$S/state/security.log"
check "  the answer holds nothing of the hidden document" bash -c "! grep -aq 'Mật lệnh' '$T/resp'"

# A missing parent gets the very same answer: the refusal is no oracle.
printf 'Sửa đổi\n\nChancery-Action: revise\nChancery-Step: draft\nChancery-Actor: le.van.c\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
	"$POL" >"$T/msg"
NOPE=1234567890123456789012345678901234567890
GHOST=$(forge "$MR" "$NOPE" "$GTREE" "$T/msg")
printf '%s\n%s\n%s\n' "$GHOST" "$GTREE" "$meta" | post graft-2 "$GHOST" "$MR"
check "  a parent this site does not have at all: the same rule and wording" \
	grep -aq "ng refs/docs/graft-2 N commit $GHOST: it builds on $NOPE, which is neither in the transfer" "$T/resp"

# ---- 2. a thin pack whose delta base is the hidden text ----
git clone -q --mirror "$R" "$T/scratch.git"
SC="$T/scratch.git"
git -C "$MR" cat-file -p "$MH:meta.json" | git -C "$SC" hash-object -w --stdin >/dev/null
BLOB2=$( { git -C "$R" cat-file -p "$HBLOB"; printf 'Thêm một dòng.\n'; } | git -C "$SC" hash-object --stdin)
export GIT_INDEX_FILE="$T/index2"
git -C "$SC" read-tree --empty
git -C "$SC" update-index --add --cacheinfo "100644,$(git -C "$MR" rev-parse "$MH:meta.json"),meta.json"
git -C "$SC" update-index --add --cacheinfo "100644,$BLOB2,document.md"
TTREE=$(git -C "$SC" write-tree --missing-ok)
unset GIT_INDEX_FILE
git -C "$MR" log -1 --format=%B "$MH" >"$T/msg3"
THIN=$(forge "$SC" - "$TTREE" "$T/msg3")
git -C "$SC" update-ref refs/heads/thin "$THIN"
before=$(hq_state)
printf 'Thêm một dòng.\n' >"$T/append"
# the commit, its tree and meta.json in full; the text as a delta on the hidden text
python3 "$top/tests/integration/thinpack.py" "$SC" "$HBLOB" "$T/append" "$THIN" "$TTREE" \
	"$(git -C "$MR" rev-parse "$MH:meta.json")" >"$T/thin.pack"
rm -rf "$T/empty.git"; git init -q --bare "$T/empty.git"
check "  (the pack is thin: it does not index without HQ's objects)" \
	bash -c "! git -C '$T/empty.git' index-pack --stdin <'$T/thin.pack' >/dev/null 2>&1"
check "  (and with them it rebuilds the text plus one line: $BLOB2)" \
	bash -c "git -C '$SC' index-pack --stdin --fix-thin <'$T/thin.pack' >/dev/null && git -C '$SC' cat-file -e $BLOB2"
{ printf '%04x%s %s refs/docs/thin-1\0report-status\n' $((4 + 82 + 17 + 13 + 1)) \
	0000000000000000000000000000000000000000 "$THIN"; printf 0000; cat "$T/thin.pack"; } >"$T/req"
curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o "$T/resp" \
	-H 'Content-Type: application/x-git-receive-pack-request' --data-binary @"$T/req" "$G/git-receive-pack"
check "a thin pack whose delta base is the hidden text: ng, rule N, naming the base" \
	grep -aq "ng refs/docs/thin-1 N commit $THIN: the pack's deltas build on $HBLOB" "$T/resp"
grep -a 'ng ' "$T/resp" | sed 's/^/#   /'
check "  no HQ ref moved, no object added" test "$before" = "$(hq_state)"

# ---- the mission's next fetch ----
gitc mission-a clone -q --mirror "$G" "$T/mission-clone.git" 2>"$T/err" || not_ok "the mission fetches"
check "the mission's fetch holds refs (the policy)" git -C "$T/mission-clone.git" rev-parse -q --verify refs/heads/policy
for o in "$HH" "$HTREE" "$HBLOB" "$BLOB2"; do
	check "  and not the hidden object $o (git cat-file)" \
		bash -c "! git -C '$T/mission-clone.git' cat-file -e '$o' 2>/dev/null"
done
check "  no object of the fetched clone holds the hidden text" \
	bash -c "! git -C '$T/mission-clone.git' cat-file --batch-all-objects --batch | grep -aq 'Mật lệnh'"
# a visible document with a visible parent still goes through
"$CH" doc act "$M" "$DM" --as le.van.c --action submit --passphrase-file "$(pass le.van.c)" >/dev/null
check "a normal push of the mission's own document is accepted" \
	gitc mission-a -C "$MR" push -q "$G" "refs/docs/$DM"
check "  HQ has it" test "$(git -C "$R" rev-parse "refs/docs/$DM")" = "$(git -C "$MR" rev-parse "refs/docs/$DM")"
gitc mission-a -C "$T/mission-clone.git" fetch -q origin 2>"$T/err"
check "the mission fetches its document" git -C "$T/mission-clone.git" cat-file -e "$(git -C "$R" rev-parse "refs/docs/$DM")"
check "  the fetch is in HQ's access log (peer:mission-a read $DM by sync)" \
	jq -se --arg d "$DM" 'map(select(.person == "peer:mission-a" and .doc == $d and .what == "sync")) | length >= 1' \
	"$S/state/access.log"
check "  and the hidden document is not" bash -c "! grep -q '\"$DH\"' '$S/state/access.log'"
expect 0 "chancery verify passes on HQ" "$CH" verify "$R"
expect 0 "chancery access verify passes on HQ" "$CH" access verify "$S"

# ---- a peer's sync does not hold the workers (issue 16, part 8) ----
# Each push below stops for 30 s inside the quarantine (the test build's
# failpoint): three of them take both sync threads and wait in the queue,
# and the officials' pages still answer at once.
kill "$srv_pid"; wait "$srv_pid" 2>/dev/null
mkdir -m 777 "$T/fp"
CHANCERY_FAILPOINT_QUARANTINE="$T/fp/reached" "$CHD" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" \
	--client-ca "$CA" --port "$PORT" >>"$T/server.out" 2>>"$T/server.log" &
srv_pid=$!
for i in $(seq 300); do curl -s -m 5 --cacert "$CA" -o /dev/null "$URL/login" && break; sleep 0.1; done
pids=()
hd=$(git -C "$R" rev-parse "refs/docs/$DM")
# a push command that changes nothing (stock git would not send it): still judged
{ printf '%04x%s %s refs/docs/%s\0report-status\n' $((4 + 82 + 10 + ${#DM} + 1 + 13 + 1)) "$hd" "$hd" "$DM"
  printf 0000; } >"$T/noop"
for i in 1 2 3; do
	curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o /dev/null -m 60 \
		-H 'Content-Type: application/x-git-receive-pack-request' --data-binary @"$T/noop" "$G/git-receive-pack" &
	pids+=($!)
done
for i in $(seq 300); do [ -e "$T/fp/reached" ] && break; sleep 0.1; done
check "  (the pushes are inside the quarantine)" test -e "$T/fp/reached"
sleep 0.5
t0=$(date +%s%N)
codes=$(for i in 1 2 3 4 5 6; do curl -s --cacert "$CA" -m 5 -o /dev/null -w '%{http_code} ' "$URL/login"; done)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "while three pushes wait on the quarantine, six login pages answer ($codes in $ms ms)" \
	test "$codes" = "200 200 200 200 200 200 " -a "$ms" -lt 5000
kill -KILL $(pgrep -P "$srv_pid") "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null
for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
finish
