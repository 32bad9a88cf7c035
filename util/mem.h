/* mem.h -- allocation that aborts on failure, wiping, constant-time compare. */
#ifndef CH_MEM_H
#define CH_MEM_H

#include <stddef.h>

/* mem.c */
void *ch_malloc(size_t n);
void *ch_calloc(size_t n, size_t size);
void *ch_realloc(void *p, size_t n);
char *ch_strdup(const char *s);
char *ch_strndup(const char *s, size_t n);
/* Zero memory in a way the compiler cannot remove (explicit_bzero). */
void ch_wipe(void *p, size_t n);
/* Wipe a NUL-terminated secret string and free it; accepts NULL. */
void ch_free_secret(char *s);
/* 1 if equal. Time depends only on n, never on where the bytes differ. */
int ch_ct_memeq(const void *a, const void *b, size_t n);
/* 1 if equal. Hashes both first, so time does not reveal lengths either. */
int ch_ct_streq(const char *a, const char *b);

#define CH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
