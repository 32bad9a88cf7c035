/* fuzz_trailers.c -- libFuzzer target for commit-message trailers
 * (workflows/trailers.c): ch_trailers_parse on the input exactly as given
 * (no NUL after it, so any read past `len` is caught), ch_message_comment
 * on a NUL-terminated copy.
 *
 * Beyond "no crash, no leak": trailers that parse, written again by
 * ch_trailers_format with the comment ch_message_comment found, parse to
 * the same values, and the comment comes back unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/trailers.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_buf copy = CH_BUF_INIT, comment = CH_BUF_INIT, msg = CH_BUF_INIT, again = CH_BUF_INIT;
	ch_trailers t, t2;
	int error;

	error = ch_trailers_parse(&t, (const char *)data, size);
	check(error == 0 || (error == CH_EINVALID && ch_error_last()[0]));
	ch_buf_put(&copy, data, size); /* NUL-terminated; may hold NULs before that */
	ch_message_comment(&comment, copy.ptr);
	check(comment.size <= size);
	check(!comment.size || comment.ptr[comment.size - 1] != '\n');
	if (error == 0 && comment.size < CH_MSG_MAX - 1024) {
		check(t.actor[0] && t.action[0]);
		ch_trailers_format(&msg, "fuzz", comment.ptr, &t);
		check(ch_trailers_parse(&t2, msg.ptr, msg.size) == 0);
		check(!memcmp(&t, &t2, sizeof(t)));
		ch_message_comment(&again, msg.ptr);
		check(again.size == comment.size && !memcmp(again.ptr, comment.ptr, comment.size));
	}
	ch_buf_dispose(&copy);
	ch_buf_dispose(&comment);
	ch_buf_dispose(&msg);
	ch_buf_dispose(&again);
	return 0;
}
