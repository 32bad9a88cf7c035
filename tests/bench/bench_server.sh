#!/usr/bin/env bash
# bench_server.sh -- chanceryd under wrk over HTTPS, on a site of 10,000
# documents (made once with tests/bench/gen_site.c, kept in
# $BUILD/bench-cache/): requests/s and p99 latency of the document view and
# of the inbox (the head's: every document awaits the head), and, as the
# ceiling, the same figures for a static file of the same size served by
# the same build (--static), in the same run.
. "$(dirname "$0")/../integration/lib.sh"

case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac
NDOCS=${BENCH_SERVER_DOCS:-10000}
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-30}  # under the server's 32 connections per address
PKGS="libgit2 gpgme libassuan gpg-error libgcrypt jansson libcmark zlib"  # as the Makefile's PKGS
WARN="-Wall -Wextra -Werror -Wvla -Wwrite-strings -Wformat-security -Wshadow
      -Wmissing-prototypes -Wpointer-arith -Wstrict-prototypes"
BB="$BUILD/bench"
SITE="$BUILD/bench-cache/server-site-$NDOCS"
die() { echo "bench_server: $*" >&2; exit 1; }
mkdir -p "$BB" "$BUILD/bench-cache"
command -v wrk >/dev/null || die "wrk is missing (scripts/deps.sh installs it)"

src="$top/tests/bench/gen_site.c"
if [ ! -x "$BB/gen_site" ] || [ "$src" -nt "$BB/gen_site" ] || [ "$BUILD/libchancery.a" -nt "$BB/gen_site" ]; then
	# shellcheck disable=SC2046,SC2086
	${CC:-cc} -std=c11 -D_GNU_SOURCE $WARN -O2 -I"$top" -o "$BB/gen_site" "$src" \
		$(pkg-config --cflags $PKGS) "$BUILD/libchancery.a" $(pkg-config --libs $PKGS) \
		-lunistring -lpthread || die "cannot build gen_site"
fi
if [ ! -f "$SITE/.complete" ]; then
	echo "making the site: $NDOCS documents (create and submit: all await the head), once"
	rm -rf "$SITE"
	"$BB/gen_site" init "$SITE" >/dev/null || die "gen_site init failed"
	pids=()
	for i in $(seq 0 $(($(nproc) - 1))); do
		GEN_SITE_STEPS=2 "$BB/gen_site" docs "$SITE" "$i" "$(nproc)" "$NDOCS" 2>/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || die "gen_site docs failed"; done
	git -C "$SITE/repo.git" pack-refs --all && git -C "$SITE/repo.git" repack -adq
	gpgconf --homedir "$SITE/gnupg" --kill gpg-agent 2>/dev/null
	touch "$SITE/.complete"
fi
chmod 755 "$BUILD/bench-cache" "$SITE"
(umask 077; echo "bench-login-2026" >"$T/login"; echo "bench-passphrase-admin.a" >"$T/admin.pass")
# the head's own login password, set with a one-time enrolment code
"$CH" person code "$SITE" tran.thi.b --as admin.a --passphrase-file "$T/admin.pass" |
	sed -n 's/^enrolment code for [^:]*: //p' >"$T/code" || die "person code"
"$CH" enrol "$SITE" tran.thi.b --code-file "$T/code" --password-file "$T/login" >/dev/null ||
	die "enrol"

"$top/scripts/tls-demo.sh" "$T/tls" >/dev/null
mkdir -p "$T/static"; chmod 755 "$T" "$T/static"
PORT=$((20000 + RANDOM % 20000)); URL="https://127.0.0.1:$PORT"
start() {
	"$BUILD/chanceryd" "$SITE" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --port "$PORT" \
		--static "$T/static" >"$T/server.out" 2>"$T/server.log" &
	srv=$!
	for _ in $(seq 100); do curl -s --cacert "$T/tls/ca.pem" -o /dev/null "$URL/login" && return; sleep 0.1; done
	die "the server did not start: $(cat "$T/server.log")"
}
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; gpgconf --homedir "$SITE/gnupg" --kill gpg-agent 2>/dev/null; cleanup' EXIT
start
curl -s --cacert "$T/tls/ca.pem" -c "$T/jar" -o /dev/null "$URL/login" -d id=tran.thi.b -d password=bench-login-2026
cookie=$(awk '$6 == "chancery_session" {print $7}' "$T/jar")
[ -n "$cookie" ] || die "cannot log in"
doc=$(printf 'bench-%05d' $((NDOCS / 2)))
t0=$(date +%s%N)
curl -s --cacert "$T/tls/ca.pem" -H "Cookie: chancery_session=$cookie" --max-time 600 -o "$T/inbox.html" "$URL/inbox"
echo "first inbox (indexes $NDOCS documents): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
curl -s --cacert "$T/tls/ca.pem" -H "Cookie: chancery_session=$cookie" -o "$T/doc.html" "$URL/docs/$doc"
grep -q "bench-" "$T/inbox.html" || die "the inbox lists no document"
grep -q 'id="doc-title"' "$T/doc.html" || die "the document page did not render"
# Static files of the same sizes: restart so the server reads them.
head -c "$(stat -c %s "$T/doc.html")" /dev/urandom >"$T/static/doc.bin"
head -c "$(stat -c %s "$T/inbox.html")" /dev/urandom >"$T/static/inbox.bin"
kill "$srv"; wait "$srv" 2>/dev/null
start
curl -s --cacert "$T/tls/ca.pem" -c "$T/jar" -o /dev/null "$URL/login" -d id=tran.thi.b -d password=bench-login-2026
cookie=$(awk '$6 == "chancery_session" {print $7}' "$T/jar")
curl -s --cacert "$T/tls/ca.pem" -H "Cookie: chancery_session=$cookie" --max-time 600 -o /dev/null "$URL/inbox"

run() { # label path
	local out
	out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --latency -H "Cookie: chancery_session=$cookie" "$URL$2" 2>&1)
	rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
	p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
	non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $NF}')
	printf '%-34s %10s req/s   p99 %9s   %s bytes%s\n' "$1" "$rps" "$p99" "$3" \
		"${non2xx:+   NON-2xx: $non2xx}"
	eval "rps_$4=$rps"
}
echo "wrk: 2 threads, $CONNS connections, ${SECONDS_EACH}s each, HTTPS, $NDOCS documents"
run "document view /docs/$doc" "/docs/$doc" "$(stat -c %s "$T/doc.html")" doc
run "static file of the same size" "/static/doc.bin" "$(stat -c %s "$T/static/doc.bin")" sdoc
run "inbox (head: $NDOCS awaiting)" "/inbox" "$(stat -c %s "$T/inbox.html")" inbox
run "static file of the same size" "/static/inbox.bin" "$(stat -c %s "$T/static/inbox.bin")" sinbox
awk -v a="$rps_doc" -v b="$rps_sdoc" -v c="$rps_inbox" -v d="$rps_sinbox" 'BEGIN {
	printf "document view: %.2f of the static ceiling; inbox: %.2f of the static ceiling\n", a/b, c/d }'
