#!/usr/bin/env bash
# test_release_build.sh -- the test hooks (util/failpoint.h, the test
# build's lowered S2K count) exist in the test build only: the release
# binaries (`make`, `make install`) hold none of their variable names, and
# the test build does (so the check can fail).
. "$(dirname "$0")/lib.sh"
REL=${BUILD%-test}
if [ "$REL" = "$BUILD" ] || [ ! -x "$REL/chancery" ]; then
	# not run from `make check`: build the release binaries beside
	make -C "$CH_TOP" BUILD="$T/release" all >"$T/release.log" 2>&1
	REL="$T/release"
fi
for b in chancery chanceryd chancery-offline; do
	check "release $b holds no test hook" \
		sh -c "! strings '$REL/$b' | grep -qE 'CHANCERY_(FAILPOINT|TEST)_'"
done
check "the test build's chancery holds them (the check can fail)" \
	sh -c "strings '$BUILD/chancery' | grep -q CHANCERY_TEST_S2K_COUNT"
check "the test build's chancery has the failpoints" \
	sh -c "strings '$BUILD/chancery' | grep -q CHANCERY_FAILPOINT_CRASH"
# Issue 17: the admin no longer chooses officials' secrets. The test
# build keeps two shortcuts for the suites; the release build refuses both.
S="$T/rel-site"
"$REL/chancery" init "$S" --site-id hq --admin admin.a --name A \
	--passphrase-file "$(pass admin.a)" >/dev/null 2>&1
expect 1 "release: person add no longer takes the official's passphrase" "$REL/chancery" \
	person add "$S" x.y --name X --roles drafter --as admin.a \
	--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass x.y)"
err_has "prints an enrolment code" "  pointing to the enrolment code"
expect 1 "release: nobody sets another person's login password" "$REL/chancery" account set \
	"$S" admin.a --password-file "$(pass x.y)"
finish
