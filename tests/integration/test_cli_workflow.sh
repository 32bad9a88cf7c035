#!/usr/bin/env bash
# test_cli_workflow.sh -- the command line as an official would use it:
# a site, people with their own keys, documents from the corpus taken
# through every path of the công văn workflow; then stock git verifies
# every signature and each signer is the actor its trailer names; then
# tampering with stock git is found; refusals leave the repository as it
# was; eight racing processes record exactly one step.
. "$(dirname "$0")/lib.sh"

S="$T/hq"
DOCFILE="$CORPUS/nghi-quyet-292-NQ-CP.txt"

# ---- a site and its people ----
expect 0 "init creates a site" "$CH" init "$S" --site-id hq --admin admin.a \
	--name "Quản Trị A" --unit hq/admin --passphrase-file "$(pass admin.a)"
add() { # id name roles unit [scope]
	"$CH" person add "$S" "$1" --name "$2" --roles "$3" --unit "$4" ${5:+--scope "$5"} \
		--as admin.a --passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass "$1")"
}
check "add drafter" add nguyen.van.a "Nguyễn Văn A" drafter hq/legal
check "add head" add tran.thi.b "Trần Thị B" head hq/legal
check "add deputy 1" add le.van.c "Lê Văn C" deputy hq/leaders hq
check "add deputy 2" add pham.thi.d "Phạm Thị D" deputy hq/leaders hq
check "add deputy 3" add hoang.van.e "Hoàng Văn E" deputy hq/leaders hq
check "add minister" add vu.van.f "Vũ Văn F" minister hq/leaders hq
check "add clerk" add do.thi.g "Đỗ Thị G" clerk hq/office hq
check "add a head of another unit" add bui.van.h "Bùi Văn H" head hq/consular
check "add a second head of hq/legal" add ngo.van.i "Ngô Văn I" head hq/legal
expect 1 "a scope that is not a unit is refused" "$CH" person set "$S" bui.van.h --scope "hq//x" \
	--as admin.a --passphrase-file "$(pass admin.a)"
expect 1 "a scope of every unit stands alone" "$CH" person set "$S" bui.van.h --scope "*,hq" \
	--as admin.a --passphrase-file "$(pass admin.a)"

act() { # doc actor action [extra...]
	local doc=$1 who=$2 action=$3; shift 3
	"$CH" doc act "$S" "$doc" --as "$who" --action "$action" \
		--passphrase-file "$(pass "$who")" "$@"
}
create() { # file title [extra...] -> prints id
	local f=$1 t=$2; shift 2
	"$CH" doc create "$S" --as nguyen.van.a --title "$t" --type cong-van --file "$f" \
		--passphrase-file "$(pass nguyen.van.a)" "$@"
}

# ---- path 1: straight to publication, with the quorum ----
D1=$(create "$DOCFILE" "Nghị quyết 292/NQ-CP: kế hoạch ngành ngoại giao") \
	&& ok "create from the corpus prints an id ($D1)" || not_ok "create from the corpus"
check "the Vietnamese text survives byte for byte" \
	cmp -s "$DOCFILE" <(git -C "$S/repo.git" show "refs/docs/$D1:document.md")
check "submit" act "$D1" nguyen.van.a submit
check "head approves" act "$D1" tran.thi.b approve --comment "Đồng ý."
check "deputy 1 approves (1 of 2)" act "$D1" le.van.c approve
expect 1 "deputy 1 cannot count twice in one round" act "$D1" le.van.c approve
err_has "already counted" "the quorum refusal says why"
"$CH" doc show "$S" "$D1" >"$T/show"
check "still in deputies after one approval" grep -q '^state: *deputies' "$T/show"
check "show reports the quorum so far" grep -q 'quorum 2; 1 so far' "$T/show"
check "deputy 2 approves (2 of 2)" act "$D1" pham.thi.d approve
"$CH" doc show "$S" "$D1" >"$T/show"
check "quorum met: signing" grep -q '^state: *signing' "$T/show"
check "minister signs" act "$D1" vu.van.f sign
check "clerk publishes" act "$D1" do.thi.g publish
expect 1 "nothing after publication" act "$D1" do.thi.g comment --comment "late"
err_has "published: nothing more" "the refusal names the final state"

# ---- path 2: return for revision at two levels ----
head -n 20 "$DOCFILE" >"$T/v1.md"
D2=$(create "$T/v1.md" "Dự thảo công văn trả lại") && ok "create D2" || not_ok "create D2"
check "submit D2" act "$D2" nguyen.van.a submit
check "head returns D2" act "$D2" tran.thi.b return --comment "Bổ sung số liệu."
head -n 30 "$DOCFILE" >"$T/v2.md"
check "drafter revises D2" "$CH" doc revise "$S" "$D2" --as nguyen.van.a --file "$T/v2.md" \
	--passphrase-file "$(pass nguyen.van.a)"
check "revised text stored" cmp -s "$T/v2.md" <(git -C "$S/repo.git" show "refs/docs/$D2:document.md")
check "resubmit D2" act "$D2" nguyen.van.a submit
check "head approves D2" act "$D2" tran.thi.b approve
check "deputy 1 approves D2" act "$D2" le.van.c approve
check "deputy 2 returns D2 (ends the round)" act "$D2" pham.thi.d return
head -n 40 "$DOCFILE" >"$T/v3.md"
check "drafter revises again" "$CH" doc revise "$S" "$D2" --as nguyen.van.a --file "$T/v3.md" \
	--passphrase-file "$(pass nguyen.van.a)"
check "resubmit" act "$D2" nguyen.van.a submit
check "head approves again" act "$D2" tran.thi.b approve
check "deputy 1 approves in the new round" act "$D2" le.van.c approve
check "deputy 3 approves: quorum" act "$D2" hoang.van.e approve
check "minister signs D2" act "$D2" vu.van.f sign
check "clerk publishes D2" act "$D2" do.thi.g publish
"$CH" doc log "$S" "$D2" >"$T/log"
check "log lists all 15 steps" test "$(wc -l <"$T/log")" -ge 15

# ---- path 3: rejection ----
D3=$(create "$CORPUS/chinh-phu-tin-292.txt" "Tin Chính phủ") && ok "create D3" || not_ok "create D3"
check "submit D3" act "$D3" nguyen.van.a submit
check "head rejects D3" act "$D3" tran.thi.b reject --comment "Không phù hợp."
expect 1 "nothing after rejection" act "$D3" nguyen.van.a withdraw

# ---- delegation and withdrawal ----
check "admin delegates head from tran.thi.b to le.van.c" "$CH" delegate "$S" --from tran.thi.b \
	--to le.van.c --roles head --as admin.a --passphrase-file "$(pass admin.a)"
D4=$(create "$CORPUS/bao-gia-lai-tin-292.txt" "Tin Gia Lai") && ok "create D4" || not_ok "create D4"
check "submit D4" act "$D4" nguyen.van.a submit
expect 1 "le.van.c cannot approve as head in own right" act "$D4" le.van.c approve
check "le.van.c approves for tran.thi.b" act "$D4" le.van.c approve --on-behalf-of tran.thi.b
expect 1 "le.van.c cannot act for nguyen.van.a (no delegation)" \
	act "$D4" le.van.c return --on-behalf-of nguyen.van.a
check "creator withdraws D4" act "$D4" nguyen.van.a withdraw
check "undelegate" "$CH" undelegate "$S" --from tran.thi.b --to le.van.c --as admin.a \
	--passphrase-file "$(pass admin.a)"
"$CH" doc list "$S" --awaiting tran.thi.b >"$T/list"
check "doc list --awaiting shows nothing for the head now" test ! -s "$T/list"
"$CH" doc list "$S" >"$T/list"
check "doc list shows four documents" test "$(wc -l <"$T/list")" -eq 4

expect 0 "chancery verify passes on the whole site" "$CH" verify "$S"

# ---- stock git agrees on every signature ----
V="$T/auditor-gnupg"
mkdir -m 700 "$V"
"$CH" export-keys "$S" >"$T/keys.asc"
GNUPGHOME="$V" gpg --batch --quiet --import "$T/keys.asc" 2>/dev/null
git -C "$S/repo.git" show refs/heads/policy:policy/people.json >"$T/people.json"
bad=0 n=0
for ref in $(git -C "$S/repo.git" for-each-ref --format='%(refname)' refs/docs refs/heads/policy); do
	for c in $(git -C "$S/repo.git" rev-list "$ref"); do
		n=$((n + 1))
		if ! GNUPGHOME="$V" git -C "$S/repo.git" verify-commit "$c" 2>/dev/null; then
			echo "# git verify-commit failed on $c"; bad=1; continue
		fi
		fpr=$(GNUPGHOME="$V" git -C "$S/repo.git" log -1 --format=%GP "$c")
		actor=$(git -C "$S/repo.git" log -1 --format='%(trailers:key=Chancery-Actor,valueonly)' "$c" | head -1)
		owner=$(jq -r --arg f "$fpr" '.people[] | select(.fingerprint == $f) | .id' "$T/people.json")
		if [ "$owner" != "$actor" ]; then
			echo "# $c: signed by $fpr ($owner), actor $actor"; bad=1
		fi
	done
done
check "stock git verify-commit passes on all $n commits, each signed by its actor" test "$bad" -eq 0

# ---- tampering with stock git is found ----
cat >"$T/gpg-loopback" <<EOS
#!/bin/sh
exec gpg --batch --pinentry-mode loopback --passphrase-file "$T/pass/\$CH_SIGNER" "\$@"
EOS
chmod +x "$T/gpg-loopback"
R="$S/repo.git"
ref="refs/docs/$D1"
orig=$(git -C "$R" rev-parse "$ref")
parent=$(git -C "$R" rev-parse "$orig^")
tree=$(git -C "$R" rev-parse "$orig^{tree}")
git -C "$R" log -1 --format=%B "$orig" >"$T/msg"
other_fpr=$(jq -r '.people[] | select(.id == "tran.thi.b") | .fingerprint' "$T/people.json")
forged=$(CH_SIGNER=tran.thi.b GNUPGHOME="$S/gnupg" git -C "$R" -c gpg.program="$T/gpg-loopback" \
	commit-tree "$tree" -p "$parent" -S"$other_fpr" -F "$T/msg")
git -C "$R" update-ref "$ref" "$forged" "$orig"
expect 1 "verify finds a step re-signed by another person's key" "$CH" verify "$S"
check "the finding names the forged commit and rule D1" grep -q "D1 $ref commit $forged" "$T/out"
unsigned=$(git -C "$R" commit-tree "$tree" -p "$parent" -F "$T/msg")
git -C "$R" update-ref "$ref" "$unsigned" "$forged"
expect 1 "verify finds an unsigned step" "$CH" verify "$S"
check "the finding names the unsigned commit" grep -q "commit $unsigned.*not signed" "$T/out"
git -C "$R" update-ref "$ref" "$orig" "$unsigned"
expect 0 "verify passes again once the history is restored" "$CH" verify "$S"

# ---- refusals leave the repository exactly as it was ----
D5=$(create "$CORPUS/resolution-292-summary-en.txt" "Summary") && ok "create D5" || not_ok "create D5"
echo "wrong passphrase" >"$T/wrong"
unchanged "wrong passphrase: repository unchanged" "$S" \
	"$CH" doc act "$S" "$D5" --as nguyen.van.a --action submit --passphrase-file "$T/wrong"
expect 1 "wrong passphrase is refused" \
	"$CH" doc act "$S" "$D5" --as nguyen.van.a --action submit --passphrase-file "$T/wrong"
err_has "wrong signing passphrase for nguyen.van.a" "the error names the person"
unchanged "unknown person: unchanged" "$S" act "$D5" nobody.x submit
expect 1 "unknown person is refused" act "$D5" nobody.x submit
err_has "nobody.x is not a person" "the error names the unknown person"
unchanged "person without the role: unchanged" "$S" act "$D5" do.thi.g submit
expect 1 "person without the role is refused" act "$D5" do.thi.g submit
err_has "do.thi.g has no role that may submit in state 'draft'" "the error names person, action, state"
unchanged "action not allowed in the state: unchanged" "$S" act "$D5" tran.thi.b approve
expect 1 "approve in draft is refused" act "$D5" tran.thi.b approve
err_has "'approve' is not allowed in state 'draft'" "the error names action and state"
unchanged "action after publication: unchanged" "$S" act "$D1" vu.van.f sign
unchanged "missing file: unchanged" "$S" create "$T/missing.md" "X"
expect 1 "missing file is refused" create "$T/missing.md" "X"
err_has "no such file" "the error says the file is missing"
printf 'Caf\xe9 \xff\xfe\n' >"$T/latin1.md"
unchanged "non-UTF-8 file: unchanged" "$S" create "$T/latin1.md" "X"
expect 1 "non-UTF-8 file is refused" create "$T/latin1.md" "X"
err_has "not valid UTF-8" "the error says the text is not UTF-8"
unchanged "invalid document id: unchanged" "$S" act "../etc" nguyen.van.a submit
expect 1 "invalid document id is refused" act "../etc" nguyen.van.a submit
err_has "not a valid document id" "the error says the id is invalid"
unchanged "invalid id on create: unchanged" "$S" create "$T/v1.md" "X" --id "Bad_ID"
printf '{"version":1,"name":"broken","create":{"roles":["drafter"]},"start":"draft",\n"states":{"draft":{"actions":{"submit":{"roles":["drafter"],"to":"nowhere"}}}}}\n' >"$T/broken.json"
unchanged "malformed workflow: unchanged" "$S" "$CH" workflow set "$S" "$T/broken.json" \
	--as admin.a --passphrase-file "$(pass admin.a)"
expect 1 "malformed workflow definition is refused" "$CH" workflow set "$S" "$T/broken.json" \
	--as admin.a --passphrase-file "$(pass admin.a)"
err_has "policy/workflows/broken.json: states.draft.actions.submit.to: no state named 'nowhere'" \
	"the error names the file and field"
touch "$R/refs/docs/$D5.lock"
unchanged "locked ref: unchanged" "$S" act "$D5" nguyen.van.a submit
expect 3 "locked ref is a conflict" act "$D5" nguyen.van.a submit
err_has "is locked" "the error says the ref is locked"
rm -f "$R/refs/docs/$D5.lock"
expect 1 "missing repository is refused" "$CH" doc act "$T/nowhere" "$D5" --as nguyen.van.a \
	--action submit --passphrase-file "$(pass nguyen.van.a)"
err_has "not a Chancery site" "the error says there is no site"
expect 1 "a non-admin cannot change the policy" "$CH" person revoke "$S" tran.thi.b \
	--as nguyen.van.a --passphrase-file "$(pass nguyen.van.a)"

# ---- a chain bound to its document; roles act within a scope ----
D6=$(create "$CORPUS/chinh-phu-tin-292.txt" "Phạm vi đơn vị") && ok "create D6" || not_ok "create D6"
git -C "$S/repo.git" show "refs/docs/$D6:meta.json" >"$T/meta6"
check "meta.json is version 2" jq -e '.version == 2' "$T/meta6"
check "meta.json names the document id" jq -e --arg id "$D6" '.id == $id' "$T/meta6"
check "meta.json names this site" jq -e '.site == "hq"' "$T/meta6"
check "meta.json names the creator's unit" jq -e '.unit == "hq/legal"' "$T/meta6"
check "submit D6" act "$D6" nguyen.van.a submit
before=$(repo_state "$S")
expect 1 "a head of hq/consular cannot approve a document of hq/legal" act "$D6" bui.van.h approve
err_has "bui.van.h may act on documents of hq/consular and below; this document belongs to hq/legal" \
	"the refusal names the scope and the document's unit"
check "  nothing moved" test "$before" = "$(repo_state "$S")"
expect 1 "nor return it" act "$D6" bui.van.h return
expect 1 "nor comment on it" act "$D6" bui.van.h comment --comment "x"
expect 0 "person set --scope widens a scope" "$CH" person set "$S" bui.van.h \
	--scope hq/consular,hq/legal --as admin.a --passphrase-file "$(pass admin.a)"
git -C "$S/repo.git" show refs/heads/policy:policy/people.json >"$T/people"
check "  people.json holds the scope" \
	jq -e '.people[] | select(.id == "bui.van.h") | .scope == ["hq/consular", "hq/legal"]' "$T/people"
check "the widened head approves D6" act "$D6" bui.van.h approve
expect 0 "person set --scope own narrows it again" "$CH" person set "$S" bui.van.h --scope own \
	--as admin.a --passphrase-file "$(pass admin.a)"
git -C "$S/repo.git" show refs/heads/policy:policy/people.json >"$T/people"
check "  people.json holds no scope for him" \
	jq -e '.people[] | select(.id == "bui.van.h") | has("scope") | not' "$T/people"
expect 1 "deputies of scope hq act on D6, but not a head of hq/consular" act "$D6" bui.van.h comment \
	--comment "x"
check "a deputy with scope hq approves D6" act "$D6" le.van.c approve
expect 0 "chancery verify passes (D3 with scopes, D11-D13)" "$CH" verify "$S"

# ---- eight processes race for one step ----
check "submit D5" act "$D5" nguyen.van.a submit
go="$T/go"
pids=()
for i in 1 2 3 4 5 6 7 8; do
	who=tran.thi.b; [ $((i % 2)) -eq 0 ] && who=ngo.van.i
	CHANCERY_FAILPOINT_WAIT="$go" act "$D5" "$who" approve >"$T/race.$i.out" 2>"$T/race.$i.err" &
	pids+=($!)
done
# Released only when all eight wait at the failpoint (each polls for $go
# with usleep: its chancery is in nanosleep), so that a slow or loaded
# machine cannot let one start after the winner has moved the head. 25 s at
# most (the failpoint gives up after 30); where /proc/PID/syscall cannot be
# read, 3 s.
case $(uname -m) in x86_64) naps='230 35' ;; aarch64) naps='115 101' ;; *) naps= ;; esac
at_failpoint() { # PID...: each racer's chancery sleeps in the failpoint
	local p c st ready
	for p; do
		ready=
		for c in "$p" $(pgrep -P "$p"); do
			st=$(cut -d' ' -f1 "/proc/$c/syscall" 2>/dev/null)
			[ -n "$st" ] && [[ " $naps " == *" $st "* ]] && ready=1
		done
		[ -n "$ready" ] || return 1
	done
}
if [ -n "$naps" ] && [ -r /proc/$$/syscall ] && cut -d' ' -f1 /proc/$$/syscall >/dev/null 2>&1; then
	t0=$(date +%s%N) seen=0
	for _ in $(seq 250); do
		if at_failpoint "${pids[@]}"; then seen=$((seen + 1)); else seen=0; fi
		[ "$seen" -ge 3 ] && break
		sleep 0.1
	done
	echo "# the eight racers waited at the failpoint after $(( ($(date +%s%N) - t0) / 1000000 )) ms (seen $seen times in a row)"
else
	sleep 3
fi
touch "$go"
wins=0 conflicts=0 other=0
for i in "${!pids[@]}"; do
	wait "${pids[$i]}"; rc=$?
	case $rc in 0) wins=$((wins + 1)) ;; 3) conflicts=$((conflicts + 1)) ;; *) other=$((other + 1)) ;; esac
done
check "exactly one of eight racing approvals is recorded ($wins)" test "$wins" -eq 1
check "the seven others exit with a conflict ($conflicts)" test "$conflicts" -eq 7
steps=$(git -C "$R" rev-list --count "refs/docs/$D5")
check "the chain holds create, submit and one approval" test "$steps" -eq 3
expect 0 "chancery verify passes after the race" "$CH" verify "$S"

finish
