#!/usr/bin/env bash
# test_spill_sync.sh -- spills reach every recipient (issue 19, part 5;
# workflows/sync/spillsync.h). HQ and two missions (chanceryd on loopback,
# separate ports, TLS client certificates): a document addressed to both
# missions reaches them; HQ's security officer spills it; mission-a takes
# the spill list by `chancery sync` and mission-b by a bundle: at each the
# document's ref is gone and `git cat-file -e` finds none of its objects,
# and its log holds the Spills item for HQ's list head. HQ's security page
# shows, per recipient, applied (with the log entry) or not yet. Attacks:
# a spill list forged with stock git (a non-officer's unsigned commit), a
# list that does not extend the mission's (a rewritten root), each served
# by a hostile copy of HQ: refused (SL2, SL1), security events, documents
# and list kept; the spilled chain pushed back to HQ with stock git from a
# copy taken before the spill: refused (N under its own id, SPILL under
# another); `chancery sync` from that copy takes the list first and pushes
# nothing back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

hq_two_missions || finish
mk() { # SITE TITLE RECIPIENTS FILE
	"$CH" doc create "$1" --as nguyen.van.a --title "$2" --type cong-van \
		--file "$CORPUS/$4" ${3:+--to "$3"} --passphrase-file "$(pass nguyen.van.a)"
}
# different texts: no object shared between the two (a shared one stays)
DAB=$(mk "$HQ" "Gửi Tokyo và Paris" mission-a,mission-b bao-gia-lai-tin-292.txt)
DA=$(mk "$HQ" "Gửi riêng Tokyo" mission-a chinh-phu-tin-292.txt)
check "HQ: a document to both missions and one to mission-a" test -n "$DAB" -a -n "$DA"

free_port PORT
URL="https://127.0.0.1:$PORT"
G="$URL/git/hq.git"
start_hq() { # [SITE-DIR] [PORT]
	"$CHD" "${1:-$HQ}" --cert "$TLS/server.pem" --key "$TLS/server.key" --client-ca "$CA" \
		--port "${2:-$PORT}" >>"$T/server.out" 2>>"$T/server.log" &
	srv_pid=$!
	local i
	for i in $(seq 300); do
		curl -s --cacert "$CA" -o /dev/null "https://127.0.0.1:${2:-$PORT}/login" && return 0
		kill -0 "$srv_pid" 2>/dev/null || { tail -5 "$T/server.log"; srv_pid=; return 1; }
		sleep 0.1
	done
	return 1
}
# the command line writes as root; the served process runs as the site's
# user and opens repo.git when it starts: HQ-side steps with HQ stopped
hq_cli() { stop_server; "$@"; local rc=$?; start_hq || not_ok "HQ restarts"; return $rc; }
start_hq || { not_ok "HQ's chanceryd starts"; finish; }

# ---- the missions join; mission-b gets an official to open bundles ----
MA="$T/mission-a" MB="$T/mission-b"
for m in mission-a mission-b; do
	# shellcheck disable=SC2046
	expect 0 "$m joins HQ over HTTPS" "$CH" join "$T/$m" --site-id "$m" --from "$G" --anchor "$INTRO" $(tlsopt "$m")
done
msync() { # SITE-DIR CERT [REMOTE]
	# shellcheck disable=SC2046
	"$CH" sync "$1" --remote "${3:-$G}" --peer hq $(tlsopt "$2")
}
expect 0 "key new at mission-b" "$CH" key new "$MB" hoa.van.n --passphrase-file "$(pass hoa.van.n)"
cp "$T/out" "$T/hoa.asc"
expect 0 "  added at HQ (unit mission-b)" hq_cli "$CH" person add "$HQ" hoa.van.n --name "Hoa Văn N" \
	--key "$T/hoa.asc" --unit mission-b --roles drafter "${ADM[@]}"
expect 0 "mission-b syncs the policy" msync "$MB" mission-b
for m in "$MA" "$MB"; do
	check "$(basename "$m") holds the document for both" git -C "$m/repo.git" rev-parse -q --verify "refs/docs/$DAB"
done
check "mission-a also holds the one for it alone" git -C "$MA/repo.git" rev-parse -q --verify "refs/docs/$DA"
git -C "$MA/repo.git" rev-list --objects "refs/docs/$DAB" | cut -d' ' -f1 | sort -u >"$T/dab-objects"
check "the document has objects to purge ($(wc -l <"$T/dab-objects"))" test "$(wc -l <"$T/dab-objects")" -ge 4
gone() { # REPO: every object of the spilled document is gone
	local o n=0
	while read -r o; do git -C "$1" cat-file -e "$o" 2>/dev/null && n=$((n + 1)); done <"$T/dab-objects"
	[ "$n" -eq 0 ]
}
gpgconf --homedir "$MA/gnupg" --kill gpg-agent 2>/dev/null
cp -a "$MA" "$T/ma-before" && rm -f "$T"/ma-before/gnupg/S.* # a copy taken before the spill

# ---- the spill at HQ ----
expect 0 "HQ's security officer spills the document" hq_cli "$CH" spill "$HQ" "$DAB" --as an.ninh \
	--reason "Phát hiện thông tin mật" --passphrase-file "$(pass an.ninh)"
SPILL=$(git -C "$HQ/repo.git" rev-parse refs/chancery/spills)
check "  HQ no longer holds it" bash -c "! git -C '$HQ/repo.git' rev-parse -q --verify 'refs/docs/$DAB'"
gitc() { local n=$1; shift; GIT_SSL_CERT="$TLS/$n.pem" GIT_SSL_KEY="$TLS/$n.key" GIT_SSL_CAINFO="$CA" git "$@"; }
gitc mission-a ls-remote "$G" >"$T/ls"
check "HQ advertises its spill list to a peer" grep -qx "$SPILL"$'\t'"refs/chancery/spills" "$T/ls"
check "  and not the spilled document" bash -c "! grep -q '$DAB' '$T/ls'"
# the officer's session in English (the language is the session's)
login_en() {
	curl_s -c "$T/jar.an.ninh" -o /dev/null -H 'Accept-Language: en' "$URL/login" \
		--data-urlencode "id=an.ninh" --data-urlencode "password=$(cat "$T/pass/an.ninh.login")"
}
page() { curl_s -b "$T/jar.an.ninh" -o "$T/sec.html" -w '%{http_code}' "$URL/security"; }
row() { # SITE: the page's row for the spilled document and SITE
	grep "<tr class=\"spill-ack\" data-doc=\"$DAB\" data-site=\"$1\">" "$T/sec.html" | head -1
}
login_en
code=$(page)
check "HQ's security page answers the security officer ($code)" test "$code" = 200
check "  a Spills section" grep -q 'id="spills"' "$T/sec.html"
ra=$(row mission-a)
check "  lists the spill: document, officer" grep -q 'an.ninh' <<<"$ra"
check "  mission-a: nothing yet ($(grep -o 'class="[a-z-]*"' <<<"$ra" | tail -1))" \
	grep -qE 'class="(no-log|not-yet)"' <<<"$ra"

# ---- mission-a takes it by sync ----
expect 0 "mission-a syncs" msync "$MA" mission-a
cp "$T/out" "$T/sync-a.out"
check "  it took the spill list" grep -q "pulled    refs/chancery/spills ${SPILL:0:12}" "$T/sync-a.out"
check "  and says it purged the document" grep -q "purged    refs/docs/$DAB" "$T/sync-a.out"
check "  the list is HQ's" test "$(git -C "$MA/repo.git" rev-parse refs/chancery/spills)" = "$SPILL"
check "  the document's ref is gone" bash -c "! git -C '$MA/repo.git' rev-parse -q --verify 'refs/docs/$DAB'"
check "  git cat-file finds none of its $(wc -l <"$T/dab-objects") objects" gone "$MA/repo.git"
check "  the other document stays" git -C "$MA/repo.git" rev-parse -q --verify "refs/docs/$DA"
zero=0000000000000000000000000000000000000000
check "  its log holds the Spills item for HQ's list ($zero -> ${SPILL:0:12})" bash -c \
	"git -C '$MA/repo.git' log --format=%B refs/chancery/log | grep -qx 'Chancery-Log-Spills: $zero $SPILL'"
expect 0 "  chancery verify passes at mission-a" "$CH" verify "$MA/repo.git"
expect 0 "a second sync" msync "$MA" mission-a
check "  changes nothing of the list" test "$(git -C "$MA/repo.git" rev-parse refs/chancery/spills)" = "$SPILL"

# the mission's log reaches HQ as refs/chancery/peers/mission-a/log (the
# log exchange, workflows/sync/logsync.c); where this build has none yet,
# it is copied with stock git, as a peer's log kept at HQ would be
peer_log() { # SITE-DIR SITE
	[ "$(git -C "$HQ/repo.git" rev-parse -q --verify "refs/chancery/peers/$2/log")" = \
		"$(git -C "$1/repo.git" rev-parse refs/chancery/log)" ] && return 0
	# (a log reaches HQ at the mission's next sync: a bundle applied there
	# leaves HQ's copy behind until then)
	echo "# HQ's copy of $2's log is behind (or absent): copied with stock git"
	hq_cli git -C "$HQ/repo.git" fetch -q "$1/repo.git" "+refs/chancery/log:refs/chancery/peers/$2/log"
}
peer_log "$MA" mission-a
seq_a=$(git -C "$MA/repo.git" log --format=%B refs/chancery/log | awk '
	/^Chancery-Log-Seq:/ { s = $2 } /^Chancery-Log-Spills: / && $3 == "'"$SPILL"'" { print s }' | tail -1)
login_en
code=$(page)
ra=$(row mission-a) rb=$(row mission-b)
check "HQ's page: mission-a applied ($code)" grep -qE 'class="applied" data-seq="[0-9]+">applied<' <<<"$ra"
check "  at its log entry $seq_a, with its time" grep -qE "data-seq=\"$seq_a\">.*seq $seq_a · [0-9-]+ [0-9:]+ UTC<" <<<"$ra"
check "  mission-b not yet ($(grep -o 'class="[a-z-]*"' <<<"$rb" | tail -1))" \
	grep -qE 'class="(no-log|not-yet)"' <<<"$rb"
login an.ninh >/dev/null
code=$(curl_s -b "$T/jar.an.ninh" -o "$T/sec-vi.html" -w '%{http_code}' "$URL/security")
check "  in Vietnamese too ($code)" grep -q "đã áp dụng" "$T/sec-vi.html"
login_en
login nguyen.van.a >/dev/null
code=$(curl_s -b "$T/jar.nguyen.van.a" -o /dev/null -w '%{http_code}' "$URL/security")
check "  a drafter may not see the page ($code)" test "$code" != 200

# ---- mission-b takes it by bundle ----
expect 0 "HQ: a bundle for mission-b" hq_cli "$CH" bundle create "$HQ" --for mission-b --as nguyen.van.a \
	--passphrase-file "$(pass nguyen.van.a)" -o "$T/b.bundle"
expect 0 "mission-b applies it" "$CH" bundle apply "$MB" "$T/b.bundle" --as hoa.van.n \
	--passphrase-file "$(pass hoa.van.n)"
cp "$T/out" "$T/bundle-b.out"
check "  the spill list is taken" grep -q "^accepted refs/chancery/spills $SPILL" "$T/bundle-b.out"
check "  and the document purged" grep -q "withdrawn and purged: $DAB" "$T/bundle-b.out"
check "  the document's ref is gone" bash -c "! git -C '$MB/repo.git' rev-parse -q --verify 'refs/docs/$DAB'"
check "  git cat-file finds none of its objects" gone "$MB/repo.git"
check "  its log holds the Spills item" bash -c \
	"git -C '$MB/repo.git' log --format=%B refs/chancery/log | grep -qx 'Chancery-Log-Spills: $zero $SPILL'"
expect 0 "  chancery verify passes at mission-b" "$CH" verify "$MB/repo.git"
peer_log "$MB" mission-b
login_en
code=$(page)
ra=$(row mission-a) rb=$(row mission-b)
check "HQ's page: mission-a still applied ($code)" grep -q 'class="applied"' <<<"$ra"
check "  and mission-b applied" grep -q 'class="applied"' <<<"$rb"

# ---- attacks from a hostile copy of HQ ----
stop_server
gpgconf --homedir "$HQ/gnupg" --kill gpg-agent 2>/dev/null
cp -a "$HQ" "$T/evil" && rm -f "$T"/evil/gnupg/S.*
E="$T/evil/repo.git"
free_port EPORT
while [ "$EPORT" = "$PORT" ]; do free_port EPORT; done # (HQ is stopped: its port looks free)
EG="https://127.0.0.1:$EPORT/git/hq.git"
start_hq || not_ok "HQ restarts"
hq_pid=$srv_pid
serve_evil() { # spill list head for the hostile server
	git -C "$E" update-ref refs/chancery/spills "$1"
	[ -n "${evil_pid:-}" ] && kill "$evil_pid" 2>/dev/null && wait "$evil_pid" 2>/dev/null
	start_hq "$T/evil" "$EPORT" || not_ok "the hostile server starts"
	evil_pid=$srv_pid srv_pid=$hq_pid
}
# a forged record for mission-a's other document: a drafter's commit, stock git, unsigned
git -C "$E" show "$SPILL:spills.json" |
	jq -c --arg d "$DA" '.spills += [{"doc": $d, "at": "2026-01-01T00:00:00Z", "by": "nguyen.van.a", "recipients": ["mission-a"]}]' >"$T/forged.json"
fblob=$(git -C "$E" hash-object -w "$T/forged.json")
ftree=$(git -C "$E" ls-tree "$SPILL" | sed "s/^100644 blob [0-9a-f]*\tspills.json\$/100644 blob $fblob\tspills.json/" |
	git -C "$E" mktree)
printf 'spill: %s\n\nChancery-Action: spill\nChancery-Actor: nguyen.van.a\nChancery-Policy: %s\nChancery-Spill: %s\n' \
	"$DA" "$(git -C "$E" rev-parse refs/heads/policy)" "$DA" >"$T/fmsg"
FORGED=$(git -C "$E" commit-tree "$ftree" -p "$SPILL" -F "$T/fmsg")
serve_evil "$FORGED"
before=$(git -C "$MA/repo.git" rev-parse refs/chancery/spills)
msync "$MA" mission-a "$EG" >"$T/out" 2>"$T/err"
check "a forged spill list (a drafter's unsigned commit) is refused at mission-a" \
	grep -q "refused   refs/chancery/spills: commit .* rule SL2" "$T/out"
check "  the mission's list is unchanged" test "$(git -C "$MA/repo.git" rev-parse refs/chancery/spills)" = "$before"
check "  the document it names is kept" git -C "$MA/repo.git" cat-file -e "$(git -C "$MA/repo.git" rev-parse "refs/docs/$DA")"
check "  a security event (rule SL2)" grep -q '"rule":"SL2"' "$MA/state/security.log"
# a list that does not extend mission-a's: a root of its own, without HQ's record
printf '{"version":1,"spills":[]}' >"$T/empty.json"
etree=$(printf '100644 blob %s\tspills.json\n' "$(git -C "$E" hash-object -w "$T/empty.json")" | git -C "$E" mktree)
REWOUND=$(git -C "$E" commit-tree "$etree" -m "spill: none")
serve_evil "$REWOUND"
msync "$MA" mission-a "$EG" >"$T/out" 2>"$T/err"
check "a spill list that does not extend mission-a's is refused (SL1)" \
	grep -q "refused   refs/chancery/spills: .*rule SL1" "$T/out"
check "  the mission keeps its own" test "$(git -C "$MA/repo.git" rev-parse refs/chancery/spills)" = "$SPILL"
check "  a security event (rule SL1)" grep -q '"rule":"SL1"' "$MA/state/security.log"
kill "$evil_pid" 2>/dev/null && wait "$evil_pid" 2>/dev/null

# ---- what was spilled is not pushed back ----
OLD="$T/ma-before/repo.git"
head_old=$(git -C "$OLD" rev-parse "refs/docs/$DAB")
gitc mission-a -C "$OLD" push "$G" "$head_old:refs/docs/$DAB" >"$T/out" 2>"$T/err"
check "stock git push of the spilled chain to HQ is refused" grep -q "\[remote rejected\].*refs/docs/$DAB" "$T/err"
check "  HQ does not hold it" bash -c "! git -C '$HQ/repo.git' rev-parse -q --verify 'refs/docs/$DAB'"
gitc mission-a -C "$OLD" push "$G" "$head_old:refs/docs/$DAB-x" >"$T/out" 2>"$T/err"
check "  under another id: refused, rule SPILL" grep -q "SPILL" "$T/err"
check "  HQ's security log has it (rule SPILL)" grep -q '"rule":"SPILL"' "$HQ/state/security.log"
# (its exit code is not judged: the copy's log forks from mission-a's)
msync "$T/ma-before" mission-a >"$T/out" 2>"$T/err"
check "  takes the list and purges the document first" grep -q "purged    refs/docs/$DAB" "$T/out"
check "  and pushes nothing of it" bash -c "! grep -q 'pushed.*$DAB' '$T/out'"
check "  HQ still does not hold it" bash -c "! git -C '$HQ/repo.git' rev-parse -q --verify 'refs/docs/$DAB'"
check "  nor does the copy" gone "$OLD"
finish
