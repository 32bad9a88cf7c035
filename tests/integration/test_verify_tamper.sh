#!/usr/bin/env bash
# test_verify_tamper.sh -- the auditor's verifier against tampering.
#
# One clean site is built with the command line (people, delegations, a
# revocation, documents in every state). It verifies clean, and stock git
# verify-commit agrees on every signature. Then each case takes a COPY of
# its repository (cp -a), tampers with it using nothing but stock git and
# gpg (commit-tree, mktree, hash-object, update-ref; signatures made with
# the person's own key from the site's GnuPG home through a gpg.program
# wrapper with a loopback pinentry), and checks that `chancery verify`
# exits 1 with a finding that names the rule of DESIGN.md and the tampered
# commit. Then: the checkpoint (a rewound ref, a vanished document, a
# backdated step by a revoked person), the HTML report, the cache (which
# must never trust what it did not write), and stable output across
# thread counts.
. "$(dirname "$0")/lib.sh"

S="$T/hq"
R="$S/repo.git"
DOCFILE="$CORPUS/chinh-phu-tin-292.txt"

# ---- the clean site, made with the command line ----
"$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị A" --unit hq/admin \
	--passphrase-file "$(pass admin.a)" >/dev/null || { not_ok "init"; finish; }
add() { # id roles
	"$CH" person add "$S" "$1" --name "Person $1" --roles "$2" --unit hq/legal --as admin.a \
		--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass "$1")" >/dev/null
}
act() { # doc actor action [extra...]
	local doc=$1 who=$2 action=$3; shift 3
	"$CH" doc act "$S" "$doc" --as "$who" --action "$action" \
		--passphrase-file "$(pass "$who")" "$@" >/dev/null
}
create() { # id [title]
	"$CH" doc create "$S" --id "$1" --as nguyen.van.a --title "${2:-Công văn $1}" \
		--type cong-van --file "$DOCFILE" --passphrase-file "$(pass nguyen.van.a)" >/dev/null
}
policy_head() { git -C "$R" rev-parse refs/heads/policy; }

setup() {
	add nguyen.van.a drafter && add tran.thi.b head && add le.van.c deputy &&
	add pham.thi.d deputy && add hoang.van.e deputy && add vu.van.f minister &&
	add do.thi.g clerk && add bui.van.h head || return 1
	P_EARLY=$(policy_head)
	# published: every step of the công văn workflow
	create pub && act pub nguyen.van.a submit && act pub tran.thi.b approve &&
	act pub le.van.c approve && act pub pham.thi.d approve && act pub vu.van.f sign &&
	act pub do.thi.g publish || return 1
	create rev && act rev nguyen.van.a submit || return 1          # in review
	create quo && act quo nguyen.van.a submit && act quo tran.thi.b approve &&
	act quo le.van.c approve || return 1                           # deputies, 1 of 2
	"$CH" delegate "$S" --from tran.thi.b --to le.van.c --roles head --as admin.a \
		--passphrase-file "$(pass admin.a)" >/dev/null || return 1
	create del && act del nguyen.van.a submit &&
	act del le.van.c approve --on-behalf-of tran.thi.b || return 1
	"$CH" undelegate "$S" --from tran.thi.b --to le.van.c --as admin.a \
		--passphrase-file "$(pass admin.a)" >/dev/null || return 1
	P_MID=$(policy_head)
	add late.x head || return 1                                    # authorized only later
	create xss 'Tờ trình <script>alert(1)</script> & "quoted"' || return 1
	"$CH" person revoke "$S" bui.van.h --as admin.a \
		--passphrase-file "$(pass admin.a)" >/dev/null || return 1
	P_LAST=$(policy_head)
	create new && act new nguyen.van.a submit || return 1          # names P_LAST
}
if setup; then ok "a clean site made with the command line"; else not_ok "setup"; finish; fi

expect 0 "the clean repository verifies clean" "$CH" verify "$R"
check "its report says 0 findings" grep -q ': 0 findings, 0 warnings' "$T/out"
"$CH" verify "$S" --json >"$T/clean.json"
check "JSON: ok, 6 documents, no findings" \
	jq -e '.ok and .documents == 6 and (.findings | length) == 0' "$T/clean.json"
ADMIN_FPR=$(git -C "$R" show refs/heads/policy:policy/people.json |
	jq -r '.people[] | select(.id == "admin.a") | .fingerprint')
ROOT=$(git -C "$R" rev-list --max-parents=0 refs/heads/policy)
expect 0 "verify with the right trust anchor" "$CH" verify "$R" --introduction "$ROOT" \
	--introducer "$ADMIN_FPR"
check "the report says the anchor matched" grep -q 'matches the trust anchor' "$T/out"

# ---- stock git agrees on every signature ----
V="$T/auditor-gnupg"
mkdir -m 700 "$V"
"$CH" export-keys "$S" | GNUPGHOME="$V" gpg --batch --quiet --import 2>/dev/null
people_json() { git -C "$1" show refs/heads/policy:policy/people.json; }
people_json "$R" >"$T/people.json"
bad=0 n=0
for c in $(git -C "$R" rev-list $(git -C "$R" for-each-ref --format='%(refname)' refs/heads/policy refs/docs)); do
	n=$((n + 1))
	fpr=$(GNUPGHOME="$V" git -C "$R" log -1 --format=%GP "$c" 2>/dev/null)
	actor=$(git -C "$R" log -1 --format='%(trailers:key=Chancery-Actor,valueonly)' "$c" | head -1)
	owner=$(jq -r --arg f "$fpr" '.people[] | select(.fingerprint == $f) | .id' "$T/people.json")
	if ! GNUPGHOME="$V" git -C "$R" verify-commit "$c" 2>/dev/null || [ "$owner" != "$actor" ]; then
		echo "# $c: git verify-commit or signer ($owner) vs actor ($actor) disagrees"; bad=1
	fi
done
check "stock git verify-commit passes on all $n commits, each signed by its actor" test "$bad" -eq 0

# ---- tools for tampering with stock git and gpg ----
cat >"$T/gpg-loopback" <<EOS
#!/bin/sh
exec gpg --batch --pinentry-mode loopback --passphrase-file "$T/pass/\$CH_SIGNER" "\$@"
EOS
chmod +x "$T/gpg-loopback"
copy() { # name -> path of a fresh copy of the clean repository
	mkdir -p "$T/c"
	cp -a "$R" "$T/c/$1.git"
	echo "$T/c/$1.git"
}
fpr_of() { # person [repo]
	people_json "${2:-$R}" | jq -r --arg id "$1" '.people[] | select(.id == $id) | .fingerprint'
}
msgfile() { # action step actor policy [classification] [on-behalf-of]
	local f
	f=$(mktemp "$T/msg.XXXXXX")
	{
		printf '%s: tampered\n\n' "$1"
		printf 'Chancery-Action: %s\nChancery-Step: %s\nChancery-Actor: %s\n' "$1" "$2" "$3"
		[ -n "${6:-}" ] && printf 'Chancery-On-Behalf-Of: %s\n' "$6"
		printf 'Chancery-Policy: %s\nChancery-Classification: %s\n' "$4" "${5:-unclassified}"
	} >"$f"
	echo "$f"
}
commit() { # repo signer tree msgfile parent... (signer "-": unsigned; $GH: GnuPG home)
	local repo=$1 who=$2 tree=$3 msg=$4 p parents=()
	shift 4
	for p in "$@"; do parents+=(-p "$p"); done
	if [ "$who" = - ]; then
		git -C "$repo" commit-tree "$tree" "${parents[@]}" -F "$msg"
	else
		CH_SIGNER=$who GNUPGHOME="${GH:-$S/gnupg}" git -C "$repo" -c gpg.program="$T/gpg-loopback" \
			commit-tree "$tree" "${parents[@]}" -S"${FPR:-$(fpr_of "$who")}" -F "$msg"
	fi
}
append() { # repo doc signer action step actor policy [class] [on-behalf] -> new head
	local repo=$1 doc=$2 who=$3 head c
	shift 3
	head=$(git -C "$repo" rev-parse "refs/docs/$doc")
	c=$(commit "$repo" "$who" "${TREE:-$(git -C "$repo" rev-parse "$head^{tree}")}" \
		"$(msgfile "$@")" "$head") || return 1
	git -C "$repo" update-ref "refs/docs/$doc" "$c" "$head" && echo "$c"
}
tree_with() { # repo tree path blob -> the tree with path (a or dir/a) set to blob
	local repo=$1 tree=$2 path=$3 blob=$4 dir sub
	if [[ $path == */* ]]; then
		dir=${path%%/*}
		sub=$(tree_with "$repo" "$(git -C "$repo" rev-parse "$tree:$dir")" "${path#*/}" "$blob")
		{ git -C "$repo" ls-tree "$tree" | awk -F'\t' -v n="$dir" '$2 != n'
		  printf '040000 tree %s\t%s\n' "$sub" "$dir"; } | git -C "$repo" mktree
	else
		{ git -C "$repo" ls-tree "$tree" | awk -F'\t' -v n="$path" '$2 != n'
		  printf '100644 blob %s\t%s\n' "$blob" "$path"; } | git -C "$repo" mktree
	fi
}
policy_commit() { # repo signer actor file filter [extra-parent] -> new policy head
	local repo=$1 who=$2 actor=$3 file=$4 filter=$5 head blob tree msg c
	head=$(git -C "$repo" rev-parse refs/heads/policy)
	blob=$(git -C "$repo" show "$head:$file" | jq "$filter" | git -C "$repo" hash-object -w --stdin)
	tree=$(tree_with "$repo" "$(git -C "$repo" rev-parse "$head^{tree}")" "$file" "$blob")
	msg=$(mktemp "$T/msg.XXXXXX")
	printf 'policy: tampered\n\nChancery-Action: policy\nChancery-Actor: %s\n' "$actor" >"$msg"
	c=$(commit "$repo" "$who" "$tree" "$msg" "$head" ${6:+"$6"}) || return 1
	git -C "$repo" update-ref refs/heads/policy "$c" "$head" && echo "$c"
}
# finds DESC RULE COMMIT REPO [verify args...]: exit 1, a RULE finding on COMMIT.
finds() {
	local desc=$1 rule=$2 commit=$3 repo=$4 rc
	shift 4
	"$CH" verify "$repo" --json "$@" >"$T/v.json" 2>"$T/v.err"; rc=$?
	if [ "$rc" -ne 1 ]; then
		not_ok "$desc (exit $rc, wanted 1)"; sed 's/^/#   /' "$T/v.err" | head -3; return
	fi
	if jq -e --arg r "$rule" --arg c "$commit" \
		'.findings | any(.rule == $r and .commit == $c)' "$T/v.json" >/dev/null; then
		ok "$desc: $rule on ${commit:0:12}"
	else
		not_ok "$desc: no $rule finding on commit $commit"
		jq -r '.findings[] | "#   \(.rule) \(.commit[0:12]) \(.message)"' "$T/v.json" | head -5
	fi
}
message_has() { # DESC TEXT: the last finds' findings mention TEXT
	if jq -e --arg t "$2" '.findings | any(.message | contains($t))' "$T/v.json" >/dev/null
	then ok "$1"; else not_ok "$1 (no message contains '$2')"
		jq -r '.findings[] | "#   \(.rule) \(.commit[0:12]) \(.message)"' "$T/v.json" | head -5; fi
}

# ---- D1: a key authorized only later ----
C=$(copy later)
c=$(append "$C" rev late.x approve review late.x "$P_EARLY")
finds "a step signed by a key that only a later policy authorizes" D1 "$c" "$C"
message_has "the finding says a later policy authorizes the key" "only the later policy"

# ---- D2 / D1: a key authorized only on another branch of the policy ----
SIDE="$T/side"
cp -a "$S" "$SIDE"
"$CH" person add "$SIDE" side.y --name "Side Y" --roles head --unit hq/legal --as admin.a \
	--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass side.y)" >/dev/null
P_SIDE=$(git -C "$SIDE/repo.git" rev-parse refs/heads/policy)
SIDE_FPR=$(fpr_of side.y "$SIDE/repo.git")
C=$(copy branch)
git -C "$C" fetch -q "$SIDE/repo.git" refs/heads/policy:refs/heads/side-policy
c=$(GH="$SIDE/gnupg" FPR="$SIDE_FPR" append "$C" rev side.y approve review side.y "$P_SIDE")
finds "a step naming a policy commit that is only on a side branch" D2 "$c" "$C"
message_has "the finding says the policy is not on the chain" "not a commit of the policy chain"
check "the side branch is listed, not judged" jq -e \
	'.other_refs | index("refs/heads/side-policy")' "$T/v.json"
C=$(copy branch2)
c=$(GH="$SIDE/gnupg" FPR="$SIDE_FPR" append "$C" rev side.y approve review side.y "$P_EARLY")
finds "a step signed by a key that only a side branch authorizes" D1 "$c" "$C"

# ---- D1: signed by a person other than its actor ----
C=$(copy other)
c=$(append "$C" rev le.van.c approve review tran.thi.b "$P_EARLY")
finds "a step signed by a person other than its actor" D1 "$c" "$C"
message_has "the finding names the real signer" "which belongs to le.van.c"

# ---- D1: unsigned ----
C=$(copy unsigned)
c=$(append "$C" rev - approve review tran.thi.b "$P_EARLY")
finds "an unsigned step" D1 "$c" "$C"
message_has "the finding says it is not signed" "not signed"

# ---- D1: a bad signature (signed bytes altered, signature kept) ----
C=$(copy badsig)
orig=$(git -C "$C" rev-parse refs/docs/rev)
BADSIG=$(git -C "$C" cat-file commit "$orig" | sed 's/^submit: /submit (altered): /' |
	git -C "$C" hash-object -t commit -w --stdin)
git -C "$C" update-ref refs/docs/rev "$BADSIG" "$orig"
finds "a step whose signature does not match its bytes" D1 "$BADSIG" "$C"
message_has "the finding says the signature is bad" "bad signature"
BADSIG_REPO=$C

# ---- P2: a policy change signed by a non-admin ----
C=$(copy nonadmin)
c=$(policy_commit "$C" tran.thi.b tran.thi.b policy/people.json \
	'(.people[] | select(.id == "tran.thi.b") | .roles) += ["policy-admin"]')
finds "a policy change signed by a person who is not a policy-admin" P2 "$c" "$C"

# ---- P5: a policy commit deleting the admin list ----
C=$(copy noadmin)
c=$(policy_commit "$C" admin.a admin.a policy/people.json \
	'.people[].roles |= map(select(. != "policy-admin"))')
finds "a policy commit that leaves no policy-admin" P5 "$c" "$C"

# ---- P4: the signed tier changed ----
C=$(copy tier)
c=$(policy_commit "$C" admin.a admin.a policy/repository.json '.tier = "offline"')
finds "a policy commit changing repository.json" P4 "$c" "$C"

# ---- P3: a merge in the policy chain ----
C=$(copy pmerge)
head=$(git -C "$C" rev-parse refs/heads/policy)
c=$(policy_commit "$C" admin.a admin.a policy/people.json '.' "$(git -C "$C" rev-parse "$head~2")")
finds "a merge in the policy chain" P3 "$c" "$C"

# ---- P1 / P6: the root and the trust anchor ----
C=$(copy anchor)
finds "a trust anchor that is not the root" P1 "$ROOT" "$C" \
	--introduction "$(git -C "$C" rev-parse refs/docs/pub)" --introducer "$ADMIN_FPR"
C=$(copy introducer)
finds "an introducer who did not sign the introduction" P1 "$ROOT" "$C" \
	--introduction "$ROOT" --introducer "$(fpr_of tran.thi.b)"
C=$(copy intro)
git -C "$C" cat-file commit "$ROOT" | sed '/^gpgsig/,/END PGP SIGNATURE/d' |
	sed -n '/^$/,$p' | sed 1d | grep -v '^Chancery-Actor' >"$T/intro.msg"
c=$(commit "$C" admin.a "$(git -C "$C" rev-parse "$ROOT^{tree}")" "$T/intro.msg")
git -C "$C" update-ref refs/heads/policy "$c"
finds "an introduction without its Chancery-Actor trailer" P6 "$c" "$C"

# ---- D2: a policy downgrade ----
C=$(copy downgrade)
c=$(append "$C" new nguyen.van.a comment review nguyen.van.a "$P_EARLY")
finds "a step naming an older policy than the step before" D2 "$c" "$C"
message_has "the finding calls it a downgrade" "a downgrade"

# ---- D3: a skipped step ----
C=$(copy skipped)
c=$(append "$C" rev vu.van.f sign review vu.van.f "$P_EARLY")
finds "a step that skips the review" D3 "$c" "$C"

# ---- D3: a quorum met by the same person twice ----
C=$(copy quorum)
c=$(append "$C" quo le.van.c approve deputies le.van.c "$P_EARLY")
finds "a quorum met by the same person twice" D3 "$c" "$C"
message_has "the finding says who counted twice" "le.van.c has already counted"

# ---- D4: an approval whose tree differs from what was reviewed ----
C=$(copy tree)
blob=$(echo "Văn bản đã bị sửa sau khi xem xét." | git -C "$C" hash-object -w --stdin)
tree=$(tree_with "$C" "$(git -C "$C" rev-parse refs/docs/rev^{tree})" document.md "$blob")
c=$(TREE=$tree append "$C" rev tran.thi.b approve review tran.thi.b "$P_EARLY")
finds "an approval whose tree differs from what was reviewed" D4 "$c" "$C"

# ---- D5: a merge smuggling an unsigned parent ----
C=$(copy merge)
head=$(git -C "$C" rev-parse refs/docs/rev)
u=$(commit "$C" - "$(git -C "$C" rev-parse "$head^{tree}")" \
	"$(msgfile approve review tran.thi.b "$P_EARLY")" "$head")
c=$(commit "$C" tran.thi.b "$(git -C "$C" rev-parse "$head^{tree}")" \
	"$(msgfile approve review tran.thi.b "$P_EARLY")" "$head" "$u")
git -C "$C" update-ref refs/docs/rev "$c" "$head"
finds "a merge smuggling an unsigned parent" D5 "$c" "$C"
message_has "the finding names the smuggled parent" "$u"

# ---- D7: a step after publication ----
C=$(copy afterpub)
c=$(append "$C" pub nguyen.van.a comment published nguyen.van.a "$P_EARLY")
finds "a step after publication" D7 "$c" "$C"

# ---- D9: a step on behalf of someone after the delegation ended ----
C=$(copy delegation)
c=$(append "$C" rev le.van.c approve review le.van.c "$P_MID" unclassified tran.thi.b)
finds "a step for someone under a delegation that no longer stands" D9 "$c" "$C"
message_has "the finding says no delegation stands" "no delegation from tran.thi.b to le.van.c"

# ---- D6 and D8 ----
C=$(copy classification)
c=$(append "$C" rev nguyen.van.a comment review nguyen.van.a "$P_EARLY" confidential)
finds "a step whose classification trailer disagrees with meta.json" D6 "$c" "$C"
C=$(copy trailers)
head=$(git -C "$C" rev-parse refs/docs/rev)
grep -v '^Chancery-Step' "$(msgfile comment review nguyen.van.a "$P_EARLY")" >"$T/nostep.msg"
c=$(commit "$C" nguyen.van.a "$(git -C "$C" rev-parse "$head^{tree}")" "$T/nostep.msg" "$head")
git -C "$C" update-ref refs/docs/rev "$c" "$head"
finds "a step without its Chancery-Step trailer" D8 "$c" "$C"

# ---- D6: stamped material added to the networked repository with stock git ----
# (hash-object, mktree, commit-tree, signed by hand): the verifier reads what
# each commit adds, names the commit and the place, never the content.
stamped_step() { # name path blob-text [message-file] -> a signed revise (or comment) on rev
	local C=$1 head blob tree msg
	head=$(git -C "$C" rev-parse refs/docs/rev)
	if [[ $2 == attachments/* ]]; then
		blob=$(printf '%s' "$3" | git -C "$C" hash-object -w --stdin)
		tree=$(printf '100644 blob %s\t%s\n' "$blob" "${2#attachments/}" | git -C "$C" mktree)
		tree=$({ git -C "$C" ls-tree "$head^{tree}"; printf '040000 tree %s\tattachments\n' "$tree"; } |
			git -C "$C" mktree)
	elif [ -n "$2" ]; then
		blob=$(printf '%s' "$3" | git -C "$C" hash-object -w --stdin)
		tree=$(tree_with "$C" "$(git -C "$C" rev-parse "$head^{tree}")" "$2" "$blob")
	else
		tree=$(git -C "$C" rev-parse "$head^{tree}")
	fi
	msg=${4:-$(msgfile revise review nguyen.van.a "$P_EARLY")}
	c=$(commit "$C" nguyen.van.a "$tree" "$msg" "$head") &&
	git -C "$C" update-ref refs/docs/rev "$c" "$head"
}
no_content() { # DESC TEXT: the report holds none of TEXT
	if grep -q "$2" "$T/v.json"; then not_ok "$1"; else ok "$1"; fi
}
C=$(copy d6text)
stamped_step "$C" document.md "$(printf 'BỘ NGOẠI GIAO\n\nTỐI MẬT\n\nKế hoạch năm 2027.\n')"
finds "a stamped text added with stock git" D6 "$c" "$C"
message_has "  the finding names the place (the text)" "the text carries a classification marking"
no_content "  and holds nothing of the content" "TỐI MẬT"
C=$(copy d6meta)
meta=$(git -C "$C" show refs/docs/rev:meta.json | jq -c '.number = "12/BNG - TỐI MẬT"')
stamped_step "$C" meta.json "$meta"
finds "a stamped number in meta.json added with stock git" D6 "$c" "$C"
message_has "  the finding names meta.json's number" "meta.json: number"
no_content "  and holds nothing of the content" "12/BNG"
C=$(copy d6title)
meta=$(git -C "$C" show refs/docs/rev:meta.json | jq -c '.title = "Kế hoạch tối mật"')
stamped_step "$C" meta.json "$meta"
finds "a stamped title added with stock git" D6 "$c" "$C"
no_content "  the report shows neither the title nor the content" "Kế hoạch"
C=$(copy d6att)
stamped_step "$C" attachments/phu-luc.txt "$(printf 'MẬT\n\nPhụ lục.\n')"
finds "a stamped attachment added with stock git" D6 "$c" "$C"
message_has "  the finding names the attachment by its position" "attachment"
C=$(copy d6name)
stamped_step "$C" attachments/TOI-MAT.txt "Phụ lục."
finds "a stamped attachment name added with stock git" D6 "$c" "$C"
no_content "  the report does not show the name" "TOI-MAT"
for part in subject body trailer; do
	C=$(copy "d6$part")
	m="$T/d6$part.msg"
	case $part in
	subject) printf 'comment: Báo cáo TUYỆT MẬT\n\n' ;;
	body) printf 'comment: ghi chú\n\nTUYỆT MẬT\n\n' ;;
	trailer) printf 'comment: ghi chú\n\n' ;;
	esac >"$m"
	printf 'Chancery-Action: comment\nChancery-Step: review\nChancery-Actor: nguyen.van.a\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
		"$P_EARLY" >>"$m"
	[ "$part" = trailer ] && printf 'Reviewed-by: bản tuyệt mật số 2\n' >>"$m"
	stamped_step "$C" "" "" "$m"
	finds "a comment step whose $part carries a stamp, made with stock git" D6 "$c" "$C"
	no_content "  the report holds nothing of the message" "TUYỆT MẬT\\|tuyệt mật"
done

# ---- D1: a step by a revoked person ----
C=$(copy revoked)
c=$(append "$C" new bui.van.h approve review bui.van.h "$P_LAST")
finds "a step by a person revoked in the policy it names" D1 "$c" "$C"
message_has "the finding says the person is revoked" "revoked in the policy the step names"

# ---- D1: a step by a key revoked with an OpenPGP revocation ----
C=$(copy pgprevoked)
# the rules without a site log (test_sitelog_verify.sh: D1 at a log position)
git -C "$C" update-ref -d refs/chancery/log
RH="$T/rev-gnupg"
mkdir -m 700 "$RH"
PD_FPR=$(fpr_of pham.thi.d)
git -C "$C" show refs/heads/policy:policy/keys/pham.thi.d.asc |
	GNUPGHOME="$RH" gpg --batch --quiet --import 2>/dev/null
sed 's/^:-----/-----/' "$S/gnupg/openpgp-revocs.d/$PD_FPR.rev" |
	GNUPGHOME="$RH" gpg --batch --quiet --import 2>/dev/null
GNUPGHOME="$RH" gpg --batch --armor --export "$PD_FPR" >"$T/revoked.asc"
head=$(git -C "$C" rev-parse refs/heads/policy)
blob=$(git -C "$C" hash-object -w "$T/revoked.asc")
tree=$(tree_with "$C" "$(git -C "$C" rev-parse "$head^{tree}")" policy/keys/pham.thi.d.asc "$blob")
printf 'policy: revoke key of pham.thi.d\n\nChancery-Action: policy\nChancery-Actor: admin.a\n' >"$T/rk.msg"
p=$(commit "$C" admin.a "$tree" "$T/rk.msg" "$head")
git -C "$C" update-ref refs/heads/policy "$p" "$head"
expect 0 "an OpenPGP key revocation in the policy is itself valid" "$CH" verify "$C"
check "earlier steps by the revoked key are warnings" \
	grep -q 'warning -- refs/docs/pub commit .*no longer holds this key' "$T/out"
c=$(append "$C" quo pham.thi.d approve deputies pham.thi.d "$p")
finds "a step signed by a key revoked in the policy it names" D1 "$c" "$C"
message_has "the finding says the key is revoked" "is revoked"

# ---- C1 and revocation with a checkpoint ----
C=$(copy checkpoint)
git -C "$C" update-ref -d refs/chancery/log # the rules without a site log, as above
CP="$T/checkpoint.json"
expect 0 "a clean run writes the checkpoint" "$CH" verify "$C" --checkpoint "$CP"
check "the report says so" grep -q 'checkpoint written' "$T/out"
check "the checkpoint records the policy and all 6 documents" \
	jq -e '.version == 1 and (.refs | length) == 7' "$CP"
cp "$CP" "$T/checkpoint.orig"
c=$(append "$C" rev bui.van.h approve review bui.van.h "$P_EARLY")
expect 0 "without a checkpoint, a backdated step by a revoked person is a warning" \
	"$CH" verify "$C"
check "the warning names the step" grep -q "warning -- refs/docs/rev commit $c.*revoked" "$T/out"
finds "with the checkpoint, a step by a revoked person new since it" D1 "$c" "$C" \
	--checkpoint "$CP"
message_has "the finding says the step is new since the checkpoint" "new since the checkpoint"
check "a run with findings leaves the checkpoint as it was" cmp -s "$CP" "$T/checkpoint.orig"
git -C "$C" update-ref refs/docs/rev "$c~1" "$c"
expect 0 "the ref restored: clean again with the checkpoint" "$CH" verify "$C" --checkpoint "$CP"
pub=$(git -C "$C" rev-parse refs/docs/pub)
git -C "$C" update-ref refs/docs/pub "$pub~1" "$pub"
finds "a ref rewound after the checkpoint" C1 "$(git -C "$C" rev-parse "$pub~1")" "$C" \
	--checkpoint "$CP"
if jq -e '.findings | any(.rule == "C1" and .ref == "refs/docs/pub")' "$T/v.json" >/dev/null; then
	ok "the rewound ref is named"; else not_ok "the rewound ref is named"; fi
C=$(copy vanished)
"$CH" verify "$C" --checkpoint "$T/cp2.json" >/dev/null
git -C "$C" update-ref -d refs/docs/del
finds "a document that vanished after the checkpoint" C1 \
	"$(jq -r '.refs["refs/docs/del"]' "$T/cp2.json")" "$C" --checkpoint "$T/cp2.json"
message_has "the finding says the document vanished" "the document vanished"
C=$(copy scoped)
"$CH" verify "$C" --doc rev --doc quo --checkpoint "$T/cp3.json" >/dev/null
check "a checkpoint made with --doc records only the refs verified" \
	jq -e '.refs | keys == ["refs/chancery/log", "refs/docs/quo", "refs/docs/rev", "refs/heads/policy"]' "$T/cp3.json"
c=$(append "$C" pub nguyen.van.a comment published nguyen.van.a "$P_EARLY")
expect 0 "--doc verifies only the documents named" "$CH" verify "$C" --doc rev
expect 1 "and finds what is wrong in them" "$CH" verify "$C" --doc pub
expect 2 "an invalid --doc id is a usage error" "$CH" verify "$C" --doc ../x
expect 2 "--introduction without --introducer is a usage error" "$CH" verify "$C" \
	--introduction "$ROOT"

# ---- the HTML report ----
C=$(copy html)
c=$(append "$C" rev le.van.c approve review tran.thi.b "$P_EARLY")
H="$T/report.html"
expect 1 "--html with findings exits 1" "$CH" verify "$C" --html "$H"
check "the HTML report is written" test -s "$H"
check "it names the finding's commit" grep -q "$c" "$H"
check "it names the rule" grep -q '<td class="rule">D1</td>' "$H"
check "it holds no script" sh -c "! grep -qi '<script' '$H'"
check "the document title with a <script> is escaped" \
	grep -qF 'Tờ trình &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;' "$H"
check "it loads nothing from outside" sh -c "! grep -qiE '(src|href)=' '$H'"
check "a Content-Security-Policy forbids scripts" grep -q "default-src 'none'" "$H"
expect 0 "--html on the clean repository" "$CH" verify "$R" --html "$T/clean.html"
check "the clean report says every rule holds" grep -q 'Every rule holds' "$T/clean.html"

# ---- the cache: used, and never trusted beyond what it wrote ----
K="$T/vcache"
expect 0 "a first run with --cache" "$CH" verify "$R" --cache "$K"
stored=$(sed -n 's/^cache: 0 signatures taken from it, \([0-9]*\) added$/\1/p' "$T/out")
ncommits=$(jq '.policy_commits + .document_commits' "$T/clean.json")
check "it stores every signature it verified ($stored of $ncommits)" test "${stored:-0}" -eq "$ncommits"
check "the cache directory is 0700, its files 0600" sh -c \
	"[ \$(stat -c %a '$K') = 700 ] && [ \$(stat -c %a '$K/key') = 600 ] && [ \$(stat -c %a '$K/signatures.v1') = 600 ]"
expect 0 "a second run with the cache" "$CH" verify "$R" --cache "$K"
check "it takes every signature from the cache" grep -q "^cache: $stored signatures taken from it, 0 added" "$T/out"
# Forge a record: the good submit signature's record, pointed at the commit
# whose bytes were altered. Its MAC no longer matches: it must not count.
perl -e '
	my ($file, $from, $to) = @ARGV;
	open(my $f, "+<:raw", $file) or die; local $/; my $d = <$f>;
	my ($a, $b) = (pack("H*", $from), pack("H*", $to)); my $n = 0;
	for (my $o = 16; $o + 216 <= length($d); $o += 216) {
		if (substr($d, $o, 20) eq $a) { substr($d, $o, 20) = $b; $n++; }
	}
	seek($f, 0, 0); print $f $d; close($f); exit($n ? 0 : 1);' \
	"$K/signatures.v1" "$(git -C "$R" rev-parse refs/docs/rev)" "$BADSIG"
check "a cache record can be rewritten to name the altered commit" test $? -eq 0
finds "a forged cache record does not hide a bad signature" D1 "$BADSIG" "$BADSIG_REPO" --cache "$K"
chmod 755 "$K"
expect 0 "a cache directory open to others is not used" "$CH" verify "$R" --cache "$K"
err_has "the cache is not used" "and the user is told why"
check "and nothing was taken from it" sh -c "! grep -q '^cache:' '$T/out'"
chmod 700 "$K"
chmod 644 "$K/signatures.v1"
expect 0 "a cache file with the wrong mode is ignored" "$CH" verify "$R" --cache "$K"
err_has "its records are ignored" "and the user is told why"
check "it was replaced by one of mode 0600" test "$(stat -c %a "$K/signatures.v1")" = 600

# ---- stable output whatever the number of threads ----
C="$T/c/other.git"
CHANCERY_THREADS=1 "$CH" verify "$C" --json >"$T/t1.json"
CHANCERY_THREADS=4 "$CH" verify "$C" --json >"$T/t4.json"
check "the same report with 1 and 4 threads" cmp -s "$T/t1.json" "$T/t4.json"
ncase=$(find "$T/c" -maxdepth 1 -name '*.git' | wc -l)
check "$ncase tampered repositories, each found" test "$ncase" -ge 14

finish
