#!/usr/bin/env bash
# gen_fold.sh -- regenerate workflows/classify/fold_table.c (the scanner's table of
# letter-like code points, scripts/gen_fold.c) from Debian's unicode-data and
# ICU's UTS #39 confusables. Needs the packages unicode-data and libicu-dev;
# the build does not (the table is committed).
#
#   scripts/gen_fold.sh [OUT]     OUT defaults to workflows/classify/fold_table.c
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/workflows/classify/fold_table.c}
ucd=/usr/share/unicode/UnicodeData.txt
[ -r "$ucd" ] || { echo "gen_fold: $ucd missing (apt-get install unicode-data)" >&2; exit 1; }
pkg-config --exists icu-i18n || { echo "gen_fold: ICU missing (apt-get install libicu-dev)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$tmp/gen_fold" "$top/scripts/gen_fold.c" \
	$(pkg-config --cflags --libs icu-i18n icu-uc)
"$tmp/gen_fold" "$ucd" >"$tmp/out.c"
mv "$tmp/out.c" "$out"
