/* fuzz_meta.c -- libFuzzer target for a document's meta.json
 * (ch_meta_parse in workflows/doc.c).
 *
 * Beyond "no crash, no leak": what parses is written back by ch_meta_dump
 * in a form that parses again to the same values, and dumps identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "workflows/doc.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void init_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	json_object_seed(1); /* the same hashing on every run: reproducible */
}

static void check(int ok)
{
	if (!ok)
		abort();
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_meta m, again;
	char *text, *text2;
	size_t i;

	init_once();
	if (ch_meta_parse(&m, data, size) < 0) {
		/* a refusal leaves nothing behind to free */
		check(!m.title && !m.type && !m.recipients.n && ch_error_last()[0]);
		return 0;
	}
	check(m.title && m.type && m.classification && m.urgency && m.workflow && m.number);
	text = ch_meta_dump(&m);
	check(ch_meta_parse(&again, text, strlen(text)) == 0);
	/* version 2 binds the chain: id, site and unit together or none */
	check((m.version == 2) == (m.id && m.site && m.unit) && (m.version == 2 || !m.id));
	check(m.version == again.version && same(m.id, again.id) && same(m.site, again.site) &&
	      same(m.unit, again.unit));
	check(same(m.title, again.title) && same(m.type, again.type) &&
	      same(m.classification, again.classification) && same(m.urgency, again.urgency) &&
	      same(m.workflow, again.workflow) && same(m.number, again.number));
	check(m.recipients.n == again.recipients.n);
	for (i = 0; i < m.recipients.n; i++)
		check(!strcmp(m.recipients.v[i], again.recipients.v[i]));
	text2 = ch_meta_dump(&again);
	check(!strcmp(text, text2));
	free(text);
	free(text2);
	ch_meta_dispose(&again);
	ch_meta_dispose(&m);
	return 0;
}
