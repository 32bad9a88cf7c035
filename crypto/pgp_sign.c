/* pgp_sign.c -- v4 signature packets for a signer outside the process.
 *
 * gpg-agent keeps the secret keys and signs a digest (PKSIGN), answering
 * with an S-expression. Everything else in an OpenPGP signature -- the
 * hashed subpackets, the digest input, the packet and its armor -- is built
 * here, byte for byte the way gpg 2.2 writes a `--detach-sign --armor`
 * signature, so commits signed through the agent look exactly like
 * `git commit -S` ones and verify with stock gpg. */
#include <gcrypt.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/pgp.h"
#include "util/common.h"

#define SIGN_MAX_SEXP  (16u << 10) /* an RSA-16384 answer is ~2 KiB */
#define SIGN_MAX_RSA   2048        /* bytes of an RSA signature value */
#define SIGN_MAX_ECC   66          /* bytes of r or s on P-521 */
#define SIGN_EDDSA_LEN 32          /* bytes of r or s on Ed25519 */

#define SUBPKT_CREATED    2
#define SUBPKT_ISSUER     16
#define SUBPKT_ISSUER_FPR 33



static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_fpr(unsigned char out[20], const char *hex)
{
	int i, hi, lo;

	if (!hex || strlen(hex) != 40)
		return ch_error_setc(CH_EINVALID, "signer fingerprint must be 40 hex digits");
	for (i = 0; i < 20; i++) {
		hi = hex_digit((unsigned char)hex[2 * i]);
		lo = hex_digit((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return ch_error_setc(CH_EINVALID, "signer fingerprint '%s' is not hex", hex);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static void put_be(ch_buf *b, uint32_t v, size_t n)
{
	unsigned char c[4];
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
	ch_buf_put(b, c, n);
}

/* The hashed part, as gpg 2.2 writes it: version 4, type, algorithms, then
 * the issuer fingerprint (33) before the creation time (2). */
static void put_hashed(ch_pgp_sigctx *ctx, const unsigned char fpr[20], uint32_t created)
{
	ch_buf *h = &ctx->hashed;
	unsigned char head[4] = { 4, 0x00, (unsigned char)ctx->pk_algo,
	                          (unsigned char)ctx->hash_algo };

	ch_buf_put(h, head, sizeof(head));
	put_be(h, (1 + 1 + 1 + 20) + (1 + 1 + 4), 2);
	ch_buf_putc(h, 1 + 1 + 20);
	ch_buf_putc(h, SUBPKT_ISSUER_FPR);
	ch_buf_putc(h, 4); /* v4 fingerprint */
	ch_buf_put(h, fpr, 20);
	ch_buf_putc(h, 1 + 4);
	ch_buf_putc(h, SUBPKT_CREATED);
	put_be(h, created, 4);
	/* Unhashed: the issuer key id (the fingerprint's low 64 bits), which
	 * older verifiers look for. */
	ch_buf_putc(&ctx->unhashed, 1 + 8);
	ch_buf_putc(&ctx->unhashed, SUBPKT_ISSUER);
	ch_buf_put(&ctx->unhashed, fpr + 12, 8);
}

/* digest = H(data || hashed part || 0x04 0xFF || 4-byte hashed length). */
static int put_digest(ch_pgp_sigctx *ctx, const void *data, size_t len)
{
	int algo = ch_pgp_hash_gcry(ctx->hash_algo);
	ch_buf trailer = CH_BUF_INIT;
	gcry_md_hd_t md;

	if (gcry_md_open(&md, algo, 0))
		return ch_error_setc(CH_EIO, "libgcrypt cannot open hash %d", ctx->hash_algo);
	if (len)
		gcry_md_write(md, data, len);
	gcry_md_write(md, ctx->hashed.ptr, ctx->hashed.size);
	ch_buf_putc(&trailer, 4);
	ch_buf_putc(&trailer, (char)0xFF);
	put_be(&trailer, (uint32_t)ctx->hashed.size, 4);
	gcry_md_write(md, trailer.ptr, trailer.size);
	ctx->digest_len = gcry_md_get_algo_dlen(algo);
	memcpy(ctx->digest, gcry_md_read(md, algo), ctx->digest_len);
	gcry_md_close(md);
	ch_buf_dispose(&trailer);
	return 0;
}

int ch_pgp_sig_begin(ch_pgp_sigctx *ctx, const char *signer_fpr, int pk_algo,
                     int hash_algo, int64_t created, const void *data, size_t len)
{
	unsigned char fpr[20];
	int error;

	memset(ctx, 0, sizeof(*ctx));
	ch_buf_init(&ctx->hashed);
	ch_buf_init(&ctx->unhashed);
	if ((error = parse_fpr(fpr, signer_fpr)) < 0)
		return error;
	if (pk_algo != CH_PGP_PK_RSA && pk_algo != 3 && pk_algo != CH_PGP_PK_ECDSA &&
	    pk_algo != CH_PGP_PK_EDDSA)
		return ch_error_setc(CH_EINVALID, "cannot sign with public-key algorithm %d", pk_algo);
	if (!ch_pgp_hash_gcry(hash_algo))
		return ch_error_setc(CH_EINVALID, "cannot sign with hash algorithm %d "
		                     "(SHA-224, SHA-256, SHA-384 or SHA-512 only)", hash_algo);
	if (created < 0 || created > (int64_t)UINT32_MAX)
		return ch_error_setc(CH_EINVALID, "signature time %lld does not fit OpenPGP",
		                     (long long)created);
	ctx->pk_algo = pk_algo;
	ctx->hash_algo = hash_algo;
	put_hashed(ctx, fpr, (uint32_t)created);
	if ((error = put_digest(ctx, data, len)) < 0)
		ch_pgp_sig_dispose(ctx);
	return error;
}

/* One value of the signer's answer as an OpenPGP MPI: leading zeros
 * dropped (libgcrypt prefixes a zero when the top bit is set), then the
 * bit count. */
static int put_mpi(ch_buf *b, gcry_sexp_t list, const char *name, size_t max)
{
	gcry_sexp_t l = gcry_sexp_find_token(list, name, 0);
	const unsigned char *p = NULL;
	size_t n = 0, bits;
	unsigned top;
	int error = 0;

	if (l)
		p = (const unsigned char *)gcry_sexp_nth_data(l, 1, &n);
	while (p && n && !*p) {
		p++;
		n--;
	}
	if (!p || !n || n > max) {
		error = ch_error_setc(CH_EINVALID, "signer's answer has no valid '%s' value", name);
		goto done;
	}
	for (bits = n * 8, top = p[0]; !(top & 0x80); top <<= 1)
		bits--;
	put_be(b, (uint32_t)bits, 2);
	ch_buf_put(b, p, n);
done:
	gcry_sexp_release(l);
	return error;
}

static int atom_is(gcry_sexp_t list, int idx, const char *want)
{
	size_t n = 0;
	const char *p = gcry_sexp_nth_data(list, idx, &n);

	return p && n == strlen(want) && !memcmp(p, want, n);
}

/* (sig-val (eddsa (r ..)(s ..))), (sig-val (ecdsa (r ..)(s ..))) or
 * (sig-val (rsa (s ..))): the algorithm must be the one begin() named. */
static int put_sig_values(ch_buf *body, gcry_sexp_t sexp, int pk_algo)
{
	const char *algo = pk_algo == CH_PGP_PK_EDDSA ? "eddsa" :
	                   pk_algo == CH_PGP_PK_ECDSA ? "ecdsa" : "rsa";
	size_t max = pk_algo == CH_PGP_PK_EDDSA ? SIGN_EDDSA_LEN :
	             pk_algo == CH_PGP_PK_ECDSA ? SIGN_MAX_ECC : SIGN_MAX_RSA;
	gcry_sexp_t l = NULL;
	int error;

	if (!atom_is(sexp, 0, "sig-val") || !(l = gcry_sexp_nth(sexp, 1)) || !atom_is(l, 0, algo)) {
		error = ch_error_setc(CH_EINVALID, "signer's answer is not a (sig-val (%s ...))", algo);
		goto done;
	}
	if (strcmp(algo, "rsa"))
		error = put_mpi(body, l, "r", max);
	else
		error = 0;
	if (!error)
		error = put_mpi(body, l, "s", max);
done:
	gcry_sexp_release(l);
	return error;
}

/* gpg writes signatures with an old-format header (CTB 0x88/0x89) and the
 * shortest length that fits; so do we, to match it byte for byte. */
static void put_header(ch_buf *b, size_t len)
{
	if (len < 256) {
		ch_buf_putc(b, (char)0x88);
		put_be(b, (uint32_t)len, 1);
	} else if (len < 65536) {
		ch_buf_putc(b, (char)0x89);
		put_be(b, (uint32_t)len, 2);
	} else {
		ch_buf_putc(b, (char)0x8A);
		put_be(b, (uint32_t)len, 4);
	}
}

int ch_pgp_sig_finish(ch_buf *armored, ch_pgp_sigctx *ctx, const void *sexp, size_t sexplen)
{
	ch_buf body = CH_BUF_INIT, pkt = CH_BUF_INIT;
	gcry_sexp_t s = NULL;
	int error = 0;

	if (!ctx->digest_len || !ctx->hashed.size || ctx->unhashed.size > 0xFFFF) {
		error = ch_error_setc(CH_EINVALID, "signature context was not begun");
		goto done;
	}
	if (!sexp || !sexplen || sexplen > SIGN_MAX_SEXP ||
	    gcry_sexp_sscan(&s, NULL, sexp, sexplen)) {
		error = ch_error_setc(CH_EINVALID, "signer's answer is not an S-expression");
		goto done;
	}
	ch_buf_put(&body, ctx->hashed.ptr, ctx->hashed.size);
	put_be(&body, (uint32_t)ctx->unhashed.size, 2);
	ch_buf_put(&body, ctx->unhashed.ptr, ctx->unhashed.size);
	ch_buf_put(&body, ctx->digest, 2); /* the left 16 bits, a quick check */
	if ((error = put_sig_values(&body, s, ctx->pk_algo)) < 0)
		goto done;
	put_header(&pkt, body.size);
	ch_buf_put(&pkt, body.ptr, body.size);
	ch_buf_clear(armored);
	ch_pgp_armor(armored, "SIGNATURE", pkt.ptr, pkt.size);
done:
	gcry_sexp_release(s);
	ch_buf_dispose(&body);
	ch_buf_dispose(&pkt);
	return error;
}

void ch_pgp_sig_dispose(ch_pgp_sigctx *ctx)
{
	if (!ctx)
		return;
	ch_buf_dispose(&ctx->hashed);
	ch_buf_dispose(&ctx->unhashed);
	ch_wipe(ctx->digest, sizeof(ctx->digest));
	ctx->digest_len = 0;
}
