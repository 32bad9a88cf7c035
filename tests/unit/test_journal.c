/* test_journal.c -- structured log entries (util/journal.c): the native
 * protocol read back from a stand-in journal socket (an AF_UNIX datagram
 * socket bound in a temporary directory), the logfmt fallback, and values
 * that must not pass (control bytes, over-long, bad names). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/journal.h"
#include "util/common.h"

static const ch_journal_field request[] = {
	{ "MESSAGE", "GET /docs 200" },
	{ "PERSON", "nguyen.van.a" },
	{ "METHOD", "GET" },
	{ "ROUTE", "/docs" },
	{ "STATUS", "200" },
	{ "EVENT", NULL },
};
#define NREQ (sizeof(request) / sizeof(request[0]))

static void test_native_socket(void **state)
{
	char dir[] = "/tmp/chjournal.XXXXXX", path[128], got[CH_JOURNAL_MAX_ENTRY + 1];
	struct sockaddr_un sa;
	int srv, fd;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/socket", dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	assert_true((srv = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);

	assert_true((fd = ch_journal_open(path)) >= 0);
	assert_int_equal(ch_journal_send(fd, request, NREQ), 0);
	n = recv(srv, got, sizeof(got) - 1, 0);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "MESSAGE=GET /docs 200\nPERSON=nguyen.van.a\nMETHOD=GET\n"
	                         "ROUTE=/docs\nSTATUS=200\n");

	/* a refused entry sends nothing */
	{
		ch_journal_field bad[] = { { "MESSAGE", "x\nPERSON=admin" } };

		assert_true(ch_journal_send(fd, bad, 1) < 0);
		assert_non_null(strstr(ch_error_last(), "control byte"));
		assert_true(recv(srv, got, sizeof(got), MSG_DONTWAIT) < 0);
	}
	close(fd);
	close(srv);
	unlink(path);
	rmdir(dir);
	assert_true(ch_journal_open(path) < 0);
	assert_non_null(strstr(ch_error_last(), "cannot reach the journal"));
}

static void test_logfmt(void **state)
{
	ch_buf b = CH_BUF_INIT;
	ch_journal_field f[] = { { "PERSON", "-" }, { "EVENT", "session \"x\" = ended" },
	                         { "ROUTE", "" } };

	(void)state;
	assert_int_equal(ch_journal_format_logfmt(&b, request + 1, NREQ - 1), 0);
	assert_string_equal(b.ptr, "person=nguyen.van.a method=GET route=/docs status=200\n");
	ch_buf_clear(&b);
	assert_int_equal(ch_journal_format_logfmt(&b, f, 3), 0);
	assert_string_equal(b.ptr, "person=- event=\"session \\\"x\\\" = ended\" route=\"\"\n");
	ch_buf_dispose(&b);
}

static void test_refused(void **state)
{
	ch_buf b = CH_BUF_INIT, big = CH_BUF_INIT;
	ch_journal_field many[CH_JOURNAL_MAX_FIELDS + 1];
	size_t i;

	(void)state;
	for (i = 0; i <= CH_JOURNAL_MAX_VALUE; i++)
		ch_buf_putc(&big, 'a');
	{
		ch_journal_field f[][1] = {
			{ { "_PID", "1" } },          /* trusted fields are the journal's own */
			{ { "person", "a" } },
			{ { "2X", "a" } },
			{ { "", "a" } },
			{ { "A", "tab\there" } },
			{ { "A", "del\x7f" } },
			{ { "A", big.ptr } },
		};

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			assert_true(ch_journal_format(&b, f[i], 1) < 0);
			assert_true(ch_journal_format_logfmt(&b, f[i], 1) < 0);
		}
	}
	for (i = 0; i <= CH_JOURNAL_MAX_FIELDS; i++)
		many[i] = (ch_journal_field){ "A", "b" };
	assert_true(ch_journal_format(&b, many, CH_JOURNAL_MAX_FIELDS + 1) < 0);
	assert_int_equal(ch_journal_format(&b, many, CH_JOURNAL_MAX_FIELDS), 0);
	ch_buf_dispose(&b);
	ch_buf_dispose(&big);
}

static void test_stream_detection(void **state)
{
	char v[64];
	FILE *f = tmpfile();
	struct stat st;
	int saved = dup(2);

	(void)state;
	assert_non_null(f);
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(ch_journal_stderr_is_journal(), 0);
	dup2(fileno(f), 2);
	fstat(2, &st);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	assert_int_equal(ch_journal_stderr_is_journal(), 1);
	setenv("JOURNAL_STREAM", "1:2", 1);
	assert_int_equal(ch_journal_stderr_is_journal(), 0);
	setenv("JOURNAL_STREAM", "garbage", 1);
	assert_int_equal(ch_journal_stderr_is_journal(), 0);
	dup2(saved, 2);
	close(saved);
	fclose(f);
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_socket),
		cmocka_unit_test(test_logfmt),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_stream_detection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
