#!/usr/bin/env bash
# test_access_log.sh -- who read what (Decree 30/2020, appendix VI, III.5.a;
# issue 16, part 7): every read of a document through the real server (its
# page, its diff, an attachment, the JSON API) is recorded in
# SITE/state/access.log with person, time, document and what was read, and
# no text; an auditor sees the history on the audit page and exports it as
# JSON; `chancery access verify` finds an edited line, and a log rebuilt
# with a fresh hash chain no longer matches its sealed day; an auditor's
# signed seal is checked with the auditor's key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

make_site nguyen.van.a:drafter kt.e:auditor || { not_ok "site"; finish; }
CANARY="READCANARY$RANDOM$RANDOM"
printf 'Báo cáo %s về lịch công tác.\n' "$CANARY" >"$T/d.md"
printf 'Phụ lục %s.\n' "$CANARY" >"$T/phu-luc.txt"
D=$("$CH" doc create "$S" --as nguyen.van.a --title "Lịch công tác" --type cong-van --file "$T/d.md" \
	--attach "$T/phu-luc.txt" --passphrase-file "$(pass nguyen.van.a)") || not_ok "a document"
LOG="$S/state/access.log"
# Records are sealed by their UTC day and the checks below expect one day:
# a run that crossed midnight would split them. Near midnight, wait for the
# new day first (the test takes well under five minutes).
left=$(( 86400 - $(date -u +%s) % 86400 ))
if [ "$left" -lt 300 ]; then echo "# $left s to midnight UTC: waiting for the new day"; sleep $((left + 2)); fi
start_server || { not_ok "chanceryd starts"; finish; }
token() { curl_s -H 'Content-Type: application/json' "$URL/api/v1/session" \
	-d "{\"id\":\"$1\",\"password\":\"$(cat "$T/pass/$1.login")\"}" | jq -r .token; }
code() { curl_s -o "$T/body" -w '%{http_code}' "$@"; }

check "login" test "$(login nguyen.van.a)" = 303
check "no access recorded before any read" test ! -s "$LOG"
check "the page (200)" test "$(code -b "$T/jar.nguyen.van.a" "$URL/docs/$D")" = 200
check "the diff (200)" test "$(code -b "$T/jar.nguyen.van.a" "$URL/docs/$D/diff")" = 200
check "the attachment (200)" test "$(code -b "$T/jar.nguyen.van.a" "$URL/docs/$D/attachments/phu-luc.txt")" = 200
TOK=$(token nguyen.van.a)
check "the document through the API (200)" test "$(code -H "Authorization: Bearer $TOK" "$URL/api/v1/docs/$D")" = 200
check "a page that is no document's read (the inbox) is not recorded" \
	test "$(code -b "$T/jar.nguyen.van.a" "$URL/inbox")" = 200
check "  and a document that does not exist is not either" \
	test "$(code -b "$T/jar.nguyen.van.a" "$URL/docs/no-such-doc")" != 200
check "four records" test "$(wc -l <"$LOG")" -eq 4
for w in page diff "attachment phu-luc.txt" api; do
	check "  one of nguyen.van.a reading '$w' of $D" \
		jq -se --arg w "$w" --arg d "$D" 'map(select(.person == "nguyen.van.a" and .doc == $d and .what == $w)) | length == 1' "$LOG"
done
check "  each with a time, a sequence number and its chain" \
	jq -se 'map(has("at") and has("seq") and (.prev | length) == 64 and (.hash | length) == 64) | all' "$LOG"
check "  no document text in the log" bash -c "! grep -q '$CANARY' '$LOG'"
expect 0 "chancery access verify: intact" "$CH" access verify "$S"
check "  it says so" grep -q "4 records over 1 days; 0 days sealed, 0 under a signed seal; intact" "$T/out"

# ---- auditors ----
check "the auditor logs in" test "$(login kt.e)" = 303
check "the audit page of the document (200)" test "$(code -b "$T/jar.kt.e" "$URL/audit?doc=$D")" = 200
check "  shows its access history" bash -c "grep -q 'id=\"access-log\"' '$T/body' && grep -q 'nguyen.van.a' '$T/body' && grep -q 'attachment phu-luc.txt' '$T/body'"
ATOK=$(token kt.e)
check "the auditor exports it as JSON (200)" \
	test "$(code -H "Authorization: Bearer $ATOK" "$URL/api/v1/access?doc=$D")" = 200
check "  every record, newest first" jq -e '(.records | length) == 4 and .records[0].what == "api" and .records[3].what == "page"' "$T/body"
check "a drafter may not export it (404: answered as a path that does not exist)" \
	test "$(code -H "Authorization: Bearer $TOK" "$URL/api/v1/access?doc=$D")" = 404
stop_server

# ---- seals ----
expect 0 "sealing (the test build moves 'today' to 2099-01-01: today's records form a complete day)" \
	env CHANCERY_TEST_ACCESS_TODAY=2099-01-01 "$CH" access seal "$S"
check "  a seal commit on refs/chancery/access holding the day, byte for byte" bash -c \
	"git -C '$S/repo.git' show refs/chancery/access:days/$(head -1 "$LOG" | jq -r '.at[0:10]').log | cmp -s - '$LOG'"
expect 1 "an official cannot countersign" env CHANCERY_TEST_ACCESS_TODAY=2099-01-01 \
	"$CH" access seal "$S" --as nguyen.van.a --passphrase-file "$(pass nguyen.van.a)"
expect 0 "the auditor countersigns with her own key" env CHANCERY_TEST_ACCESS_TODAY=2099-01-01 \
	"$CH" access seal "$S" --as kt.e --passphrase-file "$(pass kt.e)"
expect 0 "verify: intact" env CHANCERY_TEST_ACCESS_TODAY=2099-01-01 "$CH" access verify "$S"
check "  the day sealed and under a signed seal, signed by kt.e" bash -c \
	"grep -q '1 days sealed, 1 under a signed seal; intact' '$T/out' && grep -q 'signed by kt.e' '$T/out'"
check "  the signed seal verifies with stock git too" bash -c \
	"GNUPGHOME='$T/vg' && mkdir -p -m 700 \$GNUPGHOME && export GNUPGHOME && '$CH' export-keys '$S' | gpg -q --import 2>/dev/null; git -C '$S/repo.git' verify-commit refs/chancery/access 2>&1 | grep -q 'kt.e@hq'"

# ---- tampering ----
cp "$LOG" "$T/log.orig"
sed -i '2s/"what":"diff"/"what":"page"/' "$LOG"
expect 1 "an edited line (what was read changed): chancery access verify refuses" "$CH" access verify "$S"
check "  naming the line" grep -q "access.log line 2: the line's hash does not match" "$T/out"
cp "$T/log.orig" "$LOG"
sed -i '3d' "$LOG"
expect 1 "a removed line: refused" "$CH" access verify "$S"
check "  naming where the chain breaks" grep -q "access.log line 3 (seq 4): it does not follow" "$T/out"
# a careful forger rebuilds the whole chain after removing the line: the
# chain is whole again, but the sealed day no longer matches
python3 - "$LOG" <<'PY'
import hashlib, json, sys
out, prev = [], "0" * 64
for i, line in enumerate(open(sys.argv[1], encoding="utf-8").read().splitlines()):
    o = json.loads(line)
    body = '{"seq":%d,"at":"%s","person":%s,"doc":%s,"what":%s,"prev":"%s"' % (
        i + 1, o["at"], json.dumps(o["person"], ensure_ascii=False), json.dumps(o["doc"]),
        json.dumps(o["what"], ensure_ascii=False), prev)
    prev = hashlib.sha256(body.encode()).hexdigest()
    out.append(body + ',"hash":"%s"}' % prev)
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(out) + "\n")
PY
expect 1 "a log rebuilt with a fresh hash chain: refused" "$CH" access verify "$S"
check "  the chain itself is whole (no line finding)" bash -c "! grep -q 'finding: access.log line' '$T/out'"
check "  the day differs from its seal" grep -q "access.log differs from its seal" "$T/out"
cp "$T/log.orig" "$LOG"
expect 0 "restored: intact again" "$CH" access verify "$S"
finish
