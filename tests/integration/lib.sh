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
# Stock git and gpg must never touch the user's own keyring.
export GNUPGHOME="$T/user-gnupg"
mkdir -m 700 "$GNUPGHOME"
export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home"
export GIT_AUTHOR_NAME="Chancery Test" GIT_AUTHOR_EMAIL="test@chancery.invalid"
export GIT_COMMITTER_NAME="Chancery Test" GIT_COMMITTER_EMAIL="test@chancery.invalid"
mkdir -p "$HOME" "$T/pass"
# Sites served by chanceryd belong to the unprivileged user it runs as.
git config --global safe.directory "*"

cleanup() {
	local h
	for h in "$T"/*/gnupg "$T"/*-gnupg "$GNUPGHOME"; do
		[ -d "$h" ] && gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

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
	echo "# $NPASS checks passed"
	[ "$FAILED" -eq 0 ]
	exit $?
}
