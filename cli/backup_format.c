/* backup_format.c -- the parsing half of `chancery restore` (see
 * backup_format.h): a backup file's header, and the check of tar's listing
 * of its archive before root extracts it. Both work on bytes in memory and
 * refuse whatever is not exactly what `chancery backup` writes. */
#include <stdlib.h>
#include <string.h>

#include "cli/backup_format.h"
#include "util/common.h"

/* ---- header ---- */

/* The line `prefix`, 1 to `max` characters of `set`, '\n' at data[*at]:
 * those characters into `out` (NUL-terminated), *at past the line. */
static int header_line(char *out, size_t max, const char *data, size_t len, size_t *at,
                       const char *prefix, const char *set)
{
	size_t p = strlen(prefix), n = 0;

	if (len - *at < p || memcmp(data + *at, prefix, p))
		return -1;
	while (*at + p + n < len && n <= max && data[*at + p + n] &&
	       strchr(set, data[*at + p + n]))
		n++;
	if (n == 0 || n > max || *at + p + n >= len || data[*at + p + n] != '\n')
		return -1;
	memcpy(out, data + *at + p, n);
	out[n] = '\0';
	*at += p + n + 1;
	return 0;
}

int ch_backup_header_parse(ch_backup_header *out, const char *data, size_t len)
{
	size_t at = sizeof(CH_BACKUP_MAGIC) - 1;
	char size[CH_BACKUP_MAX_SIZE_DIGITS + 1];

	memset(out, 0, sizeof(*out));
	if (len < at || memcmp(data, CH_BACKUP_MAGIC, at) ||
	    header_line(out->sha256, 64, data, len, &at, "sha256 ", "0123456789abcdef") < 0 ||
	    strlen(out->sha256) != 64 ||
	    header_line(size, CH_BACKUP_MAX_SIZE_DIGITS, data, len, &at, "size ",
	                "0123456789") < 0 ||
	    at >= len || data[at] != '\n')
		return ch_error_setc(CH_EINVALID, "its header is not 'chancery-backup 1', sha256, "
		                     "size");
	out->size = strtoull(size, NULL, 10);
	out->length = at + 1;
	return 0;
}

/* ---- member names ---- */

static int is_hex_name(const char *s, size_t len, const char *ext)
{
	size_t e = strlen(ext), i;

	if (len != 40 + e || memcmp(s + 40, ext, e))
		return 0;
	for (i = 0; i < 40; i++)
		if (!s[i] || !strchr("0123456789ABCDEFabcdef", s[i]))
			return 0;
	return 1;
}

static int name_is(const char *s, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(s, want, len);
}

/* Under gnupg/: what a site's GnuPG home holds (crypto/keystore.c,
 * workflows/store/keyguard.c, workflows/sitelog.c), nothing more. Another
 * tool's configuration (dirmngr.conf, scdaemon.conf, common.conf, ...)
 * would be read by a gpg root or the signer starts; gpg.conf and
 * gpg-agent.conf are rewritten by ch_keystore_open before any gpg runs. */
static int gnupg_allowed(const char *s, size_t len, int is_dir)
{
	static const char *const files[] = { "gpg.conf", "gpg-agent.conf", "pubring.kbx",
		"pubring.kbx~", "pubring.gpg", "pubring.gpg~", "trustdb.gpg", "tofu.db",
		"random_seed", "site.json.pending", NULL };
	const char *slash = memchr(s, '/', len);
	size_t i;

	if (slash) {
		size_t d = (size_t)(slash - s), rest = len - d - 1;

		if (is_dir || memchr(slash + 1, '/', rest))
			return 0;
		return (name_is(s, d, "private-keys-v1.d") && is_hex_name(slash + 1, rest, ".key")) ||
		       (name_is(s, d, "openpgp-revocs.d") && is_hex_name(slash + 1, rest, ".rev"));
	}
	if (is_dir)
		return name_is(s, len, "private-keys-v1.d") || name_is(s, len, "openpgp-revocs.d");
	for (i = 0; files[i]; i++)
		if (name_is(s, len, files[i]))
			return 1;
	return len > 9 && !memcmp(s, "chancery-", 9); /* the site's own: log head, tries */
}

/* Canonical: not empty or absolute, no empty, '.' or '..' component. */
static int canonical(const char *s, size_t len)
{
	size_t i = 0, start;

	if (len == 0 || len > CH_BACKUP_MAX_NAME)
		return 0;
	while (i <= len) {
		start = i;
		while (i < len && s[i] != '/')
			i++;
		if (i == start || (i - start == 1 && s[start] == '.') ||
		    (i - start == 2 && s[start] == '.' && s[start + 1] == '.'))
			return 0;
		i++;
	}
	return 1;
}

int ch_backup_member_allowed(const char *name, size_t len, int is_dir)
{
	static const char *const files[] = { "site.json", "refs.txt", "repo.bundle",
		"repo.config", "repo.HEAD", NULL };
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                            "0123456789._-+~/";
	size_t i;

	if (!canonical(name, len))
		return 0;
	for (i = 0; i < len; i++)
		if (!name[i] || !strchr(plain, name[i]))
			return 0;
	if (memmem(name, len, "..", 2))
		return 0; /* no '..' anywhere, as before */
	if (name_is(name, len, "state") || name_is(name, len, "gnupg"))
		return is_dir;
	if (len > 6 && !memcmp(name, "state/", 6))
		return 1;
	if (len > 6 && !memcmp(name, "gnupg/", 6))
		return gnupg_allowed(name + 6, len - 6, is_dir);
	for (i = 0; files[i]; i++)
		if (name_is(name, len, files[i]))
			return !is_dir;
	return 0;
}

/* ---- the listing ---- */

/* One member, its name borrowed from the listing (no trailing '/'). */
typedef struct {
	const char *name;
	size_t len;
	int is_dir;
} member;

typedef struct {
	member *v;
	size_t n, alloc;
	unsigned long long bytes; /* the sizes listed so far */
} members;

/* A line's fields: mode, owner, size, date, time, name (split on spaces). */
#define NFIELDS 6
typedef struct {
	const char *s[NFIELDS];
	size_t len[NFIELDS];
	const char *line, *end; /* the line's start and end */
} fields;

/* The number of fields (NFIELDS + 1: more than a member's line has). */
static size_t split(fields *f, const char *line, size_t len)
{
	size_t i = 0, n = 0;

	f->line = line;
	f->end = line + len;
	while (i < len && n <= NFIELDS) {
		if (line[i] == ' ') {
			i++;
			continue;
		}
		if (n == NFIELDS)
			return NFIELDS + 1;
		f->s[n] = line + i;
		while (i < len && line[i] != ' ')
			i++;
		f->len[n] = (size_t)(line + i - f->s[n]);
		n++;
	}
	return n;
}

static int all_of(const char *s, size_t len, const char *set)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return len > 0;
}

/* The mode field: a plain file or directory, permission bits only (no
 * set-id or sticky bit: root extracts it). */
static const char *check_mode(const char *s, size_t len)
{
	if (len != 10)
		return "an unreadable mode";
	if (s[0] != '-' && s[0] != 'd')
		return s[0] == 'l' ? "a symbolic link" : s[0] == 'h' ? "a hard link" :
		       s[0] == 'c' || s[0] == 'b' ? "a device" : s[0] == 'p' ? "a FIFO" :
		       "not a plain file or directory";
	if (!all_of(s + 1, 9, "rwx-"))
		return "a set-id or sticky bit";
	return NULL;
}

/* Why the member of this line (`nf` fields) is refused, or NULL; else it
 * is added. A link's line has more fields ("-> target", "link to target"):
 * named by its mode first. */
static const char *check_fields(members *m, const fields *f, size_t nf,
                                unsigned long long archive_size)
{
	const char *why, *name;
	size_t len, i;
	unsigned long long bytes = 0;
	int is_dir;

	if (nf == 0)
		return "an empty listing line";
	if ((why = check_mode(f->s[0], f->len[0])) != NULL)
		return why;
	/* tar separates the name by one space and adds none after it: any
	 * other space is the name's own (extracted, so it must be checked) */
	if (nf != NFIELDS || f->s[0] != f->line || f->s[5][-2] == ' ' ||
	    f->s[5] + f->len[5] != f->end)
		return "an unreadable listing line";
	is_dir = f->s[0][0] == 'd';
	name = f->s[5];
	len = f->len[5];
	if (!all_of(f->s[1], f->len[1], "0123456789/"))
		return "an unreadable owner";
	if (!all_of(f->s[2], f->len[2], "0123456789") || f->len[2] > CH_BACKUP_MAX_SIZE_DIGITS)
		return "an unreadable size";
	for (i = 0; i < f->len[2]; i++)
		bytes = bytes * 10 + (unsigned long long)(f->s[2][i] - '0');
	/* each < 10^15, added only while the sum is <= the archive's < 10^15 */
	m->bytes += bytes;
	if (m->bytes > archive_size)
		return "more bytes than the archive holds (a sparse member)";
	if (len > 1 && name[len - 1] == '/') {
		if (!is_dir)
			return "a file named as a directory";
		len--;
	}
	if (!ch_backup_member_allowed(name, len, is_dir))
		return "a name outside the layout";
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 64;
		m->v = ch_realloc(m->v, m->alloc * sizeof(*m->v));
	}
	m->v[m->n].name = name;
	m->v[m->n].len = len;
	m->v[m->n].is_dir = is_dir;
	m->n++;
	return NULL;
}

static int member_cmp(const void *a, const void *b)
{
	const member *x = a, *y = b;
	int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The refusal, naming the member by its line (control bytes shown as '?'). */
static int refuse(const char *why, const char *line, size_t len)
{
	char shown[301];
	size_t i;

	for (i = 0; i < len && i < sizeof(shown) - 1; i++)
		shown[i] = (unsigned char)line[i] < 0x20 || line[i] == 0x7f ? '?' : line[i];
	shown[i] = '\0';
	return ch_error_setc(CH_EINVALID, "the archive holds a member that is not part of a "
	                     "site's backup (%s): %s; nothing was restored", why, shown);
}

/* No member twice (a later one would replace the earlier, checked, one),
 * none under a member that is a file. */
static int check_tree(members *m)
{
	member key, *found;
	size_t i;

	qsort(m->v, m->n, sizeof(*m->v), member_cmp);
	for (i = 0; i < m->n; i++) {
		const char *slash = memrchr(m->v[i].name, '/', m->v[i].len);

		if (i && !member_cmp(&m->v[i - 1], &m->v[i]))
			return refuse("listed twice", m->v[i].name, m->v[i].len);
		if (!slash)
			continue;
		key.name = m->v[i].name;
		key.len = (size_t)(slash - m->v[i].name);
		found = bsearch(&key, m->v, m->n, sizeof(*m->v), member_cmp);
		if (found && !found->is_dir)
			return refuse("under a file", m->v[i].name, m->v[i].len);
	}
	return 0;
}

int ch_backup_listing_check(const char *listing, size_t len, unsigned long long archive_size)
{
	members m = { NULL, 0, 0, 0 };
	size_t at = 0, n;
	const char *why, *nl;
	fields f;
	int error = 0;

	while (!error && at < len) {
		nl = memchr(listing + at, '\n', len - at);
		n = nl ? (size_t)(nl - listing - at) : len - at;
		if (m.n >= CH_BACKUP_MAX_MEMBERS)
			error = refuse("more than a site holds", "", 0);
		else if (n > CH_BACKUP_MAX_LINE || memchr(listing + at, '\0', n))
			error = refuse("an unreadable listing line", listing + at, n);
		else if ((why = check_fields(&m, &f, split(&f, listing + at, n), archive_size)))
			error = refuse(why, listing + at, n);
		at += n + 1;
	}
	if (!error && m.n == 0)
		error = ch_error_setc(CH_EINVALID, "the archive is empty; nothing was restored");
	if (!error)
		error = check_tree(&m);
	free(m.v);
	return error;
}
