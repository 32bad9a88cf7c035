/* fuzz_policy.c -- libFuzzer target for a whole policy (workflows/policy.c):
 * repository.json, people.json, sites.json, workflows and keys, checked
 * together as ch_policy_parse checks a policy commit's tree.
 *
 * Input: parts separated by NUL bytes (no JSON file may hold one):
 *   0  policy/repository.json
 *   1  policy/people.json
 *   2  policy/sites.json
 *   3  policy/workflows/cong-van.json
 *   then pairs: a path and the file's content. A path without a '/' is a
 *   person id, standing for policy/keys/<id>.asc; any other path is taken
 *   as it is (so the fuzzer also meets the rule on which paths a policy may
 *   hold). At most 16 pairs; keys are best given armored.
 * The seeds carry real fixture keys (tests/fixtures/pgp) whose fingerprints
 * people.json names, so mutations reach past the key checks. */
#include <gcrypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "workflows/policy.h"
#include "workflows/fileset.h"
#include "util/text.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS 16
#define MAX_PATH 255

static void init_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	gcry_check_version(NULL);
	/* no secret keys here; the secure pool would only read as a leak */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	json_object_seed(1);
}

static void check(int ok)
{
	if (!ok)
		abort();
}

/* The next NUL-terminated part; the last one runs to the end. */
static const uint8_t *next_part(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *part = *p, *nul;

	if (part >= end) {
		*len = 0;
		return NULL;
	}
	nul = memchr(part, 0, (size_t)(end - part));
	*len = nul ? (size_t)(nul - part) : (size_t)(end - part);
	*p = nul ? nul + 1 : end;
	return part;
}

static void check_policy(const ch_policy *pol)
{
	size_t i;

	check(pol->site && pol->tier && ch_policy_has_admin(pol));
	for (i = 0; i < pol->npeople; i++) {
		const ch_person *p = &pol->people[i];

		check(ch_policy_person(pol, p->id) == p);
		check(ch_policy_person_by_fpr(pol, p->fingerprint) == p);
		check(ch_valid_person_id(p->id) && ch_valid_fpr(p->fingerprint));
		check(ch_valid_classification(p->clearance));
	}
	for (i = 0; i < pol->ndelegations; i++) {
		const ch_delegation *d = &pol->delegations[i];

		check(ch_policy_person(pol, d->from) && ch_policy_person(pol, d->to));
		check(strcmp(d->from, d->to) && ch_policy_delegation(pol, d->from, d->to));
	}
	for (i = 0; i < pol->nworkflows; i++)
		check(ch_policy_workflow(pol, pol->workflows[i]->name) == pol->workflows[i]);
	for (i = 0; i < pol->nsites; i++) /* (site ids are not checked for repeats) */
		check(ch_policy_site(pol, pol->sites[i].id) != NULL);
	check(pol->files.n > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = { "policy/repository.json", "policy/people.json",
	                                     "policy/sites.json", "policy/workflows/cong-van.json" };
	const uint8_t *p = data, *end = data + size, *part, *content;
	ch_fileset fs = CH_FILESET_INIT;
	ch_buf path = CH_BUF_INIT;
	ch_policy *pol = NULL;
	size_t i, len, clen;
	int error;

	init_once();
	for (i = 0; i < CH_ARRAY_SIZE(fixed); i++)
		if ((part = next_part(&p, end, &len)))
			ch_fileset_put(&fs, fixed[i], part, len);
	for (i = 0; i < MAX_PAIRS && (part = next_part(&p, end, &len)); i++) {
		content = next_part(&p, end, &clen);
		if (!len || len > MAX_PATH)
			continue;
		ch_buf_clear(&path);
		if (memchr(part, '/', len))
			ch_buf_put(&path, part, len);
		else
			ch_buf_printf(&path, "policy/keys/%.*s.asc", (int)len, (const char *)part);
		ch_fileset_put(&fs, path.ptr, content ? (const void *)content : "", clen);
	}
	error = ch_policy_parse(&pol, &fs);
	if (error) {
		check(pol == NULL && ch_error_last()[0]);
	} else {
		check_policy(pol);
		check(pol->files.n == fs.n);
	}
	ch_policy_free(pol);
	ch_fileset_dispose(&fs);
	ch_buf_dispose(&path);
	return 0;
}
