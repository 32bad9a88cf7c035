#!/usr/bin/env bash
# test_sync_fetch.sh -- mission sync, phase 1 (fetch): chanceryd serves git's
# smart-HTTP protocol to stock `git clone`/`git fetch` over TLS with client
# certificates. HQ lists two missions in sites.json (the SHA-256 of their
# client certificates); each gets the policy and exactly the documents
# addressed to it, which stock git and `chancery verify` check; a
# certificate the policy does not list, or none, gets 403 and no objects;
# asking by id for a commit the peer may not see is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

make_site nguyen.van.a:drafter tran.thi.b:head an.ninh:security-officer || { not_ok "site"; finish; }
"$top/scripts/tls-demo.sh" "$T/tls" mission-a mission-b rogue >/dev/null || { not_ok "certificates"; finish; }
# a certificate from another authority, same name as mission-a
"$top/scripts/tls-demo.sh" "$T/othertls" mission-a >/dev/null || { not_ok "other CA"; finish; }
CA="$T/tls/ca.pem"
fpr() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
for m in mission-a mission-b; do
	"$CH" site set "$S" "$m" --units "$m" --tls-fingerprint "$(fpr "$T/tls/$m.pem")" "${ADM[@]}" >/dev/null ||
		not_ok "site set $m"
done
mk() { # title recipients
	"$CH" doc create "$S" --as nguyen.van.a --title "$1" --type cong-van \
		--file "$CORPUS/bao-gia-lai-tin-292.txt" ${2:+--to "$2"} --passphrase-file "$(pass nguyen.van.a)"
}
DA=$(mk "Gửi Tokyo" mission-a)
DAB=$(mk "Gửi cả hai" mission-a,mission-b)
DN=$(mk "Nội bộ" "")
DB=$(mk "Gửi riêng B" mission-b)
"$CH" doc act "$S" "$DA" --as nguyen.van.a --action submit --passphrase-file "$(pass nguyen.van.a)" >/dev/null
DS=$(mk "Lộ lọt" mission-a)
"$CH" spill "$S" "$DS" --as an.ninh --reason "kiểm thử" --passphrase-file "$(pass an.ninh)" >/dev/null ||
	not_ok "spill a document addressed to mission-a"
check "four documents: to mission-a, to both, to none, to mission-b" test -n "$DA" -a -n "$DAB" -a -n "$DN" -a -n "$DB"
R="$S/repo.git"
hidden=$(git -C "$R" rev-parse "refs/docs/$DN")

# chanceryd with --client-ca (server_lib's start_server, plus the option)
free_port PORT
URL="https://127.0.0.1:$PORT"
"$CHD" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --client-ca "$CA" \
	--port "$PORT" >>"$T/server.out" 2>>"$T/server.log" &
srv_pid=$!
for i in $(seq 300); do
	curl -s -m 5 --cacert "$CA" -o /dev/null "$URL/login" && break
	sleep 0.1
done
code=$(curl -s --cacert "$CA" -o /dev/null -w '%{http_code}' "$URL/login")
check "chanceryd with --client-ca serves the login page to a browser without a certificate ($code)" \
	test "$code" = 200

G="$URL/git/hq.git"
gitc() { # NAME git-args...: git with NAME's client certificate (git 2.39 with
	# libcurl-gnutls ignores http.sslCAInfo given with -c: the GIT_SSL_* variables)
	local n=$1; shift
	GIT_SSL_CERT="$T/tls/$n.pem" GIT_SSL_KEY="$T/tls/$n.key" GIT_SSL_CAINFO="$CA" git "$@"
}
pk() { printf '%04x%s' $(( ${#1} + 4 )) "$1"; } # one pkt-line
"$CH" export-keys "$S" >"$T/keys.asc"
V="$T/verifier-gnupg"
mkdir -m 700 "$V"
GNUPGHOME="$V" gpg --batch --quiet --import "$T/keys.asc" 2>/dev/null

# A document addressed to mission-a whose head holds a stamped attachment
# put in by hand (unsigned, as a copied-in repository might hold): the
# gate on the way out (ch_gate_head: label, title, text and every
# attachment) keeps the whole document from the mission.
DX=$(mk "Gửi Tokyo, phụ lục" mission-a)
hx=$(git -C "$R" rev-parse "refs/docs/$DX")
printf 'BỘ NGOẠI GIAO\n\nTỐI MẬT\n\nPhụ lục.\n' >"$T/stamped.txt"
sub=$(printf '100644 blob %s\tphu-luc.txt\n' "$(git -C "$R" hash-object -w "$T/stamped.txt")" | git -C "$R" mktree)
tree=$( { git -C "$R" ls-tree "$hx^{tree}"; printf '040000 tree %s\tattachments\n' "$sub"; } | git -C "$R" mktree)
printf 'revise: by hand\n\nChancery-Action: revise\nChancery-Step: draft\nChancery-Actor: nguyen.van.a\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
	"$(git -C "$R" rev-parse refs/heads/policy)" >"$T/msg"
git -C "$R" update-ref "refs/docs/$DX" "$(git -C "$R" commit-tree "$tree" -p "$hx" -F "$T/msg")" "$hx"

# ---- mission-a ----
expect 0 "mission-a: stock git clone --mirror over TLS with its certificate" \
	gitc mission-a clone --mirror "$G" "$T/a.git"
refs=$(git -C "$T/a.git" for-each-ref --format='%(refname)' | sort | tr '\n' ' ')
want=$(printf '%s\n' refs/heads/policy refs/chancery/spills refs/chancery/log "refs/docs/$DA" "refs/docs/$DAB" | sort | tr '\n' ' ')
check "mission-a got the policy, the spill list, the site log and exactly its documents ($refs)" test "$refs" = "$want"
check "  each at the site's head" test "$(git -C "$T/a.git" rev-parse "refs/docs/$DA") $(git -C "$T/a.git" rev-parse refs/heads/policy)" = \
	"$(git -C "$R" rev-parse "refs/docs/$DA") $(git -C "$R" rev-parse refs/heads/policy)"
check "  and not one object of the document addressed to nobody" \
	bash -c "! git -C '$T/a.git' cat-file -e '$hidden' 2>/dev/null"
check "  nor the spilled one" bash -c "! git -C '$T/a.git' rev-parse -q --verify 'refs/docs/$DS'"
check "  nor the one whose head holds a stamped attachment" \
	bash -c "! git -C '$T/a.git' rev-parse -q --verify 'refs/docs/$DX'"
check "  nor of the one for mission-b only" \
	bash -c "! git -C '$T/a.git' cat-file -e '$(git -C "$R" rev-parse "refs/docs/$DB")' 2>/dev/null"
bad=0 n=0
for c in $(git -C "$T/a.git" rev-list --exclude='refs/chancery/*' --all); do
	n=$((n + 1))
	GNUPGHOME="$V" git -C "$T/a.git" verify-commit "$c" 2>/dev/null || bad=$((bad + 1))
done
check "git verify-commit passes on all $n commits mission-a received ($bad failed)" test "$bad" -eq 0 -a "$n" -gt 0
# the site log's entries: signed by the key of their own site.asc
mkdir -p "$T/logkey" && chmod 700 "$T/logkey"
git -C "$T/a.git" show refs/chancery/log:site.asc | GNUPGHOME="$T/logkey" gpg -q --import 2>/dev/null
bad=0 n=0
for c in $(git -C "$T/a.git" rev-list refs/chancery/log); do
	n=$((n + 1))
	GNUPGHOME="$T/logkey" git -C "$T/a.git" verify-commit "$c" 2>/dev/null || bad=$((bad + 1))
done
check "git verify-commit passes on all $n entries of the site log with its site.asc ($bad failed)" \
	test "$bad" -eq 0 -a "$n" -gt 0
expect 0 "chancery verify passes on mission-a's clone" "$CH" verify "$T/a.git"
check "git fsck passes on mission-a's clone" git -C "$T/a.git" fsck --no-dangling

# ---- mission-b ----
expect 0 "mission-b: clone with its own certificate" gitc mission-b clone --mirror "$G" "$T/b.git"
refs=$(git -C "$T/b.git" for-each-ref --format='%(refname)' | sort | tr '\n' ' ')
want=$(printf '%s\n' refs/heads/policy refs/chancery/spills refs/chancery/log "refs/docs/$DAB" "refs/docs/$DB" | sort | tr '\n' ' ')
check "mission-b got the policy, the spill list, the site log and exactly its own documents ($refs)" test "$refs" = "$want"
expect 0 "chancery verify passes on mission-b's clone" "$CH" verify "$T/b.git"

# ---- incremental fetch: negotiation with haves ----
"$CH" doc act "$S" "$DAB" --as nguyen.van.a --action submit --passphrase-file "$(pass nguyen.van.a)" >/dev/null
GIT_TRACE_PACKET="$T/trace" gitc mission-a -C "$T/a.git" fetch origin >"$T/out" 2>"$T/err"
check "mission-a fetches a new step" test "$(git -C "$T/a.git" rev-parse "refs/docs/$DAB")" = \
	"$(git -C "$R" rev-parse "refs/docs/$DAB")"
check "  the server acknowledged what mission-a already had (ACK ... common)" grep -q 'ACK [0-9a-f]* common' "$T/trace"
expect 0 "  and the clone still verifies" "$CH" verify "$T/a.git"

# ---- refused peers ----
code=$(curl -s --cacert "$CA" -o "$T/resp" -w '%{http_code}' "$G/info/refs?service=git-upload-pack")
check "no client certificate: 403 ($code)" test "$code" = 403
check "  and no refs in the answer" bash -c "! grep -q refs/ '$T/resp'"
rm -rf "$T/n.git"
expect 128 "no client certificate: git clone fails" \
	env GIT_SSL_CAINFO="$CA" git clone --mirror "$G" "$T/n.git"
check "  and nothing arrived" test ! -e "$T/n.git"
code=$(curl -s --cacert "$CA" --cert "$T/tls/rogue.pem" --key "$T/tls/rogue.key" -o "$T/resp" \
	-w '%{http_code}' "$G/info/refs?service=git-upload-pack")
check "a certificate of the mission CA that the policy does not list: 403 ($code)" test "$code" = 403
check "  and no refs in the answer" bash -c "! grep -q refs/ '$T/resp'"
expect 128 "  git clone with it fails" gitc rogue clone --mirror "$G" "$T/r.git"
check "  and nothing arrived" test ! -e "$T/r.git"
code=$(curl -s --cacert "$CA" --cert "$T/othertls/mission-a.pem" --key "$T/othertls/mission-a.key" \
	-o "$T/resp" -w '%{http_code}' "$G/info/refs?service=git-upload-pack")
check "a certificate from another authority: 403 ($code)" test "$code" = 403
{ pk "want $hidden ofs-delta side-band-64k
"; printf 0000; pk "done
"; } >"$T/req"
code=$(curl -s --cacert "$CA" -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/x-git-upload-pack-request' \
	--data-binary @"$T/req" "$G/git-upload-pack")
check "an upload-pack request without a certificate: 403 on headers alone ($code)" test "$code" = 403

# ---- need to know: asking by id ----
gitc mission-a -C "$T/a.git" fetch origin "$hidden" >"$T/out" 2>"$T/err"
check "mission-a asking by id for a commit not addressed to it is refused" grep -q "not our ref" "$T/err"
check "  and the commit did not arrive" bash -c "! git -C '$T/a.git' cat-file -e '$hidden' 2>/dev/null"
curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o "$T/resp" \
	-H 'Content-Type: application/x-git-upload-pack-request' --data-binary @"$T/req" "$G/git-upload-pack"
check "a hand-made want of that commit gets an ERR pkt-line and no pack" \
	bash -c "grep -q 'ERR upload-pack: not our ref' '$T/resp' && ! grep -q PACK '$T/resp'"
mine=$(git -C "$R" rev-parse "refs/docs/$DA")
{ pk "want $mine ofs-delta side-band-64k
"; printf 0000; pk "done
"; } | gzip >"$T/req.gz"
curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o "$T/resp" \
	-H 'Content-Type: application/x-git-upload-pack-request' -H 'Content-Encoding: gzip' \
	--data-binary @"$T/req.gz" "$G/git-upload-pack"
check "a gzip request for its own document gets NAK and a pack on side-band 1" \
	bash -c "head -c 8 '$T/resp' | grep -q '0008NAK' && grep -q \$'\\x01PACK' '$T/resp'"
printf '0100want %s\n' "$mine" >"$T/req"
code=$(curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o "$T/resp" \
	-w '%{http_code}' -H 'Content-Type: application/x-git-upload-pack-request' \
	--data-binary @"$T/req" "$G/git-upload-pack")
check "a truncated pkt-line is refused with an ERR and no pack" \
	bash -c "grep -q '^....ERR ' '$T/resp' && ! grep -q PACK '$T/resp'"

# ---- what is never served ----
curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o "$T/adv" \
	"$G/info/refs?service=git-upload-pack"
check "the site has a spill list" git -C "$R" rev-parse -q --verify refs/chancery/spills
check "  which the advertisement names (it travels to every peer)" grep -aq refs/chancery/spills "$T/adv"
check "  and the site log (commitments only)" grep -aq refs/chancery/log "$T/adv"
check "  and nothing else under refs/chancery/" bash -c "! grep -a refs/chancery '$T/adv' | grep -av 'refs/chancery/spills\|refs/chancery/log\|refs/chancery/peers/[^/]*/log' | grep -q ."
check "  the advertisement offers side-band-64k" grep -aq side-band-64k "$T/adv"
code=$(curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o "$T/adv" \
	-w '%{http_code}' "$G/info/refs?service=git-receive-pack")
check "the push advertisement (git-receive-pack, phase 2: test_sync_push.sh) is served ($code)" test "$code" = 200
check "  with the same need to know: mission-a's documents, not the one for nobody" \
	bash -c "grep -aq 'refs/docs/$DA' '$T/adv' && ! grep -aq 'refs/docs/$DN' '$T/adv' && ! grep -a refs/chancery '$T/adv' | grep -av 'refs/chancery/spills\|refs/chancery/log' | grep -q ."
code=$(curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o /dev/null \
	-w '%{http_code}' "$G/info/refs")
check "dumb HTTP is not served ($code)" test "$code" = 403
code=$(curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o /dev/null \
	-w '%{http_code}' "$URL/git/other.git/info/refs?service=git-upload-pack")
check "another site's repository name: 404 ($code)" test "$code" = 404
code=$(curl -s --cacert "$CA" --cert "$T/tls/mission-a.pem" --key "$T/tls/mission-a.key" -o /dev/null \
	-w '%{http_code}' "$URL/login")
check "a browser with a client certificate still gets the pages ($code)" test "$code" = 200
check "the server log names the peer site" grep -q "sync peer=mission-a" "$T/server.log"
finish
