#!/usr/bin/env bash
# bench_advert.sh -- need to know costs little (issue 16, part 8): the cost
# of a mission's fetch advertisement (GET /git/hq.git/info/refs?service=
# git-upload-pack with its client certificate) on a site with DOCS (1,000)
# documents addressed to it, ATTACH (500) of them carrying an Office
# attachment, beside a site with none. The advertisement lists what the
# mission may see (peerview.c): every document's head through the
# classification gate (label, title, text, attachments' text) -- computed
# once per state of the repository and kept in chanceryd (keyed by every
# ref), so a request pays a scan of the ref names and a copy.
#
# Rows: the first request after chanceryd starts (the view computed), then
# the median and 90th percentile of N (50) more (from the cache), and, on
# the big site, N/5 requests with the cache off (CHANCERY_VIEW_NOCACHE=1,
# what every request cost before). "server" is curl's time from the
# request sent to the first byte back (TLS handshake excluded); "total"
# includes a fresh TLS connection with its client certificate.
# Environment: BENCH_ADVERT_DOCS, BENCH_ADVERT_N.
. "$(dirname "$0")/../integration/lib.sh"

case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac
DOCS=${BENCH_ADVERT_DOCS:-1000}
N=${BENCH_ADVERT_N:-50}
PKGS="libgit2 gpgme libassuan gpg-error libgcrypt jansson libcmark zlib"  # as the Makefile's PKGS
WARN="-Wall -Wextra -Werror -Wvla -Wwrite-strings -Wformat-security -Wshadow
      -Wmissing-prototypes -Wpointer-arith -Wstrict-prototypes"
BB="$BUILD/bench"
die() { echo "bench_advert: $*" >&2; exit 1; }
mkdir -p "$BB"
src="$top/tests/bench/gen_site.c"
if [ ! -x "$BB/gen_site" ] || [ "$src" -nt "$BB/gen_site" ] || [ "$BUILD/libchancery.a" -nt "$BB/gen_site" ]; then
	# shellcheck disable=SC2046,SC2086
	${CC:-cc} -std=c11 -D_GNU_SOURCE $WARN -O2 -I"$top" -o "$BB/gen_site" "$src" \
		$(pkg-config --cflags $PKGS) "$BUILD/libchancery.a" $(pkg-config --libs $PKGS) \
		-lunistring -lpthread || die "cannot build gen_site"
fi
ms() { echo $(( $(date +%s%N) / 1000000 )); }
chmod 755 "$T"
"$top/scripts/tls-demo.sh" "$T/tls" mission-01 >/dev/null || die "certificates"
FPR=$(openssl x509 -in "$T/tls/mission-01.pem" -outform DER | sha256sum | cut -c1-64)
(umask 077; echo "bench-passphrase-admin.a" >"$T/admin.pass")

# An Office attachment (a .docx of about 40 KB of text): what the gate
# opens and reads (workflows/classify/extract.c) on every head it judges.
python3 - "$T/phu-luc.docx" <<'PY' || die "cannot make the .docx"
import sys, zipfile
para = "Báo cáo tình hình hợp tác kinh tế, văn hóa và lãnh sự của cơ quan đại diện. "
body = "".join("<w:p><w:r><w:t>%d. %s</w:t></w:r></w:p>" % (i, para * 4) for i in range(120))
doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
       '<w:body>%s</w:body></w:document>' % body)
ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
      '</Types>')
rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        '</Relationships>')
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", ct)
    z.writestr("_rels/.rels", rels)
    z.writestr("word/document.xml", doc)
PY

make_site() { # DIR DOCS [ATTACH-FILE]
	local dir=$1 docs=$2 att=${3:-} pids=() i n
	"$BB/gen_site" init "$dir" >/dev/null || die "gen_site init failed"
	"$CH" site set "$dir" mission-01 --units mission-01 --tls-fingerprint "$FPR" --as admin.a \
		--passphrase-file "$T/admin.pass" >/dev/null || die "site set"
	[ "$docs" -gt 0 ] || return 0
	n=$(nproc)
	for i in $(seq 0 $((n - 1))); do
		GEN_SITE_STEPS=1 GEN_SITE_TO=mission-01 GEN_SITE_ATTACH="$att" \
			"$BB/gen_site" docs "$dir" "$i" "$n" "$docs" 2>"$T/gen.$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || { cat "$T"/gen.*; die "gen_site docs failed"; }; done
	git -C "$dir/repo.git" pack-refs --all && git -C "$dir/repo.git" repack -adq
}
t0=$(ms)
make_site "$T/none" 0
make_site "$T/full" "$DOCS" "$T/phu-luc.docx"
natt=$(git -C "$T/full/repo.git" for-each-ref --format='%(objectname)' refs/docs |
	while read -r c; do git -C "$T/full/repo.git" ls-tree -r --name-only "$c" attachments/; done | wc -l)
echo "sites: none (the policy only); full: $DOCS documents to mission-01, $natt with a .docx attachment ($(( $(ms) - t0 )) ms to make)"

srv_pid=
trap 'kill $srv_pid 2>/dev/null; wait $srv_pid 2>/dev/null; for d in none full; do gpgconf --homedir "$T/$d/gnupg" --kill gpg-agent 2>/dev/null; done; cleanup' EXIT
start() { # SITE [ENV=VALUE]
	PORT=$((20000 + RANDOM % 20000))
	env ${2:+"$2"} "$BUILD/chanceryd" "$1" --cert "$T/tls/server.pem" --key "$T/tls/server.key" \
		--client-ca "$T/tls/ca.pem" --port "$PORT" >"$T/chd.out" 2>"$T/chd.log" &
	srv_pid=$!
	for _ in $(seq 100); do
		curl -s --cacert "$T/tls/ca.pem" -o /dev/null "https://127.0.0.1:$PORT/login" && return
		sleep 0.1
	done
	die "chanceryd did not start: $(tail -3 "$T/chd.log")"
}
stop() { kill "$srv_pid"; wait "$srv_pid" 2>/dev/null; srv_pid=; }
adv() { # one advertisement: "server_ms total_ms"
	curl -s --cacert "$T/tls/ca.pem" --cert "$T/tls/mission-01.pem" --key "$T/tls/mission-01.key" \
		-o "$T/adv" -w '%{time_pretransfer} %{time_starttransfer} %{time_total}\n' \
		"https://127.0.0.1:$PORT/git/hq.git/info/refs?service=git-upload-pack" |
		awk '{ printf "%.1f %.1f\n", ($2 - $1) * 1000, $3 * 1000 }'
}
stats() { # LABEL FILE: median and p90 of each column
	sort -n -k1,1 "$2" | awk -v l="$1" '{ s[NR] = $1 } END {
		printf "  %-44s server median %7.1f ms   p90 %7.1f ms   (%d requests)\n", l, s[int((NR + 1) / 2)], s[int(NR * 0.9 + 0.5)], NR }'
}
row() { # SITE LABEL REQUESTS [ENV]
	local site=$1 label=$2 n=$3 first refs
	start "$T/$site" ${4:-}
	first=$(adv)
	refs=$(grep -ac ' refs/docs/' "$T/adv")
	: >"$T/times"
	for _ in $(seq "$n"); do adv >>"$T/times"; done
	printf '%s (%s documents advertised)\n' "$label" "$refs"
	printf '  %-44s server %7.1f ms\n' "first request (view computed)" "${first%% *}"
	stats "then" "$T/times"
	stop
}
echo "timed: GET /git/hq.git/info/refs?service=git-upload-pack as mission-01 (client certificate)"
row none "site with no documents, no attachments" "$N"
row full "site with $DOCS documents and $natt attachments" "$N"
row full "the same, cache off (CHANCERY_VIEW_NOCACHE=1)" $((N / 5)) CHANCERY_VIEW_NOCACHE=1
