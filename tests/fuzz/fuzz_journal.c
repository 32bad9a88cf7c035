/* fuzz_journal.c -- libFuzzer target for the step journal's replay
 * (workflows/journal.c, ch_journal_replay), on a journal file holding the
 * input, in a site made once.
 *
 * A journal is written by the site's own user, but a crash, a full disk or
 * a damaged block can leave anything in it, and the replay runs before
 * anyone else touches the site: it must stop cleanly at whatever it cannot
 * read. So that the fuzzer reaches past the CRC, each record-shaped piece
 * of the input (by its length field) has its CRC made right before the
 * file is written; the input's boot ids are its own, so most records are
 * "of an earlier boot" and are applied.
 *
 * Beyond "no crash, no leak": the replay ends with the journal emptied
 * when it succeeds, and every ref it sets names an object that reads back. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "workflows/journal.h"
#include "workflows/site.h"
#include "util/fs.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walk the records by their length fields, fixing each one's CRC. */
static void fix_crcs(uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off + 8 <= n) {
		uint32_t len = get_u32(p + off + 4), crc;

		if (len < 48 || len > n - off)
			break;
		crc = (uint32_t)crc32(0L, p + off, len - 4);
		p[off + len - 4] = (uint8_t)crc;
		p[off + len - 3] = (uint8_t)(crc >> 8);
		p[off + len - 2] = (uint8_t)(crc >> 16);
		p[off + len - 1] = (uint8_t)(crc >> 24);
		off += len;
	}
}

static ch_site *site;
static char journal[256], top[64];

static void cleanup(void)
{
	ch_site_free(site);
	ch_fs_remove_tree(top);
}

static void setup(void)
{
	char dir[] = "/tmp/chfuzz-journal.XXXXXX", path[64];

	if (!mkdtemp(dir))
		abort();
	snprintf(top, sizeof(top), "%s", dir);
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/site", dir);
	if (ch_site_create(&site, path, "fuzz", "networked") < 0)
		abort();
	snprintf(journal, sizeof(journal), "%s/state", path);
	mkdir(journal, 0700);
	snprintf(journal, sizeof(journal), "%s/state/journal", path);
	/* each replay's records are applied with fsync: the file system's
	 * durability is not what is fuzzed */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_strv done = CH_STRV_INIT;
	uint8_t *copy;
	struct stat st;
	size_t i;
	int fd, error;

	if (!site)
		setup();
	if (size > 1024 * 1024)
		return 0;
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	fix_crcs(copy, size);
	fd = open(journal, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	check(fd >= 0 && write(fd, copy, size) == (ssize_t)size);
	close(fd);
	free(copy);
	error = ch_journal_replay(site, &done);
	if (error == 0)
		check(stat(journal, &st) == 0 && st.st_size == 0);
	for (i = 0; i < done.n; i++) {
		const char *set = "set ", *to = strstr(done.v[i], " to ");
		git_oid id;
		git_object *obj = NULL;

		if (strncmp(done.v[i], set, 4) || !to)
			continue;
		check(git_oid_fromstrn(&id, to + 4, GIT_OID_HEXSZ) == 0);
		check(git_object_lookup(&obj, site->repo, &id, GIT_OBJECT_ANY) == 0);
		git_object_free(obj);
	}
	ch_strv_free(&done);
	return 0;
}
