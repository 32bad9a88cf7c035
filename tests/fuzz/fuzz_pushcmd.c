/* fuzz_pushcmd.c -- libFuzzer target for the receive-pack request
 * (workflows/sync/pushcmd.c): commands, capabilities, and where the pack
 * starts, on the input exactly as given (no NUL after it).
 *
 * Beyond "no crash, no leak": a request that parses is within every limit
 * (commands, ref length, capabilities, pack size), its pack lies inside
 * the input right after the flush-pkt, every ref is printable ASCII
 * without spaces, and written again by ch_push_request_write (plus the
 * same pack bytes) it parses to the same commands, capabilities and pack. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/sync/pktline.h"
#include "workflows/sync/pushcmd.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_ref(const char *ref)
{
	size_t i, n = strlen(ref);

	check(n >= 1 && n <= CH_PUSH_MAX_REF);
	for (i = 0; i < n; i++)
		check(ref[i] > ' ' && ref[i] <= '~');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_push_request r, r2;
	ch_buf out = CH_BUF_INIT;
	size_t i;
	int error;

	error = ch_push_request_parse(&r, data, size);
	check(error == 0 || (error == CH_EINVALID && ch_error_last()[0]));
	if (error < 0)
		return 0;
	check(r.ncmds <= CH_PUSH_MAX_COMMANDS && r.caps.n <= CH_UPLOAD_MAX_CAPS);
	check(r.pack_offset <= size && r.pack_offset + r.pack_len == size);
	check(r.pack_len <= CH_Q_MAX_PACK && (r.ncmds > 0 || r.pack_len == 0));
	check(r.pack_offset >= 4 && !memcmp(data + r.pack_offset - 4, "0000", 4));
	for (i = 0; i < r.ncmds; i++)
		check_ref(r.cmds[i].ref);
	ch_push_request_write(&out, &r);
	ch_buf_put(&out, data + r.pack_offset, r.pack_len);
	check(ch_push_request_parse(&r2, out.ptr, out.size) == 0);
	check(r2.ncmds == r.ncmds && r2.caps.n == r.caps.n && r2.pack_len == r.pack_len);
	check(!memcmp(out.ptr + r2.pack_offset, data + r.pack_offset, r.pack_len));
	for (i = 0; i < r.ncmds; i++)
		check(!strcmp(r.cmds[i].ref, r2.cmds[i].ref) &&
		      git_oid_equal(&r.cmds[i].old_id, &r2.cmds[i].old_id) &&
		      git_oid_equal(&r.cmds[i].new_id, &r2.cmds[i].new_id));
	for (i = 0; i < r.caps.n; i++)
		check(!strcmp(r.caps.v[i], r2.caps.v[i]));
	ch_push_request_dispose(&r2);
	ch_push_request_dispose(&r);
	ch_buf_dispose(&out);
	return 0;
}
