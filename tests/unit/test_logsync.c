/* test_logsync.c -- which refs a transfer names as site logs
 * (workflows/sync/logsync.c, ch_logsync_ref): the one name a peer's own
 * log travels under, and refs/chancery/peers/<site>/log; anything else is
 * not a log (the quarantine then judges it as any other ref: REF). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "workflows/sync/logsync.h"

static void is_log(const char *ref, const char *from, const char *want)
{
	char site[65];

	if (ch_logsync_ref(site, ref, from) != 1)
		fail_msg("%s is a site log", ref);
	assert_string_equal(site, want);
}

static void not_log(const char *ref)
{
	char site[65];

	if (ch_logsync_ref(site, ref, "hq") != 0)
		fail_msg("%s is not a site log", ref);
	assert_string_equal(site, "");
}

static void test_names(void **state)
{
	char long_name[200];

	(void)state;
	is_log("refs/chancery/log", "mission-a", "mission-a");
	is_log("refs/chancery/peers/hq/log", "mission-a", "hq");
	is_log("refs/chancery/peers/mission-b/log", NULL, "mission-b");
	not_log("refs/chancery/spills");
	not_log("refs/chancery/logs");
	not_log("refs/chancery/peers/hq");
	not_log("refs/chancery/peers/hq/log/x");
	not_log("refs/chancery/peers//log");
	not_log("refs/chancery/peers/../log");
	not_log("refs/chancery/peers/a/b/log");
	not_log("refs/chancery/peers/Bad Name/log");
	not_log("refs/heads/policy");
	not_log("refs/docs/cong-van-20261207-aaaaaa");
	snprintf(long_name, sizeof(long_name), "refs/chancery/peers/%0100d/log", 0);
	not_log(long_name);
}

static void test_own_log_needs_a_sender(void **state)
{
	char site[65];

	(void)state;
	assert_int_equal(ch_logsync_ref(site, "refs/chancery/log", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_own_log_needs_a_sender),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
