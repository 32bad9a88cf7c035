/* test_redteam_sitelog.c -- red-team findings on the site log's key
 * holder (workflows/sitelog.c, ch_log_sign_guarded): whoever writes the
 * repository (the network process) must not get the site key to sign two
 * different entries at one seq on one parent -- a fork of the log made
 * without the key -- while a writer that crashed between the signature and
 * the ref still finishes its entry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/sitelog.h"
#include "util/fs.h"
#include "util/common.h"

#define H40(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

typedef struct {
	char tmpl[32];
	char path[64];
	ch_site *site;
} fx;

static int setup(void **state)
{
	fx *f = ch_calloc(1, sizeof(*f));

	snprintf(f->tmpl, sizeof(f->tmpl), "/tmp/chrt.XXXXXX");
	if (!mkdtemp(f->tmpl))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/hq", f->tmpl);
	if (ch_site_create(&f->site, f->path, "hq", "networked") < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	ch_site_free(f->site);
	ch_fs_remove_tree(f->tmpl);
	free(f);
	return 0;
}

static void policy_item(ch_log_item *it, const char *hex)
{
	memset(it, 0, sizeof(*it));
	it->kind = CH_LOG_POLICY;
	git_oid_fromstr(&it->new_id, hex);
}

/* The payload of entry `seq` on `parent` recording `it` at `when`. */
static void payload(ch_buf *p, git_repository *repo, const git_oid *parent, uint64_t seq,
                    int64_t when, const ch_log_item *it)
{
	git_commit *c = NULL;
	char tree[GIT_OID_HEXSZ + 1];

	assert_int_equal(git_commit_lookup(&c, repo, parent), 0);
	git_oid_tostr(tree, sizeof(tree), git_commit_tree_id(c));
	ch_buf_clear(p);
	ch_buf_printf(p, "tree %s\nparent %s\nauthor hq site log <log@hq.chancery> %lld +0000\n"
	              "committer hq site log <log@hq.chancery> %lld +0000\n\n", tree,
	              git_oid_tostr_s(parent), (long long)when, (long long)when);
	ch_log_message(p, "hq", seq, when, it, 1);
	git_commit_free(c);
}

/* Attack 3: the network process asks for entry 3 recording A, then for
 * entry 3 on the same parent recording B. Before the fix the key signed
 * both: two valid entries at seq 3, a fork of the site log made by a
 * process without the key. The same payload again gets the same
 * signature (one entry, one id). */
static void test_resign_other_payload_refused(void **state)
{
	fx *f = *state;
	ch_log_item it;
	ch_buf p = CH_BUF_INIT, sig1 = CH_BUF_INIT, sig2 = CH_BUF_INIT, sig3 = CH_BUF_INIT;
	git_oid head;

	policy_item(&it, H40("1"));
	assert_int_equal(ch_log_append(f->site, &it, 1), 0);
	policy_item(&it, H40("2"));
	assert_int_equal(ch_log_append(f->site, &it, 1), 0);
	assert_int_equal(git_reference_name_to_id(&head, f->site->repo, CH_LOG_REF), 0);

	policy_item(&it, H40("a"));
	payload(&p, f->site->repo, &head, 3, 1896686999, &it);
	assert_int_equal(ch_log_sign_guarded(&sig1, f->site, p.ptr, p.size, 0), 0);
	/* the same entry again (a writer that crashed): the same signature */
	assert_int_equal(ch_log_sign_guarded(&sig3, f->site, p.ptr, p.size, 0), 0);
	assert_string_equal(sig1.ptr, sig3.ptr);
	/* another entry 3 on the same parent: a second history */
	policy_item(&it, H40("b"));
	payload(&p, f->site->repo, &head, 3, 1896686999, &it);
	if (ch_log_sign_guarded(&sig2, f->site, p.ptr, p.size, 0) != CH_EDENIED)
		fail_msg("the site key signed two different entries 3 on one parent");
	assert_non_null(strstr(ch_error_last(), "fork"));
	ch_buf_dispose(&p);
	ch_buf_dispose(&sig1);
	ch_buf_dispose(&sig2);
	ch_buf_dispose(&sig3);
}

/* A writer that died after the key signed its entry, before the ref
 * moved: the next append finishes that entry (kept in
 * SITE/state/sitelog.pending) and goes on after it, instead of being
 * refused as a fork. */
static void test_crash_after_signature_recovers(void **state)
{
	fx *f = *state;
	ch_log_item it;
	ch_buf p = CH_BUF_INIT, sig = CH_BUF_INIT, path = CH_BUF_INIT;
	git_oid head;
	ch_log log;

	policy_item(&it, H40("1"));
	assert_int_equal(ch_log_append(f->site, &it, 1), 0);
	assert_int_equal(git_reference_name_to_id(&head, f->site->repo, CH_LOG_REF), 0);
	policy_item(&it, H40("c"));
	payload(&p, f->site->repo, &head, 2, 1896686999, &it);
	ch_buf_printf(&path, "%s/state/sitelog.pending", f->path);
	assert_int_equal(ch_fs_write_atomic(path.ptr, p.ptr, p.size, 0600), 0);
	assert_int_equal(ch_log_sign_guarded(&sig, f->site, p.ptr, p.size, 0), 0);
	/* ... the writer dies here */
	policy_item(&it, H40("d"));
	if (ch_log_append(f->site, &it, 1) < 0)
		fail_msg("after a crash: %s", ch_error_last());
	assert_int_equal(ch_log_load_ref(&log, f->site->repo, NULL), 0);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.v[1].time, 1896686999);
	assert_int_equal(log.v[1].n, 1);
	assert_string_equal(git_oid_tostr_s(&log.v[1].items[0].new_id), H40("c"));
	assert_string_equal(git_oid_tostr_s(&log.v[2].items[0].new_id), H40("d"));
	assert_false(ch_fs_exists(path.ptr));
	ch_log_dispose(&log);
	ch_buf_dispose(&p);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resign_other_payload_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_after_signature_recovers, setup, teardown),
	};

	ch_lib_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
