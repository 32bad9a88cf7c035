#!/usr/bin/env bash
# test_journal.sh -- the step journal (workflows/journal.h): a step is made
# durable by one flushed record in SITE/state/journal; its loose objects
# and ref move are written without a flush. A crash of the machine may lose
# those (not the record); after it, the records of the previous boot are
# replayed. A real power cut cannot be made here, so the test makes what
# one leaves: it deletes or empties the loose objects the steps wrote and
# puts the ref back (or removes it), and names another boot
# (CHANCERY_TEST_BOOT_ID). Then every acknowledged step must be back, byte
# for byte, signed, and stock git must find the repository whole; a record
# cut short (the crash during the append, before the answer) is dropped and
# said; records of the current boot are never replayed (a writer killed
# before its ref moved was never acknowledged); the journal is emptied by
# recovery, by checkpoints and by a spill (test_spill.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
export CHANCERY_ENGINE=off # the engine's steps: the last section

make_site nguyen.van.a:drafter tran.thi.b:head || { not_ok "site"; finish; }
R="$S/repo.git"
J="$S/state/journal"
OTHER_BOOT=00000000-feed-0000-0000-000000000001

check "steps so far are in the journal" test -s "$J"
expect 0 "recover empties it (same boot: nothing to replay)" "$CH" recover "$S"
check "  the journal is empty" test ! -s "$J"

text() { # a text of its own for each document (no blob shared with others)
	{ cat "$CORPUS/chinh-phu-tin-292.txt"; printf '\nBản số %s — %s\n' "$1" "$RANDOM$RANDOM"; } >"$T/$1.md"
	echo "$T/$1.md"
}
create() { # name -> doc id
	"$CH" doc create "$S" --as nguyen.van.a --title "Công văn $1" --type cong-van \
		--file "$(text "$1")" --passphrase-file "$(pass nguyen.van.a)"
}
act() { # doc who action
	"$CH" doc act "$S" "$1" --as "$2" --action "$3" --passphrase-file "$(pass "$2")" >/dev/null
}
loose() { echo "$R/objects/${1:0:2}/${1:2}"; }
# every object a commit brought (itself, its tree, the tree's entries)
objects_of() {
	echo "$1"
	git -C "$R" rev-parse "$1^{tree}"
	git -C "$R" ls-tree -r -t "$1" | awk '{print $3}'
}
head_of() { git -C "$R" rev-parse -q --verify "refs/docs/$1"; }

# ---- a created document and two steps, lost whole ----
D=$(create one) || { not_ok "create"; finish; }
H0=$(head_of "$D")
act "$D" nguyen.van.a submit && act "$D" tran.thi.b approve || not_ok "steps"
H1=$(git -C "$R" rev-parse "refs/docs/$D^")
H2=$(head_of "$D")
check "three records (the create and two steps) in the journal" \
	test "$(grep -ao CHJ1 "$J" | wc -l)" -ge 3
check "the journal holds the text as written" grep -qaF "Bản số one" "$J"
{ objects_of "$H0"; echo "$H1"; echo "$H2"; } | sort -u >"$T/lost"
check "the commits are loose objects, readable by stock git" git -C "$R" cat-file -e "$H2"
check "git fsck --strict passes before the crash" git -C "$R" fsck --strict --no-dangling 2>/dev/null
# the crash: nothing but the journal reached the disk
while read -r o; do rm -f "$(loose "$o")"; done <"$T/lost"
: >"$(loose "$H1")"; chmod 444 "$(loose "$H1")" # a loose file left empty
rm -f "$R/refs/docs/$D"
check "the repository lost them ($(wc -l <"$T/lost") objects and the ref)" \
	bash -c "! git -C '$R' cat-file -e '$H2' 2>/dev/null && ! git -C '$R' rev-parse -q --verify 'refs/docs/$D'"
CHANCERY_TEST_BOOT_ID=$OTHER_BOOT expect 0 "after the reboot, opening the site replays the journal" \
	"$CH" doc show "$S" "$D"
check "  the ref is back at the last acknowledged step" test "$(head_of "$D")" = "$H2"
check "  every lost object is back" bash -c "while read -r o; do git -C '$R' cat-file -e \$o || exit 1; done <'$T/lost'"
check "  the text byte for byte" cmp <(git -C "$R" show "$H2:document.md") "$T/one.md"
check "  git fsck --strict finds the repository whole" git -C "$R" fsck --strict --no-dangling 2>/dev/null
expect 0 "  chancery verify passes" "$CH" verify "$S"
G="$T/auditor-gnupg"; mkdir -m 700 "$G"
"$CH" export-keys "$S" | GNUPGHOME="$G" gpg --batch -q --import 2>/dev/null
check "  stock git verify-commit on the restored commits" bash -c \
	"for c in $H0 $H1 $H2; do GNUPGHOME='$G' git -C '$R' verify-commit \$c 2>/dev/null || exit 1; done"
check "  signed by their actors" bash -c \
	"GNUPGHOME='$G' git -C '$R' verify-commit $H2 2>&1 | grep -q 'tran.thi.b@hq'"
check "  the journal is empty after the replay" test ! -s "$J"
expect 0 "the document goes on from there" "$CH" doc act "$S" "$D" --as nguyen.van.a \
	--action comment --comment "tiếp tục" --passphrase-file "$(pass nguyen.van.a)"

# ---- a lost ref move, through `chancery recover`, which names what it did ----
expect 0 "recover (empties the journal)" "$CH" recover "$S"
D2=$(create two) || not_ok "create two"
P=$(head_of "$D2")
act "$D2" nguyen.van.a submit || not_ok "submit two"
N=$(head_of "$D2")
rm -f "$(loose "$N")"
echo "$P" >"$R/refs/docs/$D2" # the rename was lost: the old ref file is back
CHANCERY_TEST_BOOT_ID=$OTHER_BOOT expect 0 "recover after the reboot" "$CH" recover "$S"
check "  it names the commit it wrote again" grep -q "journal: restored commit $N of refs/docs/$D2" "$T/out"
check "  and the ref it set" grep -q "journal: set refs/docs/$D2 to $N (its move was lost)" "$T/out"
check "  the ref is at the step" test "$(head_of "$D2")" = "$N"
check "  git fsck --strict" git -C "$R" fsck --strict --no-dangling 2>/dev/null

# ---- this boot's records are not replayed ----
D3=$(create three) || not_ok "create three"
P=$(head_of "$D3")
act "$D3" nguyen.van.a submit || not_ok "submit three"
N=$(head_of "$D3")
echo "$P" >"$R/refs/docs/$D3" # as if the writer died before its ref moved
expect 0 "recover in the same boot" "$CH" recover "$S"
check "  does not apply the record (that step was never acknowledged)" test "$(head_of "$D3")" = "$P"
check "  and empties the journal" test ! -s "$J"
CHANCERY_TEST_BOOT_ID=$OTHER_BOOT expect 0 "nor does a later boot (the journal is empty)" \
	"$CH" doc show "$S" "$D3"
check "  the ref stays" test "$(head_of "$D3")" = "$P"

# ---- a record cut short ----
D4=$(create four) || not_ok "create four"
H0=$(head_of "$D4")
act "$D4" nguyen.van.a submit || not_ok "submit four"
H1=$(head_of "$D4")
objects_of "$H0" | sort -u >"$T/lost4"
size=$(stat -c %s "$J")
truncate -s $((size - 7)) "$J" # the machine died during the second append
while read -r o; do rm -f "$(loose "$o")"; done <"$T/lost4"
rm -f "$(loose "$H1")" "$R/refs/docs/$D4"
CHANCERY_TEST_BOOT_ID=$OTHER_BOOT expect 0 "recover after a crash during an append" "$CH" recover "$S"
check "  says it dropped the record cut short" grep -q "journal: dropped the journal from byte" "$T/out"
check "  the complete record is replayed: the document exists" test "$(head_of "$D4")" = "$H0"
check "  the cut one is not: its step is absent" bash -c "! git -C '$R' cat-file -e $H1 2>/dev/null"
check "  git fsck --strict" git -C "$R" fsck --strict --no-dangling 2>/dev/null
expect 0 "  chancery verify passes" "$CH" verify "$S"
expect 0 "  and the step can be taken again" act "$D4" nguyen.van.a submit

# ---- a damaged record in the journal stops the replay there ----
D5=$(create five) || not_ok "create five"
printf 'CHJ1\377\377\377\377garbage' >>"$J"
CHANCERY_TEST_BOOT_ID=$OTHER_BOOT expect 0 "recover with garbage after the last record" "$CH" recover "$S"
check "  drops it and says so" grep -q "journal: dropped the journal from byte" "$T/out"
check "  the document before it is whole" git -C "$R" cat-file -e "$(head_of "$D5")"

# ---- checkpoints keep the journal short ----
for _ in $(seq 12); do cat "$CORPUS"/*.txt; done >"$T/big.md"
big=$(stat -c %s "$T/big.md")
if [ "$big" -gt 1100000 ]; then
	expect 0 "a step of $big bytes (over the 1 MiB checkpoint)" "$CH" doc create "$S" \
		--as nguyen.van.a --title "Báo cáo dài" --type bao-cao --file "$T/big.md" \
		--passphrase-file "$(pass nguyen.van.a)"
	check "  is followed by a checkpoint: the journal is empty" test ! -s "$J"
	check "  and the document is readable" git -C "$R" cat-file -e "refs/docs/$(cat "$T/out")"
else
	for _ in $(seq 40); do cat "$CORPUS"/*.txt; done >"$T/big.md"
	expect 0 "a step over the 1 MiB checkpoint" "$CH" doc create "$S" --as nguyen.van.a \
		--title "Báo cáo dài" --type bao-cao --file "$T/big.md" --passphrase-file "$(pass nguyen.van.a)"
	check "  is followed by a checkpoint: the journal is empty" test ! -s "$J"
fi

# ---- a refused step writes nothing, journal included ----
before=$(stat -c %s "$J")
echo "wrong" >"$T/wrong"
expect 1 "a wrong passphrase is refused" "$CH" doc act "$S" "$D" --as tran.thi.b \
	--action approve --passphrase-file "$T/wrong"
check "  and the journal did not grow" test "$(stat -c %s "$J")" = "$before"

# ---- the step engine journals its steps too ----
unset CHANCERY_ENGINE
before=$(stat -c %s "$J")
D6=$(create six) || not_ok "create six"
CHANCERY_ENGINE_TRACE=1 "$CH" doc act "$S" "$D6" --as nguyen.van.a --action submit \
	--passphrase-file "$(pass nguyen.van.a)" >"$T/out" 2>"$T/err"
check "a step through the engine" grep -q "step done by the engine" "$T/err"
check "  appended its record" test "$(stat -c %s "$J")" -gt "$before"
check "  the engine (umask 077) made objects/00..ff with the mode of objects/ ($(stat -c %a "$R/objects"))" \
	bash -c "test \$(ls -d '$R'/objects/?? | wc -l) = 256 && ! stat -c %a '$R'/objects/?? | grep -vqx \$(stat -c %a '$R/objects')"
N=$(head_of "$D6")
git -C "$R" rev-parse "refs/docs/$D6^" >"$T/prev"
"$CH" engine stop "$S" >/dev/null 2>&1
rm -f "$(loose "$N")"
cp "$T/prev" "$R/refs/docs/$D6"
CHANCERY_TEST_BOOT_ID=$OTHER_BOOT expect 0 "  and a replay restores it" "$CH" recover "$S"
check "  at the engine's commit" test "$(head_of "$D6")" = "$N"
check "  git fsck --strict" git -C "$R" fsck --strict --no-dangling 2>/dev/null

finish
