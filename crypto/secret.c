/* secret.c -- login passwords (Argon2id), random tokens, HMAC-SHA-256, and
 * the one-time initialisation of libgcrypt and GPGME.
 *
 * Everything here is libgcrypt: Argon2id through its KDF API (1.10), random
 * bytes from its CSPRNG, HMAC through gcry_mac. */
#include <gcrypt.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/common.h"

/* gcry_kdf_open (Argon2) first appeared in libgcrypt 1.10. */
#define CH_GCRYPT_MIN_VERSION "1.10.0"
/* GPGME_KEYLIST_MODE_WITH_KEYGRIP and subkey->keygrip need 1.14. */
#define CH_GPGME_MIN_VERSION "1.14.0"
/* Secure (locked) pool for libgcrypt's own use (MAC keys); grows on demand. */
#define CH_SECMEM_BYTES 32768

/* ------------------------------------------------------------------------
 * Argon2id parameters
 *
 * New hashes: m = 46 MiB, t = 2 passes, p = 1 lane, 16-byte salt, 32-byte
 * tag. Measured with libgcrypt 1.10.1 on the 2-core target: ~80 ms a hash
 * (m=19 MiB,t=2: 28 ms; m=32 MiB,t=3: 73 ms; m=64 MiB,t=2: 122 ms; m=64
 * MiB,t=3: 153 ms). OWASP's strongest listed minimum is m=46 MiB, t=1;
 * we keep its memory and add a pass, which lands in the 50-100 ms band a
 * login can afford and avoids the t=1 time-memory trade-offs. One lane:
 * libgcrypt computes lanes serially unless given thread callbacks, so more
 * lanes would not speed us up, and on two cores concurrent logins already
 * use both. The server must still cap concurrent hashes (each holds 46 MiB).
 * ------------------------------------------------------------------------ */
#define ARGON2_M_KIB 47104
#define ARGON2_T 2
#define ARGON2_P 1
#define ARGON2_SALT_BYTES 16
#define ARGON2_TAG_BYTES 32
#define ARGON2_VERSION 19 /* 0x13, the only version RFC 9106 defines */

/* Limits on a stored hash, so that an edited or hostile PHC string cannot
 * make a login burn unbounded memory or CPU: at most 256 MiB, and at most
 * 8 times today's work (m * t), about 0.7 s. Raising the defaults later
 * stays within these. */
#define ARGON2_MAX_M_KIB 262144ul
#define ARGON2_MAX_T 32ul
#define ARGON2_MAX_P 16ul
#define ARGON2_MAX_WORK ((unsigned long)ARGON2_M_KIB * ARGON2_T * 8)
#define ARGON2_MIN_SALT 8
#define ARGON2_MAX_SALT 64
#define ARGON2_MIN_TAG 16
#define ARGON2_MAX_TAG 64
#define PHC_MAX_LEN 256

/* A login password longer than this is refused before any hashing. */
#define CH_PASSWORD_MAX 1024
/* ch_random_hex refuses more than this (a token, not a key file). */
#define CH_RANDOM_HEX_MAX 1024

static const char phc_prefix[] = "$argon2id$v=19$";

/* ------------------------------------------------------------------------
 * Initialisation
 * ------------------------------------------------------------------------ */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static const char *init_failure; /* static text; NULL when init succeeded */

static void init_gcrypt(void)
{
	if (!gcry_check_version(CH_GCRYPT_MIN_VERSION)) {
		init_failure = "libgcrypt " CH_GCRYPT_MIN_VERSION " or newer is required";
		return;
	}
	/* Someone else (a test harness, a library) may have finished it. */
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return;
	/* Without CAP_IPC_LOCK the pool works unlocked; libgcrypt would then
	 * print a warning on every command-line run, which helps no one. */
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	gcry_control(GCRYCTL_INIT_SECMEM, CH_SECMEM_BYTES, 0);
	/* No GCRYCTL_SELFTEST here: it costs ~24 ms, three times the budget of
	 * a whole signed workflow step. In FIPS mode libgcrypt runs its
	 * power-up self tests by itself. */
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

static void init_all(void)
{
	init_gcrypt();
	if (init_failure)
		return;
	/* gpgme_check_version must run once before any other GPGME call; it
	 * spawns nothing. No gpgme_set_locale: the locale only reaches a
	 * pinentry, and Chancery always uses the loopback pinentry. */
	if (!gpgme_check_version(CH_GPGME_MIN_VERSION))
		init_failure = "GPGME " CH_GPGME_MIN_VERSION " or newer is required";
}

int ch_crypto_init(void)
{
	if (pthread_once(&init_once, init_all) != 0)
		return ch_error_setc(CH_EIO, "cannot initialise the crypto libraries");
	if (init_failure)
		return ch_error_setc(CH_EIO, "%s", init_failure);
	return 0;
}

/* For the functions that cannot report errors: without a working CSPRNG
 * nothing the caller does next would be safe. */
static void crypto_init_or_abort(void)
{
	if (ch_crypto_init() < 0)
		abort();
}

/* ------------------------------------------------------------------------
 * Random bytes and tokens
 * ------------------------------------------------------------------------ */

void ch_random_bytes(void *out, size_t n)
{
	crypto_init_or_abort();
	if (n)
		gcry_randomize(out, n, GCRY_STRONG_RANDOM);
}

int ch_random_hex(ch_buf *out, size_t nbytes)
{
	unsigned char chunk[64];
	size_t n;

	if (nbytes > CH_RANDOM_HEX_MAX)
		return ch_error_setc(CH_EINVALID, "random token of %zu bytes requested; "
		                     "the limit is %d", nbytes, CH_RANDOM_HEX_MAX);
	ch_buf_grow(out, 2 * nbytes); /* once, so no stale copy is left by a realloc */
	while (nbytes > 0) {
		n = nbytes < sizeof(chunk) ? nbytes : sizeof(chunk);
		ch_random_bytes(chunk, n);
		ch_buf_puthex(out, chunk, n);
		nbytes -= n;
	}
	ch_wipe(chunk, sizeof(chunk));
	return 0;
}

/* ------------------------------------------------------------------------
 * Base64 without padding, as the PHC string format uses it
 * ------------------------------------------------------------------------ */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_put(ch_buf *out, const unsigned char *p, size_t len)
{
	uint32_t v;
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		ch_buf_putc(out, b64_alphabet[v >> 18]);
		ch_buf_putc(out, b64_alphabet[(v >> 12) & 63]);
		ch_buf_putc(out, b64_alphabet[(v >> 6) & 63]);
		ch_buf_putc(out, b64_alphabet[v & 63]);
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		ch_buf_putc(out, b64_alphabet[v >> 18]);
		ch_buf_putc(out, b64_alphabet[(v >> 12) & 63]);
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		ch_buf_putc(out, b64_alphabet[v >> 18]);
		ch_buf_putc(out, b64_alphabet[(v >> 12) & 63]);
		ch_buf_putc(out, b64_alphabet[(v >> 6) & 63]);
	}
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict decoding of s[0..len): alphabet only, no padding, and the unused
 * low bits of the last character zero, so every value has exactly one
 * spelling. Returns the decoded length, or -1. */
static long b64_decode(unsigned char *out, size_t outmax, const char *s, size_t len)
{
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0, v;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64_value(s[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= outmax)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	return (long)n;
}

/* ------------------------------------------------------------------------
 * Argon2id
 * ------------------------------------------------------------------------ */

typedef struct {
	unsigned long m, t, p;
	unsigned char salt[ARGON2_MAX_SALT];
	size_t salt_len;
	unsigned char tag[ARGON2_MAX_TAG];
	size_t tag_len;
} phc_argon2;

static int argon2id(unsigned char *out, size_t outlen, const char *password, size_t pwlen,
                    const phc_argon2 *prm)
{
	unsigned long param[4] = { outlen, prm->t, prm->m, prm->p };
	gcry_kdf_hd_t hd = NULL;
	gcry_error_t gerr;

	gerr = gcry_kdf_open(&hd, GCRY_KDF_ARGON2, GCRY_KDF_ARGON2ID, param, 4,
	                     password, pwlen, prm->salt, prm->salt_len, NULL, 0, NULL, 0);
	if (!gerr)
		gerr = gcry_kdf_compute(hd, NULL);
	if (!gerr)
		gerr = gcry_kdf_final(hd, outlen, out);
	if (hd)
		gcry_kdf_close(hd); /* wipes its memory blocks */
	if (gerr)
		return ch_error_setc(CH_EIO, "Argon2id (m=%lu KiB, t=%lu, p=%lu) failed: %s",
		                     prm->m, prm->t, prm->p, gcry_strerror(gerr));
	return 0;
}

int ch_password_hash(ch_buf *out, const char *password)
{
	phc_argon2 prm = { .m = ARGON2_M_KIB, .t = ARGON2_T, .p = ARGON2_P,
	                   .salt_len = ARGON2_SALT_BYTES, .tag_len = ARGON2_TAG_BYTES };
	size_t pwlen = strlen(password);
	int error;

	if ((error = ch_crypto_init()) < 0)
		return error;
	if (pwlen == 0)
		return ch_error_setc(CH_EINVALID, "the password is empty");
	if (pwlen > CH_PASSWORD_MAX)
		return ch_error_setc(CH_EINVALID, "the password is longer than %d bytes",
		                     CH_PASSWORD_MAX);
	/* A salt must be unique, not secret: the cheaper nonce generator. */
	gcry_create_nonce(prm.salt, prm.salt_len);
	if ((error = argon2id(prm.tag, prm.tag_len, password, pwlen, &prm)) < 0)
		goto done;
	ch_buf_clear(out);
	ch_buf_printf(out, "%sm=%lu,t=%lu,p=%lu$", phc_prefix, prm.m, prm.t, prm.p);
	b64_put(out, prm.salt, prm.salt_len);
	ch_buf_putc(out, '$');
	b64_put(out, prm.tag, prm.tag_len);
done:
	ch_wipe(&prm, sizeof(prm));
	return error;
}

/* A decimal parameter value: digits only, no leading zero, at most `max`. */
static int phc_number(unsigned long *out, const char **pp, unsigned long max)
{
	const char *p = *pp;
	unsigned long v = 0;

	if (*p < '1' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	*pp = p;
	return 0;
}

static int phc_expect(const char **pp, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*pp, lit, n) != 0)
		return -1;
	*pp += n;
	return 0;
}

/* Parse "$argon2id$v=19$m=M,t=T,p=P$SALT$TAG" and nothing else (no keyid,
 * no data parameter, no other version), within the limits above. */
static int phc_parse(phc_argon2 *out, const char *phc)
{
	const char *p = phc, *dollar;
	long n;

	if (strlen(phc) > PHC_MAX_LEN)
		return ch_error_setc(CH_EINVALID, "password hash longer than %d characters",
		                     PHC_MAX_LEN);
	if (phc_expect(&p, phc_prefix) < 0)
		return ch_error_setc(CH_EINVALID, "password hash does not start with \"%s\"",
		                     phc_prefix);
	if (phc_expect(&p, "m=") < 0 || phc_number(&out->m, &p, ARGON2_MAX_M_KIB) < 0 ||
	    phc_expect(&p, ",t=") < 0 || phc_number(&out->t, &p, ARGON2_MAX_T) < 0 ||
	    phc_expect(&p, ",p=") < 0 || phc_number(&out->p, &p, ARGON2_MAX_P) < 0 ||
	    phc_expect(&p, "$") < 0)
		return ch_error_setc(CH_EINVALID, "password hash: parameters are not "
		                     "m=1..%lu,t=1..%lu,p=1..%lu", ARGON2_MAX_M_KIB,
		                     ARGON2_MAX_T, ARGON2_MAX_P);
	if (out->m < 8 * out->p)
		return ch_error_setc(CH_EINVALID, "password hash: m=%lu is below 8 KiB per lane",
		                     out->m);
	if (out->m * out->t > ARGON2_MAX_WORK)
		return ch_error_setc(CH_EINVALID, "password hash: m*t=%lu exceeds the limit of %lu",
		                     out->m * out->t, ARGON2_MAX_WORK);
	if (!(dollar = strchr(p, '$')))
		return ch_error_setc(CH_EINVALID, "password hash has no tag");
	n = b64_decode(out->salt, sizeof(out->salt), p, (size_t)(dollar - p));
	if (n < ARGON2_MIN_SALT)
		return ch_error_setc(CH_EINVALID, "password hash: salt is not base64 of %d..%d bytes",
		                     ARGON2_MIN_SALT, ARGON2_MAX_SALT);
	out->salt_len = (size_t)n;
	p = dollar + 1;
	n = b64_decode(out->tag, sizeof(out->tag), p, strlen(p));
	if (n < ARGON2_MIN_TAG)
		return ch_error_setc(CH_EINVALID, "password hash: tag is not base64 of %d..%d bytes",
		                     ARGON2_MIN_TAG, ARGON2_MAX_TAG);
	out->tag_len = (size_t)n;
	return 0;
}

int ch_password_check(const char *phc, const char *password)
{
	unsigned char tag[ARGON2_MAX_TAG];
	phc_argon2 prm;
	size_t pwlen = strlen(password);
	int error;

	if ((error = ch_crypto_init()) < 0)
		return error;
	if ((error = phc_parse(&prm, phc)) < 0)
		goto done;
	/* Neither could ever have been hashed, so neither can match. */
	if (pwlen == 0 || pwlen > CH_PASSWORD_MAX) {
		error = ch_error_setc(CH_EAUTH, "wrong password");
		goto done;
	}
	if ((error = argon2id(tag, prm.tag_len, password, pwlen, &prm)) < 0)
		goto done;
	if (!ch_ct_memeq(tag, prm.tag, prm.tag_len))
		error = ch_error_setc(CH_EAUTH, "wrong password");
done:
	ch_wipe(tag, sizeof(tag));
	ch_wipe(&prm, sizeof(prm));
	return error;
}

/* ------------------------------------------------------------------------
 * HMAC-SHA-256
 * ------------------------------------------------------------------------ */

int ch_hmac_sha256(unsigned char out[32], const void *key, size_t keylen,
                   const void *data, size_t len)
{
	gcry_mac_hd_t hd = NULL;
	gcry_error_t gerr;
	size_t outlen = 32;
	int error;

	if ((error = ch_crypto_init()) < 0)
		return error;
	/* An empty key is always a bug in the caller (a missing secret). */
	if (keylen == 0)
		return ch_error_setc(CH_EINVALID, "HMAC key is empty");
	/* The key is a secret: let libgcrypt keep its copy in secure memory. */
	gerr = gcry_mac_open(&hd, GCRY_MAC_HMAC_SHA256, GCRY_MAC_FLAG_SECURE, NULL);
	if (!gerr)
		gerr = gcry_mac_setkey(hd, key, keylen);
	if (!gerr)
		gerr = gcry_mac_write(hd, data, len);
	if (!gerr)
		gerr = gcry_mac_read(hd, out, &outlen);
	if (hd)
		gcry_mac_close(hd);
	if (gerr)
		return ch_error_setc(CH_EIO, "HMAC-SHA-256 failed: %s", gcry_strerror(gerr));
	return 0;
}
