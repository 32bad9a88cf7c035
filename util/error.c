/* error.c -- the per-thread last error message. */
#include <stdio.h>
#include <string.h>

#include "error.h"

#define CH_ERROR_MAX 1024

static _Thread_local char last[CH_ERROR_MAX];

int ch_error_setc(int code, const char *fmt, ...)
{
	char buf[sizeof(last)];
	va_list ap;

	/* through a copy: the arguments may be ch_error_last() itself */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(last, buf, sizeof(last));
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

unsigned ch_error_http_status(int code)
{
	switch (code) {
	case CH_OK: return 200;
	case CH_ECONFLICT: case CH_ELOCKED: return 409;
	case CH_EAUTH: case CH_EDENIED: return 403;
	case CH_ENOTFOUND: return 404;
	case CH_EINVALID: case CH_ECLASSIFIED: case CH_ERROR: return 400;
	default: return 500; /* CH_EIO and anything unknown: the server's fault */
	}
}

int ch_error_exit_code(int code)
{
	switch (code) {
	case CH_OK: return 0;
	case CH_ECONFLICT: case CH_ELOCKED: return 3;
	case CH_EIO: return 2;
	default: return 1; /* refused: denied, wrong passphrase, invalid, classified */
	}
}
