/* fuzz_sitelog.c -- libFuzzer target for the site log's entry parser
 * (workflows/sitelog.c: ch_log_parse, and ch_log_check_payload, the
 * signer's check of what it is asked to sign), on the input as given.
 *
 * Beyond "no crash, no leak": an entry that parses is within the limits,
 * its seq is at least 1, and the format being canonical, writing the
 * parsed fields again gives back the input byte for byte. A payload the
 * signer would sign holds an entry that parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/sitelog.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	ch_buf again = CH_BUF_INIT;
	ch_log_entry e;
	char site[65] = "";
	const char *msg;

	if (!init) {
		ch_lib_init();
		init = 1;
	}
	if (ch_log_parse(&e, site, (const char *)data, size) == 0) {
		check(e.seq >= 1 && e.n <= CH_LOG_MAX_ITEMS && site[0]);
		ch_log_message(&again, site, e.seq, e.time, e.items, e.n);
		check(again.size == size && !memcmp(again.ptr, data, size));
		ch_log_entry_dispose(&e);
	}
	ch_error_clear();
	if (ch_log_check_payload("hq", data, size) == 0) {
		msg = memmem(data, size, "\n\n", 2);
		check(msg != NULL);
		msg += 2;
		memcpy(site, "hq", 3);
		check(ch_log_parse(&e, site, msg, size - (size_t)(msg - (const char *)data)) == 0);
		ch_log_entry_dispose(&e);
	}
	ch_error_clear();
	ch_buf_dispose(&again);
	return 0;
}
