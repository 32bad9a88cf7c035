#!/usr/bin/env bash
# test_sync_push.sh -- mission sync, phase 2 (push): a mission pushes signed
# steps to HQ with stock `git push` over TLS with its client certificate.
# Everything lands in a quarantine, is verified there (signatures, policy,
# workflow, revocation, the classification gate, need to know, rollback),
# and only then enters HQ: a refused push names the commit and the rule in
# git's output, moves no ref and adds no object. A diverged document is kept
# under refs/conflicts/<mission>/docs/<id>; a SIGKILL between the objects
# and the refs leaves HQ consistent, and the push can be retried.
#
# The "mission" is a copy of the HQ site (cp -a): its officials (people of
# the policy with unit mission-a) take steps there with `chancery`, or
# commits are made by hand with stock git and gpg to forge what a broken or
# hostile mission would send.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

make_site nguyen.van.a:drafter tran.thi.b:head an.ninh:security-officer || { not_ok "site"; finish; }
"$top/scripts/tls-demo.sh" "$T/tls" mission-a mission-b rogue >/dev/null || { not_ok "certificates"; finish; }
CA="$T/tls/ca.pem"
fpr() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
for m in mission-a mission-b; do
	"$CH" site set "$S" "$m" --units "$m" --tls-fingerprint "$(fpr "$T/tls/$m.pem")" "${ADM[@]}" >/dev/null ||
		not_ok "site set $m"
done
# His roles reach HQ's hq/legal documents too (scoped roles: his own unit is mission-a).
"$CH" person add "$S" le.van.c --name "Lê Văn C" --roles drafter,head --unit mission-a \
	--scope mission-a,hq/legal "${ADM[@]}" \
	--new-passphrase-file "$(pass le.van.c)" >/dev/null || not_ok "person le.van.c (mission-a)"
mk() { # title recipients
	"$CH" doc create "$S" --as nguyen.van.a --title "$1" --type cong-van \
		--file "$CORPUS/bao-gia-lai-tin-292.txt" ${2:+--to "$2"} --passphrase-file "$(pass nguyen.van.a)"
}
act() { # SITE DOC PERSON ACTION
	"$CH" doc act "$1" "$2" --as "$3" --action "$4" --passphrase-file "$(pass "$3")" >/dev/null
}
DA=$(mk "Gửi Tokyo" mission-a) && act "$S" "$DA" nguyen.van.a submit
DC=$(mk "Hai bên cùng duyệt" mission-a) && act "$S" "$DC" nguyen.van.a submit
DB=$(mk "Gửi riêng B" mission-b) && act "$S" "$DB" nguyen.van.a submit
DK=$(mk "Đẩy bị ngắt" mission-a) && act "$S" "$DK" nguyen.van.a submit
check "four documents at HQ, in review" test -n "$DA" -a -n "$DC" -a -n "$DB" -a -n "$DK"
R="$S/repo.git"

# The mission's working copy: the HQ site as it stands (no agent sockets).
M="$T/ma"
cp -a "$S" "$M" && rm -f "$M"/gnupg/S.*
MR="$M/repo.git"

# chanceryd with --client-ca; FAILPOINT in the environment when given.
start_hq() {
	free_port PORT
	URL="https://127.0.0.1:$PORT"
	G="$URL/git/hq.git"
	env ${FAILPOINT:+CHANCERY_FAILPOINT_QUARANTINE="$FAILPOINT"} \
		"$CHD" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --client-ca "$CA" \
		--port "$PORT" >>"$T/server.out" 2>>"$T/server.log" &
	srv_pid=$!
	for i in $(seq 300); do
		curl -s -m 5 --cacert "$CA" -o /dev/null "$URL/login" && return 0
		sleep 0.1
	done
	return 1
}
start_hq || not_ok "chanceryd starts"
gitc() { # NAME git-args...: git with NAME's client certificate
	local n=$1; shift
	GIT_SSL_CERT="$T/tls/$n.pem" GIT_SSL_KEY="$T/tls/$n.key" GIT_SSL_CAINFO="$CA" git "$@"
}
push() { gitc mission-a -C "$MR" push "$G" "$@"; } # as mission-a, from the mission's repository
# HQ's refs and every file under objects/: equal before and after a refused push.
hq_state() { git -C "$R" for-each-ref --format='%(refname) %(objectname)'; find "$R/objects" -type f | sort; }
head_of() { git -C "$1" rev-parse "$2"; }

# refused DESC PATTERN PUSH-ARGS...: the push fails, git's output matches
# PATTERN (the rule and the commit), and HQ is exactly as it was.
refused() {
	local desc=$1 pat=$2 before after rc; shift 2
	before=$(hq_state)
	push "$@" >"$T/out" 2>"$T/err"; rc=$?
	after=$(hq_state)
	if [ "$rc" -ne 0 ] && grep -qE -- "$pat" "$T/err"; then
		ok "$desc: refused, naming /$pat/"
		grep -m1 'remote rejected' "$T/err" | sed 's/^/#   /'
	else
		not_ok "$desc (exit $rc; output lacks /$pat/)"; sed 's/^/#   /' "$T/err" | head -8
	fi
	check "  no HQ ref moved, no object added" test "$before" = "$after"
}

# forge PARENT|- TREE MESSAGE-FILE GNUPGHOME KEY PASSFILE: a signed commit made by hand.
cat >"$T/gpgw" <<'EOF'
#!/bin/sh
exec gpg --homedir "$FORGE_HOME" --batch --pinentry-mode loopback --passphrase-file "$FORGE_PASS" "$@"
EOF
chmod 755 "$T/gpgw"
forge() {
	FORGE_HOME=$4 FORGE_PASS=$6 git -C "$MR" -c gpg.program="$T/gpgw" commit-tree "$2" \
		${1:+$([ "$1" = - ] || echo "-p $1")} -F "$3" -S"$5"
}
person_fpr() { git -C "$R" show refs/heads/policy:policy/people.json |
	python3 -c "import json,sys; print([p['fingerprint'] for p in json.load(sys.stdin)['people'] if p['id']=='$1'][0])"; }
LEFPR=$(person_fpr le.van.c)
# a key the policy has never heard of
mkdir -m 700 "$T/wrong-gnupg"
gpg --homedir "$T/wrong-gnupg" --batch --passphrase '' --quick-gen-key 'Kẻ giả mạo <x@invalid>' ed25519 sign never >/dev/null 2>&1
printf '\n' >"$T/empty-pass"
WRONG=$(gpg --homedir "$T/wrong-gnupg" --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')

# ---- 1. a valid step by a mission official ----
act "$M" "$DA" le.van.c approve
N1=$(head_of "$MR" "refs/docs/$DA")
t0=$(date +%s%N)
expect 0 "mission-a pushes le.van.c's signed approval with stock git push" push "refs/docs/$DA"
echo "# one step pushed and verified in $(( ($(date +%s%N) - t0) / 1000000 )) ms (git push, TLS, quarantine, verifier, fsync)"
check "  HQ's ref moved to it" test "$(head_of "$R" "refs/docs/$DA")" = "$N1"
expect 0 "  chancery verify passes on HQ" "$CH" verify "$R"
check "  git fsck --strict is clean on HQ" git -C "$R" fsck --strict --no-dangling
check "  the quarantine was removed" bash -c "[ -z \"\$(ls -A '$S/state/quarantine')\" ]"
act "$M" "$DA" le.van.c comment
N2=$(head_of "$MR" "refs/docs/$DA")
expect 0 "a second step (a comment) is accepted too" push "refs/docs/$DA"
check "  HQ is at it" test "$(head_of "$R" "refs/docs/$DA")" = "$N2"
check "  HQ remembers the highest head mission-a sent (state/peers/mission-a.json)" \
	grep -q "$N2" "$S/state/peers/mission-a.json"
expect 0 "pushing the same head again changes nothing and succeeds" push "refs/docs/$DA"

# ---- 2. rollback ----
refused "pushing the older head after the newer one (rollback)" "R1 commit $N1" --force "$N1:refs/docs/$DA"
check "  recorded as a security event" grep -q '"rule":"R1"' "$S/state/security.log"

# ---- 3. a step re-signed by a key that is not the actor's ----
act "$M" "$DA" le.van.c comment
good=$(head_of "$MR" "refs/docs/$DA")
git -C "$MR" log -1 --format=%B "$good" >"$T/msg"
bad=$(forge "$N2" "$(git -C "$MR" rev-parse "$good^{tree}")" "$T/msg" "$T/wrong-gnupg" "$WRONG" "$T/empty-pass")
git -C "$MR" update-ref "refs/docs/$DA" "$bad"
refused "a step signed by a key that is not le.van.c's" "D1 commit $bad" "refs/docs/$DA"
git -C "$MR" update-ref "refs/docs/$DA" "$good"

# ---- 4. the classification gate ----
"$CH" doc create "$M" --as le.van.c --title "Báo cáo từ Tokyo" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --to hq --passphrase-file "$(pass le.van.c)" >"$T/dm" ||
	not_ok "a document created at the mission"
DM=$(cat "$T/dm")
root=$(head_of "$MR" "refs/docs/$DM")
git -C "$MR" log -1 --format=%B "$root" >"$T/msg"
export GIT_INDEX_FILE="$T/index"
git -C "$MR" read-tree "$root^{tree}"
blob=$(printf 'BỘ NGOẠI GIAO\n\nTỐI MẬT\n\nKế hoạch hợp tác năm 2027.\n' | git -C "$MR" hash-object -w --stdin)
git -C "$MR" update-index --cacheinfo "100644,$blob,document.md"
stamped=$(forge - "$(git -C "$MR" write-tree)" "$T/msg" "$M/gnupg" "$LEFPR" "$(pass le.van.c)")
git -C "$MR" read-tree "$root^{tree}"
blob=$(git -C "$MR" show "$root:meta.json" | sed 's/"unclassified"/"confidential"/' | git -C "$MR" hash-object -w --stdin)
git -C "$MR" update-index --cacheinfo "100644,$blob,meta.json"
sed 's/^Chancery-Classification: .*/Chancery-Classification: confidential/' "$T/msg" >"$T/msg2"
labelled=$(forge - "$(git -C "$MR" write-tree)" "$T/msg2" "$M/gnupg" "$LEFPR" "$(pass le.van.c)")
unset GIT_INDEX_FILE
git -C "$MR" update-ref "refs/docs/$DM" "$stamped"
refused "a correctly signed document whose text carries a TỐI MẬT stamp" "G commit $stamped" "refs/docs/$DM"
check "  the text is not in HQ's repository" \
	bash -c "! git -C '$R' cat-file --batch-all-objects --batch | grep -aq 'TỐI MẬT'"
check "  recorded as a security event at the git push door" grep -q '"door":"git push"' "$S/state/security.log"
git -C "$MR" update-ref "refs/docs/$DM" "$labelled"
refused "a correctly signed document labelled confidential" "G commit $labelled" "refs/docs/$DM"
git -C "$MR" update-ref "refs/docs/$DM" "$root"
expect 0 "the unstamped document created by le.van.c (unit mission-a) is accepted" push "refs/docs/$DM"
check "  HQ has it" test "$(head_of "$R" "refs/docs/$DM")" = "$root"

head -c 1500000 /dev/urandom | od -An -v -tx1 | tr -d ' \n' | fold -w 100 >"$T/large.md"
"$CH" doc create "$M" --as le.van.c --title "Phụ lục lớn" --type cong-van --file "$T/large.md" --to hq \
	--passphrase-file "$(pass le.van.c)" >"$T/dl" || not_ok "a large document at the mission"
DL=$(cat "$T/dl")
GIT_TRACE_CURL_NO_DATA=1 GIT_TRACE_CURL="$T/curl.trace" push "refs/docs/$DL" >"$T/out" 2>"$T/err"
check "a 3 MB document (a pack over git's 1 MiB post buffer) is accepted" \
	test "$(head_of "$R" "refs/docs/$DL")" = "$(head_of "$MR" "refs/docs/$DL")"
check "  git sent it with chunked transfer encoding" grep -qi 'Transfer-Encoding: chunked' "$T/curl.trace"

# ---- 5. need to know ----
act "$M" "$DB" le.van.c approve
refused "a step on a document addressed to mission-b only" "N commit $(head_of "$MR" "refs/docs/$DB")" \
	"refs/docs/$DB"
check "  the answer does not say that HQ has that document" bash -c "! grep -q 'exists' '$T/err'"
"$CH" doc create "$M" --as nguyen.van.a --title "Nội bộ" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)" >"$T/dn"
DN=$(cat "$T/dn")
refused "a new document neither addressed to mission-a nor created by its people" \
	"N commit $(head_of "$MR" "refs/docs/$DN")" "refs/docs/$DN"

# ---- 6. certificates ----
before=$(hq_state)
gitc rogue -C "$MR" push "$G" "refs/docs/$DA" >"$T/out" 2>"$T/err"
check "a mission-CA certificate that the policy does not list: the push fails with 403" grep -q 403 "$T/err"
GIT_SSL_CAINFO="$CA" git -C "$MR" push "$G" "refs/docs/$DA" >"$T/out" 2>"$T/err"
check "no client certificate: the push fails with 403" grep -q 403 "$T/err"
code=$(curl -s --cacert "$CA" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-git-receive-pack-request' \
	--data-binary 0000 "$G/git-receive-pack")
check "a receive-pack POST without a certificate: 403 on its headers ($code)" test "$code" = 403
check "  and HQ is exactly as it was" test "$before" = "$(hq_state)"

# ---- 7. a forged policy commit ----
printf 'policy: le.van.c makes himself an administrator\n\nChancery-Action: policy\nChancery-Actor: le.van.c\n' >"$T/pmsg"
ptip=$(head_of "$MR" refs/heads/policy)
fp=$(forge "$ptip" "$(git -C "$MR" rev-parse "$ptip^{tree}")" "$T/pmsg" "$M/gnupg" "$LEFPR" "$(pass le.van.c)")
refused "a policy commit signed by a person who is not a policy-admin" "P2 commit $fp" "$fp:refs/heads/policy"

# ---- 8. refs and deletions ----
refused "a ref outside refs/docs and refs/heads/policy" "REF: only refs/heads/policy" "$N2:refs/heads/main"
refused "deleting a document" "REF: deleting" ":refs/docs/$DA"

refused "an atomic push of a good step with a bad ref" "ATOM: not applied" --atomic "refs/docs/$DA" "$N2:refs/heads/main"
expect 0 "  the good step alone is accepted" push "refs/docs/$DA"
check "  HQ is at it" test "$(head_of "$R" "refs/docs/$DA")" = "$good"

# ---- a pack that lacks a file its commit names (hand-made request) ----
printf 'Báo cáo riêng %s.\n' "$RANDOM$RANDOM" >"$T/own.md"
"$CH" doc create "$M" --as le.van.c --title "Thiếu tệp" --type cong-van --file "$T/own.md" --to hq \
	--passphrase-file "$(pass le.van.c)" >"$T/dx"
DX=$(cat "$T/dx") cx=$(head_of "$MR" "refs/docs/$(cat "$T/dx")")
{ printf '%04x%s %s refs/docs/%s\0report-status\n' $((4 + 82 + 10 + ${#DX} + 1 + 13 + 1)) \
	0000000000000000000000000000000000000000 "$cx" "$DX"; printf 0000
  printf '%s\n%s\n' "$cx" "$(git -C "$MR" rev-parse "$cx^{tree}")" | git -C "$MR" pack-objects -q --stdout; } >"$T/req"
before=$(hq_state)
curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o "$T/resp" \
	-H 'Content-Type: application/x-git-receive-pack-request' --data-binary @"$T/req" "$G/git-receive-pack"
# rule N, worded as for a hidden file (test_sync_graft.sh): a refusal does not
# tell a peer whether HQ holds an object it may not see
check "a pack without the files its commit names: ng naming the commit (N)" \
	grep -aq "ng refs/docs/$DX N commit $cx: it builds on .*, which is neither in the transfer" "$T/resp"
check "  no HQ ref moved, no object added" test "$before" = "$(hq_state)"

# ---- HQ ahead: nothing moves, nothing lost ----
act "$S" "$DM" le.van.c comment # (the document is mission-a's: hq/legal's drafter may not act on it)
refused "pushing a head that HQ already has more steps after" "ahead" --force "refs/docs/$DM"

# ---- 9. diverged: a conflict, nothing lost ----
act "$S" "$DC" tran.thi.b approve
act "$M" "$DC" le.van.c approve
hq=$(head_of "$R" "refs/docs/$DC") mission=$(head_of "$MR" "refs/docs/$DC")
push --force "refs/docs/$DC" >"$T/out" 2>"$T/err"
check "a diverged document is reported as a conflict" grep -q "conflict" "$T/err"
check "  HQ's own chain did not move" test "$(head_of "$R" "refs/docs/$DC")" = "$hq"
check "  mission-a's chain is kept under refs/conflicts/mission-a/docs/$DC" \
	test "$(git -C "$R" rev-parse -q --verify "refs/conflicts/mission-a/docs/$DC")" = "$mission"
expect 0 "  chancery verify passes on HQ (the conflict listed, not judged)" "$CH" verify "$R"
git clone -q --mirror "$R" "$T/other.git" && git -C "$T/other.git" update-ref "refs/docs/$DC" "$mission" &&
	git -C "$T/other.git" update-ref -d "refs/conflicts/mission-a/docs/$DC" &&
	git -C "$T/other.git" update-ref -d refs/chancery/log # moved by hand: R5 would say so
expect 0 "  and mission-a's chain verifies as a document chain too" "$CH" verify "$T/other.git" --doc "$DC"
check "  login for the page" test "$(login tran.thi.b)" = 303
curl_s -b "$T/jar.tran.thi.b" "$URL/docs/$DC" >"$T/page"
check "  the document's page shows the conflict" grep -q 'id="notice">[^<]*mission-a' "$T/page"
curl_s -b "$T/jar.tran.thi.b" "$URL/docs/$DA" >"$T/page"
check "  and a document without one shows none" bash -c "! grep -q 'id=\"notice\"' '$T/page'"

# ---- 10. SIGKILL while a push is being received, and after its objects are in ----
kill_hq() { # SIGKILL chanceryd and its signer
	local c
	for c in $(pgrep -P "$srv_pid"); do kill -KILL "$c"; done
	kill -KILL "$srv_pid"; wait "$srv_pid" 2>/dev/null; srv_pid=
}
act "$M" "$DK" le.van.c approve
want=$(head_of "$MR" "refs/docs/$DK") was=$(head_of "$R" "refs/docs/$DK")
{ printf '%04x%s %s refs/docs/%s\0report-status\n' $((4 + 82 + 10 + ${#DK} + 1 + 13 + 1)) "$was" "$want" "$DK"
  printf 0000; head -c 3000000 /dev/urandom; } >"$T/slow"
before=$(hq_state)
curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o /dev/null \
	--limit-rate 200k -H 'Content-Type: application/x-git-receive-pack-request' \
	--data-binary @"$T/slow" "$G/git-receive-pack" &
curl_pid=$!
sleep 2
check "  (the upload was still under way when chanceryd was killed)" kill -0 "$curl_pid"
kill_hq
wait "$curl_pid"
check "chanceryd killed (SIGKILL) while receiving a 3 MB push body: HQ exactly as it was" \
	test "$before" = "$(hq_state)"
mkdir -m 777 "$T/fp" # chanceryd may run as an unprivileged user
FAILPOINT="$T/fp/reached"
start_hq || not_ok "chanceryd restarts with the failpoint"
push "refs/docs/$DK" >"$T/out" 2>"$T/err" &
push_pid=$!
for i in $(seq 300); do [ -e "$FAILPOINT" ] && break; sleep 0.1; done
check "the push reached the point where its objects are in HQ" test -e "$FAILPOINT"
kill_hq
wait "$push_pid"
check "chanceryd killed (SIGKILL) mid-push: the push failed" test $? -ne 0
check "  HQ's ref is unchanged" test "$(head_of "$R" "refs/docs/$DK")" = "$was"
check "  git fsck --strict is clean" git -C "$R" fsck --strict
FAILPOINT=
start_hq || not_ok "chanceryd restarts"
expect 0 "  the retried push succeeds" push "refs/docs/$DK"
check "  and HQ is at the mission's step" test "$(head_of "$R" "refs/docs/$DK")" = "$want"

# ---- a spill takes the kept conflict with it ----
expect 0 "HQ's security officer spills the document that has a conflict" \
	"$CH" spill "$S" "$DC" --as an.ninh --reason "kiểm thử" --passphrase-file "$(pass an.ninh)"
check "  the conflict ref is gone" bash -c "! git -C '$R' rev-parse -q --verify 'refs/conflicts/mission-a/docs/$DC'"
check "  and so is mission-a's diverged step" bash -c "! git -C '$R' cat-file -e '$mission' 2>/dev/null"
refused "pushing the spilled document back (mission-a was a recipient: told to purge)" \
	"N commit $mission: the document was spilled here" --force "refs/docs/$DC"
# issue 16, part 5: byte for byte, under a new id, with stock git
refused "pushing the spilled chain back under a new id" \
	"SPILL commit $mission: the transfer brings back [0-9a-f]{40}, which belongs to a spilled document" \
	"$mission:refs/docs/lai-lai-$RANDOM"
check "  recorded as a security event (rule SPILL)" grep -q '"rule":"SPILL"' "$S/state/security.log"

# ---- a valid policy change and a step under it, in one push ----
"$CH" person add "$M" pham.e --name "Phạm E" --roles drafter --unit mission-a "${ADM[@]}" \
	--new-passphrase-file "$(pass pham.e)" >/dev/null || not_ok "policy change at the mission's copy"
act "$M" "$DA" le.van.c comment
expect 0 "a policy commit by admin.a and a step naming it are accepted in one push" \
	push refs/heads/policy "refs/docs/$DA"
check "  both of HQ's refs moved" test "$(head_of "$R" refs/heads/policy) $(head_of "$R" "refs/docs/$DA")" = \
	"$(head_of "$MR" refs/heads/policy) $(head_of "$MR" "refs/docs/$DA")"

# ---- revocation in HQ's current policy ----
act "$M" "$DA" le.van.c comment
"$CH" person revoke "$S" le.van.c "${ADM[@]}" >/dev/null || not_ok "revoke le.van.c at HQ"
refused "a step le.van.c signed before HQ revoked him" "D1 commit $(head_of "$MR" "refs/docs/$DA"): a step by le.van.c, who is revoked" \
	"refs/docs/$DA"

# ---- at the end ----
expect 0 "chancery verify passes on HQ" "$CH" verify "$R"
check "git fsck --strict is clean on HQ" git -C "$R" fsck --strict --no-dangling
check "the server log names the pushes" grep -q "push peer=mission-a refs/docs/$DA accepted" "$T/server.log"
finish
