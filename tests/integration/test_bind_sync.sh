#!/usr/bin/env bash
# test_bind_sync.sh -- a compromised mission (its client certificate, one
# official's key) against HQ's quarantine: chains bound to their documents
# (D11, D12, D13) and scoped roles (D3), by stock `git push` over TLS and
# by a bundle file. Each forgery is made at the mission with stock git and
# gpg; each is refused naming its rule, and HQ is exactly as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

make_site nguyen.van.a:drafter tran.thi.b:head || { not_ok "site"; finish; }
"$top/scripts/tls-demo.sh" "$T/tls" mission-a >/dev/null || { not_ok "certificates"; finish; }
CA="$T/tls/ca.pem"
R="$S/repo.git"
fpr() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }
ADM=(--as admin.a --passphrase-file "$(pass admin.a)")
"$CH" site set "$S" mission-a --units mission-a --tls-fingerprint "$(fpr "$T/tls/mission-a.pem")" \
	"${ADM[@]}" >/dev/null || not_ok "site set mission-a"
add() { # id roles unit [scope]
	"$CH" person add "$S" "$1" --name "Cán bộ $1" --roles "$2" --unit "$3" ${4:+--scope "$4"} \
		"${ADM[@]}" --new-passphrase-file "$(pass "$1")" >/dev/null || not_ok "person add $1"
}
add vu.van.f deputy,minister hq/leaders hq
# the mission's official: the strongest a mission gets (roles reaching HQ's
# hq/legal documents), so that only the binding stops what follows
add le.van.c drafter,head,clerk mission-a mission-a,hq/legal
add mis.x head mission-a # a head of the mission's own unit only
act() { "$CH" doc act "$1" "$2" --as "$3" --action "$4" --passphrase-file "$(pass "$3")" >/dev/null; }
mk() { # title [workflow]
	"$CH" doc create "$S" --as nguyen.van.a --title "$1" --type "${2:-bao-cao}" \
		--file "$CORPUS/bao-gia-lai-tin-292.txt" --to mission-a --passphrase-file "$(pass nguyen.van.a)"
}
DA=$(mk "Gửi Tokyo") && act "$S" "$DA" nguyen.van.a submit || not_ok "DA"
DW=$(mk "Quyết định sẽ bị thu hồi") && act "$S" "$DW" nguyen.van.a submit &&
	act "$S" "$DW" tran.thi.b approve && act "$S" "$DW" vu.van.f sign || not_ok "DW signed"
DE=$(mk "Dự thảo chung" cong-van) || not_ok "DE"
DH=$("$CH" doc create "$S" --as nguyen.van.a --title "Nội bộ pháp chế" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)") || not_ok "DH"
check "HQ: a document in review, a decree signed by the minister, a draft, an internal draft" \
	test -n "$DA" -a -n "$DW" -a -n "$DE" -a -n "$DH"

# The mission: HQ's site as it stands (before the withdrawal), its own id.
gpgconf --homedir "$S/gnupg" --kill gpg-agent 2>/dev/null
M="$T/ma"
cp -a "$S" "$M" && rm -f "$M"/gnupg/S.* "$M"/gnupg/*.lock
jq '.site = "mission-a"' "$S/site.json" >"$M/site.json"
git -C "$M/repo.git" config chancery.site mission-a
MR="$M/repo.git"
act "$S" "$DW" nguyen.van.a withdraw || not_ok "HQ withdraws the decree"
check "HQ: the decree is withdrawn" test "$(git -C "$R" log -1 --format='%(trailers:key=Chancery-Action,valueonly)' "refs/docs/$DW")" = withdraw

free_port PORT
URL="https://127.0.0.1:$PORT"
G="$URL/git/hq.git"
"$CHD" "$S" --cert "$T/tls/server.pem" --key "$T/tls/server.key" --client-ca "$CA" \
	--port "$PORT" >>"$T/server.out" 2>>"$T/server.log" &
srv_pid=$!
for i in $(seq 300); do curl -s -m 5 --cacert "$CA" -o /dev/null "$URL/login" && break; sleep 0.1; done
push() { GIT_SSL_CERT="$T/tls/mission-a.pem" GIT_SSL_KEY="$T/tls/mission-a.key" GIT_SSL_CAINFO="$CA" \
	git -C "$MR" push "$G" "$@"; }
hq_state() { git -C "$R" for-each-ref --format='%(refname) %(objectname)'; find "$R/objects" -type f | sort; }
refused() { # DESC PATTERN PUSH-ARGS...
	local desc=$1 pat=$2 before after rc; shift 2
	before=$(hq_state)
	push "$@" >"$T/out" 2>"$T/err"; rc=$?
	after=$(hq_state)
	if [ "$rc" -ne 0 ] && grep -qE -- "$pat" "$T/err"; then
		ok "$desc: refused, naming /$pat/"
		grep -m1 'remote rejected' "$T/err" | sed 's/^/#   /'
	else
		not_ok "$desc (exit $rc; output lacks /$pat/)"; sed 's/^/#   /' "$T/err" | head -8
	fi
	check "  no HQ ref moved, no object added" test "$before" = "$after"
}
cat >"$T/gpgw" <<EOS
#!/bin/sh
exec gpg --homedir "$M/gnupg" --batch --pinentry-mode loopback --passphrase-file "$T/pass/\$CH_SIGNER" "\$@"
EOS
chmod 755 "$T/gpgw"
pfpr() { git -C "$R" show refs/heads/policy:policy/people.json | jq -r --arg id "$1" '.people[] | select(.id == $id) | .fingerprint'; }
POL=$(git -C "$R" rev-parse refs/heads/policy)
msg() { # action step actor
	printf '%s: x\n\nChancery-Action: %s\nChancery-Step: %s\nChancery-Actor: %s\nChancery-Policy: %s\nChancery-Classification: unclassified\n' \
		"$1" "$1" "$2" "$3" "$POL" >"$T/msg"
	echo "$T/msg"
}
forge() { # signer tree msgfile parent
	CH_SIGNER=$1 git -C "$MR" -c gpg.program="$T/gpgw" commit-tree "$2" -p "$4" -F "$3" -S"$(pfpr "$1")"
}

# ---- a valid push works (the channel is sound) ----
act "$M" "$DA" le.van.c approve || not_ok "le.van.c approves at the mission"
expect 0 "mission-a pushes a valid approval" push "refs/docs/$DA"

# ---- D13: an existing document's chain pushed under a new id ----
git -C "$MR" update-ref refs/docs/replayed-copy "$(git -C "$MR" rev-parse "refs/docs/$DA")"
refused "an existing document's chain pushed under a new id" \
	"D13 commit [0-9a-f]{40}: .*already the root of refs/docs/$DA" refs/docs/replayed-copy
grep -q "replayed-copy would replay it" "$T/err" && ok "  the refusal names both refs" ||
	not_ok "  the refusal names both refs"
check "  recorded as a security event" grep -q '"rule":"D13"' "$S/state/security.log"

# ---- the withdrawn decree: its signed commit, published under a new id ----
signed=$(git -C "$MR" rev-parse "refs/docs/$DW")
pub=$(forge le.van.c "$(git -C "$MR" rev-parse "$signed^{tree}")" "$(msg publish signed le.van.c)" "$signed")
git -C "$MR" update-ref refs/docs/decree-published "$pub"
refused "a withdrawn decree's signed commit published under a new id" \
	"D13 commit [0-9a-f]{40}: .*refs/docs/$DW" refs/docs/decree-published
check "  HQ lists no such document" bash -c "! git -C '$R' rev-parse -q --verify refs/docs/decree-published"

# ---- two new ids sharing one chain, in one push (no site ref involved) ----
"$CH" doc create "$M" --as le.van.c --title "Của phái đoàn" --type bao-cao \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass le.van.c)" >"$T/id" ||
	not_ok "a document made at the mission"
MID=$(cat "$T/id")
git -C "$MR" update-ref refs/docs/twin "$(git -C "$MR" rev-parse "refs/docs/$MID")"
refused "one new chain pushed under two ids at once" "D1[13] commit" "refs/docs/$MID" refs/docs/twin

# ---- D12: a revise rewriting meta.json: recipients widened, workflow swapped ----
head=$(git -C "$MR" rev-parse "refs/docs/$DE")
blob=$(git -C "$MR" show "$head:meta.json" | jq '.recipients += ["hq"] | .workflow = "bao-cao"' |
	git -C "$MR" hash-object -w --stdin)
tree=$({ git -C "$MR" ls-tree "$head" | awk -F'\t' '$2 != "meta.json"'
	printf '100644 blob %s\tmeta.json\n' "$blob"; } | git -C "$MR" mktree)
c=$(forge le.van.c "$tree" "$(msg revise draft le.van.c)" "$head")
git -C "$MR" update-ref "refs/docs/$DE" "$c" "$head"
refused "a revise that widens the recipients and swaps the workflow for a lighter one" \
	"D12 commit $c: .*workflow from 'cong-van' to 'bao-cao'" "refs/docs/$DE"

# ---- D13 on a document the mission was never sent: refused without naming it ----
# (the mission's copy holds HQ's internal draft only because it is a copy of
# HQ: it stands for a commit id seen somewhere and grafted onto)
head=$(git -C "$MR" rev-parse "refs/docs/$DH")
blob=$(git -C "$MR" show "$head:meta.json" | jq '.recipients += ["mission-a"]' | git -C "$MR" hash-object -w --stdin)
tree=$({ git -C "$MR" ls-tree "$head" | awk -F'\t' '$2 != "meta.json"'
	printf '100644 blob %s\tmeta.json\n' "$blob"; } | git -C "$MR" mktree)
c=$(forge le.van.c "$tree" "$(msg revise draft le.van.c)" "$head")
git -C "$MR" update-ref refs/docs/graft-hidden "$c"
refused "a chain grafted onto HQ's internal draft, pushed under a new id" \
	"D13 commit $c: .*built on a commit of another document" refs/docs/graft-hidden
check "  the refusal does not name the internal draft" bash -c "! grep -q '$DH' '$T/err'"
git -C "$MR" update-ref -d refs/docs/graft-hidden

# ---- D3: an approval across units ----
git -C "$MR" update-ref "refs/docs/$DE" "$head"
head=$(git -C "$MR" rev-parse "refs/docs/$DA")
c=$(forge mis.x "$(git -C "$MR" rev-parse "$head^{tree}")" "$(msg comment signing mis.x)" "$head")
git -C "$MR" update-ref "refs/docs/$DA" "$c" "$head"
refused "a mission head acting on an hq/legal document" \
	"D3 commit $c: .*mis.x may act on documents of mission-a and below; this document belongs to hq/legal" \
	"refs/docs/$DA"
git -C "$MR" update-ref "refs/docs/$DA" "$head" "$c"

# ---- the same replay by bundle ----
git -C "$MR" update-ref -d refs/docs/decree-published
git -C "$MR" update-ref -d refs/docs/twin
git -C "$MR" update-ref -d "refs/docs/$MID"
expect 0 "mission-a writes a bundle for HQ holding the replayed chain" \
	"$CH" bundle create "$M" --for hq --as le.van.c --passphrase-file "$(pass le.van.c)" -o "$T/m.bundle"
before=$(hq_state)
expect 1 "HQ applies it: the replayed chain is refused" \
	"$CH" bundle apply "$S" "$T/m.bundle" --as tran.thi.b --passphrase-file "$(pass tran.thi.b)"
if grep -qE "refs/docs/replayed-copy.*D13" "$T/out" "$T/err"; then ok "  naming D13 for it"
else not_ok "  naming D13 for it"; sed 's/^/#   /' "$T/out" "$T/err" | head -6; fi
check "  HQ lists no such document" bash -c "! git -C '$R' rev-parse -q --verify refs/docs/replayed-copy"
expect 0 "chancery verify passes on HQ after all of it" "$CH" verify "$R"

kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null
finish
