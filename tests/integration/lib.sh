# lib.sh -- shared helpers for the integration tests (sourced).
# Each test gets a fresh temporary directory (short path: gpg-agent socket
# paths are limited to 108 bytes) and kills every gpg-agent it started.
set -u
top=${CH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$top/build}
CH="$BUILD/chancery"
CORPUS=${CH_CORPUS:-$top/../shared/corpus}
T=$(mktemp -d /tmp/cht.XXXXXX)
FAILED=0
NPASS=0
export LC_ALL=C.UTF-8
# The test build (make check: TEST_HOOKS=1) lets the suite's GnuPG homes use
# a low S2K count, so that thousands of signatures stay quick; a release
# build never reads it (test_release_build.sh) and keeps the agent's own.
export CHANCERY_TEST_S2K_COUNT=65536
# Stock git and gpg must never touch the user's own keyring.
export GNUPGHOME="$T/user-gnupg"
mkdir -m 700 "$GNUPGHOME"
export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home"
export GIT_AUTHOR_NAME="Chancery Test" GIT_AUTHOR_EMAIL="test@chancery.invalid"
export GIT_COMMITTER_NAME="Chancery Test" GIT_COMMITTER_EMAIL="test@chancery.invalid"
mkdir -p "$HOME" "$T/pass"
# Sites served by chanceryd belong to the unprivileged user it runs as.
git config --global safe.directory "*"

# CH_VALGRIND=1 (make valgrind): $CH, $CHD (chanceryd) and $CHO
# (chancery-offline) are wrappers that exec the binaries under memcheck
# (exec: a SIGKILL meant for the binary reaches it). Errors and definite
# leaks make a process exit 99; each process (chanceryd's forked signer
# too) also logs to its own $VG_LOGS/NAME.PID file, empty when clean, so
# that errors are found even where a test ignores an exit code; vg_report
# turns every non-empty log into a "not ok". Without CH_VALGRIND they are
# the binaries themselves.
CHD="$BUILD/chanceryd"
CHO="$BUILD/chancery-offline"
VG_LOGS="$T/valgrind"
if [ -n "${CH_VALGRIND:-}" ]; then
	mkdir -p "$T/vg-bin" "$VG_LOGS" "$VG_LOGS/seen"
	chmod 755 "$T" "$T/vg-bin"
	chmod 777 "$VG_LOGS"     # a fork after chanceryd drops to nobody must log too
	for _b in chancery chanceryd chancery-offline; do
		_t=$_b
		cat >"$T/vg-bin/$_b" <<-VG
		#!/bin/sh
		exec valgrind --quiet --error-exitcode=99 --leak-check=full \\
		  --errors-for-leak-kinds=definite --track-fds=no --trace-children=no \\
		  --num-callers=30 --vgdb=no --log-file="$VG_LOGS/$_b.%p" "$BUILD/$_t" "\$@"
		VG
		chmod 755 "$T/vg-bin/$_b"
	done
	unset _b _t
	CH="$T/vg-bin/chancery"
	CHD="$T/vg-bin/chanceryd"
	CHO="$T/vg-bin/chancery-offline"
fi

# chanceryd started as root runs each site's network process as the site's
# own system user (chancery-SITE): a wrapper creates it, as an operator
# would once (scripts/chancery-users.sh), then runs the server.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/chd-bin"
	chmod 755 "$T" "$T/chd-bin"
	cat >"$T/chd-bin/chanceryd" <<-CHD
	#!/bin/sh
	id=\$(jq -r .site "\$1/site.json" 2>/dev/null) && "$top/scripts/chancery-users.sh" "\$id"
	exec "$CHD" "\$@"
	CHD
	chmod 755 "$T/chd-bin/chanceryd"
	CHD="$T/chd-bin/chanceryd"
fi

# vg_report: under valgrind, a "not ok" with the report of every finished
# process that logged an error or a definite leak (logs of processes still
# running are left for a later call: stop_server calls it again).
VG_ERRORS='== (Invalid |Conditional jump|Use of uninitialised|Syscall param|Mismatched|Source and destination overlap|Argument .* fishy|.* are definitely lost|Process terminating with default action of signal (4|6|7|8|11) )'
vg_report() {
	local f pid st n
	[ -n "${CH_VALGRIND:-}" ] || return 0
	for f in "$VG_LOGS"/*.*; do
		[ -f "$f" ] || continue
		pid=${f##*.}
		st=$(ps -o stat= -p "$pid" 2>/dev/null)
		[ -n "$st" ] && [ "${st#Z}" = "$st" ] && continue # still running (a zombie has ended)
		# valgrind 3.19 does not know seccomp(2) (chanceryd's sandbox; libseccomp
		# then falls back to prctl): not an error of ours
		grep -vE 'unhandled amd64-linux syscall: 317$|You may be able to write your own handler|README_MISSING_SYSCALL_OR_IOCTL|Nevertheless we consider this a bug|valgrind.org/support/bug_reports' \
			"$f" >"$f.kept"
		mv "$f.kept" "$f"
		if [ -s "$f" ]; then
			n=$(grep -cE "$VG_ERRORS" "$f")
			if [ "$n" -gt 0 ]; then
				not_ok "valgrind: ${f##*/} reported $n errors or definite leaks"
			else
				echo "# valgrind: ${f##*/} logged no error but:"
			fi
			sed 's/^/#   /' "$f" | head -n "${VG_REPORT_LINES:-120}"
		fi
		mv "$f" "$VG_LOGS/seen/" 2>/dev/null
	done
}

cleanup() {
	local h
	for h in "$T"/*/gnupg "$T"/*-gnupg "$GNUPGHOME"; do
		[ -d "$h" ] && gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# free_port VAR: set VAR to a TCP port that no socket on this machine uses
# now, below the kernel's ephemeral range (20000-31999, where outgoing
# connections never take one), so that a server of this test does not
# collide with another test's running beside it; a server that still finds
# it taken (a race) is started again on another (server_lib.sh start_server).
free_port() {
	local p i
	for i in $(seq 50); do
		p=$((20000 + ${SRANDOM:-$RANDOM} % 12000)) # (SRANDOM: a seeded RANDOM stays as it was)
		[ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && break
	done
	printf -v "$1" '%s' "$p"
}

ok() { echo "ok - $*"; NPASS=$((NPASS + 1)); }
not_ok() { echo "not ok - $*"; FAILED=1; }

# check DESC CMD...: ok when CMD succeeds.
check() {
	local desc=$1; shift
	if "$@" >"$T/check.out"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect CODE DESC CMD...: run CMD (output in $T/out, $T/err), expect exit CODE.
expect() {
	local code=$1 desc=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" -eq "$code" ]; then ok "$desc"; else
		not_ok "$desc (exit $rc, wanted $code)"; sed 's/^/#   /' "$T/err" | head -5
	fi
}

# err_has TEXT DESC: the last command's stderr contains TEXT.
err_has() {
	if grep -qF -- "$1" "$T/err"; then ok "$2"; else
		not_ok "$2 (stderr lacks '$1')"; sed 's/^/#   /' "$T/err" | head -5
	fi
}

# pass ID: the passphrase file of ID (created on first use).
pass() {
	local f="$T/pass/$1"
	[ -f "$f" ] || (umask 077; printf 'sig-pass-%s-2026\n' "$1" >"$f")
	echo "$f"
}

# repo_state SITE: refs and every object id, to compare before and after.
# log_by_hand SITE REPO REF...: enter the heads of REF... in REPO's site log
# as the site would have (docs/format.md "The site log"), with stock git,
# sha256sum and the site's own key from SITE's GnuPG home. For tests that
# make a legitimate step by hand (a token's signature, stock git): without
# the entry the step is hidden history (R5). When REPO is the site's own,
# the key's record (SITE/gnupg/chancery-log-head) follows, so the site's
# next entry builds on this one.
log_by_hand() {
	local site=$1 repo=$2 sid fpr head seq tree t now msg c ref h root
	shift 2
	sid=$(jq -r .site "$site/site.json")
	fpr=$(jq -r '.signers["@site"].fingerprint' "$site/site.json")
	head=$(git -C "$repo" rev-parse -q --verify refs/chancery/log) || return 1
	seq=$(( $(git -C "$repo" log -1 --format=%B "$head" | sed -n 's/^Chancery-Log-Seq: //p') + 1 ))
	tree=$(git -C "$repo" rev-parse "$head^{tree}")
	t=$(git -C "$repo" log -1 --format=%ct "$head"); now=$(date +%s)
	[ "$now" -gt "$t" ] && t=$now
	msg=$(mktemp "$T/logmsg.XXXXXX")
	printf 'log: %s %s\n\nChancery-Log-Site: %s\nChancery-Log-Seq: %s\nChancery-Log-Time: %s\n' \
		"$sid" "$seq" "$sid" "$seq" "$t" >"$msg"
	for ref; do
		h=$(git -C "$repo" rev-parse "$ref") || return 1
		case $ref in
		refs/heads/policy) printf 'Chancery-Log-Policy: %040d %s\n' 0 "$h" ;;
		refs/chancery/spills) printf 'Chancery-Log-Spills: %040d %s\n' 0 "$h" ;;
		*) root=$(git -C "$repo" rev-list --max-parents=0 "$h")
		   printf 'Chancery-Log-Doc: %s\n' "$(printf 'chancery-log-doc 1\n%s\n%s\n%s\n' \
			"$ref" "$root" "$h" | sha256sum | cut -c1-64)" ;;
		esac
	done >>"$msg"
	c=$(GIT_AUTHOR_NAME="$sid site log" GIT_AUTHOR_EMAIL="log@$sid.chancery" \
		GIT_COMMITTER_NAME="$sid site log" GIT_COMMITTER_EMAIL="log@$sid.chancery" \
		GIT_AUTHOR_DATE="@$t +0000" GIT_COMMITTER_DATE="@$t +0000" GNUPGHOME="$site/gnupg" \
		git -C "$repo" commit-tree "$tree" -p "$head" -S"$fpr" -F "$msg") || return 1
	git -C "$repo" update-ref refs/chancery/log "$c" "$head" || return 1
	if [ "$repo" -ef "$site/repo.git" ]; then
		printf '%s %s %s %s\n' "$sid" "$seq" "$head" "$c" >"$site/gnupg/chancery-log-head"
	fi
}

# forged_log REPO SITE: a first log entry of SITE made in REPO under a key
# of the forger's own (stock gpg and git: what a hostile relay can make);
# prints its commit id.
forged_log() {
	local repo=$1 site=$2 fg ffpr ftree fwhen
	fg=$(mktemp -d --suffix=-gnupg "$T/forger.XXXXXX") # (cleanup stops its agent)
	GNUPGHOME="$fg" gpg --batch --quiet --passphrase '' --quick-gen-key \
		"Chancery site $site <log@$site.chancery>" ed25519 sign never 2>/dev/null || return 1
	ffpr=$(GNUPGHOME="$fg" gpg --list-keys --with-colons 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
	ftree=$(printf '100644 blob %s\tsite.asc\n' \
		"$(GNUPGHOME="$fg" gpg --armor --export "$ffpr" 2>/dev/null | git -C "$repo" hash-object -w --stdin)" |
		git -C "$repo" mktree) || return 1
	fwhen=$(date +%s)
	printf 'log: %s 1\n\nChancery-Log-Site: %s\nChancery-Log-Seq: 1\nChancery-Log-Time: %s\n' \
		"$site" "$site" "$fwhen" >"$fg/forged.msg"
	GNUPGHOME="$fg" GIT_AUTHOR_NAME="$site site log" GIT_AUTHOR_EMAIL="log@$site.chancery" \
		GIT_COMMITTER_NAME="$site site log" GIT_COMMITTER_EMAIL="log@$site.chancery" \
		GIT_AUTHOR_DATE="@$fwhen +0000" GIT_COMMITTER_DATE="@$fwhen +0000" \
		git -C "$repo" commit-tree -S"$ffpr" "$ftree" -F "$fg/forged.msg"
}

repo_state() {
	local r="$1/repo.git"
	git -C "$r" for-each-ref --format='%(refname) %(objectname)'
	find "$r/objects" -type f | sort
	git -C "$r" count-objects -v | grep -E '^(count|in-pack):'
}

# unchanged DESC SITE CMD...: CMD leaves the repository exactly as it was.
unchanged() {
	local desc=$1 site=$2 before after; shift 2
	before=$(repo_state "$site")
	"$@" >/dev/null 2>&1
	after=$(repo_state "$site")
	if [ "$before" = "$after" ]; then ok "$desc"; else not_ok "$desc (repository changed)"; fi
}

finish() {
	vg_report
	echo "# $NPASS checks passed"
	[ "$FAILED" -eq 0 ]
	exit $?
}
