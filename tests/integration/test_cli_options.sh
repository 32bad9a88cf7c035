#!/usr/bin/env bash
# test_cli_options.sh -- every command refuses an option it does not take,
# naming it (a misplaced `--number` on `doc act` once exited 0 and changed
# nothing); and `doc act --expect HEAD` approves only the head the official
# read (`doc show` prints it): a stale one is a conflict and nothing moves.
. "$(dirname "$0")/lib.sh"

S="$T/hq"
"$CH" init "$S" --site-id hq --admin admin.a --name "Quản Trị A" \
	--passphrase-file "$(pass admin.a)" >/dev/null || { not_ok "init"; finish; }
for p in nguyen.van.a:drafter tran.thi.b:head; do
	"$CH" person add "$S" "${p%%:*}" --name "Cán bộ ${p%%:*}" --roles "${p#*:}" --unit hq/legal \
		--as admin.a --passphrase-file "$(pass admin.a)" \
		--new-passphrase-file "$(pass "${p%%:*}")" >/dev/null || { not_ok "person add"; finish; }
done
D=$("$CH" doc create "$S" --as nguyen.van.a --title "Công văn thử" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)")
"$CH" doc act "$S" "$D" --as nguyen.van.a --action submit \
	--passphrase-file "$(pass nguyen.van.a)" >/dev/null || { not_ok "submit"; finish; }
PT=$(pass tran.thi.b)

# ---- the issue's two cases: options of doc create given to doc act ----
for opt in "--number 15/BNG-LPQT" "--urgency flash"; do
	# shellcheck disable=SC2086
	unchanged "doc act $opt records nothing" "$S" "$CH" doc act "$S" "$D" --as tran.thi.b \
		--action approve --passphrase-file "$PT" $opt
	# shellcheck disable=SC2086
	expect 2 "doc act $opt is refused (usage)" "$CH" doc act "$S" "$D" --as tran.thi.b \
		--action approve --passphrase-file "$PT" $opt
	err_has "unknown option ${opt%% *}" "  naming the option ${opt%% *}"
	err_has "this command takes --as, --action, --comment, --on-behalf-of, --passphrase-file, --expect" "  and saying what doc act takes"
done
err_has "--on-behalf-of" "the refusal lists the options doc act does take"

# ---- a sample of commands, each with an option it does not take ----
bogus() { # desc code cmd...
	local desc=$1 code=$2; shift 2
	unchanged "$desc: nothing changes" "$S" "$@"
	expect "$code" "$desc: refused" "$@"
	err_has "unknown option" "  $desc: the message names it"
}
bogus "doc show --bogus" 2 "$CH" doc show "$S" "$D" --bogus
bogus "doc log --as" 2 "$CH" doc log "$S" "$D" --as tran.thi.b
bogus "doc list --title" 2 "$CH" doc list "$S" --title x
bogus "doc revise --number" 2 "$CH" doc revise "$S" "$D" --as nguyen.van.a \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)" --number 1
bogus "doc create --action" 2 "$CH" doc create "$S" --as nguyen.van.a --title T --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)" \
	--action approve
bogus "person roles --name" 2 "$CH" person roles "$S" tran.thi.b --roles head --name X \
	--as admin.a --passphrase-file "$(pass admin.a)"
bogus "person revoke --roles" 2 "$CH" person revoke "$S" tran.thi.b --roles head \
	--as admin.a --passphrase-file "$(pass admin.a)"
bogus "site set --bogus" 2 "$CH" site set "$S" mission-x --units mission-x --bogus 1 \
	--as admin.a --passphrase-file "$(pass admin.a)"
bogus "export-keys --all" 2 "$CH" export-keys "$S" --all
bogus "account set --roles" 2 "$CH" account set "$S" tran.thi.b --roles head
bogus "key new --unit" 2 "$CH" key new "$S" x.y --unit hq
bogus "verify --quiet" 2 "$CH" verify "$S" --quiet
bogus "recover --force" 2 "$CH" recover "$S" --force
bogus "spill --to" 2 "$CH" spill "$S" "$D" --as admin.a --to x
bogus "bundle apply --for" 2 "$CH" bundle apply "$S" "$T/none.bundle" --as admin.a --for x
bogus "a short option" 2 "$CH" doc show "$S" "$D" -v
check "  a short option is named as given" grep -q "unknown option -v" "$T/err"
expect 2 "an option given twice is refused" "$CH" doc act "$S" "$D" --as tran.thi.b \
	--as nguyen.van.a --action approve --passphrase-file "$PT"
err_has "option --as given twice" "  naming it"
expect 2 "an option whose value is another option is refused" "$CH" doc act "$S" "$D" \
	--as tran.thi.b --comment --action approve --passphrase-file "$PT"
err_has "option --comment needs a value, not the option --action" "  saying so"

# ---- doc act --expect HEAD ----
"$CH" doc show "$S" "$D" >"$T/show"
H=$(sed -n 's/^head: *//p' "$T/show")
check "doc show prints the head commit" test "$H" = "$(git -C "$S/repo.git" rev-parse "refs/docs/$D")"
"$CH" doc act "$S" "$D" --as nguyen.van.a --action comment --comment "Bổ sung." \
	--passphrase-file "$(pass nguyen.van.a)" >/dev/null # the document moves on
unchanged "a stale --expect records nothing" "$S" "$CH" doc act "$S" "$D" --as tran.thi.b \
	--action approve --passphrase-file "$PT" --expect "$H"
expect 3 "a stale --expect is a conflict (exit 3)" "$CH" doc act "$S" "$D" --as tran.thi.b \
	--action approve --passphrase-file "$PT" --expect "$H"
err_has "changed since it was opened (its head is" "  naming the head it found"
err_has "not ${H:0:12}" "  and the head expected"
expect 1 "a malformed --expect is refused" "$CH" doc act "$S" "$D" --as tran.thi.b \
	--action approve --passphrase-file "$PT" --expect HEAD
err_has "--expect takes the 40-hex head commit" "  saying what it takes"
H2=$("$CH" doc show "$S" "$D" | sed -n 's/^head: *//p')
expect 0 "the current head as --expect is recorded" "$CH" doc act "$S" "$D" --as tran.thi.b \
	--action approve --passphrase-file "$PT" --expect "$H2"
check "  as a step right after that head" test \
	"$(git -C "$S/repo.git" rev-parse "refs/docs/$D^")" = "$H2"
finish
