/* fuzz_pktline.c -- libFuzzer target for git's pkt-line framing and the
 * upload-pack request (workflows/sync/pktline.c), on the input exactly as given
 * (no NUL after it, so any read past `len` is caught).
 *
 * Beyond "no crash, no leak": every pkt-line read stays inside the input,
 * its data is at most CH_PKT_MAX_DATA bytes, and written again it reads
 * back the same; a request that parses is within every limit and, written
 * again by ch_upload_request_write, parses to the same wants, haves,
 * capabilities and "done". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/sync/pktline.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void lines(const uint8_t *data, size_t size)
{
	size_t pos = 0, prev = 0, rpos;
	ch_buf again = CH_BUF_INIT;
	ch_pkt pkt, back;
	int error;

	while ((error = ch_pkt_read(&pkt, data, size, &pos)) == 0) {
		check(pos > prev && pos <= size);
		prev = pos;
		if (pkt.type != CH_PKT_DATA)
			continue;
		check(pkt.len <= CH_PKT_MAX_DATA);
		check(pkt.data >= (const char *)data && pkt.data + pkt.len <= (const char *)data + size);
		ch_buf_clear(&again);
		ch_pkt_write(&again, pkt.data, pkt.len);
		rpos = 0;
		check(ch_pkt_read(&back, again.ptr, again.size, &rpos) == 0 && rpos == again.size);
		check(back.type == CH_PKT_DATA && back.len == pkt.len &&
		      !memcmp(back.data, pkt.data, pkt.len));
	}
	check(error == CH_ENOTFOUND || (error == CH_EINVALID && ch_error_last()[0]));
	ch_buf_dispose(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_upload_request r, r2;
	ch_buf out = CH_BUF_INIT;
	size_t i;
	int error;

	lines(data, size);
	error = ch_upload_request_parse(&r, data, size);
	check(error == 0 || (error == CH_EINVALID && ch_error_last()[0]));
	if (error == 0) {
		check(r.nwants >= 1 && r.nwants <= CH_UPLOAD_MAX_WANTS);
		check(r.nhaves <= CH_UPLOAD_MAX_HAVES && r.caps.n <= CH_UPLOAD_MAX_CAPS);
		ch_upload_request_write(&out, &r);
		check(ch_upload_request_parse(&r2, out.ptr, out.size) == 0);
		check(r2.nwants == r.nwants && r2.nhaves == r.nhaves && r2.done == r.done &&
		      r2.caps.n == r.caps.n);
		for (i = 0; i < r.nwants; i++)
			check(git_oid_equal(&r.wants[i], &r2.wants[i]));
		for (i = 0; i < r.nhaves; i++)
			check(git_oid_equal(&r.haves[i], &r2.haves[i]));
		for (i = 0; i < r.caps.n; i++)
			check(!strcmp(r.caps.v[i], r2.caps.v[i]));
		ch_upload_request_dispose(&r2);
		ch_upload_request_dispose(&r);
	}
	ch_buf_dispose(&out);
	return 0;
}
