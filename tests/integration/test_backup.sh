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

# ---- a crafted backup file: root runs restore ----
# Each archive: the site's own members (a good backup, unpacked) and one
# member an attacker adds, made with stock python3 (tarfile) or tar, wrapped
# with a right header: refused at the listing, before anything is unpacked.
G="$T/good"
mkdir "$G"
tail -n +5 "$B" | tar -xf - -C "$G"
wrap() { # TAR FILE: TAR behind a header that matches it
	{ printf 'chancery-backup 1\nsha256 %s\nsize %s\n\n' "$(sha256sum <"$1" | cut -d' ' -f1)" \
		"$(stat -c %s "$1")"; cat "$1"; } >"$2"
}
craft() { # NAME PYTHON: the site's members, then what PYTHON adds to tarfile t
	python3 - "$G" "$T/$1.tar" "$2" <<'PY'
import io, os, sys, tarfile
good, out, extra = sys.argv[1:4]
t = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
for m in ("site.json", "gnupg", "state", "repo.bundle", "repo.config", "repo.HEAD", "refs.txt"):
    t.add(os.path.join(good, m), arcname=m)
def member(name, data=b"x", **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    for k, v in kw.items():
        setattr(ti, k, v)
    t.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
exec(extra)
t.close()
PY
	wrap "$T/$1.tar" "$T/$1.backup"
}
n=0
refused() { # NAME WHY PYTHON: the crafted backup is refused, naming WHY
	n=$((n + 1))
	craft "$1" "$3"
	expect 1 "restore refuses $1" "$CH" restore "$T/$1.backup" "$T/atk$n"
	err_has "$2" "the refusal of $1 names it: $2"
	check "nothing of $1 was restored" test ! -e "$T/atk$n"
}
craft repacked ""
expect 0 "the site's members repacked by python restore" "$CH" restore "$T/repacked.backup" "$T/repacked"
refused hardlink "a hard link" 'member("state/x", type=tarfile.LNKTYPE, linkname="/etc/shadow")'
refused hardlink-inside "a hard link" 'member("state/x", type=tarfile.LNKTYPE, linkname="site.json")'
refused chardev "a device" 'member("state/null", type=tarfile.CHRTYPE, devmajor=1, devminor=3)'
refused blockdev "a device" 'member("state/sda", type=tarfile.BLKTYPE, devmajor=8, devminor=0)'
refused fifo "a FIFO" 'member("state/fifo", type=tarfile.FIFOTYPE)'
refused symlink-gnupg "a symbolic link" 'member("gnupg/pubring.kbx~", type=tarfile.SYMTYPE, linkname="/etc/shadow")'
refused dotdot "outside the layout" 'member("state/../../escaped")'
refused absolute "outside the layout" 'member("/tmp/chancery-escaped-'$$'")'
check "the absolute member landed nowhere" test ! -e "/tmp/chancery-escaped-$$"
refused space "unreadable listing line" 'member("state/a b")'
refused trailing-space "unreadable listing line" 'member("site.json ")'
refused leading-space "unreadable listing line" 'member(" gnupg/x")'
refused newline "outside the layout" 'member("state/a\nb")'
refused backslash "outside the layout" 'member("state/a\\b")'
refused escape "outside the layout" 'member("state/a\033[2Jb")'
refused pax-path "outside the layout" 'member("state/ok", pax_headers={"path": "../escaped"})'
refused pax-linkpath "a symbolic link" \
	'member("state/ok", type=tarfile.SYMTYPE, linkname="ok", pax_headers={"linkpath": "/etc"})'
refused long-name "outside the layout" 'member("state/" + "a" * 300)'
refused dot-component "outside the layout" 'member("state/./x")'
refused twice "listed twice" 'member("refs.txt", b"0000000000000000000000000000000000000000 refs/heads/x\n")'
refused dir-then-file "listed twice" 'member("state/d", type=tarfile.DIRTYPE); member("state/d")'
refused under-a-file "under a file" 'member("state/f"); member("state/f/g")'
refused setuid "set-id" 'member("gnupg/trustdb.gpg~", mode=0o4755, uid=0)'
refused setgid-dir "set-id" 'member("state/d", type=tarfile.DIRTYPE, mode=0o2777)'
refused sticky "set-id" 'member("state/t", mode=0o1644)'
refused gnupg-dirmngr "outside the layout" 'member("gnupg/dirmngr.conf", b"ldapserver evil\n")'
refused gnupg-scdaemon "outside the layout" 'member("gnupg/scdaemon.conf", b"pcsc-driver /tmp/evil.so\n")'
refused gnupg-common "outside the layout" 'member("gnupg/common.conf", b"use-keyboxd\n")'
refused gnupg-keyname "outside the layout" 'member("gnupg/private-keys-v1.d/evil.key")'
refused repo-git "outside the layout" 'member("repo.git/hooks/post-checkout", mode=0o755)'

# GNU tar's sparse member: 100 MB on disk from a few bytes of archive.
mkdir -p "$T/sp/state"
truncate -s 100M "$T/sp/state/big"
tar --format=gnu --sparse -cf "$T/sparse.tar" -C "$G" site.json gnupg state repo.bundle \
	repo.config repo.HEAD refs.txt -C "$T/sp" state/big
wrap "$T/sparse.tar" "$T/sparse.backup"
expect 1 "restore refuses a sparse member larger than the archive" "$CH" restore "$T/sparse.backup" "$T/atk-sparse"
err_has "sparse" "the refusal says why"
check "nothing was restored" test ! -e "$T/atk-sparse"

# A header that lies about the size: refused before the archive is copied.
{ printf 'chancery-backup 1\nsha256 %s\nsize %s\n\n' "$(tail -n +5 "$B" | sha256sum | cut -d' ' -f1)" \
	"$(( $(tail -n +5 "$B" | wc -c) + 1 ))"; tail -n +5 "$B"; } >"$T/lies.backup"
expect 1 "a header claiming one byte more is refused" "$CH" restore "$T/lies.backup" "$T/atk-lies"
err_has "not the size" "the refusal says the size differs"
printf 'chancery-backup 1\nsha256 %s\nsize 9999999999999999\n\n' "$(printf %064d 0)" >"$T/huge.backup"
expect 1 "a header with a 16-digit size is refused" "$CH" restore "$T/huge.backup" "$T/atk-huge"
err_has "is not a Chancery backup" "the refusal says the header is not one"

# A truncated archive whose header matches it (a consistent, short file).
head -c 20000 "$T/repacked.tar" >"$T/cut.tar"
wrap "$T/cut.tar" "$T/cut.backup"
expect 1 "an archive cut short is refused" "$CH" restore "$T/cut.backup" "$T/atk-cut"
err_has "cannot be read" "the refusal says the archive cannot be read"
check "nothing was restored" test ! -e "$T/atk-cut"

# Data after the archive's end (a second archive with a link): tar lists
# and extracts nothing past the end, so nothing of it lands.
python3 -c '
import sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo("state/evil"); ti.type = tarfile.SYMTYPE; ti.linkname = "/etc"
t.addfile(ti); t.close()' "$T/tail.tar"
cat "$T/repacked.tar" "$T/tail.tar" >"$T/trailing.tar"
wrap "$T/trailing.tar" "$T/trailing.backup"
"$CH" restore "$T/trailing.backup" "$T/atk-trailing" >"$T/out" 2>&1
check "nothing after the archive's end is restored" test ! -L "$T/atk-trailing/state/evil"

# Owners and modes come from whoever restores, never from the archive: an
# archive with another user's uid, group and world bits restores owned by
# the restoring user (root: chanceryd gives the tree to the site's users at
# start, docs/ARCHITECTURE.md), with no group or world bit.
tar --format=posix --owner=4242 --group=4242 --numeric-owner --mode=go+rwX -cf "$T/owned.tar" \
	-C "$G" site.json gnupg state repo.bundle repo.config repo.HEAD refs.txt
wrap "$T/owned.tar" "$T/owned.backup"
expect 0 "a backup whose members another uid owns restores" "$CH" restore "$T/owned.backup" "$T/owned"
check "no restored file or directory is owned by the archive's uid" \
	test -z "$(find "$T/owned" \( -uid 4242 -o -gid 4242 \) -print -quit)"
check "every restored file is the restoring user's" \
	test -z "$(find "$T/owned" ! -uid "$(id -u)" -print -quit)"
check "no extracted member has a group or world bit" \
	test -z "$(find "$T/owned/gnupg" "$T/owned/state" "$T/owned/site.json" -perm /077 -print -quit)"
check "the GnuPG home is 0700" test "$(stat -c %a "$T/owned/gnupg")" = 700

# A backup waits for no one mid-step: it takes the write lock exclusive.
exec 9>>"$S/state/write.lock"
flock -s 9
expect 3 "backup while a writer holds the lock: a conflict after --wait" \
	"$CH" backup "$S" "$T/locked.backup" --wait 0
flock -u 9
exec 9>&-
check "no file was written" test ! -e "$T/locked.backup"
finish
