/* test_workflow.c -- workflow definitions (workflows/workflow.c).
 *
 * Every shipped definition (workflows/defs/<name>.json, read from disk under
 * $CH_TOP) parses and has the shape DESIGN.md gives it; every malformed
 * definition is refused with CH_EINVALID and a message that names the file
 * and the field, so an administrator can find the mistake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/workflow.h"
#include "util/common.h"

#define FILE_T "policy/workflows/t.json"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static const char *top(void)
{
	const char *t = getenv("CH_TOP");

	return t && t[0] ? t : ".";
}

static void read_file(ch_buf *out, const char *path)
{
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		fail_msg("cannot open %s (run from the repository top or set CH_TOP)", path);
	ch_buf_clear(out);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ch_buf_put(out, chunk, n);
	fclose(f);
}

static ch_workflow *parse_ok(const char *json, const char *file)
{
	ch_workflow *wf = NULL;
	int error = ch_workflow_parse(&wf, json, strlen(json), file);

	if (error)
		fail_msg("%s: expected to parse, got %d: %s", file, error, ch_error_last());
	assert_non_null(wf);
	return wf;
}

/* Refused with CH_EINVALID, the message naming the file and each of the
 * NULL-terminated strings (the field, and what is wrong with it). */
static void refused_n(const char *json, size_t len, const char *file, ...)
{
	ch_workflow *wf = (ch_workflow *)(uintptr_t)1;
	const char *msg, *want;
	va_list ap;
	int error;

	error = ch_workflow_parse(&wf, json, len, file);
	msg = ch_error_last();
	if (error != CH_EINVALID)
		fail_msg("expected CH_EINVALID, got %d (%s) for:\n%.300s", error, msg, json);
	assert_null(wf);
	if (!strstr(msg, file))
		fail_msg("message '%s' does not name the file %s", msg, file);
	va_start(ap, file);
	while ((want = va_arg(ap, const char *)))
		if (!strstr(msg, want)) {
			va_end(ap);
			fail_msg("message '%s' does not contain '%s'", msg, want);
		}
	va_end(ap);
}

#define refused(json, ...) refused_n((json), strlen(json), FILE_T, __VA_ARGS__, (const char *)NULL)

/* A small valid definition the malformed ones are variations of. */
#define HEAD "{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]}," \
	"\"start\":\"draft\","
#define DRAFT "\"draft\":{\"edit\":{\"roles\":[\"drafter\"]},\"actions\":" \
	"{\"submit\":{\"roles\":[\"drafter\"],\"to\":\"review\"}}}"
#define REVIEW "\"review\":{\"actions\":{\"approve\":{\"roles\":[\"head\"],\"to\":\"done\"}," \
	"\"return\":{\"roles\":[\"head\"],\"to\":\"draft\"}}}"
#define DONE "\"done\":{\"final\":true}"
#define VALID HEAD "\"states\":{" DRAFT "," REVIEW "," DONE "}}"

/* ------------------------------------------------------------------ */
/* Shipped definitions                                                 */

static void test_shipped_definitions_parse(void **state)
{
	static const char *const expect[] = { "bao-cao", "cong-van", "ke-hoach", "quyet-dinh",
	                                      "to-trinh" };
	char dir[4096], path[4096 + 256], file[512];
	ch_buf text = CH_BUF_INIT;
	struct dirent *e;
	size_t i, found = 0;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/workflows/defs", top());
	if (!(d = opendir(dir)))
		fail_msg("cannot open %s (set CH_TOP)", dir);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		ch_workflow *wf = NULL;
		const ch_wf_state *start;
		int error;

		if (n <= 5 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(file, sizeof(file), "policy/workflows/%s", e->d_name);
		read_file(&text, path);
		error = ch_workflow_parse(&wf, text.ptr, text.size, file);
		if (error)
			fail_msg("%s: %s", path, ch_error_last());
		/* The name is the file name; start is a state that is not final;
		 * the implicit actions are never listed. */
		assert_int_equal(strlen(wf->name), n - 5);
		assert_memory_equal(wf->name, e->d_name, n - 5);
		assert_non_null(start = ch_workflow_state(wf, wf->start));
		assert_false(start->final);
		assert_true(wf->create_roles.n > 0);
		for (i = 0; i < wf->nstates; i++) {
			const ch_wf_state *st = &wf->states[i];
			size_t j;

			assert_ptr_equal(ch_workflow_state(wf, st->name), st);
			assert_true(st->final ? st->nactions == 0 : st->nactions > 0);
			for (j = 0; j < st->nactions; j++) {
				assert_non_null(ch_workflow_state(wf, st->actions[j].to));
				assert_true(st->actions[j].quorum >= 1);
				assert_true(st->actions[j].roles.n > 0);
				assert_null(ch_wf_state_action(st, "withdraw"));
				assert_null(ch_wf_state_action(st, "comment"));
			}
		}
		for (i = 0; i < CH_ARRAY_SIZE(expect); i++)
			if (!strcmp(wf->name, expect[i]))
				found++;
		ch_workflow_free(wf);
	}
	closedir(d);
	ch_buf_dispose(&text);
	assert_int_equal(found, CH_ARRAY_SIZE(expect));
}

static void test_cong_van_shape(void **state)
{
	static const char *const roles[] = { "drafter", "head", "deputy", "minister", "clerk" };
	const ch_wf_state *st;
	const ch_wf_action *a;
	ch_buf path = CH_BUF_INIT, text = CH_BUF_INIT;
	ch_workflow *wf;
	size_t i;

	(void)state;
	ch_buf_printf(&path, "%s/workflows/defs/cong-van.json", top());
	read_file(&text, path.ptr);
	assert_int_equal(ch_workflow_parse(&wf, text.ptr, text.size,
	                                   "policy/workflows/cong-van.json"), 0);
	assert_string_equal(wf->name, "cong-van");
	assert_string_equal(wf->title, "Công văn");
	assert_string_equal(wf->start, "draft");
	assert_int_equal(wf->nstates, 7);
	assert_true(ch_strv_contains(&wf->create_roles, "drafter"));
	assert_int_equal(wf->create_roles.n, 1);
	for (i = 0; i < CH_ARRAY_SIZE(roles); i++)
		assert_true(ch_strv_contains(&wf->all_roles, roles[i]));
	assert_int_equal(wf->all_roles.n, CH_ARRAY_SIZE(roles));
	assert_false(ch_strv_contains(&wf->all_roles, "auditor"));

	assert_non_null(st = ch_workflow_state(wf, "draft"));
	assert_true(st->editable);
	assert_true(ch_strv_contains(&st->edit_roles, "drafter"));
	assert_non_null(a = ch_wf_state_action(st, "submit"));
	assert_string_equal(a->to, "review");
	assert_int_equal(a->quorum, 1);
	assert_null(ch_wf_state_action(st, "approve"));

	assert_non_null(st = ch_workflow_state(wf, "deputies"));
	assert_false(st->editable);
	assert_non_null(a = ch_wf_state_action(st, "approve"));
	assert_int_equal(a->quorum, 2);
	assert_string_equal(a->to, "signing");
	assert_true(ch_strv_contains(&a->roles, "deputy"));

	assert_non_null(st = ch_workflow_state(wf, "published"));
	assert_true(st->final);
	assert_int_equal(st->nactions, 0);
	assert_null(ch_workflow_state(wf, "withdrawn"));
	assert_null(ch_workflow_state(wf, "nowhere"));

	ch_workflow_free(wf);
	ch_buf_dispose(&path);
	ch_buf_dispose(&text);
}

static void test_action_known(void **state)
{
	static const char *const known[] = { "create", "revise", "submit", "approve", "reject",
	                                     "return", "sign", "publish", "withdraw", "comment" };
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(known); i++)
		assert_true(ch_action_known(known[i]));
	assert_false(ch_action_known("policy"));
	assert_false(ch_action_known("Approve"));
	assert_false(ch_action_known(""));
	assert_false(ch_action_known("approve "));
}

/* ------------------------------------------------------------------ */
/* Valid edge cases                                                    */

static void test_minimal_and_defaults(void **state)
{
	ch_workflow *wf;

	(void)state;
	wf = parse_ok(VALID, FILE_T);
	assert_string_equal(wf->title, "t"); /* no title: the name */
	assert_int_equal(ch_wf_state_action(ch_workflow_state(wf, "review"), "approve")->quorum, 1);
	assert_false(ch_workflow_state(wf, "review")->editable);
	assert_int_equal(wf->all_roles.n, 2);
	ch_workflow_free(wf);

	/* A file name that does not end in .json names no workflow. */
	wf = parse_ok(VALID, "inline definition");
	ch_workflow_free(wf);
	wf = parse_ok(VALID, "t.json");
	ch_workflow_free(wf);

	/* The boundaries themselves are allowed. */
	wf = parse_ok(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"approve\":"
	              "{\"roles\":[\"head\"],\"to\":\"done\",\"quorum\":64}}}," DONE "}}", FILE_T);
	assert_int_equal(ch_wf_state_action(ch_workflow_state(wf, "review"), "approve")->quorum, 64);
	ch_workflow_free(wf);
	wf = parse_ok(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"approve\":"
	              "{\"roles\":[\"head\"],\"to\":\"done\",\"quorum\":1}}}," DONE "}}", FILE_T);
	ch_workflow_free(wf);
}

/* A chain s0 -> s1 -> ... -> s(n-1), the last one final. */
static void chain(ch_buf *out, int n)
{
	int i;

	ch_buf_clear(out);
	ch_buf_puts(out, "{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"r\"]},"
	            "\"start\":\"s0\",\"states\":{");
	for (i = 0; i + 1 < n; i++)
		ch_buf_printf(out, "\"s%d\":{\"actions\":{\"submit\":{\"roles\":[\"r\"],"
		              "\"to\":\"s%d\"}}},", i, i + 1);
	ch_buf_printf(out, "\"s%d\":{\"final\":true}}}", n - 1);
}

static void test_size_limits(void **state)
{
	ch_buf b = CH_BUF_INIT;
	ch_workflow *wf;

	(void)state;
	chain(&b, CH_WF_MAX_STATES);
	wf = parse_ok(b.ptr, FILE_T);
	assert_int_equal(wf->nstates, CH_WF_MAX_STATES);
	ch_workflow_free(wf);
	chain(&b, CH_WF_MAX_STATES + 1);
	refused(b.ptr, "states", "1 to 64");

	/* Exactly 64 KiB (padded with white space) is allowed; one byte more is not. */
	ch_buf_set(&b, VALID, strlen(VALID));
	while (b.size < CH_WF_MAX_BYTES)
		ch_buf_putc(&b, ' ');
	wf = parse_ok(b.ptr, FILE_T);
	ch_workflow_free(wf);
	ch_buf_putc(&b, ' ');
	refused(b.ptr, "larger than", "65536");

	/* Many roles: 32 allowed, 33 not. */
	ch_buf_clear(&b);
	{
		int i;
		ch_buf roles = CH_BUF_INIT;

		for (i = 0; i < CH_WF_MAX_ROLES; i++)
			ch_buf_printf(&roles, "%s\"r%d\"", i ? "," : "", i);
		ch_buf_printf(&b, "{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[%s]},"
		              "\"start\":\"a\",\"states\":{\"a\":{\"actions\":{\"submit\":{\"roles\":"
		              "[\"r0\"],\"to\":\"b\"}}},\"b\":{\"final\":true}}}", roles.ptr);
		wf = parse_ok(b.ptr, FILE_T);
		assert_int_equal(wf->create_roles.n, CH_WF_MAX_ROLES);
		ch_workflow_free(wf);
		ch_buf_clear(&b);
		ch_buf_printf(&b, "{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[%s,\"x\"]},"
		              "\"start\":\"a\",\"states\":{\"a\":{\"actions\":{\"submit\":{\"roles\":"
		              "[\"r0\"],\"to\":\"b\"}}},\"b\":{\"final\":true}}}", roles.ptr);
		refused(b.ptr, "create.roles");
		ch_buf_dispose(&roles);
	}
	ch_buf_dispose(&b);
}

/* ------------------------------------------------------------------ */
/* Malformed definitions                                               */

static void test_unknown_fields(void **state)
{
	(void)state;
	refused(HEAD "\"colour\":\"red\",\"states\":{" DRAFT "," REVIEW "," DONE "}}",
	        "colour", "unknown field");
	refused(HEAD "\"states\":{\"draft\":{\"colour\":1,\"actions\":{\"submit\":{\"roles\":"
	        "[\"drafter\"],\"to\":\"review\"}}}," REVIEW "," DONE "}}",
	        "states.draft.colour", "unknown field");
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"approve\":{\"roles\":"
	        "[\"head\"],\"to\":\"done\",\"when\":\"always\"}}}," DONE "}}",
	        "states.review.actions.approve.when", "unknown field");
	refused(HEAD "\"states\":{\"draft\":{\"edit\":{\"roles\":[\"drafter\"],\"who\":1},"
	        "\"actions\":{\"submit\":{\"roles\":[\"drafter\"],\"to\":\"review\"}}}," REVIEW
	        "," DONE "}}", "states.draft.edit.who", "unknown field");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"],\"x\":1},"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}",
	        "create.x", "unknown field");
}

static void test_unknown_action(void **state)
{
	(void)state;
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"frobnicate\":{\"roles\":"
	        "[\"head\"],\"to\":\"done\"}}}," DONE "}}",
	        "states.review.actions.frobnicate", "not an action");
	/* withdraw, comment, create and revise are implicit: never listed. */
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"withdraw\":{\"roles\":"
	        "[\"head\"],\"to\":\"done\"}}}," DONE "}}",
	        "states.review.actions.withdraw");
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"approve\":{\"roles\":"
	        "[\"head\"],\"to\":\"done\"},\"comment\":{\"roles\":[\"head\"],\"to\":\"done\"}}},"
	        DONE "}}", "states.review.actions.comment");
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"Approve\":{\"roles\":"
	        "[\"head\"],\"to\":\"done\"}}}," DONE "}}", "states.review.actions.Approve");
}

static void test_bad_targets(void **state)
{
	(void)state;
	/* 'to' naming no state */
	refused(HEAD "\"states\":{\"draft\":{\"actions\":{\"submit\":{\"roles\":[\"drafter\"],"
	        "\"to\":\"reveiw\"}}}," REVIEW "," DONE "}}",
	        "states.draft.actions.submit.to", "reveiw");
	/* 'to' missing, or not a well-formed name */
	refused(HEAD "\"states\":{\"draft\":{\"actions\":{\"submit\":{\"roles\":[\"drafter\"]}}},"
	        REVIEW "," DONE "}}", "states.draft.actions.submit.to", "missing");
	refused(HEAD "\"states\":{\"draft\":{\"actions\":{\"submit\":{\"roles\":[\"drafter\"],"
	        "\"to\":\"Review\"}}}," REVIEW "," DONE "}}", "states.draft.actions.submit.to");
	refused(HEAD "\"states\":{\"draft\":{\"actions\":{\"submit\":{\"roles\":[\"drafter\"],"
	        "\"to\":7}}}," REVIEW "," DONE "}}", "states.draft.actions.submit.to");
}

static void test_graph(void **state)
{
	(void)state;
	/* unreachable state */
	refused(HEAD "\"states\":{" DRAFT "," REVIEW "," DONE ",\"orphan\":{\"actions\":"
	        "{\"publish\":{\"roles\":[\"clerk\"],\"to\":\"done\"}}}}}",
	        "states.orphan", "cannot be reached");
	/* unreachable final state */
	refused(HEAD "\"states\":{" DRAFT "," REVIEW "," DONE ",\"lost\":{\"final\":true}}}",
	        "states.lost", "cannot be reached");
	/* a trap: reachable, but no final state can be reached from it */
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"approve\":{\"roles\":"
	        "[\"head\"],\"to\":\"done\"},\"return\":{\"roles\":[\"head\"],\"to\":\"limbo\"}}},"
	        DONE ",\"limbo\":{\"actions\":{\"return\":{\"roles\":[\"head\"],\"to\":\"limbo\"}}}}}",
	        "states.limbo", "no final state");
	/* a two-state trap */
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"approve\":{\"roles\":"
	        "[\"head\"],\"to\":\"done\"},\"return\":{\"roles\":[\"head\"],\"to\":\"a\"}}},"
	        DONE ",\"a\":{\"actions\":{\"submit\":{\"roles\":[\"x\"],\"to\":\"b\"}}},"
	        "\"b\":{\"actions\":{\"return\":{\"roles\":[\"x\"],\"to\":\"a\"}}}}}",
	        "no final state");
	/* no final state at all */
	refused(HEAD "\"states\":{\"draft\":{\"actions\":{\"submit\":{\"roles\":[\"drafter\"],"
	        "\"to\":\"review\"}}},\"review\":{\"actions\":{\"return\":{\"roles\":[\"head\"],"
	        "\"to\":\"draft\"}}}}}", "no final state");
}

static void test_final_states(void **state)
{
	(void)state;
	refused(HEAD "\"states\":{" DRAFT "," REVIEW ",\"done\":{\"final\":true,\"actions\":"
	        "{\"return\":{\"roles\":[\"head\"],\"to\":\"draft\"}}}}}",
	        "states.done", "final state");
	refused(HEAD "\"states\":{" DRAFT "," REVIEW ",\"done\":{\"final\":true,\"edit\":"
	        "{\"roles\":[\"head\"]}}}}", "states.done", "final state");
	refused(HEAD "\"states\":{" DRAFT "," REVIEW ",\"done\":{\"final\":true,\"actions\":{}}}}",
	        "states.done");
	refused(HEAD "\"states\":{" DRAFT "," REVIEW ",\"done\":{\"final\":\"yes\"}}}",
	        "states.done.final", "true or false");
	/* a state that is not final needs an action */
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{}," DONE "}}", "states.review.actions");
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{}}," DONE "}}",
	        "states.review.actions");
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":[]}," DONE "}}",
	        "states.review.actions");
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"final\":false}," DONE "}}",
	        "states.review.actions");
}

static void test_start(void **state)
{
	(void)state;
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"states\":{" DRAFT "," REVIEW "," DONE "}}", "start", "missing");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"start\":\"done\",\"states\":{" DRAFT "," REVIEW "," DONE "}}",
	        "start", "'done'");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"start\":\"nowhere\",\"states\":{" DRAFT "," REVIEW "," DONE "}}",
	        "start", "'nowhere'");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"start\":\"\",\"states\":{" DRAFT "," REVIEW "," DONE "}}", "start");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"start\":[\"draft\"],\"states\":{" DRAFT "," REVIEW "," DONE "}}", "start");
}

#define QUORUM(q) HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"approve\":" \
	"{\"roles\":[\"head\"],\"to\":\"done\",\"quorum\":" q "}}}," DONE "}}"

static void test_quorum(void **state)
{
	(void)state;
	refused(QUORUM("0"), "states.review.actions.approve.quorum", "1 to 64");
	refused(QUORUM("65"), "states.review.actions.approve.quorum", "1 to 64");
	refused(QUORUM("-1"), "states.review.actions.approve.quorum");
	refused(QUORUM("2.5"), "states.review.actions.approve.quorum");
	refused(QUORUM("2.0"), "states.review.actions.approve.quorum");
	refused(QUORUM("\"2\""), "states.review.actions.approve.quorum");
	refused(QUORUM("true"), "states.review.actions.approve.quorum");
	refused(QUORUM("null"), "states.review.actions.approve.quorum");
	refused(QUORUM("9223372036854775807"), "states.review.actions.approve.quorum");
}

static void test_roles(void **state)
{
	(void)state;
	/* empty */
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[]},\"start\":\"draft\","
	        "\"states\":{" DRAFT "," REVIEW "," DONE "}}", "create.roles", "no role");
	refused(HEAD "\"states\":{\"draft\":{\"actions\":{\"submit\":{\"roles\":[],"
	        "\"to\":\"review\"}}}," REVIEW "," DONE "}}",
	        "states.draft.actions.submit.roles", "no role");
	refused(HEAD "\"states\":{\"draft\":{\"edit\":{\"roles\":[]},\"actions\":{\"submit\":"
	        "{\"roles\":[\"drafter\"],\"to\":\"review\"}}}," REVIEW "," DONE "}}",
	        "states.draft.edit.roles", "no role");
	/* missing */
	refused(HEAD "\"states\":{\"draft\":{\"actions\":{\"submit\":{\"to\":\"review\"}}},"
	        REVIEW "," DONE "}}", "states.draft.actions.submit.roles", "missing");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{},\"start\":\"draft\","
	        "\"states\":{" DRAFT "," REVIEW "," DONE "}}", "create.roles", "missing");
	/* malformed, repeated, or not a list of strings */
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"Drafter\"]},"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}",
	        "create.roles[0]");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\",\"drafter\"]},"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}",
	        "create.roles[1]", "twice");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":\"drafter\"},"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}", "create.roles");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[1]},"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}",
	        "create.roles[0]");
	refused("{\"version\":1,\"name\":\"t\",\"create\":[\"drafter\"],"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}", "create");
	refused("{\"version\":1,\"name\":\"t\",\"start\":\"draft\","
	        "\"states\":{" DRAFT "," REVIEW "," DONE "}}", "create", "missing");
}

static void test_json_level(void **state)
{
	static const char bad_utf8[] = HEAD "\"title\":\"C\xf4ng\",\"states\":{" DRAFT "," REVIEW
	                               "," DONE "}}";
	static const char nul[] = "{\"version\":1,\0\"name\":\"t\"}";

	(void)state;
	/* duplicate keys, at the root and deep inside */
	refused(HEAD "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}",
	        "duplicate");
	refused(HEAD "\"states\":{" DRAFT "," REVIEW "," DONE "," DONE "}}", "duplicate");
	refused(HEAD "\"states\":{" DRAFT ",\"review\":{\"actions\":{\"approve\":{\"roles\":"
	        "[\"head\"],\"to\":\"done\",\"to\":\"draft\"}}}," DONE "}}", "duplicate");
	/* not UTF-8, or a NUL byte */
	refused(bad_utf8, "UTF-8");
	refused_n(nul, sizeof(nul) - 1, FILE_T, "UTF-8", (const char *)NULL);
	refused("{\"version\":1,\"name\":\"t\\u0000\"}", "line");
	/* not an object, not JSON, empty, truncated */
	refused("[]", "JSON object");
	refused("[{\"version\":1}]", "JSON object");
	refused("\"cong-van\"", "expected"); /* jansson's own words for a scalar root */
	refused("42", "expected");
	refused("null", "expected");
	refused("", "line");
	refused("{", "line");
	refused(HEAD "\"states\":{" DRAFT, "line");
	refused(VALID " {}", "line");
	refused("{'version': 1}", "line");
	refused_n(VALID, 0, FILE_T, "line", (const char *)NULL);
}

static void test_header_fields(void **state)
{
	(void)state;
	/* name not matching the file name, missing, malformed */
	refused_n(VALID, strlen(VALID), "policy/workflows/cong-van.json", "name", "'t'",
	          "file name", (const char *)NULL);
	refused_n(VALID, strlen(VALID), "policy/workflows/tt.json", "name", (const char *)NULL);
	refused("{\"version\":1,\"create\":{\"roles\":[\"drafter\"]},\"start\":\"draft\","
	        "\"states\":{" DRAFT "," REVIEW "," DONE "}}", "name", "missing");
	refused("{\"version\":1,\"name\":\"T\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}", "name");
	refused("{\"version\":1,\"name\":\"../t\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}", "name");
	/* version */
	refused("{\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]},\"start\":\"draft\","
	        "\"states\":{" DRAFT "," REVIEW "," DONE "}}", "version", "missing");
	refused("{\"version\":2,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}", "version");
	refused("{\"version\":\"1\",\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"start\":\"draft\",\"states\":{" DRAFT "," REVIEW "," DONE "}}", "version");
	/* title: a line of text */
	refused(HEAD "\"title\":\"two\\nlines\",\"states\":{" DRAFT "," REVIEW "," DONE "}}",
	        "title");
	refused(HEAD "\"title\":\"\",\"states\":{" DRAFT "," REVIEW "," DONE "}}", "title");
	refused(HEAD "\"title\":3,\"states\":{" DRAFT "," REVIEW "," DONE "}}", "title");
	/* states */
	refused(HEAD "\"states\":{}}", "states");
	refused(HEAD "\"states\":[]}", "states");
	refused("{\"version\":1,\"name\":\"t\",\"create\":{\"roles\":[\"drafter\"]},"
	        "\"start\":\"draft\"}", "states");
	refused(HEAD "\"states\":{\"Draft\":{\"actions\":{\"submit\":{\"roles\":[\"drafter\"],"
	        "\"to\":\"review\"}}}," REVIEW "," DONE "}}", "states.Draft");
	refused(HEAD "\"states\":{\"draft\":[]," REVIEW "," DONE "}}", "states.draft");
	refused(HEAD "\"states\":{\"draft\":{\"actions\":{\"submit\":[\"review\"]}}," REVIEW
	        "," DONE "}}", "states.draft.actions.submit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_definitions_parse),
		cmocka_unit_test(test_cong_van_shape),
		cmocka_unit_test(test_action_known),
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_unknown_action),
		cmocka_unit_test(test_bad_targets),
		cmocka_unit_test(test_graph),
		cmocka_unit_test(test_final_states),
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_json_level),
		cmocka_unit_test(test_header_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
