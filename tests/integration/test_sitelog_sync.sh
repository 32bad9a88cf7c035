#!/usr/bin/env bash
# test_sitelog_sync.sh -- site logs between sites (issue 19, parts 2 and 3;
# docs/sync.md "Site logs"): headquarters and two missions (a third joins
# later), each a chanceryd (or the command line) in its own network
# namespace (tests/integration/netns_lib.sh; loopback addresses without
# namespaces), with its client certificate, stock git in between.
#   - after syncs each mission keeps refs/chancery/peers/hq/log and HQ keeps
#     each mission's, and each log countersigns (Witness) the other;
#   - pham.thi.d approves documents that reach the missions after she is
#     revoked at HQ: sync, bundle and join (a third mission) all succeed and
#     keep them (D1 at a log position); a new step signed by her (stock git
#     at a mission; chancery at a copy of HQ that never took the revocation)
#     is refused at HQ naming D1 and the log positions;
#   - HQ forks its log by hand with stock git and its site key, shows
#     mission-b the fork while mission-a holds the original: mission-a's
#     next sync reports the fork naming both heads and exits 1, HQ's
#     security log holds the event, and mission-b learns of it from a
#     bundle mission-a makes for it (naming both heads, exit 1), and
#     mission-c, which took the fork, from a direct sync with mission-a's
#     own chanceryd;
#   - a spill at HQ is applied (withdrawn, purged) at all three missions
#     after one sync round each, each mission's log acknowledges it, and
#     HQ's security page shows it applied by each.
# Cost: the bytes of log objects each round moves are printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

SITES=(hq mission-a mission-b mission-c)
. "$(dirname "$0")/netns_lib.sh"
# shellcheck disable=SC2046
"$top/scripts/tls-demo.sh" "$TLS" hq mission-a mission-b mission-c $(srv_certs) >/dev/null ||
	{ not_ok "certificates"; finish; }
G="$(url hq)/git/hq.git"
start_hq() { start_site hq; }
stop_hq() { stop_site hq; }
hq_cli() { stop_hq; "$@"; local rc=$?; start_hq || not_ok "HQ server restarts"; return $rc; }
msync() { # SITE: chancery sync with HQ, from the site's own network
	# shellcheck disable=SC2046
	inns "$1" "$CH" sync "${DIR[$1]}" --remote "$G" $(tlsopt "$1")
}
log_bytes() { sed -n 's/^site logs: \([0-9]*\) bytes.*/\1/p' "$T/out" | head -1; }
witnesses() { # SITE PEER: Witness items of PEER in SITE's own log
	git -C "${DIR[$1]}/repo.git" log refs/chancery/log --format=%B | grep -c "^Chancery-Log-Witness: $2 "
}

# ---- headquarters ----
make_site nguyen.van.a:drafter tran.thi.b:head pham.thi.d:head an.ninh:security-officer || { not_ok "HQ site"; finish; }
DIR[hq]=$S HQ=$S
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
for s in "${SITES[@]}"; do
	"$CH" site set "$HQ" "$s" --units "$s" --tls-fingerprint "$(fpr "$TLS/$s.pem")" "${ADM[@]}" >/dev/null ||
		not_ok "site set $s"
done
INTRO=$(git -C "$HQ/repo.git" rev-list --max-parents=0 refs/heads/policy)
mk() { # SITE ACTOR TITLE RECIPIENTS
	"$CH" doc create "$1" --as "$2" --title "$3" --type cong-van --file "$CORPUS/bao-gia-lai-tin-292.txt" \
		${4:+--to "$4"} --passphrase-file "$(pass "$2")"
}
act() { "$CH" doc act "$1" "$2" --as "$3" --action "$4" --passphrase-file "$(pass "$3")" >/dev/null; }
start_hq || { not_ok "HQ's chanceryd starts"; finish; }

# ---- two missions join; an official at each ----
for s in mission-a mission-b; do
	DIR[$s]="$T/$s"
	# shellcheck disable=SC2046
	expect 0 "$s joins HQ over HTTPS" inns "$s" "$CH" join "${DIR[$s]}" --site-id "$s" --from "$G" --anchor "$INTRO" $(tlsopt "$s")
done
MA=${DIR[mission-a]} MB=${DIR[mission-b]}
check "  mission-a keeps HQ's log, as verified, under refs/chancery/peers/hq/log" \
	test "$(git -C "$MA/repo.git" rev-parse -q --verify refs/chancery/peers/hq/log)" != ""
"$CH" key new "$MA" le.thi.c --name "Lê Thị C" --passphrase-file "$(pass le.thi.c)" >"$T/le.asc" 2>/dev/null
"$CH" key new "$MB" binh.van.k --name "Bình Văn K" --passphrase-file "$(pass binh.van.k)" >"$T/binh.asc" 2>/dev/null
hq_cli "$CH" person add "$HQ" le.thi.c --name "Lê Thị C" --key "$T/le.asc" --unit mission-a \
	--roles head,drafter "${ADM[@]}" >/dev/null || not_ok "person add le.thi.c"
hq_cli "$CH" person add "$HQ" binh.van.k --name "Bình Văn K" --key "$T/binh.asc" --unit mission-b \
	--roles head,drafter "${ADM[@]}" >/dev/null || not_ok "person add binh.van.k"

# ---- documents pham.thi.d approves, before she is revoked ----
stop_hq
D1=$(mk "$HQ" nguyen.van.a "Gửi hai phái đoàn" mission-a,mission-b) && act "$HQ" "$D1" nguyen.van.a submit &&
	act "$HQ" "$D1" pham.thi.d approve
D3=$(mk "$HQ" nguyen.van.a "Gửi Canberra" mission-c) && act "$HQ" "$D3" nguyen.van.a submit &&
	act "$HQ" "$D3" pham.thi.d approve
DX=$(mk "$HQ" nguyen.van.a "Chờ duyệt" mission-a) && act "$HQ" "$DX" nguyen.van.a submit
check "HQ: three documents, two approved by pham.thi.d" test -n "$D1" -a -n "$D3" -a -n "$DX"
cp -a "$HQ" "$T/hq-old" && rm -f "$T"/hq-old/gnupg/S.* # a copy that never takes the revocation
start_hq || not_ok "HQ restarts"

expect 0 "mission-a syncs (takes the new policy and D1)" msync mission-a
echo "# log objects taken in this round: $(log_bytes) bytes"
check "  mission-a holds D1" git -C "$MA/repo.git" rev-parse -q --verify "refs/docs/$D1"
expect 0 "mission-b syncs" msync mission-b
expect 0 "mission-a syncs again (logs settle)" msync mission-a
echo "# log objects taken in a settling round: $(log_bytes) bytes"
for m in mission-a mission-b; do
	check "HQ keeps $m's log under refs/chancery/peers/$m/log" \
		git -C "$HQ/repo.git" rev-parse -q --verify "refs/chancery/peers/$m/log"
	check "  $m keeps HQ's" git -C "${DIR[$m]}/repo.git" rev-parse -q --verify refs/chancery/peers/hq/log
	check "  $m's log countersigns HQ's ($(witnesses "$m" hq) Witness items)" test "$(witnesses "$m" hq)" -gt 0
	check "  HQ's log countersigns $m's ($(witnesses hq "$m"))" test "$(witnesses hq "$m")" -gt 0
done
check "mission-a keeps mission-b's log, relayed by HQ" \
	test "$(git -C "$MA/repo.git" rev-parse -q --verify refs/chancery/peers/mission-b/log)" = \
	"$(git -C "$HQ/repo.git" rev-parse -q --verify refs/chancery/peers/mission-b/log)"
expect 0 "a sync with nothing new" msync mission-b
echo "# log objects taken when nothing is new: $(log_bytes) bytes"
check "  the log's entries verify with stock git and HQ's site.asc" bash -c "
	mkdir -p -m 700 '$T/k' && git -C '$MA/repo.git' show refs/chancery/peers/hq/log:site.asc |
	GNUPGHOME='$T/k' gpg -q --import 2>/dev/null &&
	GNUPGHOME='$T/k' git -C '$MA/repo.git' verify-commit refs/chancery/peers/hq/log 2>/dev/null"

# ---- pham.thi.d approves two more (they reach the missions only after her revocation) ----
stop_hq
D2=$(mk "$HQ" nguyen.van.a "Gửi riêng B, qua gói" mission-b) && act "$HQ" "$D2" nguyen.van.a submit &&
	act "$HQ" "$D2" pham.thi.d approve
D4=$(mk "$HQ" nguyen.van.a "Gửi riêng A, qua đồng bộ" mission-a) && act "$HQ" "$D4" nguyen.van.a submit &&
	act "$HQ" "$D4" pham.thi.d approve
check "HQ: D2 (for mission-b) and D4 (for mission-a), approved by pham.thi.d" test -n "$D2" -a -n "$D4"
start_hq || not_ok "HQ restarts"

# ---- pham.thi.d revoked at HQ ----
expect 0 "HQ revokes pham.thi.d" hq_cli "$CH" person revoke "$HQ" pham.thi.d "${ADM[@]}"
# D2 travels by bundle: HQ makes it for mission-b before mission-b syncs
expect 0 "HQ: bundle for mission-b (the new policy, D1, D2, HQ's log)" \
	"$CH" bundle create "$HQ" --for mission-b --as nguyen.van.a --passphrase-file "$(pass nguyen.van.a)" \
	-o "$T/b.bundle"
expect 0 "mission-b applies it: her approvals, logged before her revocation, are kept" \
	"$CH" bundle apply "$MB" "$T/b.bundle" --as binh.van.k --passphrase-file "$(pass binh.van.k)"
sed 's/^/#   /' "$T/out" | head -8
check "  reported as accepted" grep -q "^accepted refs/docs/$D2" "$T/out"
check "  mission-b holds D2 at HQ's head" test "$(git -C "$MB/repo.git" rev-parse -q --verify "refs/docs/$D2")" = \
	"$(git -C "$HQ/repo.git" rev-parse "refs/docs/$D2")"
check "  and the policy that revokes her" test "$(git -C "$MB/repo.git" rev-parse refs/heads/policy)" = \
	"$(git -C "$HQ/repo.git" rev-parse refs/heads/policy)"
expect 0 "mission-b's sync after the revocation succeeds" msync mission-b
check "  nothing refused" bash -c "! grep -q refused '$T/out'"
expect 0 "mission-a's sync after the revocation succeeds" msync mission-a
check "  mission-a keeps D1" git -C "$MA/repo.git" rev-parse -q --verify "refs/docs/$D1"
check "  and takes D4, approved by her before her revocation" \
	test "$(git -C "$MA/repo.git" rev-parse -q --verify "refs/docs/$D4")" = "$(git -C "$HQ/repo.git" rev-parse "refs/docs/$D4")"
check "  reported as pulled" grep -q "pulled *refs/docs/$D4" "$T/out"
DIR[mission-c]="$T/mission-c"
# shellcheck disable=SC2046
expect 0 "mission-c joins after the revocation" \
	inns mission-c "$CH" join "${DIR[mission-c]}" --site-id mission-c --from "$G" --anchor "$INTRO" $(tlsopt mission-c)
check "  and takes D3, which she approved before it" test "$(git -C "$T/mission-c/repo.git" rev-parse -q --verify "refs/docs/$D3")" = \
	"$(git -C "$HQ/repo.git" rev-parse "refs/docs/$D3")"
check "  and keeps HQ's log" git -C "$T/mission-c/repo.git" rev-parse -q --verify refs/chancery/peers/hq/log
check "  whose first own entry countersigns it" test "$(witnesses mission-c hq)" -gt 0
expect 0 "chancery verify passes at mission-b" "$CH" verify "$MB/repo.git"

# ---- a new step by her: refused ----
# at a copy of HQ that never took the revocation, with chancery
act "$T/hq-old" "$DX" pham.thi.d approve || not_ok "the old copy: pham.thi.d approves DX"
new=$(git -C "$T/hq-old/repo.git" rev-parse "refs/docs/$DX")
gitc() { local n=$1; shift; inns "$n" env GIT_SSL_CERT="$TLS/$n.pem" GIT_SSL_KEY="$TLS/$n.key" GIT_SSL_CAINFO="$CA" git "$@"; }
before=$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DX")
gitc mission-a -C "$T/hq-old/repo.git" push "$G" "$new:refs/docs/$DX" >"$T/out" 2>&1
check "her new step pushed to HQ is refused, rule D1 ($(grep -o 'D1[^)]*' "$T/out" | head -1 | cut -c1-160))" \
	grep -q "D1" "$T/out"
check "  naming what HQ's log shows" grep -q "log records the revoking policy" "$T/out"
check "  and DX did not move" test "$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DX")" = "$before"
# at mission-a with stock git: the step put on mission-a's ref by hand
git -C "$MA/repo.git" fetch -q "$T/hq-old/repo.git" "$new" 2>/dev/null &&
	git -C "$MA/repo.git" update-ref "refs/docs/$DX" "$new" || not_ok "stock git at mission-a"
expect 1 "mission-a's sync pushing it: refused at HQ (exit 1)" msync mission-a
check "  rule D1" grep -q "D1" "$T/out"
check "  DX still did not move at HQ" test "$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DX")" = "$before"
git -C "$MA/repo.git" update-ref "refs/docs/$DX" "$before" "$new" # mission-a gives it up

# ---- attacks on the log refs, with stock git and mission-a's certificate ----
kept_a=$(git -C "$HQ/repo.git" rev-parse refs/chancery/peers/mission-a/log)
kept_b=$(git -C "$HQ/repo.git" rev-parse refs/chancery/peers/mission-b/log)
gitc mission-a -C "$MA/repo.git" push "$G" "+refs/chancery/log:refs/chancery/peers/mission-b/log" >"$T/out" 2>&1
check "mission-a pushing its log as mission-b's is refused (REF)" grep -q "REF: a peer pushes only its own log" "$T/out"
check "  mission-b's log at HQ did not move" test "$(git -C "$HQ/repo.git" rev-parse refs/chancery/peers/mission-b/log)" = "$kept_b"
gitc mission-a -C "$MA/repo.git" push "$G" "+refs/chancery/log:refs/chancery/log" >"$T/out" 2>&1
check "  and as HQ's own log (REF)" grep -q "REF: a peer pushes only its own log" "$T/out"
# an entry that extends mission-a's log, well formed, but signed by no one
ha=$(git -C "$MA/repo.git" rev-parse refs/chancery/log)
sa=$(git -C "$MA/repo.git" log -1 --format=%s "$ha" | awk '{print $3}')
ta=$(( $(git -C "$MA/repo.git" log -1 --format=%ct "$ha") + 1 ))
printf 'log: mission-a %s\n\nChancery-Log-Site: mission-a\nChancery-Log-Seq: %s\nChancery-Log-Time: %s\nChancery-Log-Doc: %s\n' \
	"$((sa + 1))" "$((sa + 1))" "$ta" "$(printf 'x' | sha256sum | cut -c1-64)" >"$T/unsigned.msg"
U=$(GIT_AUTHOR_NAME="mission-a site log" GIT_AUTHOR_EMAIL="log@mission-a.chancery" \
	GIT_COMMITTER_NAME="mission-a site log" GIT_COMMITTER_EMAIL="log@mission-a.chancery" \
	GIT_AUTHOR_DATE="@$ta +0000" GIT_COMMITTER_DATE="@$ta +0000" \
	git -C "$MA/repo.git" commit-tree "$(git -C "$MA/repo.git" rev-parse "$ha^{tree}")" -p "$ha" -F "$T/unsigned.msg")
gitc mission-a -C "$MA/repo.git" push "$G" "$U:refs/chancery/peers/mission-a/log" >"$T/out" 2>&1
check "an unsigned entry on mission-a's log is refused at HQ (R3)" grep -q "R3" "$T/out"
check "  HQ keeps mission-a's log where it was, or at its signed head" bash -c \
	"h=\$(git -C '$HQ/repo.git' rev-parse refs/chancery/peers/mission-a/log); [ \"\$h\" = '$kept_a' ] || [ \"\$h\" = '$ha' ]"

# ---- a spill at HQ reaches every mission in one sync round ----
stop_hq
{ cat "$CORPUS/chinh-phu-tin-292.txt"; echo; echo "Bản gửi ba phái đoàn $RANDOM$RANDOM."; } >"$T/ds.md"
DS=$("$CH" doc create "$HQ" --as nguyen.van.a --title "Gửi ba phái đoàn, sẽ thu hồi" --type cong-van \
	--file "$T/ds.md" --to mission-a,mission-b,mission-c --passphrase-file "$(pass nguyen.van.a)") &&
	act "$HQ" "$DS" nguyen.van.a submit || not_ok "DS"
start_hq || not_ok "HQ restarts"
DSBLOB=$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DS:document.md")
for m in mission-a mission-b mission-c; do
	expect 0 "$m syncs and takes DS" msync "$m"
	check "  $m holds DS" git -C "${DIR[$m]}/repo.git" rev-parse -q --verify "refs/docs/$DS"
done
expect 0 "HQ's security officer spills DS" hq_cli "$CH" spill "$HQ" "$DS" --as an.ninh \
	--reason "Phát hiện thông tin mật sau khi gửi" --passphrase-file "$(pass an.ninh)"
SPILL=$(git -C "$HQ/repo.git" rev-parse refs/chancery/spills)
sec_page() { # the security officer's page at HQ, in English, from HQ's own network
	inns hq curl -s --cacert "$CA" -c "$T/jar.sec" -o /dev/null -H 'Accept-Language: en' \
		"$(url hq)/login" --data-urlencode "id=an.ninh" \
		--data-urlencode "password=$(cat "$T/pass/an.ninh.login")" &&
		inns hq curl -s --cacert "$CA" -b "$T/jar.sec" -o "$T/sec.html" -w '%{http_code}' "$(url hq)/security"
}
spill_row() { grep "<tr class=\"spill-ack\" data-doc=\"$DS\" data-site=\"$1\">" "$T/sec.html" | head -1; }
code=$(sec_page)
check "HQ's security page lists the spill ($code), no mission has applied it yet" \
	bash -c "[ '$code' = 200 ] && ! grep -q 'data-doc=\"$DS\".*class=\"applied\"' '$T/sec.html'"
for m in mission-a mission-b mission-c; do
	expect 0 "$m: one sync round" msync "$m"
	check "  $m withdrew DS (its ref is gone)" \
		bash -c "! git -C '${DIR[$m]}/repo.git' rev-parse -q --verify 'refs/docs/$DS'"
	check "  and purged its text's blob (its own text, no other document's)" bash -c "! git -C '${DIR[$m]}/repo.git' cat-file -e '$DSBLOB' 2>/dev/null"
	check "  $m's log acknowledges HQ's spill list" bash -c \
		"git -C '${DIR[$m]}/repo.git' log --format=%B refs/chancery/log | grep -q '^Chancery-Log-Spills: [0-9a-f]* $SPILL\$'"
done
code=$(sec_page)
for m in mission-a mission-b mission-c; do
	check "HQ's security page: $m applied the spill ($code)" grep -q 'class="applied"' <<<"$(spill_row "$m")"
done

# ---- HQ forks its log (stock git, its own site key) ----
expect 0 "mission-b syncs (holds HQ's log at H0)" msync mission-b
expect 0 "mission-a syncs" msync mission-a
stop_hq
R="$HQ/repo.git"
H0=$(git -C "$MB/repo.git" rev-parse refs/chancery/peers/hq/log)
relayed_a=$(git -C "$R" rev-parse refs/chancery/peers/mission-a/log)
DN=$(mk "$HQ" nguyen.van.a "Gửi A sau H0" mission-a) && act "$HQ" "$DN" nguyen.van.a submit
start_hq || not_ok "HQ restarts"
expect 0 "mission-a syncs: HQ's log moves on (H1)" msync mission-a
H1=$(git -C "$MA/repo.git" rev-parse refs/chancery/peers/hq/log)
check "  H1 extends H0" git -C "$R" merge-base --is-ancestor "$H0" "$H1"
stop_hq
seq0=$(git -C "$R" log -1 --format=%s "$H0" | awk '{print $3}')
when=$(( $(git -C "$R" log -1 --format=%ct "$H1") + 1 ))
printf 'log: hq %s\n\nChancery-Log-Site: hq\nChancery-Log-Seq: %s\nChancery-Log-Time: %s\nChancery-Log-Doc: %s\n' \
	"$((seq0 + 1))" "$((seq0 + 1))" "$when" "$(printf 'forged' | sha256sum | cut -c1-64)" >"$T/fork.msg"
key=$(jq -r '.signers["@site"].fingerprint' "$HQ/site.json")
F=$(GNUPGHOME="$HQ/gnupg" GIT_AUTHOR_NAME="hq site log" GIT_AUTHOR_EMAIL="log@hq.chancery" \
	GIT_COMMITTER_NAME="hq site log" GIT_COMMITTER_EMAIL="log@hq.chancery" \
	GIT_AUTHOR_DATE="@$when +0000" GIT_COMMITTER_DATE="@$when +0000" \
	git -C "$R" commit-tree -S"$key" "$(git -C "$R" rev-parse "$H0^{tree}")" -p "$H0" -F "$T/fork.msg")
check "HQ's fork entry F made with stock git and HQ's site key" test -n "$F"
# HQ shows mission-b the fork, and withholds mission-a's newer log (its
# relay cannot forge mission-a's countersignature of H1, only hide it)
git -C "$R" update-ref refs/chancery/log "$F" &&
	git -C "$R" update-ref refs/chancery/peers/mission-a/log "$relayed_a" || not_ok "the fork by hand"
start_hq || not_ok "HQ restarts"
expect 0 "mission-b syncs with the forked HQ: it cannot tell (F extends its H0)" msync mission-b
check "  it keeps F" test "$(git -C "$MB/repo.git" rev-parse refs/chancery/peers/hq/log)" = "$F"
expect 1 "mission-a's next sync with HQ: the fork (exit 1)" msync mission-a
sed 's/^/#   /' "$T/out" | grep fork | head -3
check "  naming both heads" bash -c "grep 'fork: hq' '$T/out' | grep -q '$H1' && grep 'fork: hq' '$T/out' | grep -q '$F'"
check "  mission-a still keeps H1" test "$(git -C "$MA/repo.git" rev-parse refs/chancery/peers/hq/log)" = "$H1"
check "HQ's security log holds the fork (rule R6)" grep -q '"rule":"R6"' "$HQ/state/security.log"
expect 0 "mission-a: bundle for mission-b (its log, and HQ's as it holds it)" \
	"$CH" bundle create "$MA" --for mission-b --as le.thi.c --passphrase-file "$(pass le.thi.c)" -o "$T/ab.bundle"
expect 1 "mission-b applies it: the fork (exit 1)" \
	"$CH" bundle apply "$MB" "$T/ab.bundle" --as binh.van.k --passphrase-file "$(pass binh.van.k)"
sed 's/^/#   /' "$T/out" | grep fork | head -3
check "  naming both heads" bash -c "grep 'fork: hq' '$T/out' | grep -q '$H1' && grep 'fork: hq' '$T/out' | grep -q '$F'"
check "  mission-b's security log has it" grep -q '"rule":"R6"' "$MB/state/security.log"

# ---- a direct sync between missions finds it too ----
MC=${DIR[mission-c]}
expect 0 "mission-c syncs with the forked HQ: it takes F (which extends what it kept)" msync mission-c
check "  it keeps F" test "$(git -C "$MC/repo.git" rev-parse refs/chancery/peers/hq/log)" = "$F"
# mission-a, hostile too, relays a log it made for mission-b under a key
# of its own (stock gpg and git): not a fork of mission-b's log, a forgery
FB=$(forged_log "$MA/repo.git" mission-b) || not_ok "a log forged with stock gpg and git"
kept_b_at_c=$(git -C "$MC/repo.git" rev-parse -q --verify refs/chancery/peers/mission-b/log)
git -C "$MA/repo.git" update-ref refs/chancery/peers/mission-b/log "$FB" || not_ok "the forged relay"
DIR[mission-a]=$MA
start_site mission-a || not_ok "mission-a's chanceryd starts in its namespace"
# shellcheck disable=SC2046
expect 1 "mission-c syncs with mission-a's own server, across their network: the fork (exit 1)" \
	inns mission-c "$CH" sync "$MC" --remote "$(url mission-a)/git/mission-a.git" $(tlsopt mission-c)
sed 's/^/#   /' "$T/out" | grep fork | head -2
check "  naming both heads" bash -c "grep 'fork: hq' '$T/out' | grep -q '$H1' && grep 'fork: hq' '$T/out' | grep -q '$F'"
if [ -n "$kept_b_at_c" ]; then
	check "  the log mission-a relays as mission-b's, under another key: refused as a forgery, not a fork" \
		grep -q "refused log: the log mission-a sends as mission-b's is signed by another key" "$T/out"
	check "  mission-c keeps mission-b's own log" \
		test "$(git -C "$MC/repo.git" rev-parse refs/chancery/peers/mission-b/log)" = "$kept_b_at_c"
else
	not_ok "  mission-c keeps mission-b's log (relayed by HQ) before this"
fi
check "  mission-a's security log has it too (its server took mission-c's log, which countersigns F)" \
	grep -q '"rule":"R6"' "$MA/state/security.log"
finish
