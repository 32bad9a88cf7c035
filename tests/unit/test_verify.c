/* test_verify.c -- the verifier's reports and edges (workflows/verify/verify.c):
 * the HTML report escapes every string and loads nothing; the text and
 * JSON reports say the same; a repository without a policy chain is a P1
 * finding, not an error; a trust anchor comes whole or not at all. The
 * rules themselves are tested on real repositories tampered with stock git
 * and gpg in tests/integration/test_verify_tamper.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workflows/site.h"
#include "workflows/verify/verify.h"
#include "workflows/verify/verify_log.h"
#include "util/fs.h"
#include "util/common.h"

#define HOSTILE "<script>alert('x')</script> & \"q\""

static void finding(ch_report *r, const char *rule, const char *ref, const char *msg)
{
	ch_finding *f;

	r->v = ch_realloc(r->v, (r->n + 1) * sizeof(*r->v));
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->ref = ch_strdup(ref);
	snprintf(f->commit, sizeof(f->commit), "%040d", 7);
	f->message = ch_strdup(msg);
	f->warning = rule[0] == 'W';
	if (f->warning)
		r->nwarnings++;
	else
		r->nfindings++;
}

/* A report as ch_verify would leave it, with hostile strings everywhere
 * the repository can put one. */
static void hostile_report(ch_report *r)
{
	memset(r, 0, sizeof(*r));
	r->repo_path = ch_strdup("/srv/" HOSTILE "/repo.git/");
	r->tier = ch_strdup("networked");
	snprintf(r->root, sizeof(r->root), "%040d", 1);
	finding(r, "D1", "refs/docs/a", "approves as x, signed by key K which belongs to " HOSTILE);
	finding(r, "W", "refs/docs/a", "revoked " HOSTILE);
	r->doclist = ch_calloc(1, sizeof(*r->doclist));
	r->ndoclist = r->docs = 1;
	r->doclist[0].ref = ch_strdup("refs/docs/a");
	r->doclist[0].title = ch_strdup("Tờ trình " HOSTILE);
	r->doclist[0].commits = 3;
	r->doclist[0].findings = 1;
	ch_strv_push(&r->other_refs, "refs/heads/" HOSTILE);
}

static void test_html_escapes_everything(void **state)
{
	ch_buf html = CH_BUF_INIT;
	ch_report r;

	(void)state;
	hostile_report(&r);
	ch_report_html(&html, &r);
	assert_null(strstr(html.ptr, "<script"));
	assert_null(strstr(html.ptr, "alert('x')"));
	assert_non_null(strstr(html.ptr, "Tờ trình &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
	                                  "&amp; &quot;q&quot;"));
	assert_non_null(strstr(html.ptr, "<td class=\"rule\">D1</td>"));
	assert_non_null(strstr(html.ptr, "default-src 'none'"));
	assert_null(strstr(html.ptr, "src="));
	assert_null(strstr(html.ptr, "href="));
	assert_non_null(strstr(html.ptr, "1 finding:"));
	assert_non_null(strstr(html.ptr, "</html>\n"));
	ch_buf_dispose(&html);
	ch_report_dispose(&r);
}

static void test_text_and_json_agree(void **state)
{
	ch_buf text = CH_BUF_INIT, js = CH_BUF_INIT;
	json_t *root;
	ch_report r;

	(void)state;
	hostile_report(&r);
	ch_report_text(&text, &r);
	ch_report_json(&js, &r);
	assert_non_null(strstr(text.ptr, "FINDING D1 refs/docs/a commit 0000"));
	assert_non_null(strstr(text.ptr, "warning -- refs/docs/a commit"));
	assert_non_null(strstr(text.ptr, "1 findings, 1 warnings\n"));
	root = json_loads(js.ptr, 0, NULL);
	assert_non_null(root);
	assert_false(json_is_true(json_object_get(root, "ok")));
	assert_int_equal(json_array_size(json_object_get(root, "findings")), 1);
	assert_int_equal(json_array_size(json_object_get(root, "warnings")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(root, "document_list"), 0), "title")), "Tờ trình " HOSTILE);
	json_decref(root);
	ch_buf_dispose(&text);
	ch_buf_dispose(&js);
	ch_report_dispose(&r);
}

static void test_no_policy_chain(void **state)
{
	char dir[] = "/tmp/chvt.XXXXXX";
	git_repository *repo = NULL;
	ch_verify_opts o;
	ch_report r;

	(void)state;
	assert_int_equal(ch_lib_init(), 0);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(git_repository_init(&repo, dir, 1), 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(ch_verify(&r, repo, &o), 0);
	assert_int_equal(r.nfindings, 1);
	assert_string_equal(r.v[0].rule, "P1");
	assert_string_equal(r.v[0].ref, "refs/heads/policy");
	ch_report_dispose(&r);
	o.introduction = "0123456789abcdef0123456789abcdef01234567";
	assert_int_equal(ch_verify(&r, repo, &o), CH_EINVALID); /* no introducer */
	ch_report_dispose(&r);
	git_repository_free(repo);
	assert_int_equal(ch_fs_remove_tree(dir), 0);
}

/* R7's earliest bound: entry p gets the time entry q < p (the last one
 * witnessed) was first witnessed. */
static void test_log_before(void **state)
{
	const int64_t wit[] = { 0, 0, 100, 0, 300, 0 }; /* entries 2 and 4 witnessed */
	int64_t before[7];

	(void)state;
	ch_vlog_before(before, wit, 5);
	assert_int_equal(before[1], 0);   /* nothing before entry 1 */
	assert_int_equal(before[2], 0);   /* entry 1 was never witnessed */
	assert_int_equal(before[3], 100); /* after entry 2, witnessed at 100 */
	assert_int_equal(before[4], 100);
	assert_int_equal(before[5], 300);
	assert_int_equal(before[6], 300); /* a new entry after the head */
}

/* R5's order rule: the commits a log records follow the chain forward. */
static void test_log_order_fault(void **state)
{
	const uint64_t fine[] = { 1, 0, 3, 3, 0, 7 }, back[] = { 2, 0, 5, 4, 9 };
	size_t older = 99;

	(void)state;
	assert_int_equal(ch_vlog_order_fault(fine, 6, &older), 6);
	assert_int_equal(older, 99);
	assert_int_equal(ch_vlog_order_fault(back, 5, &older), 3); /* 4 after 5 */
	assert_int_equal(older, 2);
	assert_int_equal(ch_vlog_order_fault(back, 0, &older), 0);
}

static void test_log_refs(void **state)
{
	(void)state;
	assert_true(ch_vlog_is_log_ref("refs/chancery/log"));
	assert_true(ch_vlog_is_log_ref("refs/chancery/peers/mission-a/log"));
	assert_false(ch_vlog_is_log_ref("refs/chancery/peers//log"));
	assert_false(ch_vlog_is_log_ref("refs/chancery/peers/a/b/log"));
	assert_false(ch_vlog_is_log_ref("refs/chancery/peers/a/logs"));
	assert_false(ch_vlog_is_log_ref("refs/chancery/spills"));
	assert_false(ch_vlog_is_log_ref("refs/docs/log"));
}

/* The bounds and a revocation the log puts after a step, in both reports. */
static void test_report_bounds(void **state)
{
	ch_buf text = CH_BUF_INIT, js = CH_BUF_INIT;
	json_t *root, *steps;
	ch_report r;

	(void)state;
	hostile_report(&r);
	r.log_held = 1;
	snprintf(r.log_site, sizeof(r.log_site), "hq");
	r.log_entries = 9;
	r.doclist[0].steps = ch_calloc(2, sizeof(ch_report_step));
	r.doclist[0].nsteps = 2;
	r.doclist[0].steps[0].claimed = 1700000000;
	r.doclist[0].steps[0].latest = 1700000005;
	r.doclist[0].steps[0].seq = 3;
	r.doclist[0].steps[1].claimed = 1700000100;
	r.doclist[0].steps[1].earliest = 1700000050;
	r.doclist[0].steps[1].latest = 1700000105;
	snprintf(r.doclist[0].steps[1].rev_log, sizeof(r.doclist[0].steps[1].rev_log), "hq");
	r.doclist[0].steps[1].rev_step_seq = 5;
	r.doclist[0].steps[1].rev_seq = 8;
	ch_report_text(&text, &r);
	ch_report_json(&js, &r);
	assert_non_null(strstr(text.ptr, "site log: site hq, 9 entries; 0 peer logs checked\n"));
	assert_non_null(strstr(text.ptr, "  time: claimed 2023-11-14 22:13:20 UTC, earliest unknown "));
	assert_non_null(strstr(text.ptr, "latest 2023-11-14 22:13:25 UTC, log entry 3\n"));
	assert_non_null(strstr(text.ptr, "earliest 2023-11-14 22:14:10 UTC, latest"));
	assert_non_null(strstr(text.ptr, "accepted at entry 5 of site hq's log, before the "
	                                 "revocation at entry 8: valid\n"));
	root = json_loads(js.ptr, 0, NULL);
	assert_non_null(root);
	steps = json_object_get(json_array_get(json_object_get(root, "document_list"), 0), "steps");
	assert_true(json_is_null(json_object_get(json_array_get(steps, 0), "earliest")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(steps, 0), "latest")),
	                 1700000005);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(steps, 1), "claimed")),
	                 1700000100);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(steps, 1),
	                 "before_revocation"), "revocation_seq")), 8);
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "site_log"),
	                    "site")), "hq");
	json_decref(root);
	ch_buf_dispose(&text);
	ch_buf_dispose(&js);
	ch_report_dispose(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escapes_everything),
		cmocka_unit_test(test_text_and_json_agree),
		cmocka_unit_test(test_no_policy_chain),
		cmocka_unit_test(test_log_before),
		cmocka_unit_test(test_log_order_fault),
		cmocka_unit_test(test_log_refs),
		cmocka_unit_test(test_report_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
