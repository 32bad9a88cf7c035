/* test_trailers.c -- the Chancery trailers of a commit message
 * (workflows/trailers.c; DESIGN.md "Document chains", rules D8 and P6). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/trailers.h"
#include "util/common.h"

#define POLICY_ID "0123456789abcdef0123456789abcdef01234567"

/* The five trailers of a document commit, one per line, in order. */
static const char *const five[] = {
	"Chancery-Action: approve",
	"Chancery-Step: review",
	"Chancery-Actor: nguyen.van.a",
	("Chancery-Policy: " POLICY_ID),
	"Chancery-Classification: unclassified",
};

/* "Subject\n\n" + each line of `lines` but the one at `skip`, then `extra`. */
static void message(ch_buf *out, const char *const *lines, size_t n, size_t skip,
                    const char *extra)
{
	size_t i;

	ch_buf_clear(out);
	ch_buf_puts(out, "Approve the budget\n\n");
	for (i = 0; i < n; i++)
		if (i != skip)
			ch_buf_printf(out, "%s\n", lines[i]);
	if (extra)
		ch_buf_puts(out, extra);
}

static void parse_ok(ch_trailers *t, const char *msg)
{
	int error = ch_trailers_parse(t, msg, strlen(msg));

	if (error)
		fail_msg("expected to parse (%s):\n%s", ch_error_last(), msg);
}

static void refused(const char *msg, const char *want)
{
	ch_trailers t;
	int error = ch_trailers_parse(&t, msg, strlen(msg));

	if (error != CH_EINVALID)
		fail_msg("expected CH_EINVALID, got %d for:\n%s", error, msg);
	if (!strstr(ch_error_last(), want))
		fail_msg("message '%s' lacks '%s' for:\n%s", ch_error_last(), want, msg);
}

static void fill(ch_trailers *t, const char *action, const char *step, const char *actor,
                 const char *on_behalf, const char *classification)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->action, sizeof(t->action), "%s", action);
	snprintf(t->step, sizeof(t->step), "%s", step);
	snprintf(t->actor, sizeof(t->actor), "%s", actor);
	snprintf(t->on_behalf, sizeof(t->on_behalf), "%s", on_behalf);
	snprintf(t->policy, sizeof(t->policy), "%s", POLICY_ID);
	snprintf(t->classification, sizeof(t->classification), "%s", classification);
}

/* ------------------------------------------------------------------ */

static void test_parse_five(void **state)
{
	ch_buf b = CH_BUF_INIT;
	ch_trailers t;

	(void)state;
	message(&b, five, 5, (size_t)-1, NULL);
	parse_ok(&t, b.ptr);
	assert_string_equal(t.action, "approve");
	assert_string_equal(t.step, "review");
	assert_string_equal(t.actor, "nguyen.van.a");
	assert_string_equal(t.on_behalf, "");
	assert_string_equal(t.policy, POLICY_ID);
	assert_string_equal(t.classification, "unclassified");
	assert_false(t.is_policy);

	/* any order; white space after the last trailer; the length bounds the text */
	ch_buf_clear(&b);
	ch_buf_printf(&b, "Subject\n\n%s\n%s\n%s\n%s\n%s\n\n\n  \n", five[4], five[2], five[0],
	              five[3], five[1]);
	parse_ok(&t, b.ptr);
	assert_string_equal(t.action, "approve");
	assert_int_equal(ch_trailers_parse(&t, b.ptr, b.size - 3), 0);

	/* no subject line at all: the message is one paragraph of trailers */
	ch_buf_clear(&b);
	ch_buf_printf(&b, "%s\n%s\n%s\n%s\n%s", five[0], five[1], five[2], five[3], five[4]);
	parse_ok(&t, b.ptr);

	/* a delegated step */
	message(&b, five, 5, (size_t)-1, "Chancery-On-Behalf-Of: tran.thi.b\n");
	parse_ok(&t, b.ptr);
	assert_string_equal(t.on_behalf, "tran.thi.b");
	ch_buf_dispose(&b);
}

static void test_round_trip(void **state)
{
	static const char *const comments[] = {
		NULL, "", "Looks good.", "Looks good.\n", "First paragraph.\n\nSecond, with\ntwo lines.",
		"Ý kiến: đồng ý với dự thảo.", "Trailing blank lines\n\n\n",
	};
	static const char *const actions[] = { "create", "revise", "submit", "approve", "reject",
	                                       "return", "sign", "publish", "withdraw", "comment" };
	static const char *const levels[] = { "unclassified", "confidential", "secret",
	                                      "top-secret" };
	ch_buf msg = CH_BUF_INIT, comment = CH_BUF_INIT;
	ch_trailers in, out;
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(comments) * CH_ARRAY_SIZE(actions); i++) {
		const char *c = comments[i % CH_ARRAY_SIZE(comments)];

		fill(&in, actions[i % CH_ARRAY_SIZE(actions)], "deputies", "le.van-c_2",
		     i % 3 ? "" : "tran.thi.b", levels[i % CH_ARRAY_SIZE(levels)]);
		ch_buf_clear(&msg);
		ch_trailers_format(&msg, "Approve the plan", c, &in);
		assert_int_equal(ch_trailers_parse(&out, msg.ptr, msg.size), 0);
		assert_memory_equal(&in, &out, sizeof(in));
		ch_message_comment(&comment, msg.ptr);
		if (!c || !c[0]) {
			assert_int_equal(comment.size, 0);
		} else {
			size_t n = strlen(c);

			while (n && c[n - 1] == '\n')
				n--;
			assert_int_equal(comment.size, n);
			assert_memory_equal(comment.ptr, c, n);
		}
		assert_int_equal(strncmp(msg.ptr, "Approve the plan\n\n", 18), 0);
	}

	/* the exact text, as DESIGN.md gives it */
	fill(&in, "approve", "review", "nguyen.van.a", "", "unclassified");
	ch_buf_clear(&msg);
	ch_trailers_format(&msg, "Approve", NULL, &in);
	assert_string_equal(msg.ptr, "Approve\n\n"
	                    "Chancery-Action: approve\n"
	                    "Chancery-Step: review\n"
	                    "Chancery-Actor: nguyen.van.a\n"
	                    "Chancery-Policy: " POLICY_ID "\n"
	                    "Chancery-Classification: unclassified\n");
	fill(&in, "approve", "review", "nguyen.van.a", "tran.thi.b", "unclassified");
	ch_buf_clear(&msg);
	ch_trailers_format(&msg, "Approve", "OK", &in);
	assert_string_equal(msg.ptr, "Approve\n\nOK\n\n"
	                    "Chancery-Action: approve\n"
	                    "Chancery-Step: review\n"
	                    "Chancery-Actor: nguyen.van.a\n"
	                    "Chancery-On-Behalf-Of: tran.thi.b\n"
	                    "Chancery-Policy: " POLICY_ID "\n"
	                    "Chancery-Classification: unclassified\n");

	/* a policy commit */
	memset(&in, 0, sizeof(in));
	snprintf(in.action, sizeof(in.action), "policy");
	snprintf(in.actor, sizeof(in.actor), "admin.one");
	in.is_policy = 1;
	ch_buf_clear(&msg);
	ch_trailers_format(&msg, "Add a person", "Welcome.", &in);
	assert_string_equal(msg.ptr, "Add a person\n\nWelcome.\n\n"
	                    "Chancery-Action: policy\nChancery-Actor: admin.one\n");
	assert_int_equal(ch_trailers_parse(&out, msg.ptr, msg.size), 0);
	assert_memory_equal(&in, &out, sizeof(in));

	ch_buf_dispose(&msg);
	ch_buf_dispose(&comment);
}

static void test_missing_each(void **state)
{
	static const char *const names[] = { "Chancery-Action", "Chancery-Step",
	                                     "Chancery-Actor", "Chancery-Policy",
	                                     "Chancery-Classification" };
	ch_buf b = CH_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		message(&b, five, 5, i, NULL);
		refused(b.ptr, names[i]);
		refused(b.ptr, "missing");
	}
	/* a trailer counts only in the last paragraph */
	ch_buf_clear(&b);
	ch_buf_printf(&b, "Subject\n\n%s\n\n%s\n%s\n%s\n%s\n", five[0], five[1], five[2], five[3],
	              five[4]);
	refused(b.ptr, "Chancery-Action");
	ch_buf_clear(&b);
	ch_buf_printf(&b, "Subject\n\n%s\n%s\n%s\n\n%s\n%s\n", five[0], five[1], five[2], five[3],
	              five[4]);
	refused(b.ptr, "missing");
	refused("", "missing");
	refused("Just a subject\n", "missing");
	refused("Subject\n\nA comment.\n", "missing");
	ch_buf_dispose(&b);
}

static void test_duplicates(void **state)
{
	ch_buf b = CH_BUF_INIT, extra = CH_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		ch_buf_clear(&extra);
		ch_buf_printf(&extra, "%s\n", five[i]);
		message(&b, five, 5, (size_t)-1, extra.ptr);
		refused(b.ptr, "twice");
	}
	/* twice, even with a different value */
	message(&b, five, 5, (size_t)-1, "Chancery-Action: reject\n");
	refused(b.ptr, "Chancery-Action appears twice");
	message(&b, five, 5, (size_t)-1, "Chancery-On-Behalf-Of: a.b\nChancery-On-Behalf-Of: a.b\n");
	refused(b.ptr, "Chancery-On-Behalf-Of appears twice");
	/* but the same line in an earlier paragraph (the comment) does not count */
	ch_buf_clear(&b);
	ch_buf_printf(&b, "Subject\n\nQuoting: \n%s\n\n%s\n%s\n%s\n%s\n%s\n", five[0], five[0],
	              five[1], five[2], five[3], five[4]);
	{
		ch_trailers t;

		parse_ok(&t, b.ptr);
	}
	ch_buf_dispose(&b);
	ch_buf_dispose(&extra);
}

static void test_unknown_trailer(void **state)
{
	ch_buf b = CH_BUF_INIT;

	(void)state;
	message(&b, five, 5, (size_t)-1, "Chancery-Priority: high\n");
	refused(b.ptr, "Chancery-Priority");
	message(&b, five, 5, (size_t)-1, "Chancery-: x\n");
	refused(b.ptr, "unknown trailer");
	message(&b, five, 5, (size_t)-1, "Chancery-Actors: a\n");
	refused(b.ptr, "Chancery-Actors");
	message(&b, five, 5, (size_t)-1, "Chancery-Act: approve\n");
	refused(b.ptr, "Chancery-Act'");
	message(&b, five, 5, (size_t)-1, "Chancery-Action approve\n");
	refused(b.ptr, "malformed");
	ch_buf_dispose(&b);
}

static void test_malformed_values(void **state)
{
	static const struct { const char *line; size_t index; const char *want; } cases[] = {
		/* policy ids: 40 lower-case hex, nothing else */
		{ "Chancery-Policy: 0123456789ABCDEF0123456789ABCDEF01234567", 3, "Chancery-Policy" },
		{ "Chancery-Policy: 0123456789abcdef0123456789abcdef0123456", 3, "Chancery-Policy" },
		{ "Chancery-Policy: 0123456789abcdef0123456789abcdef012345678", 3, "Chancery-Policy" },
		{ "Chancery-Policy: 0123456789abcdef0123456789abcdef0123456g", 3, "Chancery-Policy" },
		{ "Chancery-Policy: 0123456789abcdef0123456789abcdef01234567 ", 3, "Chancery-Policy" },
		{ "Chancery-Policy: ", 3, "Chancery-Policy" },
		{ "Chancery-Policy:", 3, "Chancery-Policy" },
		/* classification */
		{ "Chancery-Classification: restricted", 4, "restricted" },
		{ "Chancery-Classification: Unclassified", 4, "Chancery-Classification" },
		{ "Chancery-Classification: unclassified-but-long", 4, "Chancery-Classification" },
		{ "Chancery-Classification: mật", 4, "Chancery-Classification" },
		/* action */
		{ "Chancery-Action: frobnicate", 0, "unknown action" },
		{ "Chancery-Action: Approve", 0, "unknown action" },
		{ "Chancery-Action: approve-all", 0, "unknown action" },
		{ "Chancery-Action: approveapproveapprove", 0, "Chancery-Action" },
		{ "Chancery-Action: ", 0, "Chancery-Action" },
		/* step and actor */
		{ "Chancery-Step: Review", 1, "Chancery-Step" },
		{ "Chancery-Step: re view", 1, "Chancery-Step" },
		{ "Chancery-Actor: Nguyen.Van.A", 2, "Chancery-Actor" },
		{ "Chancery-Actor: nguyen..van", 2, "Chancery-Actor" },
		{ "Chancery-Actor: .nguyen", 2, "Chancery-Actor" },
		{ "Chancery-Actor: a0123456789012345678901234567890123456789012345678901234567890123",
		  2, "Chancery-Actor" },
	};
	ch_buf b = CH_BUF_INIT;
	const char *lines[5];
	size_t i, j;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(cases); i++) {
		for (j = 0; j < 5; j++)
			lines[j] = j == cases[i].index ? cases[i].line : five[j];
		message(&b, lines, 5, (size_t)-1, NULL);
		refused(b.ptr, cases[i].want);
	}
	message(&b, five, 5, (size_t)-1, "Chancery-On-Behalf-Of: Tran\n");
	refused(b.ptr, "Chancery-On-Behalf-Of");
	message(&b, five, 5, (size_t)-1, "Chancery-On-Behalf-Of:\n");
	refused(b.ptr, "Chancery-On-Behalf-Of");
	ch_buf_dispose(&b);
}

static void test_policy_commits(void **state)
{
	ch_trailers t;

	(void)state;
	parse_ok(&t, "Add a person\n\nChancery-Action: policy\nChancery-Actor: admin.one\n");
	assert_true(t.is_policy);
	assert_string_equal(t.action, "policy");
	assert_string_equal(t.actor, "admin.one");
	assert_string_equal(t.step, "");
	assert_string_equal(t.policy, "");
	parse_ok(&t, "Introduce\n\nChancery-Actor: admin.one\nChancery-Action: policy\n"
	         "Signed-off-by: Admin <a@example.org>\n");
	assert_true(t.is_policy);

	/* Action and Actor only: any other Chancery- trailer is refused */
	refused("P\n\nChancery-Action: policy\nChancery-Actor: admin.one\nChancery-Step: draft\n",
	        "only");
	refused("P\n\nChancery-Action: policy\nChancery-Actor: admin.one\n"
	        "Chancery-Policy: " POLICY_ID "\n", "only");
	refused("P\n\nChancery-Action: policy\nChancery-Actor: admin.one\n"
	        "Chancery-Classification: unclassified\n", "only");
	refused("P\n\nChancery-Action: policy\nChancery-Actor: admin.one\n"
	        "Chancery-On-Behalf-Of: other.one\n", "only");
	refused("P\n\nChancery-Action: policy\nChancery-Actor: admin.one\nChancery-Whatever: x\n",
	        "Chancery-Whatever");
	/* and both are needed, well formed, once */
	refused("P\n\nChancery-Action: policy\n", "Chancery-Actor");
	refused("P\n\nChancery-Actor: admin.one\n", "Chancery-Action");
	refused("P\n\nChancery-Action: policy\nChancery-Actor: Admin\n", "Chancery-Actor");
	refused("P\n\nChancery-Action: policy\nChancery-Actor: admin.one\nChancery-Actor: b\n",
	        "twice");
}

static void test_other_trailers_ignored(void **state)
{
	ch_buf b = CH_BUF_INIT;
	ch_trailers t;

	(void)state;
	message(&b, five, 5, (size_t)-1, "Signed-off-by: A <a@example.org>\n"
	        "Co-authored-by: B <b@example.org>\nReviewed-by: C\nX-Chancery-Action: sign\n"
	        "Chancery no colon here\nChancery\n");
	parse_ok(&t, b.ptr);
	assert_string_equal(t.action, "approve");
	ch_buf_clear(&b);
	ch_buf_printf(&b, "Subject\n\nSigned-off-by: A <a@example.org>\n%s\n%s\n%s\n%s\n%s\n",
	              five[0], five[1], five[2], five[3], five[4]);
	parse_ok(&t, b.ptr);
	ch_buf_dispose(&b);
}

static void test_limits(void **state)
{
	ch_buf b = CH_BUF_INIT;
	ch_trailers t;

	(void)state;
	/* a long comment is fine up to the message limit */
	ch_buf_puts(&b, "Subject\n\n");
	while (b.size < CH_MSG_MAX - 400)
		ch_buf_puts(&b, "word ");
	ch_buf_printf(&b, "\n\n%s\n%s\n%s\n%s\n%s\n", five[0], five[1], five[2], five[3], five[4]);
	assert_true(b.size <= CH_MSG_MAX);
	assert_int_equal(ch_trailers_parse(&t, b.ptr, b.size), 0);
	/* one byte more than the limit is refused, whatever it holds */
	while (b.size <= CH_MSG_MAX)
		ch_buf_putc(&b, '\n');
	assert_int_equal(ch_trailers_parse(&t, b.ptr, b.size), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "longer"));
	ch_buf_dispose(&b);
}

/* The parser reads `len` bytes and no more: the caller need not end the
 * message with a NUL, and what lies after it never shows in a message. */
static void test_length_bounded(void **state)
{
	static const char text[] = "Subject\n\nChancery-Action approveSECRET-PAST-THE-END";
	const size_t len = strlen("Subject\n\nChancery-Action approve");
	char *exact = malloc(len);
	ch_trailers t;

	(void)state;
	assert_int_equal(ch_trailers_parse(&t, text, len), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "Chancery-Action approve"));
	assert_null(strstr(ch_error_last(), "SECRET"));
	/* the same from an allocation of exactly `len` bytes (AddressSanitizer) */
	memcpy(exact, text, len);
	assert_int_equal(ch_trailers_parse(&t, exact, len), CH_EINVALID);
	free(exact);
	/* a good message cut short loses its last trailer */
	{
		ch_buf b = CH_BUF_INIT;

		message(&b, five, 5, (size_t)-1, NULL);
		assert_int_equal(ch_trailers_parse(&t, b.ptr, b.size), 0);
		assert_int_equal(ch_trailers_parse(&t, b.ptr, b.size - strlen(five[4]) - 1),
		                 CH_EINVALID);
		assert_non_null(strstr(ch_error_last(), "Chancery-Classification"));
		ch_buf_dispose(&b);
	}
}

/* git refuses a NUL byte in a commit message; so does the parser, wherever
 * it is: a value must not read as something shorter than its bytes, and a
 * trailer whose value starts with NUL must not hide a second one. */
static void test_nul_bytes(void **state)
{
	static const char actor[] = "S\n\nChancery-Action: approve\nChancery-Step: review\n"
	                            "Chancery-Actor: nguyen.v\0an.a\nChancery-Policy: " POLICY_ID
	                            "\nChancery-Classification: unclassified\n";
	static const char dup[] = "S\n\nChancery-Action: \0reject\nChancery-Action: approve\n"
	                          "Chancery-Step: review\nChancery-Actor: a\nChancery-Policy: "
	                          POLICY_ID "\nChancery-Classification: unclassified\n";
	static const char body[] = "S\n\nA comment\0with a NUL.\n\nChancery-Action: policy\n"
	                           "Chancery-Actor: a\n";
	ch_trailers t;

	(void)state;
	assert_int_equal(ch_trailers_parse(&t, actor, sizeof(actor) - 1), CH_EINVALID);
	assert_int_equal(ch_trailers_parse(&t, dup, sizeof(dup) - 1), CH_EINVALID);
	assert_int_equal(ch_trailers_parse(&t, body, sizeof(body) - 1), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "NUL"));
}

static void test_message_comment(void **state)
{
	static const struct { const char *msg, *want; } cases[] = {
		{ "", "" },
		{ "Subject only", "" },
		{ "Subject only\n", "" },
		{ "Subject\n\nChancery-Action: policy\nChancery-Actor: a\n", "" },
		{ "Subject\n\nA comment.\n\nChancery-Action: policy\nChancery-Actor: a\n",
		  "A comment." },
		{ "Subject\n\nOne.\n\nTwo\nlines.\n\nChancery-Action: policy\n", "One.\n\nTwo\nlines." },
		{ "Subject\n\nTrailing blank lines.\n\n\n\nChancery-Action: policy\n",
		  "Trailing blank lines." },
		{ "Subject\n\nComment\n\nChancery-Action: policy\n\n\n", "Comment" },
		{ "\n\nComment\n\nChancery-Action: policy\n", "Comment" },
		{ "Subject\n\n\n\nChancery-Action: policy\n", "" },
	};
	ch_buf out = CH_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(cases); i++) {
		ch_buf_puts(&out, "stale");
		ch_message_comment(&out, cases[i].msg);
		if (strcmp(out.ptr, cases[i].want) || out.size != strlen(cases[i].want))
			fail_msg("comment of '%s': got '%s', expected '%s'", cases[i].msg, out.ptr,
			         cases[i].want);
	}
	ch_buf_dispose(&out);
}

/* Chancery-Declared-Unclassified (rule D10): create and revise only,
 * attachments/<valid name>, each attachment once. */
static void test_declared(void **state)
{
	static const char *const revise[] = {
		"Chancery-Action: revise", "Chancery-Step: draft", "Chancery-Actor: an.ninh",
		("Chancery-Policy: " POLICY_ID), "Chancery-Classification: unclassified",
	};
	ch_strv names = CH_STRV_INIT;
	ch_buf b = CH_BUF_INIT;
	ch_trailers t;

	(void)state;
	message(&b, revise, 5, (size_t)-1, "Chancery-Declared-Unclassified: attachments/anh.png\n"
	        "Chancery-Declared-Unclassified: attachments/Bản đồ 2.png\n");
	parse_ok(&t, b.ptr);
	assert_int_equal(t.ndeclared, 2);
	assert_int_equal(ch_trailers_declared(&names, b.ptr, b.size), 0);
	assert_int_equal(names.n, 2);
	assert_string_equal(names.v[0], "anh.png");
	assert_string_equal(names.v[1], "Bản đồ 2.png");
	ch_strv_free(&names);

	/* formatted as parsed */
	ch_buf_clear(&b);
	ch_strv_push(&names, "anh.png");
	ch_buf_puts(&b, "revise: x\n\n");
	ch_buf_printf(&b, "%s\n%s\n%s\n%s\n%s\n", revise[0], revise[1], revise[2], revise[3],
	              revise[4]);
	ch_trailers_format_declared(&b, &names);
	ch_strv_free(&names);
	assert_int_equal(ch_trailers_declared(&names, b.ptr, b.size), 0);
	assert_int_equal(names.n, 1);
	ch_strv_free(&names);

	/* not on other actions, not malformed, not twice */
	message(&b, five, 5, (size_t)-1, "Chancery-Declared-Unclassified: attachments/anh.png\n");
	refused(b.ptr, "only create and revise");
	message(&b, revise, 5, (size_t)-1, "Chancery-Declared-Unclassified: anh.png\n");
	refused(b.ptr, "attachments/<name>");
	message(&b, revise, 5, (size_t)-1, "Chancery-Declared-Unclassified: attachments/.git\n");
	refused(b.ptr, "not a valid attachment name");
	message(&b, revise, 5, (size_t)-1, "Chancery-Declared-Unclassified: attachments/a/b.png\n");
	refused(b.ptr, "not a valid attachment name");
	message(&b, revise, 5, (size_t)-1, "Chancery-Declared-Unclassified: attachments/\n");
	refused(b.ptr, "attachments/<name>");
	message(&b, revise, 5, (size_t)-1, "Chancery-Declared-Unclassified: attachments/a.png\n"
	        "Chancery-Declared-Unclassified: attachments/a.png\n");
	parse_ok(&t, b.ptr);
	assert_int_equal(ch_trailers_declared(&names, b.ptr, b.size), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "twice"));
	ch_strv_free(&names);
	ch_buf_clear(&b);
	ch_buf_puts(&b, "policy\n\nChancery-Action: policy\nChancery-Actor: admin.a\n"
	            "Chancery-Declared-Unclassified: attachments/a.png\n");
	refused(b.ptr, "only the Chancery-Action and Chancery-Actor");
	ch_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_five),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_missing_each),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_unknown_trailer),
		cmocka_unit_test(test_malformed_values),
		cmocka_unit_test(test_policy_commits),
		cmocka_unit_test(test_other_trailers_ignored),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_message_comment),
		cmocka_unit_test(test_declared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
