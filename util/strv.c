/* strv.c -- a small owned list of strings. */
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "common.h"

void ch_strv_push(ch_strv *s, const char *str)
{
	s->v = ch_realloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = ch_strdup(str);
}

int ch_strv_contains(const ch_strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return 1;
	return 0;
}

int ch_strv_intersects(const ch_strv *a, const ch_strv *b)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (ch_strv_contains(b, a->v[i]))
			return 1;
	return 0;
}

void ch_strv_free(ch_strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

char *ch_strv_join(const ch_strv *s, const char *sep)
{
	ch_buf b = CH_BUF_INIT;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (i)
			ch_buf_puts(&b, sep);
		ch_buf_puts(&b, s->v[i]);
	}
	return ch_buf_detach(&b);
}
