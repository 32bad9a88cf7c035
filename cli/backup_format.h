/* backup_format.h -- what `chancery restore` reads from outside, parsed
 * without touching the filesystem (cli/cmd_backup.c runs the programs; this
 * decides): a backup file's header, and the listing stock tar gives of its
 * archive (`tar --list --verbose --numeric-owner --quoting-style=escape`).
 * Fuzzed by tests/fuzz/fuzz_backup.c. */
#ifndef CH_BACKUP_FORMAT_H
#define CH_BACKUP_FORMAT_H

#include <stddef.h>

#define CH_BACKUP_MAGIC "chancery-backup 1\n"
/* The header's longest form: magic, "sha256 " + 64 hex, "size " + 15 digits, "\n". */
#define CH_BACKUP_HEADER_MAX 128
#define CH_BACKUP_MAX_SIZE_DIGITS 15
#define CH_BACKUP_MAX_MEMBERS 1000000
#define CH_BACKUP_MAX_NAME 255
/* A listing line: mode, owner, size, date, time, name, with padding. */
#define CH_BACKUP_MAX_LINE 512

/* A backup file's header. */
typedef struct {
	char sha256[65];         /* the archive's SHA-256, 64 lowercase hex digits */
	unsigned long long size; /* the archive's bytes */
	size_t length;           /* the header's bytes: the archive starts there */
} ch_backup_header;

/* backup_format.c */
/* Parse the header at the start of `data` (the file's first `len` bytes;
 * CH_BACKUP_HEADER_MAX are enough). 0, or CH_EINVALID with a message. */
int ch_backup_header_parse(ch_backup_header *out, const char *data, size_t len);

/* Check tar's verbose listing of an archive of `archive_size` bytes: every
 * member a plain file or directory the layout allows (ch_backup_member_allowed),
 * with no set-id or sticky bit, listed once, under no file, and the sizes
 * no more than the archive holds (no sparse member grows on disk). 0, or
 * CH_EINVALID with a message naming the member. */
int ch_backup_listing_check(const char *listing, size_t len, unsigned long long archive_size);

/* 1 if `name` (`len` bytes, a directory's trailing '/' removed) may be a
 * member of a backup: site.json, refs.txt, repo.bundle, repo.config,
 * repo.HEAD, state/ and anything under it, gnupg/ and the files a site's
 * GnuPG home holds (never another tool's configuration); canonical (no
 * empty, '.' or '..' component, not absolute), of plain characters. */
int ch_backup_member_allowed(const char *name, size_t len, int is_dir);

#endif
