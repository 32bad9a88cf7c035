#!/usr/bin/env bash
# bench_sitelog.sh -- what the site log (issue 19) costs each accepted
# update, time and bytes, beside stock git doing the same job in the same
# run: one commit signed with an ed25519 key without a passphrase (the
# site key has none: its GnuPG home's permissions protect it), its ref
# moved (`git commit-tree -S` then `git update-ref`, core.fsync committed).
# Chancery's figure is the append alone, in process (bench_sitelog.c);
# git's is two processes, so the ratio flatters Chancery by git's start-up
# (~1-2 ms): both are printed whole. Then a whole step (`chancery doc
# act`, which now writes its log entry) and the log's share of its bytes.
. "$(dirname "$0")/../integration/lib.sh"
REL=${REL:-${BUILD%-test}}
CH="$REL/chancery"
TOOL="$REL/tests/bench_sitelog"
N=${BENCH_LOG_ENTRIES:-200}
[ -x "$TOOL" ] || { echo "bench_sitelog: build $TOOL first (make)"; exit 1; }

S="$T/site"
"$CH" init "$S" --site-id hq --admin admin.a --name "Admin" --passphrase-file "$(pass admin.a)" >/dev/null

stats() { sort -n | awk '{a[NR]=$1} END {
	m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2
	printf "%.3f %.3f %.3f", a[1]/1e6, m/1e6, a[NR]/1e6 }'; }

G="$T/git-gnupg"; mkdir -m 700 "$G"
GNUPGHOME="$G" gpg --batch --quiet --passphrase '' --quick-gen-key "Bench log <log@bench.invalid>" \
	ed25519 sign never 2>/dev/null
fpr=$(GNUPGHOME="$G" gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
git init -q --bare "$T/g.git"
git -C "$T/g.git" config core.fsync committed
tree=$(git -C "$T/g.git" mktree </dev/null)
export GIT_AUTHOR_NAME="hq site log" GIT_AUTHOR_EMAIL=log@hq.chancery
export GIT_COMMITTER_NAME="hq site log" GIT_COMMITTER_EMAIL=log@hq.chancery
parent=$(GNUPGHOME="$G" git -C "$T/g.git" commit-tree -S"$fpr" -m "log: warm-up" "$tree")
git -C "$T/g.git" update-ref refs/chancery/log "$parent"

# alternate in chunks of 10, so the machine's load falls on both alike
: >"$T/ch"; : >"$T/git"; bytes=0
for chunk in $(seq $((N / 10))); do
	"$TOOL" "$S" 10 >"$T/chunk" || { echo "bench_sitelog failed"; exit 1; }
	grep -v '^bytes' "$T/chunk" >>"$T/ch"
	bytes=$((bytes + $(sed -n 's/^bytes //p' "$T/chunk")))
	for k in $(seq 10); do
		msg=$(printf 'log: hq %d\n\nChancery-Log-Site: hq\nChancery-Log-Seq: %d\nChancery-Log-Time: %d\nChancery-Log-Doc: %064x\n' \
			"$k" "$k" "$(date +%s)" "$k")
		t0=${EPOCHREALTIME/./}000
		c=$(GNUPGHOME="$G" git -C "$T/g.git" commit-tree -S"$fpr" -p "$parent" -m "$msg" "$tree") &&
			git -C "$T/g.git" update-ref refs/chancery/log "$c" "$parent" || { echo "git failed"; exit 1; }
		t1=${EPOCHREALTIME/./}000
		parent=$c
		echo $((t1 - t0)) >>"$T/git"
	done
done
read -r c_min c_med c_max < <(stats <"$T/ch")
read -r g_min g_med g_max < <(stats <"$T/git")
n=$(wc -l <"$T/ch")
echo "site log entry (one document update), $n each; ms min / median / max:"
printf '  chancery ch_log_append (in process):          %8s %8s %8s\n' "$c_min" "$c_med" "$c_max"
printf '  stock git commit-tree -S + update-ref:        %8s %8s %8s\n' "$g_min" "$g_med" "$g_max"
awk -v c="$c_med" -v g="$g_med" 'BEGIN { printf "ratio chancery/git (medians): %.3f\n", c/g }'
echo "bytes per entry (commit object, uncompressed): $((bytes / n))"

# A whole step now, and the log's share of what it stores.
for p in nguyen.van.a:drafter; do
	"$CH" person add "$S" "${p%%:*}" --name "${p%%:*}" --roles "${p#*:}" --as admin.a \
		--passphrase-file "$(pass admin.a)" | sed -n 's/^enrolment code for [^:]*: //p' >"$T/code"
	(umask 077; echo "login-${p%%:*}-2026" >"$T/login")
	"$CH" enrol "$S" "${p%%:*}" --code-file "$T/code" --password-file "$T/login" \
		--passphrase-file "$(pass "${p%%:*}")" >/dev/null
done
doc=$("$CH" doc create "$S" --as nguyen.van.a --title "Bench log" --type cong-van \
	--file "$CORPUS/chinh-phu-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)") || exit 1
step=$(git -C "$S/repo.git" cat-file -s "refs/docs/$doc")
entry=$(git -C "$S/repo.git" cat-file -s refs/chancery/log)
echo "a create step: its commit $step bytes, its log entry $entry bytes (plus the document's tree and blobs)"
"$CH" verify "$S" >/dev/null && echo "chancery verify: clean" || { echo "verify failed"; exit 1; }
