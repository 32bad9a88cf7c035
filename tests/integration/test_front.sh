#!/usr/bin/env bash
# test_front.sh -- `chancery` is the small front (cli/front/front.c): it
# hands `doc act ... --passphrase-file F` to the site's step engine and runs
# chancery-full for everything else. What a user sees must not depend on
# which of the two did the work: the same output, messages and exit codes.
# (The engine itself, its races and its deaths: test_step_engine.sh, which
# drives it through this front.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
FULL="$BUILD/chancery-full"
[ -n "${CH_VALGRIND:-}" ] && { echo "# under valgrind \$CH is chancery-full: nothing to test here"; finish; }

check "the front is small (< 2 MB; chancery-full is $(stat -c %s "$FULL") bytes)" \
	test "$(stat -c %s "$BUILD/chancery")" -lt 2000000
if ldd "$BUILD/chancery" >"$T/ldd" 2>&1; then
	check "  and links no library but the C library" \
		bash -c "! grep -vE 'linux-vdso|libc\.so|ld-linux|lib(asan|ubsan|m|dl|rt|pthread|gcc_s|stdc\+\+)\.so' '$T/ldd' | grep -q '=>'"
else
	ok "  and is linked statically ($(head -1 "$T/ldd"))"
fi
check "  nor is any name of libgit2, GPGME or libgcrypt in it" \
	bash -c "! nm '$BUILD/chancery' 2>/dev/null | grep -qE ' (git_|gpgme_|gcry_)'"

make_site nguyen.van.a:drafter tran.thi.b:head || { not_ok "site"; finish; }
R="$S/repo.git"
check "other commands run chancery-full: help is its help" \
	cmp <("$CH" help) <("$FULL" help)
"$CH" doc list "$S" >"$T/a" 2>&1; ra=$?
"$FULL" doc list "$S" >"$T/b" 2>&1; rb=$?
check "doc list: same output and exit code ($ra)" test "$ra" = "$rb" -a -z "$(diff "$T/a" "$T/b")"
"$CH" doc act "$S" nosuch --bogus 1 >"$T/a" 2>&1; ra=$?
"$FULL" doc act "$S" nosuch --bogus 1 >"$T/b" 2>&1; rb=$?
check "an option the front does not know: chancery-full's message and exit code ($ra)" \
	test "$ra" = "$rb" -a -z "$(diff "$T/a" "$T/b")"

D=$("$CH" doc create "$S" --as nguyen.van.a --title "Thử front" --type cong-van \
	--file "$CORPUS/chinh-phu-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)") ||
	not_ok "create"
CHANCERY_ENGINE_TRACE=1 "$CH" doc act "$S" "$D" --as nguyen.van.a --action submit \
	--passphrase-file "$(pass nguyen.van.a)" >"$T/out" 2>"$T/err"; rc=$?
check "doc act through the front: exit 0" test "$rc" = 0
check "  done by the engine" grep -q "step done by the engine" "$T/err"
check "  prints the commit, which is the document's head" \
	test "$(cat "$T/out")" = "$(git -C "$R" rev-parse "refs/docs/$D")"

# the same refusal through the engine (front) and in process (full, no engine)
echo "not the passphrase" >"$T/wrong"
"$CH" doc act "$S" "$D" --as tran.thi.b --action approve --passphrase-file "$T/wrong" \
	>"$T/a" 2>"$T/a.err"; ra=$?
CHANCERY_ENGINE=off "$FULL" doc act "$S" "$D" --as tran.thi.b --action approve \
	--passphrase-file "$T/wrong" >"$T/b" 2>"$T/b.err"; rb=$?
check "a wrong passphrase: exit 1 both ways ($ra, $rb)" test "$ra" = 1 -a "$rb" = 1
check "  the same message" cmp "$T/a.err" "$T/b.err"
check "  naming the person" grep -q "wrong signing passphrase for tran.thi.b" "$T/a.err"
"$CH" doc act "$S" "$D" --as nguyen.van.a --action publish --passphrase-file "$(pass nguyen.van.a)" \
	>"$T/a" 2>"$T/a.err"; ra=$?
CHANCERY_ENGINE=off "$FULL" doc act "$S" "$D" --as nguyen.van.a --action publish \
	--passphrase-file "$(pass nguyen.van.a)" >"$T/b" 2>"$T/b.err"; rb=$?
check "an action the workflow does not allow: same exit code ($ra) and message" \
	test "$ra" = "$rb" -a "$ra" != 0 -a -z "$(diff "$T/a.err" "$T/b.err")"
"$CH" doc act "$S" "$D" --as nobody.x --action approve --passphrase-file "$(pass nguyen.van.a)" \
	>"$T/a" 2>"$T/a.err"; ra=$?
CHANCERY_ENGINE=off "$FULL" doc act "$S" "$D" --as nobody.x --action approve \
	--passphrase-file "$(pass nguyen.van.a)" >"$T/b" 2>"$T/b.err"; rb=$?
check "an unknown person: same exit code ($ra) and message" \
	test "$ra" = "$rb" -a "$ra" != 0 -a -z "$(diff "$T/a.err" "$T/b.err")"
: >"$T/empty"
"$CH" doc act "$S" "$D" --as tran.thi.b --action approve --passphrase-file "$T/empty" \
	>"$T/a" 2>"$T/a.err"; ra=$?
check "an empty passphrase file: chancery-full says so (exit $ra)" \
	bash -c "test $ra != 0 && grep -q 'empty passphrase' '$T/a.err'"
check "the refusals recorded nothing" test "$(git -C "$R" rev-list --count "refs/docs/$D")" = 2

CHANCERY_ENGINE=off CHANCERY_ENGINE_TRACE=1 "$CH" doc act "$S" "$D" --as tran.thi.b \
	--action approve --passphrase-file "$(pass tran.thi.b)" >"$T/out" 2>"$T/err"; rc=$?
check "CHANCERY_ENGINE=off: the step is done in process by chancery-full (exit $rc)" \
	bash -c "test $rc = 0 && grep -q 'done in process' '$T/err'"
"$CH" engine stop "$S" >/dev/null

mkdir "$T/alone" && cp "$BUILD/chancery" "$T/alone/"
"$T/alone/chancery" help >"$T/out" 2>"$T/err"; rc=$?
check "without chancery-full beside it: exit 2, saying what is missing" \
	bash -c "test $rc = 2 && grep -q 'chancery-full' '$T/err'"
finish
