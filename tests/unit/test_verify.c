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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escapes_everything),
		cmocka_unit_test(test_text_and_json_agree),
		cmocka_unit_test(test_no_policy_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
