/* test_quarantine.c -- the receive-pack request parser (workflows/sync/pushcmd.c)
 * and the quarantine's edges (workflows/sync/quarantine.c): received objects land
 * in SITE/state/quarantine/<random>/, never in the site's repository, and
 * the quarantine goes when it is freed; malformed and oversized packs are
 * refused before libgit2 sees them. The apply semantics (accept, R1, gate,
 * need to know, conflicts, CAS, a crash between objects and refs) are
 * tested with real git, gpg and chanceryd in
 * tests/integration/test_sync_push.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workflows/sync/pktline.h"
#include "workflows/sync/pushcmd.h"
#include "workflows/sync/quarantine.h"
#include "workflows/site.h"
#include "util/fs.h"
#include "util/common.h"

#define Z40 "0000000000000000000000000000000000000000"
#define A40 "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
#define B40 "ffeeddccbbaa99887766554433221100ffeeddcc"

static void pkt(ch_buf *b, const char *s, size_t len)
{
	ch_pkt_write(b, s, len);
}

static void test_push_request(void **state)
{
	static const char first[] = Z40 " " A40 " refs/docs/x\0report-status side-band-64k atomic\n";
	static const char second[] = A40 " " Z40 " refs/heads/policy\n";
	ch_buf b = CH_BUF_INIT;
	ch_push_request r;

	(void)state;
	assert_int_equal(ch_lib_init(), 0);
	pkt(&b, first, sizeof(first) - 1);
	pkt(&b, second, sizeof(second) - 1);
	ch_pkt_flush(&b);
	ch_buf_puts(&b, "PACKxyz");
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), 0);
	assert_int_equal(r.ncmds, 2);
	assert_string_equal(r.cmds[0].ref, "refs/docs/x");
	assert_true(git_oid_is_zero(&r.cmds[0].old_id));
	assert_string_equal(git_oid_tostr_s(&r.cmds[0].new_id), A40);
	assert_true(git_oid_is_zero(&r.cmds[1].new_id)); /* a deletion: parsed, refused later */
	assert_int_equal(r.caps.n, 3);
	assert_true(ch_push_request_has_cap(&r, "side-band-64k"));
	assert_true(ch_push_request_has_cap(&r, "atomic"));
	assert_false(ch_push_request_has_cap(&r, "side-band"));
	assert_int_equal(r.pack_len, 7);
	assert_memory_equal(b.ptr + r.pack_offset, "PACKxyz", 7);
	ch_push_request_dispose(&r);

	/* capabilities on a later command; upper-case ids; a ref with a space */
	ch_buf_clear(&b);
	pkt(&b, second, sizeof(second) - 1);
	pkt(&b, first, sizeof(first) - 1);
	ch_pkt_flush(&b);
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), CH_EINVALID);
	ch_buf_clear(&b);
	ch_pkt_printf(&b, "%s %s refs/docs/x\n", "1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D", B40);
	ch_pkt_flush(&b);
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), CH_EINVALID);
	ch_buf_clear(&b);
	ch_pkt_printf(&b, "%s %s refs/docs/a b\n", A40, B40);
	ch_pkt_flush(&b);
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), CH_EINVALID);
	/* no flush; shallow; a pack without commands */
	ch_buf_clear(&b);
	ch_pkt_printf(&b, "%s %s refs/docs/x\n", A40, B40);
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), CH_EINVALID);
	ch_buf_clear(&b);
	ch_pkt_printf(&b, "shallow %s\n", A40);
	ch_pkt_flush(&b);
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), CH_EINVALID);
	ch_buf_clear(&b);
	ch_pkt_flush(&b);
	ch_buf_puts(&b, "PACK");
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), CH_EINVALID);
	/* a flush alone: nothing to do */
	ch_buf_clear(&b);
	ch_pkt_flush(&b);
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), 0);
	assert_int_equal(r.ncmds, 0);
	ch_push_request_dispose(&r);
	ch_buf_dispose(&b);
}

static void test_push_request_limits(void **state)
{
	ch_buf b = CH_BUF_INIT;
	ch_push_request r;
	char ref[CH_PUSH_MAX_REF + 2];
	size_t i;

	(void)state;
	for (i = 0; i < CH_PUSH_MAX_COMMANDS; i++)
		ch_pkt_printf(&b, "%s %s refs/docs/d%zu\n", A40, B40, i);
	ch_pkt_flush(&b);
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), 0);
	assert_int_equal(r.ncmds, CH_PUSH_MAX_COMMANDS);
	ch_push_request_dispose(&r);
	ch_buf_clear(&b);
	for (i = 0; i <= CH_PUSH_MAX_COMMANDS; i++)
		ch_pkt_printf(&b, "%s %s refs/docs/d%zu\n", A40, B40, i);
	ch_pkt_flush(&b);
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), CH_EINVALID);
	memset(ref, 'a', sizeof(ref) - 1);
	ref[sizeof(ref) - 1] = '\0';
	ch_buf_clear(&b);
	ch_pkt_printf(&b, "%s %s %s\n", A40, B40, ref);
	ch_pkt_flush(&b);
	assert_int_equal(ch_push_request_parse(&r, b.ptr, b.size), CH_EINVALID);
	ch_buf_dispose(&b);
}

/* A pack holding one blob, made by libgit2 in a scratch repository. */
static void one_blob_pack(ch_buf *out, git_oid *blob, const char *dir)
{
	git_repository *repo = NULL;
	git_packbuilder *pb = NULL;
	git_buf buf = { NULL, 0, 0 };
	static const char text[] = "received, not yet trusted\n";

	assert_int_equal(git_repository_init(&repo, dir, 1), 0);
	assert_int_equal(git_blob_create_from_buffer(blob, repo, text, sizeof(text) - 1), 0);
	assert_int_equal(git_packbuilder_new(&pb, repo), 0);
	assert_int_equal(git_packbuilder_insert(pb, blob, NULL), 0);
	assert_int_equal(git_packbuilder_write_buf(&buf, pb), 0);
	ch_buf_set(out, buf.ptr, buf.size);
	git_buf_dispose(&buf);
	git_packbuilder_free(pb);
	git_repository_free(repo);
}

static void test_quarantine_holds_objects_apart(void **state)
{
	char dir[] = "/tmp/chqt.XXXXXX";
	ch_buf path = CH_BUF_INIT, pack = CH_BUF_INIT, alt = CH_BUF_INIT;
	ch_site *site = NULL;
	ch_quarantine *q = NULL;
	git_repository *qrepo = NULL;
	git_odb *odb = NULL;
	ch_qresult *res = (ch_qresult *)1;
	ch_qupdate u;
	git_oid blob;
	char *qpath;
	unsigned char bad[64];

	(void)state;
	assert_int_equal(ch_lib_init(), 0);
	assert_non_null(mkdtemp(dir));
	ch_buf_printf(&path, "%s/scratch.git", dir);
	one_blob_pack(&pack, &blob, path.ptr);
	ch_buf_clear(&path);
	ch_buf_printf(&path, "%s/site", dir);
	assert_int_equal(ch_site_create(&site, path.ptr, "hq", "networked"), 0);

	assert_int_equal(ch_quarantine_open(&q, site, "../x", "git push"), CH_EINVALID);
	assert_int_equal(ch_quarantine_open(&q, site, "mission-a", "git push"), 0);
	qpath = ch_strdup(ch_quarantine_path(q));
	ch_buf_clear(&path);
	ch_buf_printf(&path, "%s/site/state/quarantine/", dir);
	assert_int_equal(strncmp(qpath, path.ptr, path.size), 0);
	ch_buf_clear(&path);
	ch_buf_printf(&path, "%s/objects/info/alternates", qpath);
	assert_int_equal(ch_fs_read(&alt, path.ptr, 4096), 0);
	assert_non_null(strstr(alt.ptr, "/site/repo.git/objects\n"));

	/* refused before libgit2 reads them */
	memset(bad, 0, sizeof(bad));
	assert_int_equal(ch_quarantine_add_pack(q, bad, sizeof(bad)), CH_EINVALID);
	memcpy(bad, "PACK\0\0\0\2\0\x30\0\0", 12); /* 3,145,728 objects claimed */
	assert_int_equal(ch_quarantine_add_pack(q, bad, sizeof(bad)), CH_EINVALID);
	assert_int_equal(ch_quarantine_add_pack(q, pack.ptr, (size_t)CH_Q_MAX_PACK + 1), CH_EINVALID);
	pack.ptr[pack.size - 1] ^= 1; /* the trailing checksum */
	assert_true(ch_quarantine_add_pack(q, pack.ptr, pack.size) < 0);
	pack.ptr[pack.size - 1] ^= 1;

	/* a good pack: in the quarantine, not in the site */
	assert_int_equal(ch_quarantine_add_pack(q, pack.ptr, pack.size), 0);
	assert_int_equal(git_repository_open_bare(&qrepo, qpath), 0);
	assert_int_equal(git_repository_odb(&odb, qrepo), 0);
	assert_true(git_odb_exists(odb, &blob));
	git_odb_free(odb);
	git_repository_free(qrepo);
	assert_int_equal(git_repository_odb(&odb, site->repo), 0);
	git_odb_refresh(odb);
	assert_false(git_odb_exists(odb, &blob));
	git_odb_free(odb);

	/* a site without a policy judges nothing: an error, no results */
	memset(&u, 0, sizeof(u));
	snprintf(u.ref, sizeof(u.ref), "refs/docs/x");
	git_oid_cpy(&u.new_id, &blob);
	assert_true(ch_quarantine_apply(q, &u, 1, CH_Q_CHECK_OLD, &res) < 0);
	assert_null(res);
	assert_true(ch_quarantine_apply(q, &u, CH_Q_MAX_UPDATES + 1, 0, &res) < 0);

	ch_quarantine_free(q);
	assert_false(ch_fs_exists(qpath));
	free(qpath);
	ch_site_free(site);
	ch_buf_dispose(&path);
	ch_buf_dispose(&pack);
	ch_buf_dispose(&alt);
	assert_int_equal(ch_fs_remove_tree(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_request),
		cmocka_unit_test(test_push_request_limits),
		cmocka_unit_test(test_quarantine_holds_objects_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
