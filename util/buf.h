/* buf.h -- the one growable string type.
 *
 * Rules: `ptr` is never NULL (an empty buffer points at a shared "");
 * the content is always NUL-terminated at ptr[size], so it can be handed to
 * C string APIs, but may also hold NUL bytes; `size` is the length without
 * the terminator. A buffer that held secrets is released with
 * ch_buf_dispose_secret(), which wipes it. Allocation failure aborts: a
 * server that cannot allocate a few bytes cannot do anything useful. */
#ifndef CH_BUF_H
#define CH_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

typedef struct {
	char *ptr;
	size_t size;  /* bytes used, without the terminating NUL */
	size_t asize; /* bytes allocated; 0 while ptr is the shared "" */
} ch_buf;

extern char ch_buf__empty[];
#define CH_BUF_INIT { ch_buf__empty, 0, 0 }

/* buf.c */
void ch_buf_init(ch_buf *b);
void ch_buf_grow(ch_buf *b, size_t extra);
void ch_buf_put(ch_buf *b, const void *data, size_t len);
void ch_buf_puts(ch_buf *b, const char *s);
void ch_buf_putc(ch_buf *b, char c);
void ch_buf_printf(ch_buf *b, const char *fmt, ...) CH_PRINTF(2, 3);
void ch_buf_vprintf(ch_buf *b, const char *fmt, va_list ap);
void ch_buf_clear(ch_buf *b);
void ch_buf_truncate(ch_buf *b, size_t len);
void ch_buf_set(ch_buf *b, const void *data, size_t len);
/* Hand the allocation to the caller (free() it); the buffer is left empty. */
char *ch_buf_detach(ch_buf *b);
void ch_buf_dispose(ch_buf *b);
void ch_buf_dispose_secret(ch_buf *b);
/* Append `len` bytes as lower-case hex. */
void ch_buf_puthex(ch_buf *b, const void *data, size_t len);
/* Append `s` as a JSON string literal, quotes included. */
void ch_buf_putjson(ch_buf *b, const char *s);

#endif
