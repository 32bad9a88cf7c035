/* test_config.c -- chanceryd's configuration file (server/config.c): every
 * key read, the command line's shapes enforced, and each kind of bad line
 * refused with its line number. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/config.h"
#include "util/common.h"

static const char full[] =
	"# chanceryd for site hq\n"
	"\n"
	"site = /var/lib/chancery/hq\n"
	"  listen=0.0.0.0  \n"
	"port\t=\t8443\n"
	"cert = /etc/chancery/tls/hq.pem\n"
	"key = /etc/chancery/tls/hq.key\n"
	"client_ca = /etc/chancery/tls/missions-ca.pem\n"
	"origin = https://chancery.example.gov.vn:8443\n"
	"user = chancery-hq\n"
	"static = /usr/share/chancery/static\n"
	"max_per_ip = 16\n"
	"log = journal";

static void test_every_key(void **state)
{
	ch_config c;

	(void)state;
	assert_int_equal(ch_config_parse(&c, full, strlen(full)), 0);
	assert_string_equal(c.site, "/var/lib/chancery/hq");
	assert_string_equal(c.listen, "0.0.0.0");
	assert_int_equal(c.port, 8443);
	assert_string_equal(c.cert, "/etc/chancery/tls/hq.pem");
	assert_string_equal(c.key, "/etc/chancery/tls/hq.key");
	assert_string_equal(c.client_ca, "/etc/chancery/tls/missions-ca.pem");
	assert_string_equal(c.origin, "https://chancery.example.gov.vn:8443");
	assert_string_equal(c.user, "chancery-hq");
	assert_string_equal(c.static_dir, "/usr/share/chancery/static");
	assert_int_equal(c.max_per_ip, 16);
	assert_int_equal(c.log, CH_LOG_JOURNAL);
	ch_config_dispose(&c);
}

static void test_absent_keys(void **state)
{
	ch_config c;

	(void)state;
	assert_int_equal(ch_config_parse(&c, "", 0), 0);
	assert_null(c.site);
	assert_int_equal(c.port, -1);
	assert_int_equal(c.max_per_ip, -1);
	assert_int_equal(c.log, -1);
	ch_config_dispose(&c);
}

/* `text` is refused, and the message holds `want`. */
static void refused(const char *text, size_t len, const char *want)
{
	ch_config c;

	if (ch_config_parse(&c, text, len) == 0)
		fail_msg("accepted: %s", text);
	if (!strstr(ch_error_last(), want))
		fail_msg("'%s': message '%s' lacks '%s'", text, ch_error_last(), want);
	assert_null(c.site);
}

#define REFUSED(text, want) refused(text, strlen(text), want)

static void test_bad_lines(void **state)
{
	(void)state;
	REFUSED("site = /a\nprot = 8443\n", "line 2: unknown key 'prot'");
	REFUSED("port = 1\nport = 2\n", "line 2: port is set twice");
	REFUSED("site /var/lib\n", "line 1: expected 'key = value'");
	REFUSED("site =\n", "line 1: site has no value");
	REFUSED("\n\nport = 0\n", "line 3: port must be");
	REFUSED("port = 65536\n", "port must be");
	REFUSED("port = -1\n", "port must be");
	REFUSED("port = 8443 # https\n", "comment goes on a line of its own");
	REFUSED("port = 0x20\n", "port must be");
	REFUSED("port = 99999999999999999999\n", "port must be");
	REFUSED("max_per_ip = 513\n", "max_per_ip must be a number from 0 to 512");
	REFUSED("site = var/lib/chancery\n", "absolute path");
	REFUSED("site = /var/lib/../etc\n", "no '..'");
	REFUSED("site = /var/lib/..\n", "no '..'");
	REFUSED("cert = /etc/a b.pem\n", "absolute path");
	REFUSED("user = Root\n", "system user name");
	REFUSED("user = 0day\n", "system user name");
	REFUSED("origin = http://x\n", "https://HOST");
	REFUSED("origin = https://\n", "https://HOST");
	REFUSED("listen = a b\n", "listen must be an address");
	REFUSED("log = syslog\n", "log must be text, logfmt or journal");
	REFUSED("SITE = /a\n", "keys are lower-case");
	REFUSED("site = /a\r\n", "line 1: a control or non-ASCII byte (0x0d)");
	REFUSED("site = /caf\xc3\xa9\n", "non-ASCII");
	refused("site = /a\0b\n", 11, "control");
}

static void test_bounds(void **state)
{
	ch_buf b = CH_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i <= CH_CONF_MAX_LINES; i++)
		ch_buf_puts(&b, "# a comment\n");
	refused(b.ptr, b.size, "more than 200 lines");
	ch_buf_clear(&b);
	ch_buf_puts(&b, "# ");
	for (i = 0; i < CH_CONF_MAX_LINE; i++)
		ch_buf_putc(&b, 'x');
	refused(b.ptr, b.size, "line 1: longer than 1024 bytes");
	ch_buf_clear(&b);
	ch_buf_puts(&b, "site = /");
	for (i = 0; i < CH_CONF_MAX_VALUE; i++)
		ch_buf_putc(&b, 'x');
	refused(b.ptr, b.size, "longer than 512 bytes");
	ch_buf_dispose(&b);
}

static void test_load_owner(void **state)
{
	char path[] = "/tmp/chconf.XXXXXX";
	ch_config c;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "port = 9000\n", 12), 12);
	close(fd);
	assert_int_equal(ch_config_load(&c, path, 0), 0);
	assert_int_equal(c.port, 9000);
	ch_config_dispose(&c);
	if (getuid() == 0) {
		chmod(path, 0666);
		assert_true(ch_config_load(&c, path, 1) < 0);
		assert_non_null(strstr(ch_error_last(), "no one else can write"));
		chmod(path, 0640);
		assert_int_equal(ch_config_load(&c, path, 1), 0);
		ch_config_dispose(&c);
	}
	unlink(path);
	assert_true(ch_config_load(&c, path, 0) < 0);
	assert_non_null(strstr(ch_error_last(), path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_absent_keys),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_load_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
