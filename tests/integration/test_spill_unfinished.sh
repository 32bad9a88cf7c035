#!/usr/bin/env bash
# test_spill_unfinished.sh -- red team: a spill recorded whose purge did not
# finish (a .keep pack refuses it: "run the spill again") leaves the
# document's ref in place; the server showed the spilled text to anyone who
# could read it (the tombstone went only to those on the readers list, which
# the purge writes). Until the purge, they must get the tombstone; anyone
# else the answer they had before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

TITLE_CANARY="SPILLTITLE$RANDOM$RANDOM"
TEXT_CANARY="SPILLTEXT$RANDOM$RANDOM"
make_site nv.a:drafter tt.b:head pd.c:deputy vt.d:clerk an.ninh:security-officer ||
	{ not_ok site; finish; }
R="$S/repo.git"
as() { local who=$1; shift; "$@" --as "$who" --passphrase-file "$(pass "$who")"; }
printf 'BỘ NGOẠI GIAO\n\nBáo cáo về hợp tác %s.\n' "$TEXT_CANARY" >"$T/x1.md"
X=$(as nv.a "$CH" doc create "$S" --title "Báo cáo $TITLE_CANARY" --type bao-cao \
	--file "$T/x1.md") || not_ok "create the document to spill"
OTHER_CANARY="OTHERTEXT$RANDOM$RANDOM"
printf 'Thông báo %s.\n' "$OTHER_CANARY" >"$T/y.md"
Y=$(as nv.a "$CH" doc create "$S" --title "Lịch làm việc" --type bao-cao --file "$T/y.md") ||
	not_ok "create another document"

# the purge refused after the record: a pack git must keep
touch "$R/objects/pack/pack-hold.keep"
expect 1 "the spill is recorded but its purge refused (a .keep pack)" \
	as an.ninh "$CH" spill "$S" "$X" --reason "Phát hiện thông tin mật"
check "  the spill list names it" bash -c \
	"set -o pipefail; git -C '$R' show refs/chancery/spills:spills.json | jq -e '.spills[0].doc == \"$X\"'"
check "  its ref is still there (the purge did not run)" \
	git -C "$R" rev-parse -q --verify "refs/docs/$X"

# (the signing commands run while no server runs: the server's signer
# stops a gpg-agent it finds for the site's home)
check "server starts" start_server
login nv.a >/dev/null
get() { curl_s -b "$T/jar.${3:-nv.a}" -o "$T/resp.$1" -w '%{http_code}' "$URL$2"; }
code=$(get other "/docs/$Y")
check "another document of its drafter is served (control: $code)" \
	bash -c "[ '$code' = 200 ] && grep -q '$OTHER_CANARY' '$T/resp.other'"
for route in "/docs/$X" "/docs/$X/diff"; do
	code=$(get page "$route")
	check "GET $route by its drafter while the purge is pending: tombstone ($code)" \
		test "$code" = 410
	check "  without its title or text" \
		bash -c "! grep -qE '$TITLE_CANARY|$TEXT_CANARY' '$T/resp.page'"
done
curl_s -o "$T/sess" -H 'Content-Type: application/json' "$URL/api/v1/session" \
	-d "{\"id\":\"nv.a\",\"password\":\"$(cat "$T/pass/nv.a.login")\"}"
api=$(jq -r .token "$T/sess")
code=$(curl_s -H "Authorization: Bearer $api" -o "$T/resp.api" -w '%{http_code}' "$URL/api/v1/docs/$X")
check "API GET by its drafter while the purge is pending: 410 ($code), no text" \
	bash -c "[ '$code' = 410 ] && ! grep -qE '$TITLE_CANARY|$TEXT_CANARY' '$T/resp.api'"

stop_server
rm -f "$R/objects/pack/pack-hold.keep"
expect 0 "the spill run again finishes the purge" as an.ninh "$CH" spill "$S" "$X"
check "server starts again" start_server
login nv.a >/dev/null
code=$(get after "/docs/$X")
check "after the purge its drafter is shown the tombstone ($code)" test "$code" = 410
check "  without its title or text" bash -c "! grep -qE '$TITLE_CANARY|$TEXT_CANARY' '$T/resp.after'"
stop_server
finish
