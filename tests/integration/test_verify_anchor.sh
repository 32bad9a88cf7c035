#!/usr/bin/env bash
# test_verify_anchor.sh -- the verifier's trust-anchor line says what was
# checked and what was found, in the text header, the JSON and the HTML
# report: an anchor that does not match the repository is never reported
# as matching (it once was, with "anchored": true above its own P1 finding).
. "$(dirname "$0")/lib.sh"

S="$T/hq"
R="$S/repo.git"
"$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị A" \
	--passphrase-file "$(pass admin.a)" >/dev/null || { not_ok "init"; finish; }
"$CH" person add "$S" nguyen.van.a --name "Nguyễn Văn A" --roles drafter --unit hq/legal \
	--as admin.a --passphrase-file "$(pass admin.a)" \
	--new-passphrase-file "$(pass nguyen.van.a)" >/dev/null || { not_ok "person add"; finish; }
ROOT=$(git -C "$R" rev-list --max-parents=0 refs/heads/policy)
FPR=$(git -C "$R" show refs/heads/policy:policy/people.json |
	jq -r '.people[] | select(.id == "admin.a") | .fingerprint')
OTHER=$(git -C "$R" show refs/heads/policy:policy/people.json |
	jq -r '.people[] | select(.id == "nguyen.van.a") | .fingerprint')
HEAD=$(git -C "$R" rev-parse refs/heads/policy)

# ---- no anchor ----
expect 0 "without an anchor: clean" "$CH" verify "$R"
check "  the header says it trusts the root as found, and who signed it" \
	grep -q "^introduction $ROOT, signed by $FPR (trusted as found: no trust anchor was given)" "$T/out"
"$CH" verify "$R" --json >"$T/none.json"
check "  JSON: not anchored, no anchor given" \
	jq -e '.anchored == false and .anchor.given == false' "$T/none.json"

# ---- the right anchor ----
expect 0 "with the right anchor: clean" "$CH" verify "$R" --introduction "$ROOT" --introducer "$FPR"
check "  the header says it matches, and by whom it is signed" \
	grep -q "^introduction $ROOT, signed by $FPR: matches the trust anchor given" "$T/out"
"$CH" verify "$R" --json --introduction "$ROOT" --introducer "$FPR" >"$T/right.json"
check "  JSON: anchored, the anchor given and matching" jq -e --arg r "$ROOT" --arg f "$FPR" \
	'.anchored and .anchor.given and .anchor.matches and .anchor.root_matches and
	 .anchor.introduction == $r and .anchor.introducer == $f and .anchor.signer == $f' \
	"$T/right.json"

# ---- an introducer who did not sign the introduction ----
expect 1 "with the wrong introducer: a finding" "$CH" verify "$R" --introduction "$ROOT" \
	--introducer "$OTHER"
check "  the header says it does NOT match, and who signed" grep -q \
	"^introduction $ROOT DOES NOT match the trust anchor given (introduction $ROOT, introducer $OTHER): it is signed by $FPR" \
	"$T/out"
check "  never that it matches" sh -c "! grep -q 'matches the trust anchor' '$T/out'"
check "  the P1 finding is listed" grep -q "^FINDING P1 refs/heads/policy commit $ROOT" "$T/out"
"$CH" verify "$R" --json --introduction "$ROOT" --introducer "$OTHER" >"$T/wrong.json"
check "  JSON: not anchored; the anchor given, not matching; the real signer" \
	jq -e --arg o "$OTHER" --arg f "$FPR" \
	'.anchored == false and .anchor.given and .anchor.matches == false and
	 .anchor.root_matches and .anchor.introducer == $o and .anchor.signer == $f and
	 ([.findings[] | select(.rule == "P1")] | length) == 1' "$T/wrong.json"
"$CH" verify "$R" --html "$T/wrong.html" --introduction "$ROOT" --introducer "$OTHER" >/dev/null
check "  HTML: NOT ANCHORED, does not match" sh -c \
	"grep -q 'Introduction (NOT ANCHORED)' '$T/wrong.html' && grep -q 'DOES NOT match the trust anchor given' '$T/wrong.html'"
check "  HTML: never that it matches" sh -c "! grep -q 'matches the trust anchor' '$T/wrong.html'"

# ---- an introduction that is not the root ----
expect 1 "with another commit as introduction: a finding" "$CH" verify "$R" --introduction "$HEAD" \
	--introducer "$FPR"
check "  the header says the root is another commit" grep -q \
	"^introduction $ROOT DOES NOT match the trust anchor given (introduction $HEAD, introducer $FPR): the root of the policy chain is another commit" \
	"$T/out"
"$CH" verify "$R" --json --introduction "$HEAD" --introducer "$FPR" >"$T/root.json"
check "  JSON: not anchored, the root does not match" \
	jq -e '.anchored == false and .anchor.matches == false and .anchor.root_matches == false' \
	"$T/root.json"
finish
