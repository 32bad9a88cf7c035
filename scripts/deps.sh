#!/usr/bin/env bash
# deps.sh -- install the Debian packages (and the npm package for the
# browser tests) that Chancery needs to build, test and benchmark.
# Idempotent and quick when everything is present (one dpkg-query).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
pkgs=(
	gcc clang make pkg-config
	libgit2-dev libgpgme-dev libassuan-dev libgcrypt20-dev libmicrohttpd-dev libgnutls28-dev
	libjansson-dev libcmark-dev libunistring-dev libcmocka-dev libseccomp-dev
	libmbedtls-dev libhttp-parser-dev libssh2-1-dev libpcre2-dev zlib1g-dev libssl-dev
	gnupg gpg-agent gpgconf git curl ca-certificates jq gnutls-bin util-linux tshark
	gnupg1 rnp librnp-dev sq sqop sqv
	valgrind procps zip python3 iproute2 openssl
	lighttpd lighttpd-mod-openssl
	wrk chromium
)
# Node.js and npm (the browser tests' playwright-core): the machine's own
# when it has them, else Debian's.
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
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
if [ -x "$top/scripts/browser-deps.sh" ]; then
	"$top/scripts/browser-deps.sh"
fi
