#!/usr/bin/env bash
# test_deps.sh -- the packages each target installs (scripts/deps.sh):
# `make run` needs no browser, packet capture, valgrind or benchmark tool;
# the browser tests' locked playwright-core runs on Debian 12's own node
# (18), and scripts/browser-deps.sh refuses an older node, saying why.
. "$(dirname "$0")/lib.sh"

DEPS="$top/scripts/deps.sh"
expect 0 "deps.sh --list run" "$DEPS" --list run
cp "$T/out" "$T/run.list"
for p in chromium tshark valgrind wrk lighttpd lighttpd-mod-openssl nodejs npm libnss3-tools \
	libcmocka-dev librnp-dev libicu-dev; do
	check "make run's set lacks $p" sh -c "! grep -qx '$p' '$T/run.list'"
done
check "  and the browser tests' set" sh -c "! grep -q 'browser-deps' '$T/run.list'"
for p in gcc make pkg-config libgit2-dev libgpgme-dev libmicrohttpd-dev libexpat1-dev gnupg \
	gpg-agent git gnutls-bin; do
	check "make run's set holds $p (build, demo)" grep -qx "$p" "$T/run.list"
done
"$DEPS" --list test >"$T/test.list"
for p in clang tshark valgrind wrk jq curl libcmocka-dev librnp-dev rnp sqv gnupg1; do
	check "make check's set holds $p" grep -qx "$p" "$T/test.list"
done
check "  and the browser tests" grep -q "browser-deps" "$T/test.list"
"$DEPS" --list bench >"$T/bench.list"
for p in wrk lighttpd lighttpd-mod-openssl; do
	check "make bench's set holds $p" grep -qx "$p" "$T/bench.list"
done
expect 2 "an unknown set is refused" "$DEPS" --list browser
err_has "unknown set 'browser'" "  naming it"

# make run installs only the run set; make check the test set
# (make -n still runs the lines that call $(MAKE): MAKE=true keeps the dry
# run dry, or it would build into $BUILD with the default flags -- under
# make asan, over the sanitized binaries)
make -C "$top" -n run BUILD="$BUILD" MAKE=true 2>/dev/null >"$T/make-run"
check "make run calls deps.sh run" grep -q "^scripts/deps.sh run$" "$T/make-run"
check "  and no other set" sh -c "! grep -q '^scripts/deps.sh \(test\|bench\)' '$T/make-run'"
check "  and builds the binaries only (no test library needed)" grep -q "bin$" "$T/make-run"
make -C "$top" -n deps MAKE=true 2>/dev/null >"$T/make-deps"
check "make check's deps call deps.sh test" grep -q "scripts/deps.sh test$" "$T/make-deps"

# ---- the browser tests on Debian 12's node ----
LOCK="$top/tests/browser/package-lock.json"
need=$(jq -r '.packages["node_modules/playwright-core"].engines.node' "$LOCK")
check "the locked playwright-core states the node it needs ($need)" test -n "$need"
n=${need#>=}
check "  and Debian 12's node 18 satisfies it" sh -c "[ '${need%%[0-9]*}' = '>=' ] && [ '$n' -le 18 ]"
check "package.json asks for the locked version" test \
	"$(jq -r '.dependencies["playwright-core"]' "$top/tests/browser/package.json")" = \
	"$(jq -r '.packages["node_modules/playwright-core"].version' "$LOCK")"

# browser-deps.sh with a node of a given major version in front of PATH
fake_node() { # major
	mkdir -p "$T/node$1"
	cat >"$T/node$1/node" <<-EOS
	#!/bin/sh
	case "\$1" in --version) echo v$1.19.0 ;; -p) echo $1 ;; *) exit 1 ;; esac
	EOS
	chmod 755 "$T/node$1/node"
}
if command -v chromium >/dev/null && command -v npm >/dev/null && command -v certutil >/dev/null &&
	[ -f "$top/tests/browser/node_modules/playwright-core/package.json" ]; then
	fake_node 16
	expect 1 "browser-deps.sh refuses node 16" env PATH="$T/node16:$PATH" "$top/scripts/browser-deps.sh"
	err_has "node v16.19.0 is older than $n, which the locked playwright-core needs" "  saying why"
	fake_node 18
	expect 0 "browser-deps.sh accepts node 18 (Debian 12's)" env PATH="$T/node18:$PATH" \
		"$top/scripts/browser-deps.sh"
else
	not_ok "chromium, npm, certutil and playwright-core are installed (scripts/deps.sh test)"
fi
finish
