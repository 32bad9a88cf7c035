/* oidset.c -- a set of git object ids (oidset.h). */
#include <stdlib.h>
#include <string.h>

#include "workflows/oidset.h"
#include "util/common.h"

static size_t slot_of(const ch_oidset *s, const git_oid *id)
{
	size_t h;

	/* object ids are hashes already: their first bytes spread well */
	memcpy(&h, id->id, sizeof(h));
	return h & (s->cap - 1);
}

static void grow(ch_oidset *s)
{
	ch_oidset old = *s;
	size_t k;

	s->cap = s->cap ? s->cap * 2 : 1024;
	s->slots = ch_calloc(s->cap, sizeof(*s->slots));
	s->used = ch_calloc(s->cap, 1);
	s->n = 0;
	for (k = 0; k < old.cap; k++)
		if (old.used[k])
			ch_oidset_add(s, &old.slots[k]);
	free(old.slots);
	free(old.used);
}

int ch_oidset_add(ch_oidset *s, const git_oid *id)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap)
		grow(s);
	for (i = slot_of(s, id); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->slots[i], id))
			return 0;
	s->used[i] = 1;
	git_oid_cpy(&s->slots[i], id);
	s->n++;
	return 1;
}

int ch_oidset_has(const ch_oidset *s, const git_oid *id)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = slot_of(s, id); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->slots[i], id))
			return 1;
	return 0;
}

void ch_oidset_dispose(ch_oidset *s)
{
	free(s->slots);
	free(s->used);
	memset(s, 0, sizeof(*s));
}
