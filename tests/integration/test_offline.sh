#!/usr/bin/env bash
# test_offline.sh -- the air-gapped build: no network code linked in (its
# dynamic symbols and libraries are read from the binary itself), every
# classification level through a workflow, and the networked server
# refusing to open an offline site.
. "$(dirname "$0")/lib.sh"
OFF="$BUILD/chancery-offline"

check "the offline binary exists" test -x "$OFF"
# The command line is linked statically against everything but libc (and,
# offline, libassuan + libgpg-error for the gpg-agent socket): the code of
# libgit2, GPGME, OpenSSL ... is inside the binary, so its dynamic imports
# are those of that library code too, not only of Chancery's own.
nm "$OFF" >"$T/syms" 2>/dev/null || true
check "its symbol table is there to read (not stripped)" grep -qE ' T git_libgit2_init$' "$T/syms"
imports=$(nm -D --undefined-only "$OFF" | awk '{print $NF}' | sed 's/@.*//')
net='socket|connect|bind|listen|accept|accept4|sendto|sendmsg|recvfrom|getaddrinfo|gethostbyname|MHD_.*|gnutls_.*'
bad=$(printf '%s\n' "$imports" | grep -xE "$net" || true)
check "it imports no socket, connect, bind, listen, accept, sendto, sendmsg, getaddrinfo, MHD_ or gnutls_ symbol${bad:+ (found: $bad)}" test -z "$bad"
# Statically linked code would not show in NEEDED: no MHD_ or gnutls_
# function may be defined in the binary either.
linked=$(awk '$2 ~ /^[TtWw]$/ {print $3}' "$T/syms" | grep -E '^(MHD_|gnutls_)' | head -3 || true)
check "no libmicrohttpd or GnuTLS code is linked into it${linked:+ (found: $linked)}" test -z "$linked"
needed=$(readelf -d "$OFF" | awk '/NEEDED/ {print $NF}')
check "it is not linked with libmicrohttpd or GnuTLS" \
	bash -c "! printf '%s\n' '$needed' | grep -qiE 'microhttpd|gnutls'"
check "the only socket it can open is libassuan's (gpg-agent): the archives' network calls go to cli/nonet.c" \
	bash -c "grep -qE ' T __wrap_socket$' '$T/syms' && grep -qE ' T __wrap_getaddrinfo$' '$T/syms'"
# The same checks catch a regression: the networked command line, linked
# statically without those stubs, imports socket and connect from libc
# (through libgit2, OpenSSL and its own engine), and the server imports
# libmicrohttpd and GnuTLS.
# (Under AddressSanitizer (make asan) the sanitizer's runtime is linked into
# both binaries and defines socket, connect ... itself, so neither imports
# them: there this counter-check cannot be made, and `make check` makes it.)
if grep -qE ' T __asan_init$' "$T/syms"; then
	echo "# skipped under ASan: its runtime defines socket, connect, getaddrinfo in every binary"
else
	ch_imports=$(nm -D --undefined-only "$BUILD/chancery" | awk '{print $NF}' | sed 's/@.*//' | grep -xcE 'socket|connect|getaddrinfo' || true)
	check "the check can fail: the networked chancery imports socket, connect, getaddrinfo ($ch_imports)" test "$ch_imports" -ge 3
fi
srv_imports=$(nm -D --undefined-only "$BUILD/chanceryd" | grep -cE ' (MHD_start_daemon|gnutls_[a-z_]+)(@|$)' || true)
check "the check can fail: chanceryd imports MHD_start_daemon or gnutls_ ($srv_imports)" test "$srv_imports" -ge 1

S="$T/airgap"
expect 0 "the offline build creates a site" "$OFF" init "$S" --site-id mofa-vault --admin admin.a \
	--name "Quản Trị" --passphrase-file "$(pass admin.a)"
check "its signed tier is offline" \
	bash -c "git -C '$S/repo.git' show refs/heads/policy:policy/repository.json | grep -q '\"tier\": \"offline\"'"
for p in nguyen.van.a:drafter tran.thi.b:head le.van.c:deputy pham.thi.d:deputy vu.van.f:minister do.thi.g:clerk; do
	"$OFF" person add "$S" "${p%%:*}" --name "${p%%:*}" --roles "${p#*:}" --clearance top-secret \
		--as admin.a --passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass "${p%%:*}")" >/dev/null
done
printf '# Kế hoạch\n\nNội dung thử nghiệm cho mạng nội bộ.\n' >"$T/secret.md"
D=$("$OFF" doc create "$S" --as nguyen.van.a --title "Kế hoạch nội bộ" --type cong-van \
	--classification secret --file "$T/secret.md" --passphrase-file "$(pass nguyen.van.a)")
check "a secret document is created offline ($D)" test -n "$D"
act() { "$OFF" doc act "$S" "$D" --as "$1" --action "$2" --passphrase-file "$(pass "$1")" >/dev/null; }
check "submit" act nguyen.van.a submit
check "approve (head)" act tran.thi.b approve
check "approve (deputy 1)" act le.van.c approve
check "approve (deputy 2)" act pham.thi.d approve
check "sign" act vu.van.f sign
check "publish" act do.thi.g publish
check "the trailer says secret" bash -c "git -C '$S/repo.git' log -1 --format=%B refs/docs/$D | grep -q 'Chancery-Classification: secret'"
expect 0 "chancery verify passes on the offline repository" "$OFF" verify "$S"

N="$T/net"
"$CH" init "$N" --site-id hq --admin admin.a --name "Quản Trị" --passphrase-file "$(pass admin.a)" >/dev/null
"$CH" person add "$N" nguyen.van.a --name A --roles drafter --as admin.a \
	--passphrase-file "$(pass admin.a)" --new-passphrase-file "$(pass nguyen.van.a)" >/dev/null
expect 1 "the networked tier refuses a secret document" "$CH" doc create "$N" --as nguyen.van.a \
	--title "X" --type cong-van --classification secret --file "$T/secret.md" \
	--passphrase-file "$(pass nguyen.van.a)"
err_has "networked tier" "the refusal names the tier"
check "and records nothing" test -z "$(git -C "$N/repo.git" for-each-ref refs/docs)"

"$top/scripts/tls-demo.sh" "$T/tls" >/dev/null
free_port PORT
expect 1 "chanceryd refuses to open an offline site" timeout 10 "$BUILD/chanceryd" "$S" \
	--cert "$T/tls/server.pem" --key "$T/tls/server.key" --port "$PORT"
err_has "offline tier" "it says why"
finish
