/* error.c -- the per-thread last error message. */
#include <stdio.h>
#include <string.h>

#include "error.h"

#define CH_ERROR_MAX 1024

static _Thread_local char last[CH_ERROR_MAX];

int ch_error_setc(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last, sizeof(last), fmt, ap);
	va_end(ap);
	return code;
}

void ch_error_prefix(const char *fmt, ...)
{
	char old[CH_ERROR_MAX];
	size_t n;
	va_list ap;

	memcpy(old, last, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(last, sizeof(last), fmt, ap);
	va_end(ap);
	n = strlen(last);
	if (n + 1 < sizeof(last)) {
		size_t m = strlen(old);

		if (m > sizeof(last) - n - 1)
			m = sizeof(last) - n - 1;
		memcpy(last + n, old, m);
		last[n + m] = '\0';
	}
}

const char *ch_error_last(void)
{
	return last[0] ? last : "unknown error";
}

void ch_error_clear(void)
{
	last[0] = '\0';
}
