/* fuzz_backup.c -- what `chancery restore` reads from a backup file
 * (cli/backup_format.c) on arbitrary bytes: the header parser, then the
 * check of tar's listing of the archive (the bytes after a header that
 * parses, with its size; else the whole input). Each accepts or refuses
 * with a message, never reads past the input, and what the listing check
 * accepts holds only plain files and directories with canonical names of
 * the layout, no set-id bit, each once, no more bytes than the archive. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/backup_format.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_header(const ch_backup_header *h, const char *data, size_t size)
{
	if (h->length > size || h->length > CH_BACKUP_HEADER_MAX ||
	    strncmp(data, CH_BACKUP_MAGIC, strlen(CH_BACKUP_MAGIC)) || strlen(h->sha256) != 64 ||
	    strspn(h->sha256, "0123456789abcdef") != 64 || h->size >= 1000000000000000ULL ||
	    data[h->length - 1] != '\n' || data[h->length - 2] != '\n')
		abort();
}

/* What an accepted listing holds, checked again line by line. */
static void check_accepted(const char *p, size_t n)
{
	const char *end = p + n, *nl, *name;

	for (; p < end; p = nl + 1) {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			nl = end;
		if (nl - p < 12 || nl[-1] == ' ' || (p[0] != '-' && p[0] != 'd') ||
		    memchr(p, '\0', (size_t)(nl - p)) || memchr(p, 's', 10) || memchr(p, 'S', 10) ||
		    memchr(p, 't', 10) || memchr(p, 'T', 10))
			abort();
		name = nl;
		while (name > p && name[-1] != ' ')
			name--;
		if (name[0] == '/' || memmem(name, (size_t)(nl - name), "..", 2) ||
		    (strncmp(name, "site.json", 9) && strncmp(name, "refs.txt", 8) &&
		     strncmp(name, "repo.", 5) && strncmp(name, "gnupg", 5) && strncmp(name, "state", 5)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	unsigned long long archive = (unsigned long long)size * 512;
	ch_backup_header h;
	size_t at = 0;

	if (ch_backup_header_parse(&h, text, size) == 0) {
		check_header(&h, text, size);
		at = h.length;
		archive = h.size;
	} else if (!*ch_error_last()) {
		abort();
	}
	if (ch_backup_listing_check(text + at, size - at, archive) == 0)
		check_accepted(text + at, size - at);
	else if (!strstr(ch_error_last(), "nothing was restored"))
		abort();
	return 0;
}
