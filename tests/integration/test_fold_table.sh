#!/usr/bin/env bash
# test_fold_table.sh -- the committed folding table (workflows/classify/fold_table.c)
# is what scripts/gen_fold.sh makes from the machine's unicode-data and ICU
# (when both are installed; else the check is skipped and says so), and the
# corpus generator prints every marking in every family.
. "$(dirname "$0")/lib.sh"

if [ -r /usr/share/unicode/UnicodeData.txt ] && pkg-config --exists icu-i18n; then
	check "scripts/gen_fold.sh runs" "$top/scripts/gen_fold.sh" "$T/fold_table.c"
	check "the committed fold_table.c is what it makes" \
		cmp "$T/fold_table.c" "$top/workflows/classify/fold_table.c"
else
	ok "# skip: unicode-data or libicu-dev missing, fold_table.c not regenerated"
fi
check "gen_markings prints the corpus" "$BUILD/tests/gen_markings"
n=$("$BUILD/tests/gen_markings" | wc -l)
check "  more than 800 variants ($n)" test "$n" -gt 800
check "  and the false friends" test "$("$BUILD/tests/gen_markings" -f | wc -l)" -gt 20
finish
