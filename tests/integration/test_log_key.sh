#!/usr/bin/env bash
# test_log_key.sh -- the policy names a site's log key (`chancery site set
# SITE ID --log-key FPR`, sites.json `log_key`): rule R3 then holds every
# copy of that site's log to it, whatever key its first entry pinned. Made
# here on headquarters' own log: the fingerprint read with stock git and gpg
# from refs/chancery/log:site.asc, given as gpg prints it; a wrong one is an
# R3 finding naming both keys; a malformed one is refused and nothing moves.
. "$(dirname "$0")/lib.sh"

H="$T/hq"
R="$H/repo.git"
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
"$CH" init "$H" --site-id hq --admin admin.a --name "Quản Trị A" \
	--passphrase-file "$(pass admin.a)" >/dev/null || { not_ok "init"; finish; }
"$CH" person add "$H" nguyen.van.a --name "Nguyễn Văn A" --roles drafter --unit hq/legal \
	"${ADM[@]}" --new-passphrase-file "$(pass nguyen.van.a)" >/dev/null || not_ok "person add"
"$CH" doc create "$H" --as nguyen.van.a --title "Công văn thử" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)" >/dev/null ||
	not_ok "a document"
sites() { git -C "$R" show refs/heads/policy:policy/sites.json; }
export GNUPGHOME="$T/auditor-gnupg"
mkdir -m 700 "$GNUPGHOME"
fpr=$(git -C "$R" show refs/chancery/log:site.asc | gpg --show-keys --with-colons 2>/dev/null |
	awk -F: '/^fpr/ {print $10; exit}')
check "stock git and gpg read the log key's fingerprint from site.asc ($fpr)" test "${#fpr}" -eq 40
# as gpg prints it for people: groups of four, lower case here
spaced=$(echo "$fpr" | tr 'A-F' 'a-f' | sed 's/..../& /g')
units_before=$(sites | jq -c '.sites[] | select(.id == "hq") | .units')

expect 0 "site set hq --log-key (spaced, lower case)" "$CH" site set "$H" hq --log-key "$spaced" "${ADM[@]}"
check "  sites.json names it, upper case and whole" \
	test "$(sites | jq -r '.sites[] | select(.id == "hq") | .log_key')" = "$fpr"
check "  and keeps hq's units ($units_before)" \
	test "$(sites | jq -c '.sites[] | select(.id == "hq") | .units')" = "$units_before"
expect 0 "the site verifies: its log is signed by the key the policy names" "$CH" verify "$H"
check "  no R3 finding" bash -c "! grep -q R3 '$T/out'"

before=$(repo_state "$H")
expect 1 "a log key that is not a fingerprint is refused" \
	"$CH" site set "$H" hq --log-key "ABCD" "${ADM[@]}"
err_has "40 hex digits" "  saying what it wants"
check "  and nothing moved" test "$(repo_state "$H")" = "$before"
expect 1 "  and so is one too long" \
	"$CH" site set "$H" hq --log-key "${fpr}00" "${ADM[@]}"

# the admin's own key: a real key, not the log's
other=$(git -C "$R" show refs/heads/policy:policy/people.json |
	jq -r '.people[] | select(.id == "admin.a") | .fingerprint')
expect 0 "the policy made to name another key as hq's log key" \
	"$CH" site set "$H" hq --log-key "$other" "${ADM[@]}"
expect 1 "the verifier finds the log signed by a key the policy does not name" "$CH" verify "$H"
check "  rule R3" grep -q "R3" "$T/out"
check "  naming both keys" bash -c "grep -q '$fpr' '$T/out' && grep -q '$other' '$T/out'"
expect 0 "named back" "$CH" site set "$H" hq --log-key "$fpr" "${ADM[@]}"
expect 0 "the site verifies again" "$CH" verify "$H"
finish
