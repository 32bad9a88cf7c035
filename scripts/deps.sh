#!/usr/bin/env bash
# deps.sh -- install the Debian packages each target needs, and no more:
#
#   scripts/deps.sh run     build and run the demo (make run): compilers,
#                           the -dev libraries, gnupg, git, certtool
#   scripts/deps.sh test    run + what make check needs: clang, cmocka's
#                           tools, curl, jq, tshark, valgrind, wrk, and the
#                           browser tests (scripts/browser-deps.sh: chromium,
#                           node, npm, playwright-core)
#   scripts/deps.sh bench   run + what make bench needs: wrk, lighttpd
#   scripts/deps.sh         every set
#   scripts/deps.sh --list SET...   print the packages of the sets, install nothing
#
# Idempotent and quick when everything is present (one dpkg-query each).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

# Each set is a list of Debian packages; `run` is in every other.
set_run=(
	gcc make pkg-config
	libgit2-dev libgpgme-dev libassuan-dev libgcrypt20-dev libmicrohttpd-dev libgnutls28-dev
	libjansson-dev libcmark-dev libunistring-dev libseccomp-dev libexpat1-dev
	libmbedtls-dev libhttp-parser-dev libssh2-1-dev libpcre2-dev zlib1g-dev libssl-dev
	gnupg gpg-agent gpgconf git ca-certificates gnutls-bin
)
# the test build (cmocka, librnp for the differential fuzz target), the
# folding table's generator (unicode-data, ICU), the other OpenPGP
# implementations of the differential tests, a PKCS#11 token (SoftHSM2)
# behind gpg-agent for the token test
set_test=(
	clang libcmocka-dev librnp-dev unicode-data libicu-dev gnupg1 rnp sq sqop sqv
	curl jq util-linux tshark valgrind procps zip python3 iproute2 openssl wrk
	softhsm2 gnupg-pkcs11-scd
)
set_bench=(
	libcmocka-dev librnp-dev
	curl jq procps python3 iproute2 openssl wrk lighttpd lighttpd-mod-openssl
)

list=0 sets=()
for a in "$@"; do
	case $a in
	--list) list=1 ;;
	run|test|bench) sets+=("$a") ;;
	all) sets+=(test bench) ;;
	*) echo "deps: unknown set '$a' (run, test, bench, all; --list to print them)" >&2; exit 2 ;;
	esac
done
[ ${#sets[@]} -ne 0 ] || sets=(test bench)

pkgs=("${set_run[@]}") browser=0
for s in "${sets[@]}"; do
	case $s in
	test) pkgs+=("${set_test[@]}"); browser=1 ;;
	bench) pkgs+=("${set_bench[@]}") ;;
	esac
done
if [ "$list" -eq 1 ]; then
	printf '%s\n' "${pkgs[@]}" | awk '!seen[$0]++'
	[ "$browser" -eq 0 ] || echo "(and scripts/browser-deps.sh: chromium nodejs npm libnss3-tools)"
	exit 0
fi

missing=()
for p in $(printf '%s\n' "${pkgs[@]}" | awk '!seen[$0]++'); do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
	echo "deps: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
			echo "deps: missing packages and not root: apt-get install ${missing[*]}" >&2
			exit 1
		fi
	else SUDO=; fi
	export DEBIAN_FRONTEND=noninteractive
	log=$(mktemp)
	if ! { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
		tail -30 "$log" >&2
		echo "deps: apt-get failed" >&2
		exit 1
	fi
	rm -f "$log"
fi
# The browser tests: Debian's chromium, node and npm (the machine's own
# when it has them), and the locked playwright-core.
if [ "$browser" -eq 1 ]; then
	"$top/scripts/browser-deps.sh"
fi
