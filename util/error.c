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
	char old[CH_ERROR_MAX], pre[CH_ERROR_MAX];
	va_list ap;

	memcpy(old, last, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	snprintf(last, sizeof(last), "%s%s", pre, old);
}

const char *ch_error_last(void)
{
	return last[0] ? last : "unknown error";
}

void ch_error_clear(void)
{
	last[0] = '\0';
}
