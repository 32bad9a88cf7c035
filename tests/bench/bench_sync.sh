#!/usr/bin/env bash
# bench_sync.sh -- mission sync: MISSIONS missions (50) each fetch STEPS
# (1,000) new signed steps from headquarters, through chanceryd (git's
# smart HTTP, upload-pack with need to know, TLS with client certificates
# checked against sites.json) and, in the same run, through stock git's
# `git http-backend` run as CGI by lighttpd behind the same TLS (the same
# server certificate and client certificates, verified against the same
# CA). Prints the wall time of all the fetches and the bytes each server
# sent, and the ratios.
#
# Set-up (not timed): gen_site makes HQ with DOCS documents addressed to
# every mission (created, submitted, approved by the head); each mission is
# a `git clone --mirror` of it, made once per server and copied MISSIONS
# times. Then gen_site records STEPS new signed comment steps (STEPS/DOCS on
# each document). Timed: MISSIONS `git fetch`es, PARALLEL at a time, with
# each mission's own client certificate, the same way for both servers, in
# the order A-B-B-A (half the missions each time) against drifting load;
# afterwards every mission must hold HQ's heads, or the bench fails.
#
# Bytes: what each server sent in HTTP response bodies (advertisements,
# negotiation and packs), from its own log: chanceryd logs "N bytes" for
# every sync answer, lighttpd's access log "%b". TLS framing and headers
# are not counted (the same for both). Server CPU: user and system time of
# chanceryd (all its threads) and of lighttpd with its reaped CGI children
# (git http-backend, upload-pack, pack-objects), from /proc, over the
# timed fetches.
#
# The client is Debian's git with its default protocol: v2 against
# http-backend; chanceryd serves v0/v1 only, so the client falls back.
# HTTP/1.1 on both (lighttpd's HTTP/2 is turned off: chanceryd has none).
# Environment: BENCH_SYNC_QUICK=1 (10 missions, 200 steps), or
# BENCH_SYNC_MISSIONS, BENCH_SYNC_STEPS, BENCH_SYNC_DOCS, BENCH_SYNC_PARALLEL.
. "$(dirname "$0")/../integration/lib.sh"

case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac
if [ -n "${BENCH_SYNC_QUICK:-}" ]; then dm=10 ds=200; else dm=50 ds=1000; fi
MISSIONS=${BENCH_SYNC_MISSIONS:-$dm}
STEPS=${BENCH_SYNC_STEPS:-$ds}
DOCS=${BENCH_SYNC_DOCS:-50}
PARALLEL=${BENCH_SYNC_PARALLEL:-4}
PKGS="libgit2 gpgme libassuan gpg-error libgcrypt jansson libcmark zlib"  # as the Makefile's PKGS
WARN="-Wall -Wextra -Werror -Wvla -Wwrite-strings -Wformat-security -Wshadow
      -Wmissing-prototypes -Wpointer-arith -Wstrict-prototypes"
BB="$BUILD/bench"
die() { echo "bench_sync: $*" >&2; exit 1; }
[ $((STEPS % DOCS)) -eq 0 ] || die "BENCH_SYNC_STEPS ($STEPS) must be a multiple of BENCH_SYNC_DOCS ($DOCS)"
[ "$DOCS" -le "$STEPS" ] || DOCS=$STEPS
LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)
[ -x "$LIGHTTPD" ] || die "lighttpd is missing (scripts/deps.sh installs it)"
[ -f /usr/lib/lighttpd/mod_openssl.so ] || die "lighttpd-mod-openssl is missing (scripts/deps.sh)"
BACKEND=$(git --exec-path)/git-http-backend
[ -x "$BACKEND" ] || die "git http-backend is missing"
mkdir -p "$BB"

src="$top/tests/bench/gen_site.c"
if [ ! -x "$BB/gen_site" ] || [ "$src" -nt "$BB/gen_site" ] || [ "$BUILD/libchancery.a" -nt "$BB/gen_site" ]; then
	# shellcheck disable=SC2046,SC2086
	${CC:-cc} -std=c11 -D_GNU_SOURCE $WARN -O2 -I"$top" -o "$BB/gen_site" "$src" \
		$(pkg-config --cflags $PKGS) "$BUILD/libchancery.a" $(pkg-config --libs $PKGS) \
		-lunistring -lpthread || die "cannot build gen_site"
fi
ms() { echo $(( $(date +%s%N) / 1000000 )); }
TCK=$(getconf CLK_TCK)
cpu_ms() { # PID: CPU time of the process, its threads and its reaped children
	awk -v t="$TCK" '{ sub(/^.*\) /, ""); print int(($12 + $13 + $14 + $15) * 1000 / t) }' "/proc/$1/stat"
}

# ---- headquarters and the missions' certificates ----
S="$T/hq"
chmod 755 "$T"
t0=$(ms)
"$BB/gen_site" init "$S" >/dev/null || die "gen_site init failed"
names=()
for i in $(seq 1 "$MISSIONS"); do names+=("$(printf 'mission-%02d' "$i")"); done
"$top/scripts/tls-demo.sh" "$T/tls" "${names[@]}" >/dev/null || die "certificates"
(umask 077; echo "bench-passphrase-admin.a" >"$T/admin.pass")
for m in "${names[@]}"; do
	fpr=$(openssl x509 -in "$T/tls/$m.pem" -outform DER | sha256sum | cut -c1-64)
	"$CH" site set "$S" "$m" --units "$m" --tls-fingerprint "$fpr" --as admin.a \
		--passphrase-file "$T/admin.pass" >/dev/null || die "site set $m"
done
to=$(IFS=,; echo "${names[*]}")
gen() { # MODE ARGS...: gen_site on every core, documents split by stride
	local mode=$1 pids=() i n; shift
	n=$(nproc)
	for i in $(seq 0 $((n - 1))); do
		GEN_SITE_STEPS=3 GEN_SITE_TO="$to" "$BB/gen_site" "$mode" "$S" "$i" "$n" "$@" 2>"$T/gen.$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || { cat "$T"/gen.*; die "gen_site $mode failed"; }; done
}
gen docs "$DOCS"
git -C "$S/repo.git" pack-refs --all && git -C "$S/repo.git" repack -adq
echo "HQ: $DOCS documents addressed to $MISSIONS missions, $((DOCS * 3)) steps, $MISSIONS policy entries ($(( $(ms) - t0 )) ms to make)"

# ---- the two servers ----
P1=$((20000 + RANDOM % 20000)); P2=$((P1 + 1))
"$BUILD/chanceryd" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --client-ca "$T/tls/ca.pem" \
	--port "$P1" >"$T/chd.out" 2>"$T/chd.log" &
chd=$!
mkdir -p "$T/www"
cat >"$T/lighttpd.conf" <<EOF
server.modules = ("mod_openssl", "mod_alias", "mod_setenv", "mod_cgi", "mod_accesslog")
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $P2
server.errorlog = "$T/lighttpd.err"
server.feature-flags = ("server.h2proto" => "disable")
accesslog.filename = "$T/lighttpd.access"
accesslog.format = "%s %b %r"
ssl.engine = "enable"
ssl.pemfile = "$T/tls/server.pem"
ssl.privkey = "$T/tls/server.key"
ssl.ca-file = "$T/tls/ca.pem"
ssl.verifyclient.activate = "enable"
ssl.verifyclient.enforce = "enable"
ssl.verifyclient.depth = 2
alias.url = ("/git/" => "$BACKEND/")
\$HTTP["url"] =~ "^/git/" {
	cgi.assign = ("" => "")
	setenv.add-environment = ("GIT_PROJECT_ROOT" => "$S", "GIT_HTTP_EXPORT_ALL" => "",
	                          "GIT_CONFIG_NOSYSTEM" => "1", "HOME" => "$HOME")
}
EOF
start_lighttpd() {
	"$LIGHTTPD" -D -f "$T/lighttpd.conf" >"$T/lighttpd.out" 2>&1 &
	lty=$!
	for _ in $(seq 100); do
		curl -s --cacert "$T/tls/ca.pem" --cert "$T/tls/mission-01.pem" --key "$T/tls/mission-01.key" \
			-o /dev/null "https://127.0.0.1:$P2/" && return
		sleep 0.1
	done
	die "lighttpd did not start: $(cat "$T/lighttpd.out" "$T/lighttpd.err" 2>/dev/null)"
}
# lighttpd buffers its access log: it is stopped (gracefully) to have every line
stop_lighttpd() { kill -INT "$lty"; wait "$lty" 2>/dev/null; }
start_lighttpd
trap 'kill $chd $lty 2>/dev/null; wait $chd $lty 2>/dev/null; gpgconf --homedir "$S/gnupg" --kill gpg-agent 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do
	curl -s --cacert "$T/tls/ca.pem" -o /dev/null "https://127.0.0.1:$P1/login" && break
	sleep 0.1
done
code=$(curl -s --cacert "$T/tls/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$P2/git/repo.git/info/refs?service=git-upload-pack")
[ "$code" = 000 ] || die "lighttpd answered without a client certificate ($code)"
URL1="https://127.0.0.1:$P1/git/hq.git"
URL2="https://127.0.0.1:$P2/git/repo.git"

gitm() { # MISSION git-args...
	local m=$1; shift
	GIT_SSL_CERT="$T/tls/$m.pem" GIT_SSL_KEY="$T/tls/$m.key" GIT_SSL_CAINFO="$T/tls/ca.pem" git "$@"
}
t0=$(ms)
gitm mission-01 clone -q --mirror "$URL1" "$T/seed-chancery.git" || die "clone through chanceryd: $(tail -3 "$T/chd.log")"
gitm mission-01 clone -q --mirror "$URL2" "$T/seed-stock.git" || die "clone through http-backend: $(tail -3 "$T/lighttpd.err")"
for m in "${names[@]}"; do
	cp -a "$T/seed-chancery.git" "$T/$m-chancery.git"
	cp -a "$T/seed-stock.git" "$T/$m-stock.git"
done
echo "$MISSIONS missions: git clone --mirror through each server, copied ($(( $(ms) - t0 )) ms)"

# ---- the new steps ----
t0=$(ms)
gen comments "$DOCS" $((STEPS / DOCS))
n=$(git -C "$S/repo.git" rev-list --count --all --not $(git -C "$T/seed-stock.git" for-each-ref --format='%(objectname)'))
[ "$n" -eq "$STEPS" ] || die "expected $STEPS new commits at HQ, found $n"
echo "HQ: $STEPS new signed steps, $((STEPS / DOCS)) on each document ($(( $(ms) - t0 )) ms to make)"
git -C "$S/repo.git" for-each-ref --format='%(objectname) %(refname)' refs/docs refs/heads | sort >"$T/hq.refs"

# ---- timed: every mission fetches ----
export T
export -f gitm
run() { # chancery|stock MISSION...: their fetches, PARALLEL at a time; prints the ms taken
	local v=$1 t; shift
	t=$(ms)
	printf '%s\n' "$@" | xargs -P "$PARALLEL" -I{} bash -c \
		'gitm {} -C "$T/{}-'"$v"'.git" fetch -q origin 2>>"$T/fetch-'"$v"'.err" || echo {} >>"$T/failed-'"$v"'"'
	echo $(( $(ms) - t ))
}
# A-B-B-A: half the missions through chanceryd, then that half through
# http-backend, the other half through http-backend, then through
# chanceryd, so that the machine's drifting load weighs on both alike.
half=$((MISSIONS / 2))
first=("${names[@]:0:half}")
second=("${names[@]:half}")
stop_lighttpd
rm -f "$T/lighttpd.access"
start_lighttpd
n0=$(wc -l <"$T/chd.log")
c_ch=$(cpu_ms "$chd") c_st=$(cpu_ms "$lty")
t_ch=$(run chancery "${first[@]}")
t_st=$(run stock "${first[@]}")
t_st=$(( t_st + $(run stock "${second[@]}") ))
t_ch=$(( t_ch + $(run chancery "${second[@]}") ))
c_ch=$(( $(cpu_ms "$chd") - c_ch )) c_st=$(( $(cpu_ms "$lty") - c_st ))
stop_lighttpd
for v in chancery stock; do
	[ -s "$T/failed-$v" ] && die "fetches through $v failed: $(head -5 "$T/fetch-$v.err")"
	for m in "${names[@]}"; do
		git -C "$T/$m-$v.git" for-each-ref --format='%(objectname) %(refname)' refs/docs refs/heads |
			sort | cmp -s - "$T/hq.refs" || die "$m ($v) does not hold HQ's heads after its fetch"
	done
done
tail -n +$((n0 + 1)) "$T/chd.log" >"$T/chd.timed.log"
b_ch=$(awk '/ sync peer=/ && $(NF) == "bytes" { s += $(NF-1) } END { print s + 0 }' "$T/chd.timed.log")
b_st=$(awk '$4 ~ "^/git/" { if ($2 ~ /^[0-9]+$/) s += $2 } END { print s + 0 }' "$T/lighttpd.access")
r_ch=$(grep -c ' sync peer=' "$T/chd.timed.log")
r_st=$(awk '$4 ~ "^/git/"' "$T/lighttpd.access" | wc -l)
echo "timed: $MISSIONS missions × git fetch of $STEPS new steps, $PARALLEL at a time, TLS with client certificates"
printf '%-40s %8d ms   %10d bytes sent   %4d requests   server CPU %6d ms\n' \
	"chanceryd (upload-pack, need to know)" "$t_ch" "$b_ch" "$r_ch" "$c_ch"
printf '%-40s %8d ms   %10d bytes sent   %4d requests   server CPU %6d ms\n' \
	"stock git http-backend under lighttpd" "$t_st" "$b_st" "$r_st" "$c_st"
awk -v a="$t_ch" -v b="$t_st" -v c="$b_ch" -v d="$b_st" -v m="$MISSIONS" -v e="$c_ch" -v f="$c_st" 'BEGIN {
	printf "chanceryd / stock: time %.2f, bytes %.2f, server CPU %.2f; per mission: %.0f ms and %.0f bytes (chanceryd), %.0f ms and %.0f bytes (stock)\n",
		a / b, c / d, (f > 0 ? e / f : 0), a / m, c / m, b / m, d / m }'
