/* journal.c -- the journal's native protocol and a logfmt fallback
 * (journal.h). Bounded: a field's value, the number of fields and the
 * whole entry have named limits; anything over them is refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/journal.h"
#include "util/common.h"

int ch_journal_open(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (!path)
		path = CH_JOURNAL_SOCKET;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return ch_error_setc(CH_EINVALID, "journal socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return ch_error_setc(CH_EIO, "journal socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return ch_error_setc(CH_EIO, "cannot reach the journal at %s: %s", path, strerror(e));
	}
	return fd;
}

int ch_journal_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) != 2 || fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && s[0] != '_' && (s[0] < '0' || s[0] > '9') &&
	       s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] == '\0';
}

static int check_field(const ch_journal_field *f)
{
	const unsigned char *p;

	if (!valid_name(f->name))
		return ch_error_setc(CH_EINVALID, "journal: bad field name");
	if (strlen(f->value) > CH_JOURNAL_MAX_VALUE)
		return ch_error_setc(CH_EINVALID, "journal: the value of %s is longer than %d bytes",
		                     f->name, CH_JOURNAL_MAX_VALUE);
	for (p = (const unsigned char *)f->value; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return ch_error_setc(CH_EINVALID, "journal: the value of %s holds a control "
			                     "byte (0x%02x)", f->name, *p);
	return 0;
}

static int check_fields(const ch_journal_field *f, size_t n)
{
	size_t i;

	if (n > CH_JOURNAL_MAX_FIELDS)
		return ch_error_setc(CH_EINVALID, "journal: more than %d fields",
		                     CH_JOURNAL_MAX_FIELDS);
	for (i = 0; i < n; i++)
		if (f[i].value && check_field(&f[i]) < 0)
			return CH_EINVALID;
	return 0;
}

int ch_journal_format(ch_buf *out, const ch_journal_field *f, size_t n)
{
	size_t i;

	if (check_fields(f, n) < 0)
		return CH_EINVALID;
	for (i = 0; i < n; i++)
		if (f[i].value)
			ch_buf_printf(out, "%s=%s\n", f[i].name, f[i].value);
	return 0;
}

static void put_lower(ch_buf *out, const char *s)
{
	for (; *s; s++)
		ch_buf_putc(out, *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s);
}

int ch_journal_format_logfmt(ch_buf *out, const ch_journal_field *f, size_t n)
{
	size_t i, first = 1;

	if (check_fields(f, n) < 0)
		return CH_EINVALID;
	for (i = 0; i < n; i++) {
		const char *v = f[i].value;

		if (!v)
			continue;
		if (!first)
			ch_buf_putc(out, ' ');
		first = 0;
		put_lower(out, f[i].name);
		ch_buf_putc(out, '=');
		if (*v && !strpbrk(v, " \"=\\")) {
			ch_buf_puts(out, v);
			continue;
		}
		ch_buf_putc(out, '"');
		for (; *v; v++) {
			if (*v == '"' || *v == '\\')
				ch_buf_putc(out, '\\');
			ch_buf_putc(out, *v);
		}
		ch_buf_putc(out, '"');
	}
	ch_buf_putc(out, '\n');
	return 0;
}

int ch_journal_send(int fd, const ch_journal_field *f, size_t n)
{
	ch_buf entry = CH_BUF_INIT;
	int error;

	if ((error = ch_journal_format(&entry, f, n)) == 0 && entry.size > CH_JOURNAL_MAX_ENTRY)
		error = ch_error_setc(CH_EINVALID, "journal: an entry longer than %d bytes",
		                      CH_JOURNAL_MAX_ENTRY);
	if (!error && send(fd, entry.ptr, entry.size, MSG_NOSIGNAL) != (ssize_t)entry.size)
		error = ch_error_setc(CH_EIO, "journal: %s", strerror(errno));
	ch_buf_dispose(&entry);
	return error;
}
