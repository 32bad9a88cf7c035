#!/usr/bin/env bash
# test_backup.sh -- `chancery backup` and `restore` (cli/cmd_backup.c): a
# site with documents and steps, backed up and restored elsewhere, is the
# same site (every ref and commit id, site.json, state/, the keys), verifies,
# and takes the next step; a damaged or foreign backup file and a restore
# over an existing site are refused, leaving nothing behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

make_site nguyen.van.a:drafter tran.thi.b:head || { not_ok "site"; finish; }
D=$("$CH" doc create "$S" --as nguyen.van.a --title "Công văn thử" --type cong-van \
	--file "$CORPUS/bao-gia-lai-tin-292.txt" --passphrase-file "$(pass nguyen.van.a)")
check "a document is created" test -n "$D"
check "the drafter submits it" "$CH" doc act "$S" "$D" --as nguyen.van.a --action submit \
	--passphrase-file "$(pass nguyen.van.a)"

B="$T/hq.backup"
expect 0 "backup of the site" "$CH" backup "$S" "$B"
sed 's/^/# /' "$T/out"
check "the backup file is mode 0600" test "$(stat -c %a "$B")" = 600
check "its header names the format, its SHA-256 and size" \
	bash -c "head -c 200 '$B' | head -3 | tr '\n' ' ' | grep -qE '^chancery-backup 1 sha256 [0-9a-f]{64} size [0-9]+ \$'"
expect 1 "a backup never overwrites a file" "$CH" backup "$S" "$B"
err_has "exists" "the refusal says the file exists"

R="$T/restored"
expect 0 "restore into a new directory" "$CH" restore "$B" "$R"
sed 's/^/# /' "$T/out" | tail -3
refs() { git -C "$1/repo.git" for-each-ref --format='%(refname) %(objectname)'; }
check "every ref restored with the same commit id" test "$(refs "$S")" = "$(refs "$R")"
check "at least two refs (policy, the document)" test "$(refs "$R" | wc -l)" -ge 2
check "site.json is the same" cmp "$S/site.json" "$R/site.json"
check "state/accounts.json is the same (login passwords)" cmp "$S/state/accounts.json" "$R/state/accounts.json"
check "the secret keys are the same" diff -r "$S/gnupg/private-keys-v1.d" "$R/gnupg/private-keys-v1.d"
check "the GnuPG home is closed (0700)" test "$(stat -c %a "$R/gnupg")" = 700
check "no agent socket or staging directory is left" \
	bash -c "! ls -a '$R/gnupg' '$T' | grep -qE '^S\\.gpg-agent|^\\.chancery-'"
check "chancery verify passes on the restored repository" "$CH" verify "$R/repo.git"
check "the head takes a step on the restored site (keys and passphrase restored)" \
	"$CH" doc act "$R" "$D" --as tran.thi.b --action approve --passphrase-file "$(pass tran.thi.b)"
check "the restored site's document moved on; the original did not" \
	test "$(git -C "$R/repo.git" rev-parse "refs/docs/$D")" != "$(git -C "$S/repo.git" rev-parse "refs/docs/$D")"

# ---- refusals ----
expect 1 "restore over an existing site is refused" "$CH" restore "$B" "$R"
err_has "not empty" "the refusal says the directory is not empty"
mkdir "$T/empty"
expect 0 "restore into an existing empty directory" "$CH" restore "$B" "$T/empty"

cp "$B" "$T/bad.backup"
size=$(stat -c %s "$B")
off=$((size / 2))
printf "$(printf '\\%03o' $(( $(od -An -tu1 -j "$off" -N1 "$B") ^ 255 )))" |
	dd of="$T/bad.backup" bs=1 seek="$off" conv=notrunc 2>/dev/null
check "the corrupted copy differs in one byte" test "$(cmp -l "$B" "$T/bad.backup" | wc -l)" = 1
expect 1 "a backup with one byte changed is refused" "$CH" restore "$T/bad.backup" "$T/r2"
err_has "is damaged" "the refusal says the file is damaged"
err_has "SHA-256 does not match" "and why"
check "nothing was restored" test ! -e "$T/r2"
check "no staging directory is left" bash -c "! ls -a '$T' | grep -q '^\\.chancery-'"

head -c $((size - 100)) "$B" >"$T/short.backup"
expect 1 "a truncated backup is refused" "$CH" restore "$T/short.backup" "$T/r3"
err_has "not the size" "the refusal says it is truncated"

printf 'not a backup\n' >"$T/foreign"
expect 1 "a file that is not a backup is refused" "$CH" restore "$T/foreign" "$T/r4"
err_has "is not a Chancery backup" "the refusal says so"

# A well-formed file whose archive carries a member outside the layout
# (its checksum right): refused before anything is unpacked.
mkdir -p "$T/evil"
echo x >"$T/evil/site.json"
ln -s /etc "$T/evil/state"
tar --format=posix -cf "$T/evil.tar" -C "$T/evil" site.json state
{ printf 'chancery-backup 1\nsha256 %s\nsize %s\n\n' "$(sha256sum <"$T/evil.tar" | cut -d' ' -f1)" \
	"$(stat -c %s "$T/evil.tar")"; cat "$T/evil.tar"; } >"$T/evil.backup"
expect 1 "an archive with a symbolic link is refused" "$CH" restore "$T/evil.backup" "$T/r5"
err_has "not part of a site's backup" "the refusal names the member"
check "nothing was restored" test ! -e "$T/r5"

# A backup whose ref list says another commit than its bundle holds (a
# well-formed file, checksum right): restore names the ref and keeps nothing.
mkdir "$T/x"
tail -n +5 "$B" | tar -xf - -C "$T/x"
pol=$(awk '$2 == "refs/heads/policy" {print $1}' "$T/x/refs.txt")
sed -i "s|^[0-9a-f]* refs/docs/$D\$|$pol refs/docs/$D|" "$T/x/refs.txt"
tar --format=posix -cf "$T/x.tar" -C "$T/x" site.json gnupg state repo.bundle repo.config repo.HEAD refs.txt
{ printf 'chancery-backup 1\nsha256 %s\nsize %s\n\n' "$(sha256sum <"$T/x.tar" | cut -d' ' -f1)" \
	"$(stat -c %s "$T/x.tar")"; cat "$T/x.tar"; } >"$T/x.backup"
expect 1 "a backup whose refs do not match its list is refused" "$CH" restore "$T/x.backup" "$T/r6"
err_has "refs differ" "the refusal counts the refs that differ"
check "and the ref is named" grep -q "refs/docs/$D is not restored as it was backed up" "$T/out"
check "nothing was restored" test ! -e "$T/r6"

# A backup waits for no one mid-step: it takes the write lock exclusive.
exec 9>>"$S/state/write.lock"
flock -s 9
expect 3 "backup while a writer holds the lock: a conflict after --wait" \
	"$CH" backup "$S" "$T/locked.backup" --wait 0
flock -u 9
exec 9>&-
check "no file was written" test ! -e "$T/locked.backup"
finish
