#!/usr/bin/env bash
# test_readme_tour.sh -- the README's command-line tour, as printed, on the
# demo site that `make run` makes (scripts/demo.sh, chanceryd started as
# root the way it starts it). The block after the README's
# "<!-- tour: ... -->" marker runs with `bash -e`; the only change made to
# it is the demo's directory (/var/tmp/chancery-demo -> a test directory).
# Then: nothing in the served repository is left root-owned, the server
# still records a step from the browser, and `make run` again neither
# deletes the demo unasked nor deletes it without saying so.
. "$(dirname "$0")/lib.sh"

chmod 755 "$T" # the server's user reaches the site
D="$T/demo"; free_port PORT
URL="https://127.0.0.1:$PORT"
DEMO_DIR="$D" PORT=$PORT CH_CORPUS="$CORPUS" BUILD="$BUILD" "$top/scripts/demo.sh" \
	>"$T/demo.out" 2>"$T/demo.err" &
demo_pid=$!
trap 'kill "$demo_pid" 2>/dev/null; wait "$demo_pid" 2>/dev/null; cleanup' EXIT
for _ in $(seq 1200); do # (the demo site is built first: up to two minutes on a slow machine)
	curl -s --cacert "$D/tls/ca.pem" -o /dev/null "$URL/login" 2>/dev/null && break
	kill -0 "$demo_pid" 2>/dev/null || break
	sleep 0.1
done
check "make run's demo site is served" curl -s --cacert "$D/tls/ca.pem" -o /dev/null "$URL/login"
check "  the demo names a security officer, a declassifier and an auditor" sh -c \
	"grep -q 'an.ninh *security-officer' '$T/demo.out' && grep -q 'giai.mat *declassifier' '$T/demo.out' && grep -q 'kiem.toan *auditor' '$T/demo.out'"
check "  and prints the trust anchor" grep -q "^Trust anchor .*: --introduction [0-9a-f]\{40\} --introducer [0-9A-F]\{40\}$" "$T/demo.out"
check "  and the mission's certificate" test -s "$D/tls/mission-tokyo.pem"
fp=$(sed '/-----/d' "$D/tls/mission-tokyo.pem" | base64 -d | sha256sum | cut -c1-64)
check "  whose fingerprint policy/sites.json holds" sh -c \
	"git --git-dir='$D/hq/repo.git' show refs/heads/policy:policy/sites.json | grep -q '$fp'"

# ---- the tour, as printed ----
awk '/^<!-- tour:/ {on = 1; next} on && /^```sh$/ {inblock = 1; next}
     inblock && /^```$/ {exit} inblock {print}' "$top/README.md" >"$T/tour.sh"
check "the README marks its tour block" test "$(wc -l <"$T/tour.sh")" -gt 5
sed -i "s|/var/tmp/chancery-demo|$D|g" "$T/tour.sh"
mkdir -p "$T/work"
# `chancery` is $BUILD/chancery.
(cd "$T/work" && PATH="$BUILD:$PATH" bash -e -x "$T/tour.sh") \
	>"$T/tour.out" 2>"$T/tour.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok "the README's tour runs as written (exit 0)"; else
	not_ok "the README's tour runs as written (exit $rc)"; tail -15 "$T/tour.err" | sed 's/^/#   /'
fi
check "  the approval was recorded with --expect" grep -q "doc act .*--expect [0-9a-f]\{40\}" "$T/tour.err"
check "  the verifier matched the trust anchor" grep -q "matches the trust anchor given" "$T/tour.out"
check "  the spill withdrew the new document" grep -qi "spill" "$T/tour.out"

# ---- the server can still write what the command line wrote beside it ----
owner=$(stat -c %U "$D/hq/repo.git")
if [ "$(id -u)" -eq 0 ]; then
	check "the server's user ($owner) owns the repository" test "$owner" != root
	find "$D/hq/repo.git" "$D/hq/state" -uid 0 >"$T/root-owned"
	check "  and nothing in it or in state/ is left root-owned" test ! -s "$T/root-owned"
	sed 's/^/#   root-owned: /' "$T/root-owned" | head -5
	# the server's user plants a link and a hard link to root's files in
	# the tree the command line hands back: root must change neither
	: >"$T/root-file"; : >"$T/root-file2"; chmod 600 "$T/root-file" "$T/root-file2"
	ln -s "$T/root-file" "$D/hq/repo.git/refs/planted-link"
	ln "$T/root-file2" "$D/hq/repo.git/planted-hardlink" 2>/dev/null ||
		cp "$T/root-file2" "$D/hq/repo.git/planted-hardlink"
	mkdir -p "$T/outside/dir"; ln -s "$T/outside/dir" "$D/hq/repo.git/refs/planted-dir"
	PATH="$BUILD:$PATH" chancery doc list "$D/hq" >/dev/null 2>&1 || true
	check "  root follows no link the server's user planted (the file it points to stays root's)" \
		test "$(stat -c %u "$T/root-file")" = 0
	check "  nor a directory a link points to" test "$(stat -c %u "$T/outside/dir")" = 0
	if [ "$(stat -c %h "$T/root-file2")" -gt 1 ]; then
		check "  nor a file hard-linked into the tree" test "$(stat -c %u "$T/root-file2")" = 0
	fi
	rm -f "$D/hq/repo.git/refs/planted-link" "$D/hq/repo.git/planted-hardlink" "$D/hq/repo.git/refs/planted-dir"
fi
jar="$T/jar"
curl -s --cacert "$D/tls/ca.pem" -c "$jar" -o /dev/null "$URL/login" --data-urlencode id=pham.thi.d \
	--data-urlencode "password=$(cat "$D/pass/pham.thi.d.login")"
DOC=$(PATH="$BUILD:$PATH" chancery doc list "$D/hq" --awaiting pham.thi.d | awk '/deputies/ {print $1; exit}')
head=$(git --git-dir="$D/hq/repo.git" rev-parse "refs/docs/$DOC")
tok=$(curl -s --cacert "$D/tls/ca.pem" -b "$jar" "$URL/docs/new" |
	sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
code=$(curl -s --cacert "$D/tls/ca.pem" -b "$jar" -o "$T/resp" -w '%{http_code}' "$URL/docs/$DOC/act" \
	-d "csrf=$tok" -d action=approve -d "head=$head" --data-urlencode "passphrase=$(cat "$D/pass/pham.thi.d")")
check "after the tour, the server records a step through the browser ($code)" \
	test "$(git --git-dir="$D/hq/repo.git" rev-parse "refs/docs/$DOC^")" = "$head"

# ---- make run again: the demo is kept, and says so ----
kill "$demo_pid" 2>/dev/null; wait "$demo_pid" 2>/dev/null
before=$(repo_state "$D/hq")
expect 0 "make run again (no server)" env DEMO_DIR="$D" DEMO_NO_SERVER=1 CH_CORPUS="$CORPUS" \
	BUILD="$BUILD" "$top/scripts/demo.sh"
check "  keeps the existing demo" test "$before" = "$(repo_state "$D/hq")"
check "  and says so, naming DEMO_RESET" grep -q "holds a demo site already: serving it as it is (DEMO_RESET=1" "$T/out"
expect 0 "DEMO_RESET=1 makes a new demo" env DEMO_DIR="$D" DEMO_NO_SERVER=1 DEMO_RESET=1 \
	CH_CORPUS="$CORPUS" BUILD="$BUILD" "$top/scripts/demo.sh"
check "  saying it deletes the old one" grep -q "DEMO_RESET=1: deleting $D" "$T/out"
check "  and it is a new site" test "$before" != "$(repo_state "$D/hq")"
mkdir -p "$T/other" && touch "$T/other/file"
expect 1 "a DEMO_DIR that holds something else is refused" env DEMO_DIR="$T/other" \
	DEMO_NO_SERVER=1 CH_CORPUS="$CORPUS" BUILD="$BUILD" "$top/scripts/demo.sh"
check "  and left alone" test -f "$T/other/file"
finish
