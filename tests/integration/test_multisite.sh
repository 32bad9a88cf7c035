#!/usr/bin/env bash
# test_multisite.sh -- headquarters and three missions, each a chanceryd in
# its own network namespace (veth pairs to a bridge in a namespace of its
# own, 10.77.0.0/24; made and torn down here). Missions join HQ's policy
# chain over HTTPS with their client certificates, an official's key made
# at a mission is added at HQ, and `chancery sync` carries steps both ways:
#   - a document addressed to two missions reaches exactly those two;
#   - a mission official's approval syncs back, `chancery verify` passes
#     at both ends;
#   - an unlisted certificate is refused; a push with a commit signed by
#     the wrong key, or a classified document, is refused naming commit and
#     rule, and no ref moves;
#   - the link cut mid-transfer (HQ killed with SIGKILL; the client killed)
#     and a second sync: nothing lost, nothing twice;
#   - stock `git clone --mirror` of a mission's view with its certificate
#     and `git verify-commit`; without the certificate, nothing.
# Without network namespaces (not root, no iproute2), each site gets its
# own loopback address and port instead (said on the output).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

SITES=(hq mission-a mission-b mission-c)
. "$(dirname "$0")/netns_lib.sh"

# ---- certificates: a client certificate per site, a server certificate per address ----
"$top/scripts/tls-demo.sh" "$TLS" hq mission-a mission-b mission-c rogue \
	"srv-hq@10.77.0.1,127.77.0.1" "srv-mission-a@10.77.0.2,127.77.0.2" \
	"srv-mission-b@10.77.0.3,127.77.0.3" "srv-mission-c@10.77.0.4,127.77.0.4" >/dev/null ||
	{ not_ok "certificates"; finish; }

# The command line writes as root; the server's network process runs as
# the site's own user (chancery-SITE) and is handed repo.git when it starts: HQ-side steps are taken
# with HQ's server stopped, then it starts again (README "server's processes").
hq_cli() { stop_site hq; "$@"; local rc=$?; start_site hq || not_ok "HQ server restarts"; return $rc; }

# ---- headquarters ----
make_site nguyen.van.a:drafter tran.thi.b:head || { not_ok "HQ site"; finish; }
HQ=$S DIR[hq]=$S
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
for s in "${SITES[@]}"; do
	"$CH" site set "$HQ" "$s" --units "$s" --tls-fingerprint "$(fpr "$TLS/$s.pem")" "${ADM[@]}" >/dev/null ||
		not_ok "site set $s"
done
INTRO=$(git -C "$HQ/repo.git" rev-list --max-parents=0 refs/heads/policy)
mk() { # SITE ACTOR TITLE RECIPIENTS [FILE]
	"$CH" doc create "$1" --as "$2" --title "$3" --type cong-van --file "${5:-$CORPUS/bao-gia-lai-tin-292.txt}" \
		${4:+--to "$4"} --passphrase-file "$(pass "$2")"
}
act() { "$CH" doc act "$1" "$2" --as "$3" --action "$4" --passphrase-file "$(pass "$3")" >/dev/null; }
DAB=$(mk "$HQ" nguyen.van.a "Gửi Tokyo và Paris" mission-a,mission-b)
DC=$(mk "$HQ" nguyen.van.a "Gửi riêng Canberra" mission-c)
DN=$(mk "$HQ" nguyen.van.a "Nội bộ" "")
act "$HQ" "$DAB" nguyen.van.a submit
check "HQ: three documents (to missions a+b, to c, internal) and the first submitted" \
	test -n "$DAB" -a -n "$DC" -a -n "$DN"
start_site hq || { not_ok "HQ's chanceryd starts in its namespace"; finish; }
ok "HQ's chanceryd serves $(url hq)"
check "  reached from mission-c's namespace" inns mission-c curl -s --cacert "$CA" -o /dev/null "$(url hq)/login"
if [ "$NETNS" = 1 ]; then
	check "  and not from the host's own (the sites are on their own network)" \
		bash -c "! curl -s --max-time 2 --cacert '$CA' -o /dev/null '$(url hq)/login'"
fi
G="$(url hq)/git/hq.git"

# ---- missions join over HTTPS ----
for s in mission-a mission-b mission-c; do
	DIR[$s]="$T/$s"
	# shellcheck disable=SC2046
	expect 0 "$s joins HQ's policy chain over HTTPS, anchored at the introduction" \
		inns "$s" "$CH" join "${DIR[$s]}" --site-id "$s" --from "$G" --anchor "$INTRO" $(tlsopt "$s")
done
MA=${DIR[mission-a]} MB=${DIR[mission-b]} MC=${DIR[mission-c]}
check "mission-a's site.json has its own id and the signed tier" \
	bash -c "jq -e '.site == \"mission-a\" and .tier == \"networked\"' '$MA/site.json' >/dev/null"
check "  and its own GnuPG home, mode 0700" test "$(stat -c %a "$MA/gnupg")" = 700
check "  the same policy head as HQ" test "$(git -C "$MA/repo.git" rev-parse refs/heads/policy)" = \
	"$(git -C "$HQ/repo.git" rev-parse refs/heads/policy)"
refs() { git -C "$1/repo.git" for-each-ref --format='%(refname)' refs/docs | sort | tr '\n' ' '; }
check "mission-a holds exactly the document addressed to it ($(refs "$MA"))" test "$(refs "$MA")" = "refs/docs/$DAB "
check "mission-b too ($(refs "$MB"))" test "$(refs "$MB")" = "refs/docs/$DAB "
check "mission-c holds only its own ($(refs "$MC"))" test "$(refs "$MC")" = "refs/docs/$DC "
check "  and no object of the document for a and b" \
	bash -c "! git -C '$MC/repo.git' cat-file -e '$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DAB")' 2>/dev/null"
# shellcheck disable=SC2046
expect 1 "a join with the wrong anchor is refused" \
	inns mission-b "$CH" join "$T/wrong" --site-id mission-b --from "$G" \
	--anchor 0123456789012345678901234567890123456789 $(tlsopt mission-b)
err_has "P1" "  naming rule P1"
check "  and leaves no site behind" test ! -e "$T/wrong"
# shellcheck disable=SC2046
expect 1 "a join as a site the policy does not list is refused" \
	"$CH" join "$T/unlisted" --site-id mission-z --from "$HQ"
check "  and leaves no site behind" test ! -e "$T/unlisted"

expect 0 "a join from HQ's site directory (a copy carried by hand), as mission-c" \
	env HOME="$T/nohome" "$CH" join "$T/local-c" --site-id mission-c --from "$HQ" --anchor "$INTRO"
check "  takes exactly mission-c's documents ($(refs "$T/local-c"))" test "$(refs "$T/local-c")" = "refs/docs/$DC "
check "  and not one object of the others" \
	bash -c "! git -C '$T/local-c/repo.git' cat-file -e '$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DN")' 2>/dev/null"

# ---- an official of mission-a: key made there, person added at HQ ----
expect 0 "key new: mission-a's official gets a key in mission-a's own GnuPG home" \
	"$CH" key new "$MA" le.thi.c --name "Lê Thị C" --passphrase-file "$(pass le.thi.c)"
cp "$T/out" "$T/le.thi.c.asc"
check "  the public key is printed" grep -q "BEGIN PGP PUBLIC KEY BLOCK" "$T/le.thi.c.asc"
check "  and recorded in mission-a's signers" bash -c "jq -e '.signers[\"le.thi.c\"].keygrip' '$MA/site.json' >/dev/null"
check "  no secret key of hers at HQ" bash -c "! GNUPGHOME='$HQ/gnupg' gpg --batch -K 2>/dev/null | grep -q le.thi.c"
expect 0 "HQ's policy-admin adds her with that public key, unit mission-a, roles head and drafter" \
	hq_cli "$CH" person add "$HQ" le.thi.c --name "Lê Thị C" --key "$T/le.thi.c.asc" --unit mission-a \
	--roles head,drafter --scope mission-a,mission-b,hq/legal "${ADM[@]}"

msync() { # SITE [CERT-NAME]: chancery sync from SITE's namespace with its certificate
	# shellcheck disable=SC2046
	inns "$1" "$CH" sync "${DIR[$1]}" --remote "$G" $(tlsopt "${2:-$1}")
}
expect 0 "mission-a syncs" msync mission-a
check "  and has HQ's new policy (with le.thi.c)" test "$(git -C "$MA/repo.git" rev-parse refs/heads/policy)" = \
	"$(git -C "$HQ/repo.git" rev-parse refs/heads/policy)"
submitted=$(git -C "$MA/repo.git" rev-parse "refs/docs/$DAB")
expect 0 "le.thi.c approves the document at mission-a, signing with her key there" \
	"$CH" doc act "$MA" "$DAB" --as le.thi.c --action approve --comment "Đồng ý." --passphrase-file "$(pass le.thi.c)"
approval=$(git -C "$MA/repo.git" rev-parse "refs/docs/$DAB")
check "  a new step at mission-a" test "$approval" != "$submitted"
expect 0 "mission-a syncs: the approval goes to HQ" msync mission-a
grep -q "pushed.*refs/docs/$DAB" "$T/out" && ok "  reported as pushed" || not_ok "  reported as pushed ($(tr '\n' '|' <"$T/out"))"
check "HQ's head of the document is mission-a's approval" test "$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DAB")" = "$approval"
expect 0 "chancery verify passes at HQ" "$CH" verify "$HQ/repo.git" --introduction "$INTRO" \
	--introducer "$(git -C "$HQ/repo.git" show "$INTRO:policy/people.json" | jq -r '.people[0].fingerprint')"
expect 0 "chancery verify passes at mission-a" "$CH" verify "$MA/repo.git"
expect 0 "mission-b syncs" msync mission-b
check "  and has the approval" test "$(git -C "$MB/repo.git" rev-parse "refs/docs/$DAB")" = "$approval"
expect 0 "chancery verify passes at mission-b" "$CH" verify "$MB/repo.git"
expect 0 "mission-c syncs" msync mission-c
check "mission-c still sees nothing of the document for a and b ($(refs "$MC"))" test "$(refs "$MC")" = "refs/docs/$DC "
check "  not one of its commits" bash -c "! git -C '$MC/repo.git' cat-file -e '$approval' 2>/dev/null"

# ---- from one mission to another, through HQ ----
expect 0 "key new at mission-b for its drafter" "$CH" key new "$MB" tran.van.d --passphrase-file "$(pass tran.van.d)"
cp "$T/out" "$T/tran.van.d.asc"
expect 0 "  added at HQ (unit mission-b, drafter)" hq_cli "$CH" person add "$HQ" tran.van.d --name "Trần Văn D" \
	--key "$T/tran.van.d.asc" --unit mission-b --roles drafter "${ADM[@]}"
expect 0 "  mission-b syncs the policy" msync mission-b
DBA=$(mk "$MB" tran.van.d "Từ Paris gửi Tokyo" mission-a)
check "mission-b's drafter writes to mission-a" test -n "$DBA"
expect 0 "  mission-b's sync pushes it to HQ" msync mission-b
check "  HQ holds it" test "$(git -C "$HQ/repo.git" rev-parse -q --verify "refs/docs/$DBA")" = \
	"$(git -C "$MB/repo.git" rev-parse "refs/docs/$DBA")"
expect 0 "  mission-a's sync" msync mission-a
check "  mission-a receives it from HQ" test "$(git -C "$MA/repo.git" rev-parse -q --verify "refs/docs/$DBA")" = \
	"$(git -C "$MB/repo.git" rev-parse "refs/docs/$DBA")"
expect 0 "  mission-c's sync" msync mission-c
check "  mission-c does not ($(refs "$MC"))" test "$(refs "$MC")" = "refs/docs/$DC "
"$CH" doc act "$MA" "$DBA" --as le.thi.c --action comment --comment "Đã nhận." \
	--passphrase-file "$(pass le.thi.c)" >/dev/null || not_ok "le.thi.c comments at mission-a"
reply=$(git -C "$MA/repo.git" rev-parse "refs/docs/$DBA")
expect 0 "  mission-a comments on it and syncs" msync mission-a
check "  HQ holds the comment" test "$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DBA")" = "$reply"
expect 0 "  mission-b syncs" msync mission-b
check "  mission-b holds the comment" test "$(git -C "$MB/repo.git" rev-parse "refs/docs/$DBA")" = "$reply"

# ---- idempotent ----
# (the site logs settle in one round: mission-b's sync moved HQ's log, which
# this sync takes with the relayed log of mission-b; witnesses of witnesses
# are not written, logsync.h)
expect 0 "a second sync with nothing new" msync mission-a
check "  says so" grep -q "nothing new" "$T/out"
before_hq=$(repo_state "$HQ") before_a=$(repo_state "$MA")
expect 0 "a third sync with nothing new" msync mission-a
check "  says so" grep -q "nothing new" "$T/out"
check "  and changes nothing at HQ" test "$(repo_state "$HQ")" = "$before_hq"
check "  nor at mission-a" test "$(repo_state "$MA")" = "$before_a"

# ---- a conflict: both ends act on the same step ----
stop_site hq
DX=$(mk "$HQ" nguyen.van.a "Hai nơi cùng duyệt" mission-a)
act "$HQ" "$DX" nguyen.van.a submit
start_site hq || not_ok "HQ restarts"
expect 0 "mission-a receives a new document in review" msync mission-a
hq_cli act "$HQ" "$DX" tran.thi.b approve
hq_x=$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DX")
act "$MA" "$DX" le.thi.c approve
ma_x=$(git -C "$MA/repo.git" rev-parse "refs/docs/$DX")
check "the same document approved at HQ and at mission-a (diverged)" test "$hq_x" != "$ma_x"
expect 1 "mission-a's sync: a conflict (exit 1)" msync mission-a
check "  reported" grep -q "conflict.*refs/docs/$DX" "$T/out"
check "  HQ's step kept at mission-a under refs/conflicts/hq/docs/$DX" \
	test "$(git -C "$MA/repo.git" rev-parse -q --verify "refs/conflicts/hq/docs/$DX")" = "$hq_x"
check "  mission-a's own step still its head" test "$(git -C "$MA/repo.git" rev-parse "refs/docs/$DX")" = "$ma_x"
check "  HQ's head unchanged" test "$(git -C "$HQ/repo.git" rev-parse "refs/docs/$DX")" = "$hq_x"
check "  mission-a's step kept at HQ under refs/conflicts/mission-a/docs/$DX" \
	test "$(git -C "$HQ/repo.git" rev-parse -q --verify "refs/conflicts/mission-a/docs/$DX")" = "$ma_x"
"$CH" doc show "$HQ" "$DX" >"$T/show" 2>&1
check "  chancery doc show at HQ names it" grep -q "conflict: refs/conflicts/mission-a/docs/$DX" "$T/show"
"$CH" doc show "$MA" "$DX" >"$T/show" 2>&1
check "  chancery doc show names the conflict" grep -q "conflict: refs/conflicts/hq/docs/$DX" "$T/show"
"$CH" doc list "$MA" >"$T/list" 2>&1
check "  chancery doc list too" grep -q "conflict: refs/conflicts/hq/docs/$DX" "$T/list"
expect 1 "  a second sync: still the conflict" msync mission-a
before_a=$(repo_state "$MA")
expect 1 "  a third sync: still the conflict" msync mission-a
check "  and nothing changed (the logs settled at the second)" test "$(repo_state "$MA")" = "$before_a"
# settled by hand (docs/sync.md): mission-a gives way to HQ's step
git -C "$MA/repo.git" update-ref "refs/docs/$DX" "$hq_x" "$ma_x" &&
	git -C "$MA/repo.git" update-ref -d "refs/conflicts/hq/docs/$DX" "$hq_x" &&
	git -C "$HQ/repo.git" update-ref -d "refs/conflicts/mission-a/docs/$DX" "$ma_x"
expect 0 "  settled (mission-a takes HQ's step): sync is clean again" msync mission-a

# ---- refused peers ----
before_c=$(repo_state "$MC") before_hq=$(repo_state "$HQ")
expect 2 "mission-c's site with a certificate the policy does not list: sync refused" msync mission-c rogue
check "  nothing changed at mission-c" test "$(repo_state "$MC")" = "$before_c"
check "  nor at HQ" test "$(repo_state "$HQ")" = "$before_hq"

# ---- forged pushes ----
# forge REPO KEYHOME PASSFILE KEYID PARENT TREE ACTION STEP ACTOR CLASS: a signed commit made with stock git
cat >"$T/gpgw" <<-EOF
#!/bin/sh
exec gpg --batch --pinentry-mode loopback --passphrase-file "\$FORGE_PASS" "\$@"
EOF
chmod 755 "$T/gpgw"
forge() {
	local repo=$1 home=$2 passf=$3 key=$4 parent=$5 tree=$6 action=$7 step=$8 actor=$9 class=${10}
	local pol
	pol=$(git -C "$repo" rev-parse refs/heads/policy)
	printf '%s\n\nChancery-Action: %s\nChancery-Step: %s\nChancery-Actor: %s\nChancery-Policy: %s\nChancery-Classification: %s\n' \
		"$action: forged" "$action" "$step" "$actor" "$pol" "$class" >"$T/msg"
	GNUPGHOME="$home" FORGE_PASS="$passf" git -C "$repo" -c gpg.program="$T/gpgw" commit-tree \
		-S"$key" ${parent:+-p "$parent"} -F "$T/msg" "$tree"
}
EVIL="$T/evil-gnupg"
mkdir -m 700 "$EVIL"
GNUPGHOME="$EVIL" gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "Le Thi C <le.thi.c@mission-a>" ed25519 sign never 2>/dev/null
evil_fpr=$(GNUPGHOME="$EVIL" gpg --batch --with-colons -K 2>/dev/null | awk -F: '/^fpr/{print $10; exit}')
echo x >"$T/empty.pass"
tree=$(git -C "$MA/repo.git" rev-parse "$approval^{tree}")
bad=$(forge "$MA/repo.git" "$EVIL" "$T/empty.pass" "$evil_fpr" "$approval" "$tree" comment deputies le.thi.c unclassified)
check "a comment by le.thi.c signed with a key that is not hers (made with stock git)" test -n "$bad"
git -C "$MA/repo.git" update-ref "refs/docs/$DAB" "$bad" "$approval"
before_hq=$(repo_state "$HQ")
expect 1 "mission-a's sync pushes it: refused" msync mission-a
check "  naming the commit" grep -q "${bad:0:7}" "$T/out"
check "  and rule D1" grep -q "D1" "$T/out"
check "  no ref moved at HQ" test "$(repo_state "$HQ")" = "$before_hq"
git -C "$MA/repo.git" update-ref "refs/docs/$DAB" "$approval" "$bad"

# a classified document signed by le.thi.c with her own key (stock git + gpg, past the CLI's gate)
git -C "$HQ/repo.git" cat-file -p "$approval:meta.json" |
	jq '.classification = "confidential" | .title = "Mật" | .recipients = ["hq"] | .unit = "mission-a" | .site = "mission-a" | .id = "mat-1"' >"$T/meta.json"
printf '# Báo cáo\n\nNội dung.\n' >"$T/doc.md"
mtree=$(printf '100644 blob %s\tdocument.md\n100644 blob %s\tmeta.json\n' \
	"$(git -C "$MA/repo.git" hash-object -w "$T/doc.md")" "$(git -C "$MA/repo.git" hash-object -w "$T/meta.json")" |
	git -C "$MA/repo.git" mktree)
her=$(jq -r '.signers["le.thi.c"].fingerprint' "$MA/site.json")
secret=$(forge "$MA/repo.git" "$MA/gnupg" "$(pass le.thi.c)" "$her" "" "$mtree" create draft le.thi.c confidential)
check "a confidential document signed by le.thi.c with her key (made with stock git)" test -n "$secret"
git -C "$MA/repo.git" update-ref refs/docs/mat-1 "$secret"
expect 1 "chancery sync refuses to send it" msync mission-a
check "  saying why" grep -q "not pushed refs/docs/mat-1" "$T/out"
check "  nothing moved at HQ" test "$(repo_state "$HQ")" = "$before_hq"
# shellcheck disable=SC2046
GIT_SSL_CERT="$TLS/mission-a.pem" GIT_SSL_KEY="$TLS/mission-a.key" GIT_SSL_CAINFO="$CA" \
	inns mission-a git -C "$MA/repo.git" push --porcelain "$G" "$secret:refs/docs/mat-1" >"$T/out" 2>"$T/err"
check "stock git push of it to HQ is refused" grep -q '^!' "$T/out"
{ cut -f3 "$T/out"; cat "$T/err"; } >"$T/why" # the answer, without the refspec we sent
check "  naming the commit" grep -q "${secret:0:7}" "$T/why"
check "  and the rule (D6 or the gate, G)" grep -qE '\b(D6|G)\b' "$T/why"
check "  no ref moved at HQ" test "$(repo_state "$HQ")" = "$before_hq"
git -C "$MA/repo.git" update-ref -d refs/docs/mat-1

# ---- the link cut mid-transfer ----
bulk() { # FILE: 32 KiB of hex (no stamp can hide in it; pack deltas cannot shrink it)
	{ echo "# Phụ lục"; echo; head -c 16384 /dev/urandom | od -An -tx1 | tr -d ' \n' | fold -w 64; echo; } >"$1"
}
bg_sync() { # SITE OUT: msync in a session of its own, in the background; spid = its id
	setsid bash -c "$(declare -p NS ADDR PORT DIR NETNS TLS CA CH G 2>/dev/null); $(declare -f inns tlsopt msync); msync $1" >"$2" 2>&1 &
	spid=$!
}
wait_for() { # PATTERN: until a process of session $spid runs PATTERN (git's pack stream), 20 s at most
	local i
	for i in $(seq 200); do
		ps -s "$spid" -o args= 2>/dev/null | grep -q -- "$1" && return 0
		kill -0 "$spid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
cut_failed() { # DESC RC: with a shaped link the kill lands mid-transfer; without, maybe not
	if [ "$NETNS" = 1 ]; then check "$1 (exit $2)" test "$2" -ne 0
	elif [ "$2" -ne 0 ]; then ok "$1 (exit $2)"
	else echo "# (no shaped link without namespaces: the sync finished before the kill)"; fi
}
slow() { # on|off [RATE]: shape HQ's link (tbf) so a transfer takes seconds
	[ "$NETNS" = 1 ] || return 0
	if [ "$1" = on ]; then
		tc -n "${NS[hq]}" qdisc replace dev eth0 root tbf rate "${2:-1mbit}" burst 16kb latency 4s
		tc -n "${NS[net]}" qdisc replace dev p1 root tbf rate "${2:-1mbit}" burst 16kb latency 4s
	else
		tc -n "${NS[hq]}" qdisc del dev eth0 root 2>/dev/null
		tc -n "${NS[net]}" qdisc del dev p1 root 2>/dev/null
	fi
}
stop_site hq
for i in $(seq 40); do
	bulk "$T/bulk.md"
	mk "$HQ" nguyen.van.a "Phụ lục $i" mission-b "$T/bulk.md" >/dev/null || not_ok "bulk document $i"
done
start_site hq || not_ok "HQ restarts"
slow on
bg_sync mission-b "$T/cut.out"
wait_for index-pack || echo "# (the pack stream was not seen)"
sleep 0.5
kill -KILL "${PID[hq]}"; wait "${PID[hq]}" 2>/dev/null; PID[hq]=
wait $spid; rc=$?
cut_failed "HQ killed (SIGKILL) during mission-b's sync, while the pack arrives: the sync fails" "$rc"
sed 's/^/#   /' "$T/cut.out" | head -4
held=$(git -C "$MB/repo.git" for-each-ref refs/docs | wc -l)
if [ "$NETNS" = 1 ]; then
	check "  the cut came mid-transfer: mission-b holds $held documents, not all 41" test "$held" -lt 41
else
	echo "# (no shaped link without namespaces: the cut may have come after the transfer; mission-b holds $held)"
fi
partial=0 wrong=0
while read -r ref id; do
	theirs=$(git -C "$HQ/repo.git" rev-parse -q --verify "$ref")
	[ "$id" = "$theirs" ] || wrong=$((wrong + 1))
	partial=$((partial + 1))
done < <(git -C "$MB/repo.git" for-each-ref --format='%(refname) %(objectname)' refs/docs)
check "  every ref mission-b holds is at a head HQ had ($partial refs, $wrong otherwise)" test "$wrong" -eq 0
expect 0 "  and mission-b still verifies" "$CH" verify "$MB/repo.git"
slow off
start_site hq || not_ok "HQ restarts"
expect 0 "sync again after the cut" msync mission-b
# HQ's view for mission-b, by stock git with its certificate
GIT_SSL_CERT="$TLS/mission-b.pem" GIT_SSL_KEY="$TLS/mission-b.key" GIT_SSL_CAINFO="$CA" \
	inns mission-b git clone -q --mirror "$G" "$T/view-b.git" 2>/dev/null
got=$(git -C "$MB/repo.git" for-each-ref --format='%(refname) %(objectname)' refs/docs refs/heads | sort)
view=$(git -C "$T/view-b.git" for-each-ref --format='%(refname) %(objectname)' refs/docs refs/heads | sort)
check "mission-b now holds exactly HQ's view for it ($(echo "$got" | grep -c docs) documents)" \
	test -n "$view" -a "$got" = "$view"
# (the documents and the policy: each site's own log, and the logs and spill
# list it keeps, are its own)
ncommits() { git -C "$1" rev-list --count --exclude='refs/chancery/*' --all; }
check "  the same number of commits as that view ($(ncommits "$MB/repo.git"))" \
	test "$(ncommits "$MB/repo.git")" = "$(ncommits "$T/view-b.git")"
check "  no conflict refs, nothing twice" bash -c "! git -C '$MB/repo.git' for-each-ref refs/conflicts | grep -q ."
expect 0 "  a third sync: nothing new" msync mission-b
check "  says so" grep -q "nothing new" "$T/out"

# the client killed mid-transfer (the mission's end of the link)
stop_site hq
for i in $(seq 20); do
	bulk "$T/bulk.md"
	mk "$HQ" nguyen.van.a "Phụ lục bổ sung $i" mission-b "$T/bulk.md" >/dev/null || not_ok "bulk document $i"
done
start_site hq || not_ok "HQ restarts"
slow on 512kbit
bg_sync mission-b "$T/cut.out"
wait_for index-pack || echo "# (the pack stream was not seen)"
sleep 0.5
kill -KILL -- "-$spid" 2>/dev/null; wait $spid 2>/dev/null
sed 's/^/#   /' "$T/cut.out" | head -4
slow off
expect 0 "the mission's sync killed (SIGKILL) mid-transfer, then run again" msync mission-b
rm -rf "$T/view-b.git"
GIT_SSL_CERT="$TLS/mission-b.pem" GIT_SSL_KEY="$TLS/mission-b.key" GIT_SSL_CAINFO="$CA" \
	inns mission-b git clone -q --mirror "$G" "$T/view-b.git" 2>/dev/null
got=$(git -C "$MB/repo.git" for-each-ref --format='%(refname) %(objectname)' refs/docs refs/heads | sort)
view=$(git -C "$T/view-b.git" for-each-ref --format='%(refname) %(objectname)' refs/docs refs/heads | sort)
check "  mission-b holds exactly HQ's view ($(echo "$got" | grep -c docs) documents)" test -n "$view" -a "$got" = "$view"
check "  the same number of commits ($(ncommits "$MB/repo.git"))" \
	test "$(ncommits "$MB/repo.git")" = "$(ncommits "$T/view-b.git")"

# a push cut: mission-a's own documents, HQ killed while they travel
for i in $(seq 20); do
	bulk "$T/bulk.md"
	mk "$MA" le.thi.c "Báo cáo $i" "" "$T/bulk.md" >/dev/null || not_ok "mission-a document $i"
done
mine_before=$(git -C "$HQ/repo.git" for-each-ref refs/docs | wc -l)
slow on 512kbit
bg_sync mission-a "$T/cut.out"
wait_for send-pack || echo "# (the pack stream was not seen)"
sleep 0.5
kill -KILL "${PID[hq]}"; wait "${PID[hq]}" 2>/dev/null; PID[hq]=
wait $spid; rc=$?
slow off
cut_failed "HQ killed during mission-a's push: the sync fails" "$rc"
sed 's/^/#   /' "$T/cut.out" | head -4
if [ "$NETNS" = 1 ]; then
	held=$(( $(git -C "$HQ/repo.git" for-each-ref refs/docs | wc -l) - mine_before ))
	check "  the cut came mid-push: HQ holds $held of mission-a's 20 new documents" test "$held" -lt 20
	grep -q "^pushed" "$T/cut.out" && not_ok "  (the push had finished before the cut)"
fi
expect 0 "  HQ still verifies" "$CH" verify "$HQ/repo.git"
start_site hq || not_ok "HQ restarts"
expect 0 "  mission-a syncs again" msync mission-a
mine=$(git -C "$MA/repo.git" for-each-ref --format='%(refname) %(objectname)' refs/docs | sort)
theirs=$(for r in $(git -C "$MA/repo.git" for-each-ref --format='%(refname)' refs/docs); do
	echo "$r $(git -C "$HQ/repo.git" rev-parse -q --verify "$r")"; done | sort)
check "  HQ now holds each of mission-a's documents at mission-a's head" test "$mine" = "$theirs"
expect 0 "  chancery verify passes at HQ" "$CH" verify "$HQ/repo.git"
expect 0 "  a further sync: nothing new" msync mission-a
check "  says so" grep -q "nothing new" "$T/out"

# ---- stock git: a mission's view with its certificate ----
"$CH" export-keys "$HQ" >"$T/keys.asc"
V="$T/verifier-gnupg"
mkdir -m 700 "$V"
GNUPGHOME="$V" gpg --batch --quiet --import "$T/keys.asc" 2>/dev/null
GIT_SSL_CERT="$TLS/mission-a.pem" GIT_SSL_KEY="$TLS/mission-a.key" GIT_SSL_CAINFO="$CA" \
	inns mission-a git clone -q --mirror "$G" "$T/view-a.git" 2>"$T/err"
check "stock git clone --mirror of mission-a's view with its certificate" test -d "$T/view-a.git"
n=0 badc=0
for c in $(git -C "$T/view-a.git" rev-list --exclude='refs/chancery/*' --all 2>/dev/null); do
	n=$((n + 1))
	GNUPGHOME="$V" git -C "$T/view-a.git" verify-commit "$c" 2>/dev/null || badc=$((badc + 1))
done
check "  git verify-commit passes on all $n commits ($badc failed)" test "$n" -gt 0 -a "$badc" -eq 0
check "  it holds mission-a's approval" git -C "$T/view-a.git" cat-file -e "$approval"
GIT_SSL_CAINFO="$CA" inns mission-a git clone -q --mirror "$G" "$T/none.git" 2>/dev/null
check "without the certificate: the clone fails and nothing arrives" test ! -e "$T/none.git"

# ---- each mission serves too ----
for s in mission-a mission-b mission-c; do
	start_site "$s" && ok "$s's chanceryd serves $(url "$s") in its own namespace" ||
		not_ok "$s's chanceryd starts"
done
GIT_SSL_CERT="$TLS/hq.pem" GIT_SSL_KEY="$TLS/hq.key" GIT_SSL_CAINFO="$CA" \
	inns hq git clone -q --mirror "$(url mission-a)/git/mission-a.git" "$T/from-a.git" 2>"$T/err"
check "HQ clones mission-a's view for HQ from mission-a's server with HQ's certificate" \
	git -C "$T/from-a.git" rev-parse -q --verify "refs/docs/$DAB"
n=0 badc=0
for c in $(git -C "$T/from-a.git" rev-list --exclude='refs/chancery/*' --all 2>/dev/null); do
	n=$((n + 1))
	GNUPGHOME="$V" git -C "$T/from-a.git" verify-commit "$c" 2>/dev/null || badc=$((badc + 1))
done
check "  git verify-commit passes on all $n commits ($badc failed)" test "$n" -gt 0 -a "$badc" -eq 0
# beside its running server, a mission syncs. Every update it takes is
# signed into its site log by the site key, which only the key holder
# (root, chanceryd's signer) opens: as the server's user the sync is
# refused, saying so, and nothing moves; as root it runs beside the server
stop_site hq
DL=$(mk "$HQ" nguyen.van.a "Sau cùng" mission-a)
start_site hq || not_ok "HQ restarts"
if [ "$(id -u)" -eq 0 ]; then
	install -m 0400 -o chancery-mission-a "$TLS/mission-a.key" "$T/mission-a.net.key"
	expect 1 "mission-a's sync as its server's user: refused (the site key is the key holder's)" \
		inns mission-a setpriv --reuid=chancery-mission-a --regid=chancery-mission-a --clear-groups env HOME="$T/home" \
		"$CH" sync "$MA" --remote "$G" --cert "$TLS/mission-a.pem" --key "$T/mission-a.net.key" --ca "$CA"
	err_has "the key holder" "  saying who holds the site key"
	check "  and nothing moved" bash -c "! git -C '$MA/repo.git' rev-parse -q --verify 'refs/docs/$DL'"
	expect 0 "mission-a syncs as root while its own chanceryd serves the site" msync mission-a
else
	echo "# not root: chanceryd runs as us, and so does the sync beside it"
	expect 0 "mission-a syncs while its own chanceryd serves the site" msync mission-a
fi
GIT_SSL_CERT="$TLS/hq.pem" GIT_SSL_KEY="$TLS/hq.key" GIT_SSL_CAINFO="$CA" \
	inns hq git -C "$T/from-a.git" fetch -q origin 2>"$T/err"
check "  and mission-a's server then serves the new document to HQ" \
	git -C "$T/from-a.git" rev-parse -q --verify "refs/docs/$DL"
inns mission-c curl -s --cacert "$CA" --cert "$TLS/mission-c.pem" --key "$TLS/mission-c.key" -o "$T/adv" \
	"$(url mission-a)/git/mission-a.git/info/refs?service=git-upload-pack"
check "mission-c at mission-a's server: the policy is advertised" grep -aq refs/heads/policy "$T/adv"
check "  but not the document for a and b" bash -c "! grep -aq '$DAB' '$T/adv'"
finish
