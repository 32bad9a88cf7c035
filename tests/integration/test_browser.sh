#!/usr/bin/env bash
# test_browser.sh -- the browser pages in a real browser: Debian's chromium
# driven by playwright-core (tests/browser, installed by
# scripts/browser-deps.sh). A site made with the command line, a local CA
# and server certificate, chanceryd serving it on loopback; then
# tests/browser/workflow.mjs takes a công văn through every hand to
# publication and the audit page, tests/browser/xss.mjs feeds the pages
# hostile text, and tests/browser/scope.mjs shows that an official of one
# unit cannot see or open another unit's draft, which an auditor can. Afterwards stock `git verify-commit` checks every commit the
# browser made, each signed by the actor its trailer names, and
# `chancery verify` passes. Screenshots: $BUILD/screenshots.
# A missing browser or node is a failure, not a skip.
. "$(dirname "$0")/lib.sh"

S="$T/hq"
TLS="$T/tls"
SHOTS="$BUILD/screenshots"
BROWSER_DIR="$top/tests/browser"
SERVER_PID=
SERVER_LOG="$BUILD/test-logs/chanceryd-browser.log"

# alive PID: running (an exited child stays a zombie until waited for).
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}
# stop_server: SIGTERM, then SIGKILL after 5 s; fails if SIGKILL was needed.
stop_server() {
	local rc=0
	if [ -n "$SERVER_PID" ] && alive "$SERVER_PID"; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		for _ in $(seq 50); do alive "$SERVER_PID" || break; sleep 0.1; done
		if alive "$SERVER_PID"; then kill -KILL "$SERVER_PID" 2>/dev/null; rc=1; fi
		wait "$SERVER_PID" 2>/dev/null
	fi
	SERVER_PID=
	return $rc
}
trap 'stop_server; cleanup' EXIT

# ---- what the browser test needs: present, or this test fails ----
need=ok
for tool in node chromium certtool certutil curl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "# $tool is missing: run scripts/browser-deps.sh"; need=missing; }
done
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
	echo "# node $(node --version) is older than 18, the least playwright-core 1.61 accepts"; need=old-node
fi
[ -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ] ||
	{ echo "# tests/browser/node_modules is missing: run scripts/browser-deps.sh"; need=missing; }
if [ "$need" != ok ]; then not_ok "chromium, node (18 or later), certutil and playwright-core are installed"; finish; fi
ok "chromium, node (18 or later), certutil and playwright-core are installed"

# ---- a site and its people, made with the command line ----
chmod 755 "$T"
check "init creates a site" "$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị A" \
	--unit hq/admin --passphrase-file "$(pass admin.a)"
# id|name|roles|unit|scope (leaders and the office act on every unit of hq)
people=(
	"nguyen.van.a|Nguyễn Văn A|drafter|hq/legal|"
	"tran.thi.b|Trần Thị B|head|hq/legal|"
	"le.van.c|Lê Văn C|deputy|hq/leaders|hq"
	"pham.thi.d|Phạm Thị D|deputy|hq/leaders|hq"
	"vu.van.f|Vũ Văn F|minister|hq/leaders|hq"
	"do.thi.g|Đỗ Thị G|clerk|hq/office|hq"
	"kiem.toan|Kiểm Toán Viên|auditor|hq/audit|"
	"kieu.c|Kiều C|drafter|hq/consular|"
)
added=0
for p in "${people[@]}"; do
	IFS='|' read -r id name roles unit scope <<<"$p"
	"$CH" person add "$S" "$id" --name "$name" --roles "$roles" --unit "$unit" ${scope:+--scope "$scope"} \
		--as admin.a --passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass "$id")" >/dev/null &&
		added=$((added + 1))
done
check "eight officials added, each with a key of their own" test "$added" -eq 8
# a draft of another unit, for scope.mjs
FOREIGN_TITLE="Dự thảo lãnh sự kangaroo"
FOREIGN=$("$CH" doc create "$S" --as kieu.c --title "$FOREIGN_TITLE" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass kieu.c)")
check "a draft of hq/consular ($FOREIGN)" test -n "$FOREIGN"

# Login passwords, and the JSON the browser scripts read them from (never argv).
(umask 077; echo '{}' >"$T/people.json.tmp")
set_ok=0
for id in admin.a $(for p in "${people[@]}"; do echo "${p%%|*}"; done); do
	lf="$T/pass/$id.login"
	(umask 077; printf 'login-%s-2026\n' "$id" >"$lf")
	"$CH" account set "$S" "$id" --password-file "$lf" >/dev/null && set_ok=$((set_ok + 1))
	jq --arg id "$id" --rawfile pw "$lf" --rawfile pp "$(pass "$id")" \
		'.[$id] = {password: ($pw | rtrimstr("\n")), passphrase: ($pp | rtrimstr("\n"))}' \
		"$T/people.json.tmp" >"$T/people.json.new" && mv "$T/people.json.new" "$T/people.json.tmp"
done
chmod 600 "$T/people.json.tmp"
mv "$T/people.json.tmp" "$T/browser-people.json"
check "login passwords set for all nine" test "$set_ok" -eq 9

# ---- TLS and the server ----
check "a local CA and server certificate" "$top/scripts/tls-demo.sh" "$TLS"
free_port PORT
URL="https://127.0.0.1:$PORT"
mkdir -p "$(dirname "$SERVER_LOG")"
"$BUILD/chanceryd" "$S" --cert "$TLS/server.pem" --key "$TLS/server.key" --port "$PORT" \
	--listen 127.0.0.1 >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
up=0
for _ in $(seq 300); do
	if curl -s -o /dev/null --cacert "$TLS/ca.pem" "$URL/login"; then up=1; break; fi
	alive "$SERVER_PID" || break
	sleep 0.1
done
if [ "$up" -eq 1 ]; then ok "chanceryd answers at $URL (certificate checked against the CA)"; else
	not_ok "chanceryd answers at $URL"; sed 's/^/#   /' "$SERVER_LOG" | tail -5; finish
fi

# ---- the browser ----
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
browser() { # name script
	local name=$1 script=$2 rc
	echo "# $name"
	CH_FOREIGN_DOC="$FOREIGN" CH_FOREIGN_TITLE="$FOREIGN_TITLE" \
	NODE_EXTRA_CA_CERTS="$TLS/ca.pem" CH_URL="$URL" CH_CA="$TLS/ca.pem" CH_PEOPLE="$T/browser-people.json" CH_SHOTS="$SHOTS/$name" \
		CH_CORPUS="$CORPUS" CH_OUT="$T/$name.json" TMPDIR="$T" \
		timeout 180 node "$BROWSER_DIR/$script"
	rc=$?
	if [ "$rc" -eq 0 ]; then ok "$script exits 0"; else not_ok "$script exits 0 (exit $rc)"; fi
}
t0=$(date +%s)
browser workflow workflow.mjs
browser xss xss.mjs
browser attach attach.mjs
browser scope scope.mjs
echo "# browser scripts took $(($(date +%s) - t0)) s"
shots=$(find "$SHOTS" -name '*.png' -size +1k | wc -l)
check "screenshots saved in $SHOTS ($shots)" test "$shots" -ge 20
check "the server stops within 5 s of SIGTERM" stop_server

# ---- stock git agrees on every commit the browser made ----
R="$S/repo.git"
DOC=$(jq -r '.doc // empty' "$T/workflow.json" 2>/dev/null)
if [ -n "$DOC" ]; then
	n=$(git -C "$R" rev-list --count "refs/docs/$DOC")
	check "the browser's document holds exactly its 12 steps (the wrong passphrase recorded nothing)" \
		test "$n" -eq 12
	actions=$(git -C "$R" log --reverse --format='%(trailers:key=Chancery-Action,valueonly)' \
		"refs/docs/$DOC" | grep . | tr '\n' ' ')
	want="create revise submit approve return revise submit approve approve approve sign publish "
	if [ "$actions" = "$want" ]; then ok "its steps, in order: $actions"; else
		not_ok "its steps are: $want"; echo "#   they are: $actions"
	fi
	check "the Vietnamese text of the last revision survives byte for byte" \
		grep -qF "Số liệu: 6 nhiệm vụ, giải pháp; mốc 2030 và tầm nhìn 2045." \
		<(git -C "$R" show "refs/docs/$DOC:document.md")
	check "the first revision is the corpus file byte for byte" \
		cmp -s "$CORPUS/chinh-phu-tin-292.txt" \
		<(git -C "$R" show "$(git -C "$R" rev-list --reverse "refs/docs/$DOC" | head -1):document.md")
else
	not_ok "workflow.mjs reported the document it created"
fi

V="$T/auditor-gnupg"
mkdir -m 700 "$V"
"$CH" export-keys "$S" >"$T/keys.asc"
GNUPGHOME="$V" gpg --batch --quiet --import "$T/keys.asc" 2>/dev/null
git -C "$R" show refs/heads/policy:policy/people.json >"$T/people.json"
bad=0 n=0 refs=0
for ref in $(git -C "$R" for-each-ref --format='%(refname)' refs/docs); do
	refs=$((refs + 1))
	for c in $(git -C "$R" rev-list "$ref"); do
		n=$((n + 1))
		if ! GNUPGHOME="$V" git -C "$R" verify-commit "$c" 2>/dev/null; then
			echo "# git verify-commit failed on $c ($ref)"; bad=1; continue
		fi
		fpr=$(GNUPGHOME="$V" git -C "$R" log -1 --format=%GP "$c")
		actor=$(git -C "$R" log -1 --format='%(trailers:key=Chancery-Actor,valueonly)' "$c" | head -1)
		owner=$(jq -r --arg f "$fpr" '.people[] | select(.fingerprint == $f) | .id' "$T/people.json")
		if [ -z "$actor" ] || [ "$owner" != "$actor" ]; then
			echo "# $c: signed by $fpr ($owner), actor $actor"; bad=1
		fi
	done
done
check "the browser made three documents, the command line one ($refs)" test "$refs" -eq 4
check "stock git verify-commit passes on all $n commits, each signed by its actor" \
	test "$bad" -eq 0 -a "$n" -eq 17
ADOC=$(jq -r '.doc // empty' "$T/attach.json" 2>/dev/null)
check "the attachment uploaded in the browser is in the tree byte for byte" \
	test -n "$ADOC" -a "$(git -C "$R" show "refs/docs/$ADOC:attachments/danh-sách.csv" 2>/dev/null | sha256sum)" = \
	"$(printf 'STT,Đơn vị,Số người\n1,Vụ Pháp luật,12\n2,Văn phòng Bộ,7\n' | sha256sum)"
expect 0 "chancery verify passes on the whole site" "$CH" verify "$S"

finish
