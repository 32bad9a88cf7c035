/* fuzz_armor.c -- libFuzzer target for OpenPGP ASCII armor
 * (ch_pgp_dearmor in crypto/armor.c), with the two block types Chancery
 * reads: "SIGNATURE" (commit signatures) and "PUBLIC KEY BLOCK"
 * (policy/keys/<id>.asc). The input is read exactly as given, with no NUL
 * after it.
 *
 * Beyond "no crash, no leak": whatever dearmors, armored again by
 * ch_pgp_armor, dearmors to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void one(const char *type, const uint8_t *data, size_t size)
{
	ch_buf out = CH_BUF_INIT, text = CH_BUF_INIT, back = CH_BUF_INIT;
	int error = ch_pgp_dearmor(&out, type, (const char *)data, size);

	if (error) {
		check(error == CH_EINVALID && ch_error_last()[0]);
	} else {
		check(out.size > 0);
		ch_pgp_armor(&text, type, out.ptr, out.size);
		check(ch_pgp_dearmor(&back, type, text.ptr, text.size) == 0);
		check(back.size == out.size && !memcmp(back.ptr, out.ptr, out.size));
	}
	ch_buf_dispose(&out);
	ch_buf_dispose(&text);
	ch_buf_dispose(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one("SIGNATURE", data, size);
	one("PUBLIC KEY BLOCK", data, size);
	(void)ch_crc24(data, size);
	return 0;
}
