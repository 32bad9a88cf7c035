/* test_site.c -- a site directory's local record of its tier
 * (ch_site_set_tier: a mission that joined learns it from the signed
 * repository.json): site.json and the git config key agree after a reopen,
 * and only the two tiers are taken. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/site.h"
#include "util/fs.h"
#include "util/common.h"

static void test_set_tier(void **state)
{
	char tmpl[] = "/tmp/chsite.XXXXXX", path[64];
	git_config *cfg = NULL;
	git_buf val = { NULL, 0, 0 };
	ch_site *site = NULL;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/m", tmpl);
	assert_int_equal(ch_site_create(&site, path, "mission-x", "networked"), 0);
	assert_int_equal(ch_site_set_tier(site, "offline"), 0);
	assert_string_equal(site->tier, "offline");
	assert_int_equal(ch_site_set_tier(site, "secret"), CH_EINVALID);
	assert_string_equal(site->tier, "offline");
	ch_site_free(site);

	assert_int_equal(ch_site_open(&site, path), 0);
	assert_string_equal(site->tier, "offline");
	assert_string_equal(site->site_id, "mission-x");
	assert_int_equal(git_repository_config(&cfg, site->repo), 0);
	assert_int_equal(git_config_get_string_buf(&val, cfg, "chancery.tier"), 0);
	assert_string_equal(val.ptr, "offline");
	git_buf_dispose(&val);
	git_config_free(cfg);
	ch_site_free(site);
	assert_int_equal(ch_fs_remove_tree(tmpl), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_tier),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
