#!/usr/bin/env bash
# browser-deps.sh -- what the browser tests need: Debian's chromium, node and
# npm, certutil (libnss3-tools), and playwright-core at the version locked in
# tests/browser/package-lock.json, in tests/browser/node_modules.
# No browser is ever downloaded: the tests drive /usr/bin/chromium.
# Idempotent and quick when everything is present (no apt, no npm).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir="$top/tests/browser"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# certutil: the test browser trusts the test CA through an NSS database.
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
if [ ${#missing[@]} -ne 0 ]; then
	echo "browser-deps: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
			echo "browser-deps: missing packages and not root: apt-get install ${missing[*]}" >&2
			exit 1
		fi
	else SUDO=; fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The locked playwright-core says which node it needs (engines.node, ">=N"):
# 1.61.1, the newest that runs on node 18, Debian 12's own nodejs (1.62 and
# later need 20). An older node is an error here, not a failing test later.
need=$(sed -n '/"node_modules\/playwright-core"/,/^    }/s/.*"node": *">=\([0-9]*\)".*/\1/p' \
	"$dir/package-lock.json" | head -1)
major=$(node -p 'process.versions.node.split(".")[0]')
if [ -n "$need" ] && [ "$major" -lt "$need" ]; then
	echo "browser-deps: node $(node --version) is older than $need, which the locked" \
		"playwright-core needs (tests/browser/package-lock.json)" >&2
	exit 1
fi

# playwright-core at exactly the locked version, or npm ci.
want=$(sed -n '/"node_modules\/playwright-core"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' \
	"$dir/package-lock.json" | head -1)
have=$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' \
	"$dir/node_modules/playwright-core/package.json" 2>/dev/null | head -1 || true)
if [ -z "$want" ] || [ "$want" != "$have" ]; then
	echo "browser-deps: npm ci in tests/browser (playwright-core $want)"
	# playwright-core fetches no browser on install; the variable makes sure.
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
fi
