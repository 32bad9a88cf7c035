/* fuzz_pgp_diff.c -- differential libFuzzer target: the same (mutated) key
 * and detached signature go to Chancery's verifier (crypto/pgp.c) and to
 * RNP's (librnp, an independent implementation), and the target aborts
 * where one accepts what the other refuses, beyond the documented
 * differences below. Input layout as fuzz_pgp.c: 2 bytes big-endian key
 * length, the key, 2 bytes signature length, the signature, then the data.
 *
 * Chancery accepts, RNP refuses: never allowed (a false accept is the
 * failure that matters), except
 *  - SOFT: a signature made before a soft revocation (superseded,
 *    retired), which Chancery keeps (RFC 9580) and RNP refuses;
 *  - NOW: RNP refuses a signature whose key has expired by now, though it
 *    was made while the key was good (Chancery judges at signing time).
 * RNP accepts, Chancery refuses: allowed only with a refusal message of a
 * documented stricter rule (strict[] below: SHA-1 and other hashes, text
 * signatures, algorithms, one certificate per file, bindings and flags,
 * strict framing and armor). Any other refusal -- "bad signature", say --
 * of what RNP verifies is a bug in one of the two and aborts. */
#include <fcntl.h>
#include <gcrypt.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/pgp.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Refusal messages of rules where Chancery is stricter than RNP on
 * purpose (DESIGN "Precisions", SECURITY.md "Keys"). */
static const char *const strict[] = {
	"signature uses ",              /* SHA-1, MD5, RIPEMD-160, SHA3: refused hashes */
	"is not a binary-document",     /* text-mode and other signature types */
	"unsupported public-key algorithm", "unsupported curve", "bits (2048 to",
	"keys are not supported", "signatures are not supported", /* v3, v5, v6 */
	"more than one certificate",    /* one certificate per key file */
	"is a subkey of",               /* binding, back-signature, flags, material */
	"do not allow signing",         /* certify-only primary */
	"self-signature", "self-signed user ID",
	"critical subpacket",           /* RFC 4880 5.2.3.1; RNP lets some through */
	"partial body lengths", "indeterminate length", /* keys and signatures never use them */
	"more than one signature", "several armored blocks", "text after the signature",
	"armor: ", "base64: ",          /* RNP skips stray characters in armor; we refuse them */
	"not an OpenPGP", "unexpected packet", "user ID after a subkey", "no hashed creation time",
	"needs at least a",             /* ECDSA with a hash shorter than the curve */
	"malformed", "truncated",       /* strict lengths where RNP tolerates slack */
	"is revoked (",                 /* a hard revocation RNP does not honour */
	"signature names no issuer",    /* RNP tries every key */
	"secret key material",
};

static int rnp_log = -1; /* RNP's diagnostics go to /dev/null */

static void init_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	rnp_log = open("/dev/null", O_WRONLY | O_CLOEXEC);
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

/* Chancery's verdict: 1 accept, 0 refuse (message in why). *good_now
 * says whether the certificate could still sign now: when not (a soft
 * revocation or an expiry since), RNP's refusal is the documented
 * difference of judging keys now. */
static int chancery_accepts(const uint8_t *key, size_t keylen, const uint8_t *sig, size_t siglen,
                            const uint8_t *msg, size_t msglen, char *why, size_t whylen,
                            int *good_now)
{
	ch_pgp_verify_result res;
	ch_pgp_keyring *kr;
	int ok;

	ch_pgp_keyring_new(&kr);
	ok = ch_pgp_keyring_add(kr, key, keylen, "fuzz", NULL) == 0 &&
	     ch_pgp_verify(&res, kr, msg, msglen, (const char *)sig, siglen) == 0;
	snprintf(why, whylen, "%s", ok ? "" : ch_error_last());
	*good_now = ok && ch_pgp_keyring_can_sign(kr, res.primary_fpr, (int64_t)time(NULL)) == 0;
	ch_pgp_keyring_free(kr);
	return ok;
}

/* RNP's verdict: 1 when exactly one signature verifies, by a key of the
 * certificate given; *status gets its status code. */
static int rnp_accepts(const uint8_t *key, size_t keylen, const uint8_t *sig, size_t siglen,
                       const uint8_t *msg, size_t msglen, rnp_result_t *status)
{
	rnp_ffi_t ffi = NULL;
	rnp_input_t kin = NULL, din = NULL, sin = NULL;
	rnp_op_verify_t op = NULL;
	rnp_op_verify_signature_t vs;
	size_t n = 0;
	int ok = 0;

	*status = RNP_ERROR_GENERIC;
	if (!keylen || !siglen || rnp_ffi_create(&ffi, "GPG", "GPG"))
		return 0;
	if (rnp_log >= 0)
		(void)rnp_ffi_set_log_fd(ffi, rnp_log);
	if (rnp_input_from_memory(&kin, key, keylen, false) ||
	    rnp_import_keys(ffi, kin, RNP_LOAD_SAVE_PUBLIC_KEYS, NULL) ||
	    rnp_input_from_memory(&din, msglen ? msg : (const uint8_t *)"", msglen, false) ||
	    rnp_input_from_memory(&sin, sig, siglen, false) ||
	    rnp_op_verify_detached_create(&op, ffi, din, sin))
		goto done;
	(void)rnp_op_verify_execute(op);
	if (rnp_op_verify_get_signature_count(op, &n) || n != 1 ||
	    rnp_op_verify_get_signature_at(op, 0, &vs))
		goto done;
	*status = rnp_op_verify_signature_get_status(vs);
	ok = *status == RNP_SUCCESS;
done:
	rnp_op_verify_destroy(op);
	rnp_input_destroy(kin);
	rnp_input_destroy(din);
	rnp_input_destroy(sin);
	rnp_ffi_destroy(ffi);
	return ok;
}

static int documented_strict(const char *why)
{
	size_t i;

	for (i = 0; i < CH_ARRAY_SIZE(strict); i++)
		if (strstr(why, strict[i]))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *key, *sig;
	size_t left = size, keylen, siglen;
	rnp_result_t status;
	char why[512];
	int ch, rn, good_now;

	init_once();
	key = take(&p, &left, &keylen);
	sig = take(&p, &left, &siglen);
	ch = chancery_accepts(key, keylen, sig, siglen, p, left, why, sizeof(why), &good_now);
	rn = rnp_accepts(key, keylen, sig, siglen, p, left, &status);
	if (ch && !rn && good_now) {
		fprintf(stderr, "fuzz_pgp_diff: Chancery accepts, RNP refuses (status 0x%x)\n",
		        (unsigned)status);
		abort();
	}
	if (!ch && rn && !documented_strict(why)) {
		fprintf(stderr, "fuzz_pgp_diff: RNP accepts, Chancery refuses: %s\n", why);
		abort();
	}
	return 0;
}
