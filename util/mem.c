/* mem.c -- allocation, wiping and constant-time comparison. */
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

void *ch_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

void *ch_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

void *ch_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *ch_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort();
	return p;
}

char *ch_strndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		abort();
	return p;
}

void ch_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

void ch_free_secret(char *s)
{
	if (!s)
		return;
	ch_wipe(s, strlen(s));
	free(s);
}

int ch_ct_memeq(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

int ch_ct_streq(const char *a, const char *b)
{
	unsigned char ha[32], hb[32];

	gcry_md_hash_buffer(GCRY_MD_SHA256, ha, a, strlen(a));
	gcry_md_hash_buffer(GCRY_MD_SHA256, hb, b, strlen(b));
	return ch_ct_memeq(ha, hb, sizeof(ha));
}
