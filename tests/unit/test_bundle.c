/* test_bundle.c -- the decrypted bundle's parser (workflows/sync/bundle.c,
 * docs/sync.md "Bundles"): a well-formed bundle parses to its fields; each
 * way of breaking it is refused with a message naming what was wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/sync/bundle.h"
#include "util/common.h"

#define A40 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B40 "0123456789abcdef0123456789abcdef01234567"
#define SIG "-----BEGIN PGP SIGNATURE-----\n\niHUEABYKAB0WIQQ=\n=abcd\n" \
            "-----END PGP SIGNATURE-----\n"
#define HEAD "from hq\nto mission-a\nsigner nguyen.van.a\ncreated 1763900000\n"
#define REFS "ref " B40 " refs/docs/cv-2026-0001\nref " A40 " refs/heads/policy\n"

/* magic, signature, then `body` with a 32-byte pack after "pack 32\n"
 * (pack_len < 0: no pack line added). */
static void make(ch_buf *out, const char *sig, const char *body, long long pack_len)
{
	static const unsigned char pack[32] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };

	ch_buf_clear(out);
	ch_buf_printf(out, "%ssignature %zu\n%s%s", CH_BUNDLE_MAGIC, strlen(sig), sig, body);
	if (pack_len >= 0) {
		ch_buf_printf(out, "pack %lld\n", pack_len);
		ch_buf_put(out, pack, sizeof(pack));
	}
}

static void refused(const ch_buf *in, const char *why)
{
	ch_bundle b;

	assert_int_equal(ch_bundle_parse(&b, in->ptr, in->size), CH_EINVALID);
	if (!strstr(ch_error_last(), why))
		fail_msg("\"%s\" does not say \"%s\"", ch_error_last(), why);
	assert_null(b.refs);
	ch_bundle_dispose(&b);
}

static void test_valid(void **state)
{
	ch_buf in = CH_BUF_INIT;
	ch_bundle b;
	char hex[GIT_OID_HEXSZ + 1];

	(void)state;
	make(&in, SIG, HEAD REFS, 32);
	assert_int_equal(ch_bundle_parse(&b, in.ptr, in.size), 0);
	assert_string_equal(b.from, "hq");
	assert_string_equal(b.to, "mission-a");
	assert_string_equal(b.signer, "nguyen.van.a");
	assert_true(b.created == 1763900000);
	assert_int_equal(b.nrefs, 2);
	assert_string_equal(b.refs[0].name, "refs/docs/cv-2026-0001");
	assert_string_equal(git_oid_tostr(hex, sizeof(hex), &b.refs[0].id), B40);
	assert_string_equal(b.refs[1].name, "refs/heads/policy");
	assert_int_equal(b.sig_len, strlen(SIG));
	assert_memory_equal(b.sig, SIG, b.sig_len);
	assert_ptr_equal(b.body, (const unsigned char *)in.ptr + strlen(CH_BUNDLE_MAGIC) +
	                 strlen("signature 76\n") + strlen(SIG));
	assert_int_equal(b.pack_len, 32);
	assert_ptr_equal(b.pack + b.pack_len, (const unsigned char *)in.ptr + in.size);
	assert_memory_equal(b.pack, "PACK", 4);
	ch_bundle_dispose(&b);
	ch_buf_dispose(&in);
}

static void test_framing(void **state)
{
	ch_buf in = CH_BUF_INIT;

	(void)state;
	make(&in, SIG, HEAD REFS, 32);
	in.ptr[16] = '2'; /* chancery-bundle 2 */
	refused(&in, "not a Chancery bundle of version 1");
	make(&in, "", HEAD REFS, 32);
	refused(&in, "not signed");
	make(&in, "not armor at all, but long enough to be one\n", HEAD REFS, 32);
	refused(&in, "not an armored OpenPGP signature");
	make(&in, SIG, HEAD REFS, 32);
	ch_buf_truncate(&in, in.size - 1);
	refused(&in, "truncated or padded");
	make(&in, SIG, HEAD REFS, 32);
	ch_buf_put(&in, "x", 1);
	refused(&in, "truncated or padded");
	make(&in, SIG, HEAD REFS, 31);
	refused(&in, "truncated or padded");
	make(&in, SIG, HEAD REFS, 99999999999);
	refused(&in, "the pack length is over");
	ch_buf_clear(&in);
	ch_buf_printf(&in, "%ssignature 100000\n" SIG, CH_BUNDLE_MAGIC);
	refused(&in, "the signature length is over");
	ch_buf_clear(&in);
	ch_buf_printf(&in, "%ssignature 900\n" SIG, CH_BUNDLE_MAGIC);
	refused(&in, "truncated in its signature");
	make(&in, SIG, HEAD REFS "pack 32\n", -1);
	ch_buf_put(&in, "KCAP", 4);
	ch_buf_put(&in, "0123456789012345678901234567", 28);
	refused(&in, "not a git pack of version 2");
	make(&in, SIG, HEAD, -1); /* no ref, no pack: ends in the header */
	refused(&in, "truncated");
	ch_buf_dispose(&in);
}

static void test_header(void **state)
{
	ch_buf in = CH_BUF_INIT;

	(void)state;
	make(&in, SIG, "to mission-a\nfrom hq\nsigner nguyen.van.a\ncreated 1\n" REFS, 32);
	refused(&in, "expected the \"from\" line");
	make(&in, SIG, "from hq\nto mission-a\nsigner nguyen.van.a\ncreated 01\n" REFS, 32);
	refused(&in, "creation time is not a number");
	make(&in, SIG, "from h/q\nto mission-a\nsigner nguyen.van.a\ncreated 1\n" REFS, 32);
	refused(&in, "malformed site or person id");
	make(&in, SIG, "from hq\nto mission-a\nsigner ../x\ncreated 1\n" REFS, 32);
	refused(&in, "malformed site or person id");
	make(&in, SIG, HEAD "ref " A40 " refs/heads/policy\nref " B40 " refs/docs/x\n", 32);
	refused(&in, "out of order or repeated");
	make(&in, SIG, HEAD "ref " A40 " refs/heads/policy\nref " A40 " refs/heads/policy\n", 32);
	refused(&in, "out of order or repeated");
	make(&in, SIG, HEAD "ref " B40 " refs/docs/x\n", 32);
	refused(&in, "no refs/heads/policy ref");
	/* the spill list travels (workflows/sync/spillsync.h); nothing else of refs/chancery/ */
	make(&in, SIG, HEAD "ref " A40 " refs/chancery/access\nref " A40 " refs/heads/policy\n", 32);
	refused(&in, "refs/chancery/spills nor refs/docs/");
	make(&in, SIG, HEAD "ref " B40 " refs/docs/../x\nref " A40 " refs/heads/policy\n", 32);
	refused(&in, "refs/chancery/spills nor refs/docs/");
	make(&in, SIG, HEAD "ref AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA refs/heads/policy\n", 32);
	refused(&in, "malformed object id");
	make(&in, SIG, HEAD "ref 0000000000000000000000000000000000000000 refs/heads/policy\n", 32);
	refused(&in, "malformed object id");
	make(&in, SIG, HEAD REFS, 32);
	strstr(in.ptr, "refs/heads/policy")[14] = '\0';
	refused(&in, "NUL byte");
	ch_buf_dispose(&in);
}

static void test_line_bound(void **state)
{
	ch_buf in = CH_BUF_INIT, body = CH_BUF_INIT;
	size_t i;

	(void)state;
	ch_buf_puts(&body, "from ");
	for (i = 0; i < 400; i++)
		ch_buf_put(&body, "a", 1);
	ch_buf_puts(&body, "\n");
	make(&in, SIG, body.ptr, 32);
	refused(&in, "line too long");
	ch_buf_dispose(&body);
	ch_buf_dispose(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_line_bound),
	};

	git_libgit2_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
