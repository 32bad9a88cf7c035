/* journal.h -- structured log entries for the systemd journal, without
 * libsystemd: the journal's native protocol (one datagram of NAME=value
 * lines to /run/systemd/journal/socket), or one logfmt line (name=value
 * pairs) where there is no journal socket.
 *
 * Field names are upper-case letters, digits and '_' (not leading), at most
 * 64 bytes; values at most CH_JOURNAL_MAX_VALUE bytes, printable: a value
 * with a newline or another control byte is refused, never escaped into the
 * entry (a field is one line of the native protocol). The caller chooses
 * what goes in: chanceryd logs who, which route and the answer's status,
 * never document text or a password (server/http.c, srv_log). */
#ifndef CH_JOURNAL_H
#define CH_JOURNAL_H

#include <stddef.h>

#include "util/buf.h"

#define CH_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define CH_JOURNAL_MAX_FIELDS 16
#define CH_JOURNAL_MAX_VALUE 512
#define CH_JOURNAL_MAX_ENTRY 8192

typedef struct {
	const char *name;  /* e.g. "PERSON" */
	const char *value; /* NULL: the field is left out */
} ch_journal_field;

/* journal.c */
/* A datagram socket connected to the journal's native socket at `path`
 * (NULL: CH_JOURNAL_SOCKET). The descriptor, or a negative code. */
int ch_journal_open(const char *path);
/* 1 when stderr is a stream to the journal (systemd sets JOURNAL_STREAM
 * to its device:inode), else 0. */
int ch_journal_stderr_is_journal(void);
/* The entry in the native protocol ("NAME=value\n" each) into `out`. */
int ch_journal_format(ch_buf *out, const ch_journal_field *f, size_t n);
/* The entry as one logfmt line: lower-case names, values quoted when they
 * hold a space, '"' or '=', newline-terminated. */
int ch_journal_format_logfmt(ch_buf *out, const ch_journal_field *f, size_t n);
/* Send the entry as one datagram on `fd` (ch_journal_open). */
int ch_journal_send(int fd, const ch_journal_field *f, size_t n);

#endif
