#!/usr/bin/env bash
# run.sh -- build every libFuzzer target (tests/fuzz/fuzz_*.c) with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer, and run each in turn for
# FUZZ_SECONDS. Ends with one line per target, "ok" or "CRASH", and exits
# non-zero if any target crashed, leaked or timed out.
#
#   BUILD=build-fuzz FUZZ_SECONDS=60 [FUZZ_TARGETS="workflow meta"] tests/fuzz/run.sh
#
# The library is built by make into $BUILD (its own directory: the objects
# carry the sanitizers' and libFuzzer's instrumentation). Each target works
# on a copy of its seed corpus in $BUILD/fuzz-corpus/<name>, so what the
# fuzzer finds never lands in the repository; that copy is kept between
# runs. Crash, leak and timeout inputs are saved in $BUILD/fuzz-crashes/<name>/
# (replay one with $BUILD/fuzz/fuzz_<name> FILE, or with
# build/tests/replay_fuzz_<name> FILE without libFuzzer), logs in
# $BUILD/fuzz-logs/<name>.log. Targets run one at a time, one process each.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
BUILD=${BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=${FUZZ_TARGETS:-}
CC=${FUZZ_CC:-clang}
PKGS="libgit2 gpgme libassuan gpg-error libgcrypt jansson libcmark zlib expat"

case "$FUZZ_SECONDS" in ''|*[!0-9]*) echo "FUZZ_SECONDS must be a number of seconds" >&2; exit 2 ;; esac
if ! command -v "$CC" >/dev/null; then
	echo "fuzz: $CC not found (libFuzzer needs clang)" >&2
	exit 2
fi

# The targets: every tests/fuzz/fuzz_<name>.c, or those FUZZ_TARGETS names
# ("workflow" or "fuzz_workflow").
targets=()
for src in tests/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	name=${src#tests/fuzz/fuzz_}
	name=${name%.c}
	if [ -n "$FUZZ_TARGETS" ]; then
		case " $FUZZ_TARGETS " in
		*" $name "*|*" fuzz_$name "*) ;;
		*) continue ;;
		esac
	fi
	targets+=("$name")
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no target matches FUZZ_TARGETS='$FUZZ_TARGETS'" >&2
	exit 2
fi
for want in $FUZZ_TARGETS; do
	[ -f "tests/fuzz/fuzz_${want#fuzz_}.c" ] || echo "fuzz: warning: no target '$want'" >&2
done

# Targets over HTTP input (tests/fuzz/http_harness.c) link the server's
# objects, all but main.o, and libmicrohttpd.
http_targets=" form cookie api "
srv_objs=()
for name in "${targets[@]}"; do
	case "$http_targets" in *" $name "*) ;; *) continue ;; esac
	for f in server/*.c; do
		[ "$f" = server/main.c ] || srv_objs+=("$BUILD/${f%.c}.o")
	done
	break
done

# The library, instrumented for coverage but without libFuzzer's main().
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
echo "== building $BUILD/libchancery.a with $CC"
if ! make -s BUILD="$BUILD" CC="$CC" \
	CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $san" "$BUILD/libchancery.a" "${srv_objs[@]}"; then
	echo "fuzz: library build failed" >&2
	exit 2
fi

warn="-Wall -Wextra -Werror -Wvla -Wwrite-strings -Wformat-security -Wshadow \
-Wmissing-prototypes -Wpointer-arith -Wstrict-prototypes"
# shellcheck disable=SC2086
cflags="-std=c11 -D_GNU_SOURCE $warn -O1 -g -fsanitize=fuzzer $san -I. $(pkg-config --cflags $PKGS)"
# shellcheck disable=SC2086
libs="$(pkg-config --libs $PKGS) -lunistring -lpthread"
srv_libs="$(pkg-config --libs libmicrohttpd gnutls libseccomp zlib)"
mkdir -p "$BUILD/fuzz" "$BUILD/fuzz-logs"
for name in "${targets[@]}"; do
	echo "== building $BUILD/fuzz/fuzz_$name"
	# shellcheck disable=SC2086
	extra=() xlibs=
	# Targets over server code link the server's object too.
	[ "$name" = ipc ] && extra=(server/ipc.c)
	[ "$name" = config ] && extra=(server/config.c)
	[ "$name" = backup ] && extra=(cli/backup_format.c)
	[ "$name" = pgp_diff ] && xlibs=-lrnp
	case "$http_targets" in
	*" $name "*) extra=(tests/fuzz/http_harness.c "${srv_objs[@]}") xlibs=$srv_libs ;;
	esac
	# shellcheck disable=SC2086
	if ! $CC $cflags -o "$BUILD/fuzz/fuzz_$name" "tests/fuzz/fuzz_$name.c" "${extra[@]}" \
		"$BUILD/libchancery.a" $libs $xlibs; then
		echo "fuzz: building fuzz_$name failed" >&2
		exit 2
	fi
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

results=() failed=0
for name in "${targets[@]}"; do
	corpus="$BUILD/fuzz-corpus/$name"
	crashes="$BUILD/fuzz-crashes/$name"
	log="$BUILD/fuzz-logs/$name.log"
	mkdir -p "$corpus" "$crashes"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -p "tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
	else
		echo "fuzz: warning: no seed corpus tests/fuzz/corpus/$name" >&2
	fi
	before=$(find "$crashes" -type f | wc -l)
	echo "== fuzzing $name for ${FUZZ_SECONDS}s (log: $log)"
	"$BUILD/fuzz/fuzz_$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
		"$corpus" >"$log" 2>&1
	rc=$?
	after=$(find "$crashes" -type f | wc -l)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ]; then
		size=$(find "$corpus" -type f | wc -l)
		results+=("ok    $name (${execs:-?} runs, corpus $size inputs)")
	else
		failed=$((failed + 1))
		newest=$(find "$crashes" -type f -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
		results+=("CRASH $name (exit $rc) -- input: ${newest:-none saved} -- log: $log")
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/      /'
	fi
done

echo
printf '%s\n' "${results[@]}"
[ "$failed" -eq 0 ]
