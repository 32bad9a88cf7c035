/* fuzz_bundle.c -- libFuzzer target for the decrypted bundle's parser
 * (workflows/sync/bundle.c, ch_bundle_parse), on the input exactly as given.
 *
 * Beyond "no crash, no leak": a bundle that parses has a signature, a
 * body and a pack inside the input, the pack ending it; refs strictly
 * increasing with refs/heads/policy among them, within the limits; and,
 * the format being canonical, writing the parsed fields again gives back
 * the input byte for byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/sync/bundle.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static int inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *q = p;

	return q >= data && n <= size && q - data <= (ptrdiff_t)(size - n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	ch_buf again = CH_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	ch_bundle b;
	size_t i;
	int policy = 0;

	if (!init) {
		git_libgit2_init();
		init = 1;
	}
	if (ch_bundle_parse(&b, data, size) < 0) {
		check(b.refs == NULL && b.nrefs == 0);
		ch_bundle_dispose(&b);
		return 0;
	}
	check(b.sig_len > 0 && b.sig_len <= CH_BUNDLE_MAX_SIG && inside(b.sig, b.sig_len, data, size));
	check(inside(b.body, b.body_len, data, size) && b.body + b.body_len == data + size);
	check(inside(b.pack, b.pack_len, data, size) && b.pack + b.pack_len == data + size);
	check(b.pack_len >= 32 && b.pack_len <= CH_BUNDLE_MAX_PACK);
	check(b.nrefs >= 1 && b.nrefs <= CH_BUNDLE_MAX_REFS);
	for (i = 0; i < b.nrefs; i++) {
		check(i == 0 || strcmp(b.refs[i - 1].name, b.refs[i].name) < 0);
		policy |= !strcmp(b.refs[i].name, "refs/heads/policy");
	}
	check(policy);
	ch_buf_printf(&again, "%ssignature %zu\n", CH_BUNDLE_MAGIC, b.sig_len);
	ch_buf_put(&again, b.sig, b.sig_len);
	ch_buf_printf(&again, "from %s\nto %s\nsigner %s\ncreated %lld\n", b.from, b.to, b.signer,
	              b.created);
	for (i = 0; i < b.nrefs; i++) {
		git_oid_tostr(hex, sizeof(hex), &b.refs[i].id);
		ch_buf_printf(&again, "ref %s %s\n", hex, b.refs[i].name);
	}
	ch_buf_printf(&again, "pack %zu\n", b.pack_len);
	ch_buf_put(&again, b.pack, b.pack_len);
	check(again.size == size && !memcmp(again.ptr, data, size));
	ch_buf_dispose(&again);
	ch_bundle_dispose(&b);
	return 0;
}
