#!/usr/bin/env bash
# test_layout.sh -- the house's layout holds (issue 14): no include cycle
# between modules of different folders (a module: NAME.c with NAME.h), and
# the shells (cli/, server/) name no ref or file of the repository format
# themselves (workflows/format.h does).
. "$(dirname "$0")/lib.sh"
cd "$top" || exit 1
python3 - >"$T/cycles" <<'PY'
import collections, os, re, subprocess
files = [f for f in subprocess.check_output(["git", "ls-files", "*.c", "*.h"]).decode().split()
         if not f.startswith(("tests/", "scripts/"))]
inc = re.compile(r'#include "([^"]+)"')
mod = lambda p: p.rsplit(".", 1)[0]
g = collections.defaultdict(set)
for f in files:
    for m in inc.findall(open(f, encoding="utf-8").read()):
        if os.path.exists(m) and mod(f) != mod(m):
            g[mod(f)].add(mod(m))
found = set()
for start in list(g):
    stack = [(start, [start])]
    while stack:
        n, path = stack.pop()
        for m in g[n]:
            if m == start and len({os.path.dirname(x) for x in path}) > 1:
                found.add(" -> ".join(sorted(path)))
            elif m not in path and len(path) < 8:
                stack.append((m, path + [m]))
for c in sorted(found):
    print(c)
print("modules", len(g))
PY
check "the include graph was read ($(tail -1 "$T/cycles"))" grep -q '^modules [1-9]' "$T/cycles"
check "no include cycle between modules of different folders" test "$(wc -l <"$T/cycles")" -eq 1
sed '$d' "$T/cycles" | sed 's/^/#   cycle: /' | head -5
grep -nE '"(refs/(heads|docs|conflicts|chancery)|document\.md|meta\.json|policy/keys)' cli/*.c server/*.c |
	grep -vE 'ch_error_setc|printf|usage|fputs|puts\(' >"$T/literals" || true
check "cli/ and server/ name no ref or file of the format themselves (workflows/format.h)" \
	test ! -s "$T/literals"
sed 's/^/#   /' "$T/literals" | head -5
finish
