/* fuzz_attach.c -- libFuzzer target for attachments (workflows/classify/attach.c):
 * the first byte chooses what the rest is.
 *   even  a name: ch_attach_name; what it takes is valid, NFC (normalising
 *         it again changes nothing), and carries no separator or leading dot
 *   odd   a file's content: ch_attach_sniff, ch_attach_serve_type; the type
 *         is text (then the stamp scanner reads it) or one a policy may name,
 *         and text/html is never served;
 *         ch_attach_extract (the ZIP reader of Office files: bounded, never
 *         reads past the input) and ch_attach_scan */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/classify/attach.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_buf name = CH_BUF_INIT, out = CH_BUF_INIT, again = CH_BUF_INIT;
	const char *t;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		ch_buf_put(&name, data + 1, size - 1); /* NUL-terminated; a NUL inside ends it */
		if (ch_attach_name(&out, name.ptr) == 0) {
			check(ch_attach_valid_name(out.ptr));
			check(ch_attach_name(&again, out.ptr) == 0 && !strcmp(again.ptr, out.ptr));
			check(out.size <= CH_ATTACH_MAX_NAME && out.ptr[0] != '.' &&
			      !strchr(out.ptr, '/') && !strchr(out.ptr, '\\'));
		} else {
			check(ch_error_last()[0] != '\0');
		}
	} else {
		t = ch_attach_sniff(data + 1, size - 1);
		check(!strcmp(t, "text/plain") || ch_attach_type_known(t));
		if (!strcmp(t, "text/plain")) { /* what is called text, the scanner reads */
			ch_stamp_result r;

			check(ch_stamp_scan_file(&r, NULL, data + 1, size - 1) == 0 &&
			      r.level != CH_STAMP_UNREADABLE);
		}
		t = ch_attach_serve_type(data + 1, size - 1);
		check(!strstr(t, "html") && !strstr(t, "svg") && !strstr(t, "script"));
		if (ch_attach_extract(&out, data + 1, size - 1) == 0)
			check(out.size <= CH_ATTACH_MAX_TOTAL + 1);
		else
			check(out.size == 0);
		{
			ch_stamp_result r;

			check(ch_attach_scan(&r, data + 1, size - 1) == 0);
		}
	}
	ch_buf_dispose(&name);
	ch_buf_dispose(&out);
	ch_buf_dispose(&again);
	return 0;
}
