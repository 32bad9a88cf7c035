#!/usr/bin/env bash
# test_posting.sh -- an official posted abroad (`chancery person set SITE ID
# --unit mission-a`): the documents they drafted at headquarters stay with
# the unit bound in their meta.json. What a mission is sent (a bundle or a
# fetch: workflows/sync/peerview.c) follows the document's unit, not where
# its creator works today: before, every internal draft of an official
# posted to an embassy went to that embassy at its next sync. Their old
# steps still verify; what they create after the move belongs to their new
# unit and goes to the mission.
. "$(dirname "$0")/lib.sh"

H="$T/hq"
R="$H/repo.git"
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
"$CH" init "$H" --site-id hq --admin admin.a --name "Quản Trị A" \
	--passphrase-file "$(pass admin.a)" >/dev/null || { not_ok "init"; finish; }
"$CH" site set "$H" mission-a --units mission-a "${ADM[@]}" >/dev/null || not_ok "site set mission-a"
add() { # id roles unit
	"$CH" person add "$H" "$1" --name "Cán bộ $1" --roles "$2" --unit "$3" "${ADM[@]}" \
		--new-passphrase-file "$(pass "$1")" >/dev/null || not_ok "person add $1"
}
add nguyen.van.a drafter hq/legal
add tran.thi.b head hq/legal
add lan.thi.m drafter mission-a
mk() { # title
	"$CH" doc create "$H" --as nguyen.van.a --title "$1" --type cong-van \
		--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)"
}
# bundle N: a bundle for mission-a, signed at HQ, decrypted with stock gpg
# and lan.thi.m's key into $T/N.plain
bundle() {
	"$CH" bundle create "$H" --for mission-a --as tran.thi.b \
		--passphrase-file "$(pass tran.thi.b)" -o "$T/$1.bundle" >"$T/$1.out" 2>&1 || return 1
	GNUPGHOME="$H/gnupg" gpg --batch --quiet --pinentry-mode loopback \
		--passphrase-file "$(pass lan.thi.m)" -d "$T/$1.bundle" >"$T/$1.plain" 2>/dev/null
}

DN=$(mk "Dự thảo nội bộ vụ pháp chế") || not_ok "an internal draft of hq/legal"
check "the draft is bound to hq/legal" \
	test "$(git -C "$R" show "refs/docs/$DN:meta.json" | jq -r .unit)" = hq/legal
check "control: a bundle for mission-a before the posting" bundle 1
check "  holds the policy and HQ's log, not the internal draft" \
	bash -c "grep -q ': 2 refs' '$T/1.out' && grep -aq 'refs/heads/policy' '$T/1.plain' && ! grep -aq '$DN' '$T/1.plain'"

expect 0 "nguyen.van.a is posted to mission-a (person set --unit)" \
	"$CH" person set "$H" nguyen.van.a --unit mission-a "${ADM[@]}"
check "  the policy says so" test "$(git -C "$R" show refs/heads/policy:policy/people.json |
	jq -r '.people[] | select(.id == "nguyen.van.a") | .unit')" = mission-a
expect 1 "a unit that is not one is refused" \
	"$CH" person set "$H" nguyen.van.a --unit "../etc" "${ADM[@]}"
err_has "not a valid unit" "  saying so"
expect 1 "only a policy-admin moves a person" \
	"$CH" person set "$H" nguyen.van.a --unit hq/legal --as tran.thi.b \
	--passphrase-file "$(pass tran.thi.b)"
check "a bundle for mission-a after the posting" bundle 2
check "  still holds not the draft made at HQ before it (its unit stays hq/legal)" \
	bash -c "grep -q ': 2 refs' '$T/2.out' && ! grep -aq '$DN' '$T/2.plain'"

DM=$(mk "Báo cáo công tác tại phái đoàn") || not_ok "a document drafted after the posting"
check "what they create now is bound to mission-a" \
	test "$(git -C "$R" show "refs/docs/$DM:meta.json" | jq -r .unit)" = mission-a
check "a bundle for mission-a" bundle 3
check "  holds it, and still not the old draft" \
	bash -c "grep -q ': 3 refs' '$T/3.out' && grep -aq '$DM' '$T/3.plain' && ! grep -aq '$DN' '$T/3.plain'"
expect 0 "every step verifies: the old ones under the policy they name" "$CH" verify "$H"
finish
