/* strv.h -- a small owned list of strings (roles, units, recipients). */
#ifndef CH_STRV_H
#define CH_STRV_H

#include <stddef.h>

typedef struct {
	char **v;
	size_t n;
} ch_strv;

#define CH_STRV_INIT { NULL, 0 }

/* strv.c */
void ch_strv_push(ch_strv *s, const char *str);
int ch_strv_contains(const ch_strv *s, const char *str);
/* 1 if the two lists share at least one string. */
int ch_strv_intersects(const ch_strv *a, const ch_strv *b);
void ch_strv_free(ch_strv *s);
/* "a, b, c" into a new string (caller frees). */
char *ch_strv_join(const ch_strv *s, const char *sep);

#endif
