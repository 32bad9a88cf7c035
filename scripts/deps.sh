#!/usr/bin/env bash
# deps.sh -- install the Debian packages Chancery needs to build and test.
# Idempotent and quick when everything is present (one dpkg-query).
set -eu
pkgs=(
	gcc clang make pkg-config
	libgit2-dev libgpgme-dev libassuan-dev libgcrypt20-dev libmicrohttpd-dev libgnutls28-dev
	libjansson-dev libcmark-dev libunistring-dev libcmocka-dev
	gnupg gpg-agent gpgconf git curl ca-certificates jq
)
missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "deps: missing packages and not root: apt-get install ${missing[*]}" >&2
		exit 1
	fi
else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
