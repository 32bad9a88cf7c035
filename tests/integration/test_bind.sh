#!/usr/bin/env bash
# test_bind.sh -- chains bound to their documents (D11, D12, D13) and scoped
# roles (D3), against the verifier.
#
# A clean site is made with the command line: a decree published, one
# withdrawn after it was signed, a draft of another unit, a version-1 chain
# (made with the test build's CHANCERY_TEST_META_V1 switch, as older sites
# wrote them). Then each attack is made on a COPY of its repository with
# nothing but stock git and gpg (hash-object, mktree, commit-tree with the
# person's own key, update-ref), and `chancery verify` must exit 1 with a
# finding that names the rule and the commit (and, for D13, both refs).
. "$(dirname "$0")/lib.sh"

S="$T/hq"
R="$S/repo.git"
DOCFILE="$CORPUS/chinh-phu-tin-292.txt"
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")

"$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị A" --unit hq/admin \
	--passphrase-file "$(pass admin.a)" >/dev/null || { not_ok "init"; finish; }
add() { # id roles unit [scope]
	"$CH" person add "$S" "$1" --name "Person $1" --roles "$2" --unit "$3" ${4:+--scope "$4"} \
		"${ADM[@]}" --new-passphrase-file "$(pass "$1")" >/dev/null
}
act() { # doc actor action [extra...]
	local doc=$1 who=$2 action=$3; shift 3
	"$CH" doc act "$S" "$doc" --as "$who" --action "$action" \
		--passphrase-file "$(pass "$who")" "$@" >/dev/null
}
create() { # id [creator] [type]
	"$CH" doc create "$S" --id "$1" --as "${2:-nguyen.van.a}" --title "Công văn $1" \
		--type "${3:-cong-van}" --file "$DOCFILE" --passphrase-file "$(pass "${2:-nguyen.van.a}")" >/dev/null
}
policy_head() { git -C "$R" rev-parse refs/heads/policy; }
setup() {
	add nguyen.van.a drafter hq/legal && add tran.thi.b head hq/legal &&
	add le.van.c deputy hq/leaders hq && add pham.thi.d deputy hq/leaders hq &&
	add vu.van.f minister hq/leaders hq && add do.thi.g clerk hq/office hq &&
	add bui.van.h head hq/consular && add kieu.c drafter hq/consular || return 1
	P=$(policy_head)
	create pub && act pub nguyen.van.a submit && act pub tran.thi.b approve &&
	act pub le.van.c approve && act pub pham.thi.d approve && act pub vu.van.f sign &&
	act pub do.thi.g publish || return 1
	# signed by the minister, then withdrawn by its creator before publication
	create wd && act wd nguyen.van.a submit && act wd tran.thi.b approve &&
	act wd le.van.c approve && act wd pham.thi.d approve && act wd vu.van.f sign &&
	act wd nguyen.van.a withdraw || return 1
	create rev && act rev nguyen.van.a submit || return 1            # in review
	create edit || return 1                                           # a draft of hq/legal
	create cons kieu.c && act cons kieu.c submit || return 1          # hq/consular, in review
	CHANCERY_TEST_META_V1=1 create old && act old nguyen.van.a submit || return 1
}
if setup; then ok "a clean site made with the command line"; else not_ok "setup"; finish; fi
expect 0 "the clean repository verifies clean" "$CH" verify "$R"
check "  version 1 and version 2 chains side by side" test "$(git -C "$R" show refs/docs/old:meta.json |
	jq .version)$(git -C "$R" show refs/docs/pub:meta.json | jq .version)" = 12
check "  a version-1 meta.json holds no id, site or unit" \
	jq -e 'has("id") or has("site") or has("unit") | not' <(git -C "$R" show refs/docs/old:meta.json)

# ---- stock git tools (as in test_verify_tamper.sh) ----
cat >"$T/gpg-loopback" <<EOS
#!/bin/sh
exec gpg --batch --pinentry-mode loopback --passphrase-file "$T/pass/\$CH_SIGNER" "\$@"
EOS
chmod +x "$T/gpg-loopback"
copy() { mkdir -p "$T/c"; cp -a "$R" "$T/c/$1.git"; echo "$T/c/$1.git"; }
fpr_of() { git -C "$R" show refs/heads/policy:policy/people.json |
	jq -r --arg id "$1" '.people[] | select(.id == $id) | .fingerprint'; }
msgfile() { # action step actor policy
	local f
	f=$(mktemp "$T/msg.XXXXXX")
	printf '%s: tampered\n\nChancery-Action: %s\nChancery-Step: %s\nChancery-Actor: %s\n' \
		"$1" "$1" "$2" "$3" >"$f"
	printf 'Chancery-Policy: %s\nChancery-Classification: unclassified\n' "$4" >>"$f"
	echo "$f"
}
commit() { # repo signer tree msgfile parent...
	local repo=$1 who=$2 tree=$3 msg=$4 p parents=()
	shift 4
	for p in "$@"; do parents+=(-p "$p"); done
	CH_SIGNER=$who GNUPGHOME="$S/gnupg" git -C "$repo" -c gpg.program="$T/gpg-loopback" \
		commit-tree "$tree" "${parents[@]}" -S"$(fpr_of "$who")" -F "$msg"
}
finds() { # DESC RULE COMMIT REPO: exit 1 and a RULE finding on COMMIT
	local desc=$1 rule=$2 commit=$3 repo=$4 rc
	"$CH" verify "$repo" --json >"$T/v.json" 2>"$T/v.err"; rc=$?
	if [ "$rc" -ne 1 ]; then not_ok "$desc (exit $rc, wanted 1)"; return; fi
	if jq -e --arg r "$rule" --arg c "$commit" '.findings | any(.rule == $r and .commit == $c)' \
		"$T/v.json" >/dev/null; then ok "$desc: $rule on ${commit:0:12}"
	else
		not_ok "$desc: no $rule finding on $commit"
		jq -r '.findings[] | "#   \(.rule) \(.ref) \(.commit[0:12]) \(.message)"' "$T/v.json" | head -5
	fi
}
finding_has() { # DESC RULE REF TEXT: a RULE finding on REF whose message holds TEXT
	if jq -e --arg r "$2" --arg f "$3" --arg t "$4" \
		'.findings | any(.rule == $r and .ref == $f and (.message | contains($t)))' "$T/v.json" >/dev/null
	then ok "$1"; else not_ok "$1 (no $2 finding on $3 with '$4')"; fi
}

# ---- D13: an existing document's chain under a new id ----
C=$(copy dup)
git -C "$C" update-ref refs/docs/pub-copy "$(git -C "$C" rev-parse refs/docs/pub)"
ROOT=$(git -C "$C" rev-list --max-parents=0 refs/docs/pub)
finds "a published chain replayed under a new document id" D13 "$(git -C "$C" rev-parse refs/docs/pub)" "$C"
finding_has "  the finding on the new ref names the original" D13 refs/docs/pub-copy refs/docs/pub
finding_has "  and the one on the original names the copy" D13 refs/docs/pub refs/docs/pub-copy
finds "  D11 too: its meta.json names another document" D11 "$ROOT" "$C"
check "  git verify-commit still passes on every commit (the signatures are real)" \
	bash -c "for c in \$(git -C '$C' rev-list refs/docs/pub-copy); do GNUPGHOME='$S/gnupg' git -C '$C' verify-commit \$c 2>/dev/null || exit 1; done"
expect 1 "  chancery verify --doc pub-copy finds it against the refs it was not asked about" \
	"$CH" verify "$C" --doc pub-copy
grep -q 'D13' "$T/out" && ok "  (a D13 finding)" || not_ok "  (a D13 finding)"

# ---- the withdrawn decree: its signed commit, published under a new id ----
C=$(copy withdrawn)
signed=$(git -C "$C" rev-parse refs/docs/wd~1)
check "  the decree's commit before its withdrawal is the minister's signature" \
	test "$(git -C "$C" log -1 --format='%(trailers:key=Chancery-Action,valueonly)' "$signed")" = sign
pubc=$(commit "$C" do.thi.g "$(git -C "$C" rev-parse "$signed^{tree}")" \
	"$(msgfile publish signed do.thi.g "$(policy_head)")" "$signed")
git -C "$C" update-ref refs/docs/wd-published "$pubc"
finds "a withdrawn decree's signed commit published under a new id" D13 "$signed" "$C"
finding_has "  naming both refs" D13 refs/docs/wd-published refs/docs/wd
finds "  and D11: meta.json binds it to the withdrawn document" D11 \
	"$(git -C "$C" rev-list --max-parents=0 refs/docs/wd)" "$C"
C=$(copy withdrawn-v1)
# the same made on a version-1 chain, which has no id to bind it: D13 alone finds it
c=$(commit "$C" tran.thi.b "$(git -C "$C" rev-parse refs/docs/old^{tree})" \
	"$(msgfile approve review tran.thi.b "$(policy_head)")" "$(git -C "$C" rev-parse refs/docs/old)")
git -C "$C" update-ref refs/docs/old-again "$c"
finds "a version-1 chain extended under a new id" D13 "$(git -C "$C" rev-parse refs/docs/old)" "$C"

# ---- D12: a revise that rewrites meta.json (recipients, then the workflow) ----
meta_revise() { # repo doc jq-filter -> the revise commit, the ref moved to it
	local repo=$1 doc=$2 head blob tree c
	head=$(git -C "$repo" rev-parse "refs/docs/$doc")
	blob=$(git -C "$repo" show "$head:meta.json" | jq "$3" | git -C "$repo" hash-object -w --stdin)
	tree=$({ git -C "$repo" ls-tree "$head" | awk -F'\t' '$2 != "meta.json"'
		printf '100644 blob %s\tmeta.json\n' "$blob"; } | git -C "$repo" mktree)
	c=$(commit "$repo" nguyen.van.a "$tree" "$(msgfile revise draft nguyen.van.a "$(policy_head)")" "$head")
	git -C "$repo" update-ref "refs/docs/$doc" "$c" "$head" && echo "$c"
}
C=$(copy recipients)
c=$(meta_revise "$C" edit '.recipients += ["mission-x"]')
"$CH" verify "$C" --json >"$T/v.json"
check "a revise adding recipients is no D12 finding (recipients are not fixed)" \
	jq -e '[.findings[] | select(.rule == "D12")] | length == 0' "$T/v.json"
C=$(copy swap)
c=$(meta_revise "$C" edit '.workflow = "bao-cao"')
finds "a revise that swaps the workflow for a lighter one" D12 "$c" "$C"
finding_has "  the finding names the field and both values" D12 refs/docs/edit \
	"changes meta.json's workflow from 'cong-van' to 'bao-cao'"
C=$(copy unit)
c=$(meta_revise "$C" edit '.unit = "hq/consular"')
finds "a revise that moves the document to another unit" D12 "$c" "$C"
C=$(copy class)
c=$(meta_revise "$C" edit '.type = "quyet-dinh"')
finds "a revise that changes the type" D12 "$c" "$C"
C=$(copy rebind)
c=$(meta_revise "$C" edit '.id = "other"')
finds "a revise that rebinds the chain to another id" D11 "$c" "$C"
C=$(copy downgrade)
c=$(meta_revise "$C" edit 'del(.id, .site, .unit) | .version = 1')
finds "a revise that drops the binding (back to version 1)" D12 "$c" "$C"
C=$(copy site)
c=$(meta_revise "$C" edit '.site = "nowhere"')
finds "a revise naming a site the policy does not know" D11 "$c" "$C"

# ---- D3: scoped roles ----
C=$(copy scope)
head=$(git -C "$C" rev-parse refs/docs/rev)
c=$(commit "$C" bui.van.h "$(git -C "$C" rev-parse "$head^{tree}")" \
	"$(msgfile approve review bui.van.h "$(policy_head)")" "$head")
git -C "$C" update-ref refs/docs/rev "$c" "$head"
finds "a head of hq/consular approving a document of hq/legal" D3 "$c" "$C"
finding_has "  the finding names the scope and the unit" D3 refs/docs/rev \
	"bui.van.h may act on documents of hq/consular and below; this document belongs to hq/legal"
C=$(copy scope-own)
head=$(git -C "$C" rev-parse refs/docs/cons)
c=$(commit "$C" bui.van.h "$(git -C "$C" rev-parse "$head^{tree}")" \
	"$(msgfile approve review bui.van.h "$(policy_head)")" "$head")
git -C "$C" update-ref refs/docs/cons "$c" "$head" && log_by_hand "$S" "$C" refs/docs/cons
"$CH" verify "$C" >/dev/null 2>&1
check "the same head approving a document of his own unit is clean" test $? -eq 0
C=$(copy scope-v1)
head=$(git -C "$C" rev-parse refs/docs/old)
c=$(commit "$C" bui.van.h "$(git -C "$C" rev-parse "$head^{tree}")" \
	"$(msgfile approve review bui.van.h "$(policy_head)")" "$head")
git -C "$C" update-ref refs/docs/old "$c" "$head" && log_by_hand "$S" "$C" refs/docs/old
"$CH" verify "$C" >/dev/null 2>&1
check "a version-1 chain (no unit) is not scoped: the same approval is clean there" test $? -eq 0

# ---- the doors ----
before=$(repo_state "$S")
expect 1 "the command line refuses the head of hq/consular on hq/legal's document" \
	act rev bui.van.h approve
err_has "bui.van.h may act on documents of hq/consular and below; this document belongs to hq/legal" \
	"  with the scope in the message"
check "  nothing moved" test "$before" = "$(repo_state "$S")"
expect 0 "the verifier is still clean on the site" "$CH" verify "$R"

finish
