#!/usr/bin/env bash
# test_sitelog_verify.sh -- the verifier and the site log (docs/format.md
# "The site log": R2-R7, D1 at a log position).
#
# A site made with the command line logs every step; it verifies clean and
# the report gives each step's claimed time and its bounds. A peer's log
# (mission-a, its own key, made with stock gpg and git) witnesses the
# site's log. Then each case takes a COPY of the repository and tampers
# with it using stock git, gpg and sha256sum only: a step whose ref moved
# without a log entry (R5), a log that records a chain going backwards
# (R5), a back-dated step logged after a witnessed head (R7), a log entry
# with a bad signature (R3), a log time going back (R4), a rewritten log
# head that the peer witnessed and a checkpoint recorded (R6), a peer log
# under another site's name (R2). Last, revocation at a log position: a
# person's approvals logged before her revocation stay valid (no warning);
# a step by her after it, logged by hand, is a D1 finding naming the
# positions.
. "$(dirname "$0")/lib.sh"

S="$T/hq"
R="$S/repo.git"
DOCFILE="$CORPUS/chinh-phu-tin-292.txt"

"$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị A" --unit hq/admin \
	--passphrase-file "$(pass admin.a)" >/dev/null || { not_ok "init"; finish; }
add() { # id roles
	"$CH" person add "$S" "$1" --name "Person $1" --roles "$2" --unit hq/legal --as admin.a \
		--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass "$1")" >/dev/null
}
act() { # doc actor action
	"$CH" doc act "$S" "$1" --as "$2" --action "$3" --passphrase-file "$(pass "$2")" >/dev/null
}
create() { # id
	"$CH" doc create "$S" --id "$1" --as nguyen.van.a --title "Công văn $1" \
		--type cong-van --file "$DOCFILE" --passphrase-file "$(pass nguyen.van.a)" >/dev/null
}
setup() {
	add nguyen.van.a drafter && add tran.thi.b head && add le.van.c deputy &&
	add pham.thi.d deputy || return 1
	create a && act a nguyen.van.a submit && act a tran.thi.b approve &&
	act a pham.thi.d approve || return 1                    # deputies, 1 of 2
	create b && act b nguyen.van.a submit && act b tran.thi.b approve || return 1
	P_EARLY=$(git -C "$R" rev-parse refs/heads/policy)
}
if setup; then ok "a site made with the command line"; else not_ok "setup"; finish; fi

expect 0 "the clean site verifies clean" "$CH" verify "$R"
check "the report names the site log" grep -q '^site log: site hq, [0-9]* entries; 0 peer logs' "$T/out"
check "the report gives each step's claimed time and latest bound" \
	grep -q '^  time: claimed 20.*, latest 20.*, log entry [0-9]' "$T/out"
check "without a witness, the earliest bound is unknown and said so" \
	grep -q 'earliest unknown (no witnessed log entry before' "$T/out"
check "stock git reads the log" sh -c "git -C '$R' log --format=%B refs/chancery/log | grep -q '^Chancery-Log-Site: hq'"

# ---- stock tools: the site key, a log entry, a commitment, a peer ----
LOGKEY=$(jq -r '.signers["@site"].fingerprint' "$S/site.json")
check "site.json names the site key ($LOGKEY)" test "${#LOGKEY}" -eq 40
cat >"$T/gpg-loopback" <<EOS
#!/bin/sh
exec gpg --batch --pinentry-mode loopback --passphrase-file "$T/pass/\$CH_SIGNER" "\$@"
EOS
cat >"$T/gpg-batch" <<EOS
#!/bin/sh
exec gpg --batch "\$@"
EOS
chmod +x "$T/gpg-loopback" "$T/gpg-batch"
PG="$T/peer-gnupg"
mkdir -m 700 "$PG"
GNUPGHOME="$PG" gpg --batch --quiet --passphrase '' --quick-gen-key \
	"Chancery site mission-a <log@mission-a.chancery>" ed25519 sign never 2>/dev/null
PFPR=$(GNUPGHOME="$PG" gpg --list-keys --with-colons 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
check "a peer site key made with stock gpg" test "${#PFPR}" -eq 40

fpr_of() { # person
	git -C "$R" show refs/heads/policy:policy/people.json |
		jq -r --arg id "$1" '.people[] | select(.id == $id) | (.fingerprint // .keys[0].fingerprint)'
}
copy() { mkdir -p "$T/c"; cp -a "$R" "$T/c/$1.git"; echo "$T/c/$1.git"; }
# log_entry REPO REF SITE GNUPGHOME FPR TIME ITEM... -> the new entry (REF moved)
log_entry() {
	local repo=$1 ref=$2 site=$3 gh=$4 fpr=$5 t=$6 head seq tree msg c
	shift 6
	if head=$(git -C "$repo" rev-parse -q --verify "$ref"); then
		seq=$(( $(git -C "$repo" log -1 --format=%B "$head" | sed -n 's/^Chancery-Log-Seq: //p') + 1 ))
		tree=$(git -C "$repo" rev-parse "$head^{tree}")
	else
		head= seq=1
		tree=$(printf '100644 blob %s\tsite.asc\n' \
			"$(GNUPGHOME="$gh" gpg --armor --export "$fpr" 2>/dev/null | git -C "$repo" hash-object -w --stdin)" |
			git -C "$repo" mktree)
	fi
	msg=$(mktemp "$T/logmsg.XXXXXX")
	{ printf 'log: %s %s\n\nChancery-Log-Site: %s\nChancery-Log-Seq: %s\nChancery-Log-Time: %s\n' \
		"$site" "$seq" "$site" "$seq" "$t"; printf '%s\n' "$@"; } >"$msg"
	c=$(GIT_AUTHOR_NAME="$site site log" GIT_AUTHOR_EMAIL="log@$site.chancery" \
		GIT_COMMITTER_NAME="$site site log" GIT_COMMITTER_EMAIL="log@$site.chancery" \
		GIT_AUTHOR_DATE="@$t +0000" GIT_COMMITTER_DATE="@$t +0000" GNUPGHOME="$gh" \
		git -C "$repo" -c gpg.program="$T/gpg-batch" commit-tree "$tree" ${head:+-p "$head"} \
		-S"$fpr" -F "$msg") || return 1
	git -C "$repo" update-ref "$ref" "$c" $head && echo "$c"
}
hq_entry() { # repo time item... (signed by the site key, from the site's GnuPG home)
	local repo=$1; shift
	log_entry "$repo" refs/chancery/log hq "$S/gnupg" "$LOGKEY" "$@"
}
peer_entry() { # repo time item...
	local repo=$1; shift
	log_entry "$repo" refs/chancery/peers/mission-a/log mission-a "$PG" "$PFPR" "$@"
}
doc_item() { # repo ref head -> the Doc item, its commitment by sha256sum
	local root
	root=$(git -C "$1" rev-list --max-parents=0 "$3")
	printf 'Chancery-Log-Doc: %s' "$(printf 'chancery-log-doc 1\n%s\n%s\n%s\n' "$2" "$root" "$3" |
		sha256sum | cut -c1-64)"
}
witness_of_hq() { # repo -> the Witness item of hq's log head
	local h
	h=$(git -C "$1" rev-parse refs/chancery/log)
	printf 'Chancery-Log-Witness: hq %s %s' \
		"$(git -C "$1" log -1 --format=%B "$h" | sed -n 's/^Chancery-Log-Seq: //p')" "$h"
}
# step REPO DOC SIGNER ACTION STEP POLICY [DATE] -> a signed step on refs/docs/DOC (ref moved)
step() {
	local repo=$1 doc=$2 who=$3 action=$4 st=$5 pol=$6 when=${7:-} head msg c
	head=$(git -C "$repo" rev-parse "refs/docs/$doc")
	msg=$(mktemp "$T/msg.XXXXXX")
	printf '%s: by hand\n\nChancery-Action: %s\nChancery-Step: %s\nChancery-Actor: %s\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
		"$action" "$action" "$st" "$who" "$pol" >"$msg"
	c=$(env CH_SIGNER="$who" GNUPGHOME="$S/gnupg" ${when:+GIT_COMMITTER_DATE="$when" GIT_AUTHOR_DATE="$when"} \
		git -C "$repo" -c gpg.program="$T/gpg-loopback" commit-tree "$head^{tree}" -p "$head" \
		-S"$(fpr_of "$who")" -F "$msg") || return 1
	git -C "$repo" update-ref "refs/docs/$doc" "$c" "$head" && echo "$c"
}
finding() { # rule text: the last verify's output has a FINDING of the rule with the text
	grep "^FINDING $1 " "$T/out" | grep -qF -- "$2"
}

# ---- the peer witnesses the site's log ----
NOW=$(date +%s)
W1=$(peer_entry "$R" "$NOW" "$(witness_of_hq "$R")")
check "the peer's log, made with stock git, witnesses hq's log head" test -n "$W1"
expect 0 "with the peer's log, the site still verifies clean" "$CH" verify "$R"
check "the report counts the peer's log" grep -q '; 1 peer log checked' "$T/out"
P_PRE=$(git -C "$R" rev-parse refs/heads/policy)
act b le.van.c approve || not_ok "a step after the witness"
LE_STEP=$(git -C "$R" rev-parse refs/docs/b)
"$CH" verify "$R" --json >"$T/clean.json"
check "JSON: a step logged after the witnessed head has an earliest bound (the witness time)" \
	jq -e --arg c "$LE_STEP" --argjson now "$NOW" '.ok and ([.document_list[].steps[] |
		select(.commit == $c)][0] | .earliest == $now and .latest >= $now and .log_seq > 0 and
		.claimed >= $now - 5)' "$T/clean.json"
check "JSON: steps logged before any witness have no earliest bound (null)" \
	jq -e '[.document_list[] | select(.ref == "refs/docs/a") | .steps[].earliest] | all(. == null)' \
	"$T/clean.json"
check "JSON: the site log summary" jq -e '.site_log.site == "hq" and .site_log.peer_logs == 1' \
	"$T/clean.json"
expect 0 "a checkpoint written on the clean site" "$CH" verify "$R" --checkpoint "$T/cp.json"
check "the checkpoint records the log heads" \
	jq -e '.refs["refs/chancery/log"] and .refs["refs/chancery/peers/mission-a/log"]' "$T/cp.json"

# ---- (a) R5: hidden history ----
C=$(copy hidden)
c=$(step "$C" a nguyen.van.a comment deputies "$P_PRE")
expect 1 "R5: a signed step whose ref moved without a log entry is a finding" "$CH" verify "$C"
check "R5 names the document ref and the hidden step" finding R5 "refs/docs/a commit $c"
check "R5 says hidden history" finding R5 "hidden history"
C=$(copy hiddenpol)
printf 'policy: by hand\n\nChancery-Action: policy\nChancery-Actor: admin.a\n' >"$T/polmsg"
p=$(CH_SIGNER=admin.a GNUPGHOME="$S/gnupg" git -C "$C" -c gpg.program="$T/gpg-loopback" \
	commit-tree "refs/heads/policy^{tree}" -p refs/heads/policy -S"$(fpr_of admin.a)" -F "$T/polmsg")
git -C "$C" update-ref refs/heads/policy "$p"
expect 1 "R5: a signed policy commit the log never recorded is a finding" "$CH" verify "$C"
check "R5 names refs/heads/policy and the hidden commit" finding R5 "refs/heads/policy commit $p"
C=$(copy rollbackpol)
git -C "$C" update-ref refs/heads/policy "$(git -C "$C" rev-parse refs/heads/policy~1)"
expect 1 "R5: a policy head rolled back by hand (logged once, not last) is a finding" "$CH" verify "$C"
check "R5 says it is not the last the log records" finding R5 "is not the last one site hq's log records"

# ---- R5: the log records a chain going backwards ----
C=$(copy order)
x=$(step "$C" a nguyen.van.a comment deputies "$P_PRE")
y=$(step "$C" a nguyen.van.a comment deputies "$P_PRE")
hq_entry "$C" "$(date +%s)" "$(doc_item "$C" refs/docs/a "$y")" >/dev/null
hq_entry "$C" "$(date +%s)" "$(doc_item "$C" refs/docs/a "$x")" >/dev/null
expect 1 "R5: an entry recording an older commit after a newer one is a finding" "$CH" verify "$C"
check "R5 names the newer commit recorded first" finding R5 "refs/docs/a commit $y"
check "R5 says the log goes backwards" finding R5 "going backwards"

# ---- (b) R7: a back-dated step ----
state=$(jq -r '.document_list[] | select(.ref == "refs/docs/b") | .state' "$T/clean.json")
C=$(copy backdated)
c=$(step "$C" b nguyen.van.a comment "$state" "$P_PRE" "2020-01-01T00:00:00 +0000")
hq_entry "$C" "$(date +%s)" "$(doc_item "$C" refs/docs/b "$c")" >/dev/null
expect 1 "R7: a step claiming 2020, logged after a head the peer witnessed, is a finding" \
	"$CH" verify "$C"
check "R7 names the ref and the back-dated commit" finding R7 "refs/docs/b commit $c"
check "R7 says back-dated, with the claimed time" finding R7 "back-dated: comment by nguyen.van.a claims 2020-01-01"
check "no R5: the back-dated step is logged" sh -c "! grep -q '^FINDING R5' '$T/out'"
# the same step without a witness before its entry: bounds unknown, no finding
C=$(copy backdated-nowitness)
git -C "$C" update-ref -d refs/chancery/peers/mission-a/log
git -C "$C" update-ref refs/docs/b "$LE_STEP"
c=$(step "$C" b nguyen.van.a comment "$state" "$P_PRE" "2020-01-01T00:00:00 +0000")
hq_entry "$C" "$(date +%s)" "$(doc_item "$C" refs/docs/b "$c")" >/dev/null
expect 0 "without any witness, a back-dated step cannot be told: no finding" "$CH" verify "$C"
check "... and the report says its earliest bound is unknown" \
	sh -c "grep -A1 'commit $c' '$T/out' | grep -q 'earliest unknown'"

# ---- (c) the log itself: R3, R4, R6, R2 ----
C=$(copy badsig)
log_entry "$C" refs/chancery/log hq "$PG" "$PFPR" "$(date +%s)" "$(witness_of_hq "$C")" >/dev/null
expect 1 "R3: a log entry signed by another key is a finding" "$CH" verify "$C"
check "R3 on refs/chancery/log" finding R3 "refs/chancery/log"
C=$(copy timeback)
hq_entry "$C" $(( $(git -C "$C" log -1 --format=%ct refs/chancery/log) - 3600 )) \
	"$(doc_item "$C" refs/docs/a "$(git -C "$C" rev-parse refs/docs/a)")" >/dev/null
expect 1 "R4: a log entry whose time goes back is a finding" "$CH" verify "$C"
check "R4 on refs/chancery/log" finding R4 "refs/chancery/log"
# rewrite the witnessed head: the same parent, the same items, another time
C=$(copy fork)
old=$(git -C "$R" log -1 --format=%B "$W1" | sed -n 's/^Chancery-Log-Witness: hq [0-9]* //p')
while [ "$(git -C "$C" rev-parse refs/chancery/log)" != "$old" ]; do
	git -C "$C" update-ref refs/chancery/log "$(git -C "$C" rev-parse refs/chancery/log~1)"
done
git -C "$C" cat-file commit "$old" | sed '1,/^$/d' >"$T/oldmsg" # the message as stored
t=$(( $(git -C "$C" log -1 --format=%ct "$old") + 1 ))
sed -i "s/^Chancery-Log-Time: .*/Chancery-Log-Time: $t/" "$T/oldmsg"
git -C "$C" update-ref refs/chancery/log "$old~1"
new=$(GIT_COMMITTER_NAME="hq site log" GIT_COMMITTER_EMAIL="log@hq.chancery" \
	GIT_AUTHOR_NAME="hq site log" GIT_AUTHOR_EMAIL="log@hq.chancery" \
	GIT_AUTHOR_DATE="@$t +0000" GIT_COMMITTER_DATE="@$t +0000" GNUPGHOME="$S/gnupg" \
	git -C "$C" -c gpg.program="$T/gpg-batch" commit-tree "$old^{tree}" -p "$old~1" -S"$LOGKEY" -F "$T/oldmsg")
git -C "$C" update-ref refs/chancery/log "$new"
git -C "$C" update-ref refs/docs/b "$(git -C "$C" rev-parse refs/docs/b~1)" # as the log then stood
expect 1 "R6: a rewritten log head the peer witnessed is a finding" "$CH" verify "$C"
check "R6 names both heads (the witnessed one and the one held)" \
	sh -c "grep '^FINDING R6 refs/chancery/log' '$T/out' | grep -F '$old' | grep -qF '$new'"
check "R6 says fork" finding R6 "fork"
expect 1 "R6: the checkpoint's log head is not extended by the rewritten log" \
	"$CH" verify "$C" --checkpoint "$T/cp.json"
check "R6 names the checkpoint's head" sh -c "grep '^FINDING R6 refs/chancery/log' '$T/out' | grep -q 'checkpoint recorded'"
C=$(copy peername)
git -C "$C" update-ref refs/chancery/peers/mission-b/log "$(git -C "$C" rev-parse refs/chancery/peers/mission-a/log)"
expect 1 "R2: a peer's log kept under another site's name is a finding" "$CH" verify "$C"
check "R2 names the peer ref" finding R2 "refs/chancery/peers/mission-b/log"

# ---- (d) revocation at a log position ----
"$CH" person revoke "$S" pham.thi.d --as admin.a --passphrase-file "$(pass admin.a)" >/dev/null ||
	not_ok "revoke pham.thi.d"
expect 0 "after her revocation, her approval logged before it verifies clean" "$CH" verify "$R"
check "no warning about her: the log shows the step before the revocation" \
	sh -c "! grep -q '^warning.*pham.thi.d' '$T/out'"
check "the report says the step was accepted before the revocation" \
	grep -q "accepted at entry [0-9]* of site hq's log, before the revocation at entry [0-9]*: valid" "$T/out"
"$CH" verify "$R" --json >"$T/rev.json"
check "JSON: before_revocation gives both positions" jq -e '[.document_list[].steps[] |
	select(.actor == "pham.thi.d") | .before_revocation | .step_seq < .revocation_seq] | all and length == 1' \
	"$T/rev.json"
C=$(copy revoked)
c=$(step "$C" b pham.thi.d comment "$state" "$P_EARLY")
hq_entry "$C" "$(date +%s)" "$(doc_item "$C" refs/docs/b "$c")" >/dev/null
expect 1 "D1: a step by her after her revocation, logged by hand, is a finding" "$CH" verify "$C"
check "D1 names the step" finding D1 "refs/docs/b commit $c"
check "D1 names the log positions" \
	sh -c "grep '^FINDING D1 refs/docs/b' '$T/out' | grep -q 'recorded at entry [0-9]* of site hq.s log; that log records the step only later (entry [0-9]*), nor did it witness a log recording it before'"
# the same step, also in the log of a peer that never took the revocation:
# the revocation takes effect at its entry in hq's log, and hq never
# witnessed that peer log recording the step before it: still a finding
# (a mission's own log alone never places a step before a revocation)
C2=$(copy revoked-peer)
c=$(step "$C2" b pham.thi.d comment "$state" "$P_EARLY")
hq_entry "$C2" "$(date +%s)" "$(doc_item "$C2" refs/docs/b "$c")" >/dev/null
peer_entry "$C2" "$(date +%s)" "$(doc_item "$C2" refs/docs/b "$c")" >/dev/null
expect 1 "D1 at a log position: a peer log hq never witnessed before the revocation does not place the step" \
	"$CH" verify "$C2"
check "... the finding names hq's log" finding D1 "of site hq's log"

# ---- the quarantine's opt-out: a repository without a log ----
C=$(copy nolog)
git -C "$C" update-ref -d refs/chancery/log
git -C "$C" update-ref -d refs/chancery/peers/mission-a/log
expect 0 "without a log, the rules of before apply (no R finding)" "$CH" verify "$C"
check "... a warning for her approval, as before logs" grep -q '^warning.*pham.thi.d' "$T/out"
check "... and the report says no log is held" grep -q '^site log: none held' "$T/out"
finish
