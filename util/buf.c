/* buf.c -- the growable string (see buf.h for its rules). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

char ch_buf__empty[1];

void ch_buf_init(ch_buf *b)
{
	b->ptr = ch_buf__empty;
	b->size = 0;
	b->asize = 0;
}

void ch_buf_grow(ch_buf *b, size_t extra)
{
	size_t need, nsize;
	char *p;

	if (extra > SIZE_MAX - b->size - 1)
		abort();
	need = b->size + extra + 1;
	if (need <= b->asize)
		return;
	nsize = b->asize ? b->asize : 64;
	while (nsize < need)
		nsize = nsize > SIZE_MAX / 2 ? need : nsize * 2;
	p = b->asize ? realloc(b->ptr, nsize) : malloc(nsize);
	if (!p)
		abort();
	if (!b->asize)
		p[0] = '\0';
	b->ptr = p;
	b->asize = nsize;
}

void ch_buf_put(ch_buf *b, const void *data, size_t len)
{
	if (!len)
		return;
	ch_buf_grow(b, len);
	memmove(b->ptr + b->size, data, len);
	b->size += len;
	b->ptr[b->size] = '\0';
}

void ch_buf_puts(ch_buf *b, const char *s)
{
	ch_buf_put(b, s, strlen(s));
}

void ch_buf_putc(ch_buf *b, char c)
{
	ch_buf_put(b, &c, 1);
}

void ch_buf_vprintf(ch_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		abort();
	ch_buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->size, (size_t)n + 1, fmt, ap);
	b->size += (size_t)n;
}

void ch_buf_printf(ch_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ch_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void ch_buf_clear(ch_buf *b)
{
	ch_buf_truncate(b, 0);
}

void ch_buf_truncate(ch_buf *b, size_t len)
{
	if (len >= b->size)
		return;
	b->size = len;
	if (b->asize)
		b->ptr[len] = '\0';
}

void ch_buf_set(ch_buf *b, const void *data, size_t len)
{
	ch_buf_clear(b);
	ch_buf_put(b, data, len);
}

char *ch_buf_detach(ch_buf *b)
{
	char *p = b->asize ? b->ptr : strdup("");

	if (!p)
		abort();
	ch_buf_init(b);
	return p;
}

void ch_buf_dispose(ch_buf *b)
{
	if (b->asize)
		free(b->ptr);
	ch_buf_init(b);
}

void ch_buf_dispose_secret(ch_buf *b)
{
	if (b->asize) {
		ch_wipe(b->ptr, b->asize);
		free(b->ptr);
	}
	ch_buf_init(b);
}

void ch_buf_puthex(ch_buf *b, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;

	ch_buf_grow(b, len * 2);
	for (i = 0; i < len; i++) {
		b->ptr[b->size++] = hex[p[i] >> 4];
		b->ptr[b->size++] = hex[p[i] & 15];
	}
	b->ptr[b->size] = '\0';
}

void ch_buf_putjson(ch_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	ch_buf_putc(b, '"');
	for (; *p; p++) {
		switch (*p) {
		case '"': ch_buf_puts(b, "\\\""); break;
		case '\\': ch_buf_puts(b, "\\\\"); break;
		case '\n': ch_buf_puts(b, "\\n"); break;
		case '\r': ch_buf_puts(b, "\\r"); break;
		case '\t': ch_buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20)
				ch_buf_printf(b, "\\u%04x", *p);
			else
				ch_buf_putc(b, (char)*p);
		}
	}
	ch_buf_putc(b, '"');
}
