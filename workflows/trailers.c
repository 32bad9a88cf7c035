/* trailers.c -- parse and write the Chancery trailers of a commit message. */
#include <stdlib.h>
#include <string.h>

#include "workflows/classify/attach.h"
#include "workflows/policy.h"
#include "workflows/trailers.h"
#include "workflows/workflow.h"
#include "util/text.h"
#include "util/common.h"

/* Start of the last paragraph (after the last blank line). */
static const char *last_paragraph(const char *msg, size_t len)
{
	const char *end = msg + len, *p;

	while (end > msg && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (p = end; p > msg; p--)
		if (p[-1] == '\n' && p - 1 > msg && p[-2] == '\n')
			return p;
	return msg;
}

static int set_field(char *field, size_t size, const char *name, const char *v, size_t n)
{
	if (field[0] || (name[0] == 'O' && field[0]))
		return ch_error_setc(CH_EINVALID, "trailer Chancery-%s appears twice", name);
	if (n == 0 || n >= size)
		return ch_error_setc(CH_EINVALID, "trailer Chancery-%s: value empty or too long", name);
	memcpy(field, v, n);
	field[n] = '\0';
	return 0;
}

static int parse_line(ch_trailers *t, const char *line, size_t n)
{
	static const struct { const char *key; size_t off, size; } fields[] = {
		{ "Action", offsetof(ch_trailers, action), sizeof(((ch_trailers *)0)->action) },
		{ "Step", offsetof(ch_trailers, step), sizeof(((ch_trailers *)0)->step) },
		{ "Actor", offsetof(ch_trailers, actor), sizeof(((ch_trailers *)0)->actor) },
		{ "On-Behalf-Of", offsetof(ch_trailers, on_behalf), sizeof(((ch_trailers *)0)->on_behalf) },
		{ "Policy", offsetof(ch_trailers, policy), sizeof(((ch_trailers *)0)->policy) },
		{ "Classification", offsetof(ch_trailers, classification),
		  sizeof(((ch_trailers *)0)->classification) },
	};
	const char *colon = memchr(line, ':', n), *v;
	size_t i, klen;

	if (n < 9 || strncmp(line, "Chancery-", 9))
		return 0; /* not ours: other trailers are allowed */
	if (!colon)
		return ch_error_setc(CH_EINVALID, "malformed trailer line '%.*s'",
		                     (int)(n < 60 ? n : 60), line);
	klen = (size_t)(colon - line) - 9;
	v = colon + 1;
	while (v < line + n && *v == ' ')
		v++;
	if (klen == 21 && !strncmp(line + 9, "Declared-Unclassified", 21)) {
		char name[CH_ATTACH_MAX_NAME + 16];
		size_t vn = (size_t)(line + n - v);

		if (vn <= 12 || vn >= sizeof(name) || strncmp(v, CH_ATTACH_DIR, 12))
			return ch_error_setc(CH_EINVALID, "trailer %s: expected attachments/<name>",
			                     CH_ATTACH_TRAILER);
		memcpy(name, v + 12, vn - 12);
		name[vn - 12] = '\0';
		if (!ch_attach_valid_name(name))
			return ch_error_setc(CH_EINVALID, "trailer %s: not a valid attachment name",
			                     CH_ATTACH_TRAILER);
		if (++t->ndeclared > CH_ATTACH_MAX_COUNT)
			return ch_error_setc(CH_EINVALID, "trailer %s: more than %d",
			                     CH_ATTACH_TRAILER, CH_ATTACH_MAX_COUNT);
		return 0;
	}
	for (i = 0; i < CH_ARRAY_SIZE(fields); i++)
		if (strlen(fields[i].key) == klen && !strncmp(line + 9, fields[i].key, klen))
			return set_field((char *)t + fields[i].off, fields[i].size, fields[i].key, v,
			                 (size_t)(line + n - v));
	return ch_error_setc(CH_EINVALID, "unknown trailer 'Chancery-%.*s'", (int)klen, line + 9);
}

static int check_values(const ch_trailers *t)
{
	if (!t->action[0])
		return ch_error_setc(CH_EINVALID, "trailer Chancery-Action is missing");
	if (!t->actor[0])
		return ch_error_setc(CH_EINVALID, "trailer Chancery-Actor is missing");
	if (!ch_valid_person_id(t->actor))
		return ch_error_setc(CH_EINVALID, "trailer Chancery-Actor: '%s' is not a person id",
		                     t->actor);
	if (t->is_policy) {
		if (t->step[0] || t->policy[0] || t->classification[0] || t->on_behalf[0] ||
		    t->ndeclared)
			return ch_error_setc(CH_EINVALID, "a policy commit carries only the "
			                     "Chancery-Action and Chancery-Actor trailers");
		return 0;
	}
	if (!ch_action_known(t->action))
		return ch_error_setc(CH_EINVALID, "trailer Chancery-Action: unknown action '%s'",
		                     t->action);
	if (!t->step[0] || !t->policy[0] || !t->classification[0])
		return ch_error_setc(CH_EINVALID, "trailer Chancery-%s is missing",
		                     !t->step[0] ? "Step" : !t->policy[0] ? "Policy" : "Classification");
	if (!ch_valid_name(t->step))
		return ch_error_setc(CH_EINVALID, "trailer Chancery-Step: malformed state name");
	if (!ch_valid_oid_hex(t->policy))
		return ch_error_setc(CH_EINVALID, "trailer Chancery-Policy: not a 40-hex commit id");
	if (!ch_valid_classification(t->classification))
		return ch_error_setc(CH_EINVALID, "trailer Chancery-Classification: unknown level '%s'",
		                     t->classification);
	if (t->on_behalf[0] && !ch_valid_person_id(t->on_behalf))
		return ch_error_setc(CH_EINVALID, "trailer Chancery-On-Behalf-Of: not a person id");
	if (t->ndeclared && strcmp(t->action, "create") && strcmp(t->action, "revise"))
		return ch_error_setc(CH_EINVALID, "trailer %s on a %s step: only create and revise "
		                     "add attachments", CH_ATTACH_TRAILER, t->action);
	return 0;
}

int ch_trailers_parse(ch_trailers *out, const char *message, size_t len)
{
	const char *p, *end = message + len, *nl;
	int error;

	memset(out, 0, sizeof(*out));
	if (len > CH_MSG_MAX)
		return ch_error_setc(CH_EINVALID, "commit message longer than %d bytes", CH_MSG_MAX);
	if (memchr(message, '\0', len)) /* as git refuses it: no value may hide bytes */
		return ch_error_setc(CH_EINVALID, "commit message holds a NUL byte");
	for (p = last_paragraph(message, len); p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if ((error = parse_line(out, p, (size_t)(nl - p))) < 0)
			return error;
	}
	out->is_policy = !strcmp(out->action, "policy");
	return check_values(out);
}

void ch_trailers_format(ch_buf *out, const char *subject, const char *comment,
                        const ch_trailers *t)
{
	ch_buf_printf(out, "%s\n\n", subject);
	if (comment && comment[0]) {
		ch_buf_puts(out, comment);
		if (comment[strlen(comment) - 1] != '\n')
			ch_buf_putc(out, '\n');
		ch_buf_putc(out, '\n');
	}
	if (t->is_policy) {
		ch_buf_printf(out, "Chancery-Action: policy\nChancery-Actor: %s\n", t->actor);
		return;
	}
	ch_buf_printf(out, "Chancery-Action: %s\nChancery-Step: %s\nChancery-Actor: %s\n",
	              t->action, t->step, t->actor);
	if (t->on_behalf[0])
		ch_buf_printf(out, "Chancery-On-Behalf-Of: %s\n", t->on_behalf);
	ch_buf_printf(out, "Chancery-Policy: %s\nChancery-Classification: %s\n", t->policy,
	              t->classification);
}

void ch_message_comment(ch_buf *out, const char *message)
{
	const char *body = strstr(message, "\n\n"), *trail;

	ch_buf_clear(out);
	if (!body)
		return;
	body += 2;
	trail = last_paragraph(message, strlen(message));
	if (trail <= body)
		return;
	ch_buf_put(out, body, (size_t)(trail - body));
	while (out->size && out->ptr[out->size - 1] == '\n')
		ch_buf_truncate(out, out->size - 1);
}

int ch_trailers_declared(ch_strv *out, const char *message, size_t len)
{
	static const char key[] = CH_ATTACH_TRAILER ": " CH_ATTACH_DIR;
	const char *p, *end = message + len, *nl;
	ch_trailers t;
	int error;

	if ((error = ch_trailers_parse(&t, message, len)) < 0)
		return error;
	for (p = last_paragraph(message, len); p < end; p = nl + 1) {
		char *name;

		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			nl = end;
		if ((size_t)(nl - p) <= sizeof(key) - 1 || strncmp(p, key, sizeof(key) - 1))
			continue;
		name = ch_strndup(p + sizeof(key) - 1, (size_t)(nl - p) - (sizeof(key) - 1));
		if (ch_strv_contains(out, name)) {
			free(name);
			return ch_error_setc(CH_EINVALID, "trailer %s names the same attachment twice",
			                     CH_ATTACH_TRAILER);
		}
		ch_strv_push(out, name);
		free(name);
	}
	if (out->n != (size_t)t.ndeclared) /* "Chancery-Declared-Unclassified:attachments/x" */
		return ch_error_setc(CH_EINVALID, "trailer %s: write it as '%s: %sNAME'",
		                     CH_ATTACH_TRAILER, CH_ATTACH_TRAILER, CH_ATTACH_DIR);
	return 0;
}

void ch_trailers_format_declared(ch_buf *out, const ch_strv *names)
{
	size_t i;

	for (i = 0; names && i < names->n; i++)
		ch_buf_printf(out, "%s: %s%s\n", CH_ATTACH_TRAILER, CH_ATTACH_DIR, names->v[i]);
}
