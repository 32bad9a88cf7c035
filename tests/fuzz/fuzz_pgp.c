/* fuzz_pgp.c -- libFuzzer target for the OpenPGP parser (crypto/pgp.c) and
 * the signature builder's S-expression input (crypto/pgp_sign.c).
 *
 * Input layout, so a real key, signature and payload make a seed that
 * reaches the cryptographic check:
 *   2 bytes big-endian key length, the key block (armored or binary),
 *   2 bytes big-endian signature length, the signature, then the data.
 * Lengths past the end are clamped to what is left. The rest of the input
 * is also handed to ch_pgp_sig_finish as a signer's answer. */
#include <gcrypt.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/pgp.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void init_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	gcry_check_version(NULL);
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

/* The next length-prefixed part of the input. */
static const uint8_t *take(const uint8_t **p, size_t *left, size_t *len)
{
	const uint8_t *part;
	size_t n;

	if (*left < 2) {
		*len = 0;
		return *p;
	}
	n = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	*left -= 2;
	if (n > *left)
		n = *left;
	part = *p;
	*p += n;
	*left -= n;
	*len = n;
	return part;
}

static void fuzz_finish(const uint8_t *sexp, size_t len)
{
	static const char fpr[] = "0123456789ABCDEF0123456789ABCDEF01234567";
	static const int algos[] = { CH_PGP_PK_EDDSA, CH_PGP_PK_ECDSA, CH_PGP_PK_RSA };
	ch_buf out = CH_BUF_INIT;
	ch_pgp_sigctx ctx;

	if (ch_pgp_sig_begin(&ctx, fpr, algos[len % 3], CH_PGP_HASH_SHA256, 1700000000,
	                     sexp, len) == 0)
		(void)ch_pgp_sig_finish(&out, &ctx, sexp, len);
	ch_pgp_sig_dispose(&ctx);
	ch_buf_dispose(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *key, *sig;
	size_t left = size, keylen, siglen;
	char fpr[CH_PGP_FPR_HEX];
	ch_pgp_verify_result res;
	ch_pgp_keyring *kr;

	init_once();
	key = take(&p, &left, &keylen);
	sig = take(&p, &left, &siglen);
	ch_pgp_keyring_new(&kr);
	(void)ch_pgp_keyring_add(kr, key, keylen, "fuzz", fpr);
	(void)ch_pgp_sig_issuer(fpr, (const char *)sig, siglen);
	(void)ch_pgp_verify(&res, kr, p, left, (const char *)sig, siglen);
	/* The whole input as a key block too: it need not follow the layout. */
	(void)ch_pgp_keyring_add(kr, data, size, "fuzz", NULL);
	ch_pgp_keyring_free(kr);
	fuzz_finish(p, left);
	return 0;
}
