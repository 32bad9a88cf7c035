/* error.h -- error codes and the per-thread last error message.
 *
 * Every function that can fail returns int: 0 on success, a negative
 * CH_E* code on failure, and sets a message with ch_error_set() that says
 * what was wrong, in words a user can act on. Callers that only pass the
 * failure up do not touch the message. */
#ifndef CH_ERROR_H
#define CH_ERROR_H

#include <stdarg.h>

enum {
	CH_OK = 0,
	CH_ERROR = -1,     /* generic failure, message says what */
	CH_ENOTFOUND = -3, /* a named thing does not exist */
	CH_ECONFLICT = -4, /* someone else moved the ref first, or holds its lock */
	CH_EDENIED = -5,   /* the policy or workflow does not allow it */
	CH_EAUTH = -6,     /* wrong password or signing passphrase */
	CH_EINVALID = -7,  /* malformed input */
	CH_ELOCKED = -8,   /* a lock file is in the way */
	CH_EIO = -9,       /* the filesystem, a library or a child process failed */
	CH_ECLASSIFIED = -10 /* classified material refused on this tier */
};

/* error.c */
#if defined(__GNUC__)
#define CH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CH_PRINTF(a, b)
#endif

/* Set the message (printf style); returns code so callers can `return ch_error_set(...)`. */
int ch_error_setc(int code, const char *fmt, ...) CH_PRINTF(2, 3);
#define ch_error_set(...) ch_error_setc(CH_ERROR, __VA_ARGS__)
/* Prepend context ("while reading policy: ") to the current message. */
void ch_error_prefix(const char *fmt, ...) CH_PRINTF(1, 2);
/* The current message; never NULL (borrowed, valid until the next set). */
const char *ch_error_last(void);
void ch_error_clear(void);

/* The one mapping from a CH_E* code to what the shells answer:
 * an HTTP status (server/) and the command line's exit code (cli/: 0 ok,
 * 1 refused, 2 usage or I/O, 3 conflict). */
unsigned ch_error_http_status(int code);
int ch_error_exit_code(int code);

#endif
