/* devkey.c -- a software stand-in for the browser's WebCrypto Ed25519 key
 * (test-only code). It builds the OpenPGP v4 certificate exactly as
 * templates/html/chancery.js does (a public-key packet, a user ID, a
 * positive self-certification with key flags certify+sign, issuer
 * fingerprint and creation time, signed by the key itself over SHA-256)
 * and signs 32-byte digests as Ed25519 (PureEdDSA over the digest bytes,
 * which is what OpenPGP's legacy EdDSA and WebCrypto's sign() do).
 *
 *   devkey new DIR "User ID" [CREATED]  the armored certificate on stdout
 *   devkey fpr DIR                      the fingerprint
 *   devkey sign DIR HEX                 128 hex digits: r then s
 */
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "util/fs.h"
#include "util/common.h"

static const unsigned char oid[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 };

static void be(ch_buf *b, unsigned long v, int n)
{
	while (n--)
		ch_buf_putc(b, (char)(v >> (8 * n)));
}

/* DIR/seed: d (32 bytes), q (32 bytes, without libgcrypt's 0x40), then the
 * creation time in 10 decimal digits. */
static int key_of(unsigned char seed[32], unsigned char pub[32], const char *dir, long *created)
{
	ch_buf f = CH_BUF_INIT, path = CH_BUF_INIT;
	int error = 0;

	ch_buf_printf(&path, "%s/seed", dir);
	if (ch_fs_read(&f, path.ptr, 4096) < 0 || f.size != 64 + 10)
		error = -1;
	else {
		memcpy(seed, f.ptr, 32);
		memcpy(pub, f.ptr + 32, 32);
		*created = strtol(f.ptr + 64, NULL, 10);
	}
	ch_buf_dispose(&f);
	ch_buf_dispose(&path);
	return error;
}

static int key_new(ch_buf *out)
{
	gcry_sexp_t parms = NULL, key = NULL, l = NULL;
	const char *p;
	size_t n;
	int i;

	if (gcry_sexp_build(&parms, NULL, "(genkey(ecc(curve Ed25519)(flags eddsa)))") ||
	    gcry_pk_genkey(&key, parms))
		return -1;
	for (i = 0; i < 2; i++) {
		l = gcry_sexp_find_token(key, i ? "q" : "d", 0);
		p = l ? gcry_sexp_nth_data(l, 1, &n) : NULL;
		if (p && i && n == 33 && p[0] == 0x40) { /* the prefixed form */
			p++;
			n--;
		}
		if (!p || n != 32) {
			gcry_sexp_release(l);
			gcry_sexp_release(parms);
			gcry_sexp_release(key);
			return -1;
		}
		ch_buf_put(out, p, 32);
		gcry_sexp_release(l);
	}
	gcry_sexp_release(parms);
	gcry_sexp_release(key);
	return 0;
}

static int ed_sign(unsigned char out[64], const unsigned char seed[32], const void *msg,
                   size_t len)
{
	gcry_sexp_t key = NULL, data = NULL, sig = NULL, l = NULL;
	const char *p;
	size_t n;
	int i;

	if (gcry_sexp_build(&key, NULL, "(private-key(ecc(curve Ed25519)(flags eddsa)(d %b)))",
	                    32, seed) ||
	    gcry_sexp_build(&data, NULL, "(data(flags eddsa)(hash-algo sha512)(value %b))",
	                    (int)len, msg) ||
	    gcry_pk_sign(&sig, data, key))
		return -1;
	for (i = 0; i < 2; i++) {
		l = gcry_sexp_find_token(sig, i ? "s" : "r", 0);
		p = l ? gcry_sexp_nth_data(l, 1, &n) : NULL;
		if (!p || n != 32)
			return -1;
		memcpy(out + 32 * i, p, 32);
		gcry_sexp_release(l);
	}
	gcry_sexp_release(key);
	gcry_sexp_release(data);
	gcry_sexp_release(sig);
	return 0;
}

static void mpi(ch_buf *b, const unsigned char *p, size_t n)
{
	unsigned bits, top;

	while (n && !*p) {
		p++;
		n--;
	}
	for (bits = (unsigned)n * 8, top = n ? p[0] : 0x80; n && !(top & 0x80); top <<= 1)
		bits--;
	be(b, bits, 2);
	ch_buf_put(b, p, n);
}

static int cert(const char *dir, const char *uid, long created)
{
	unsigned char seed[32], pub[32], fpr[20], digest[32], sig[64];
	ch_buf body = CH_BUF_INIT, hashed = CH_BUF_INIT, pkt = CH_BUF_INIT, in = CH_BUF_INIT;
	ch_buf sp = CH_BUF_INIT, armored = CH_BUF_INIT;
	size_t ulen = strlen(uid);
	int error = 0;

	if (key_of(seed, pub, dir, &created) < 0)
		return -1;
	ch_buf_putc(&body, 4);
	be(&body, (unsigned long)created, 4);
	ch_buf_putc(&body, 22);
	ch_buf_putc(&body, sizeof(oid));
	ch_buf_put(&body, oid, sizeof(oid));
	be(&body, 263, 2);
	ch_buf_putc(&body, 0x40);
	ch_buf_put(&body, pub, 32);
	ch_buf_putc(&in, (char)0x99);
	be(&in, body.size, 2);
	ch_buf_put(&in, body.ptr, body.size);
	gcry_md_hash_buffer(GCRY_MD_SHA1, fpr, in.ptr, in.size);
	/* hashed subpackets: issuer fingerprint, creation time, key flags */
	ch_buf_putc(&sp, 22);
	ch_buf_putc(&sp, 33);
	ch_buf_putc(&sp, 4);
	ch_buf_put(&sp, fpr, 20);
	ch_buf_putc(&sp, 5);
	ch_buf_putc(&sp, 2);
	be(&sp, (unsigned long)created, 4);
	ch_buf_putc(&sp, 2);
	ch_buf_putc(&sp, 27);
	ch_buf_putc(&sp, 0x03);
	ch_buf_putc(&hashed, 4);
	ch_buf_putc(&hashed, 0x13);
	ch_buf_putc(&hashed, 22);
	ch_buf_putc(&hashed, 8);
	be(&hashed, sp.size, 2);
	ch_buf_put(&hashed, sp.ptr, sp.size);
	ch_buf_putc(&in, (char)0xB4);
	be(&in, ulen, 4);
	ch_buf_put(&in, uid, ulen);
	ch_buf_put(&in, hashed.ptr, hashed.size);
	ch_buf_putc(&in, 4);
	ch_buf_putc(&in, (char)0xFF);
	be(&in, hashed.size, 4);
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, in.ptr, in.size);
	if (ed_sign(sig, seed, digest, 32) < 0) {
		error = -1;
		goto done;
	}
	/* packets: public key (old format tag 6), user ID (13), signature (2) */
	ch_buf_putc(&pkt, (char)0x98);
	ch_buf_putc(&pkt, (char)body.size);
	ch_buf_put(&pkt, body.ptr, body.size);
	ch_buf_putc(&pkt, (char)0xB4);
	ch_buf_putc(&pkt, (char)ulen);
	ch_buf_put(&pkt, uid, ulen);
	ch_buf_clear(&body);
	ch_buf_put(&body, hashed.ptr, hashed.size);
	be(&body, 10, 2);
	ch_buf_putc(&body, 9);
	ch_buf_putc(&body, 16);
	ch_buf_put(&body, fpr + 12, 8);
	ch_buf_put(&body, digest, 2);
	mpi(&body, sig, 32);
	mpi(&body, sig + 32, 32);
	ch_buf_putc(&pkt, (char)0x88);
	ch_buf_putc(&pkt, (char)body.size);
	ch_buf_put(&pkt, body.ptr, body.size);
	ch_pgp_armor(&armored, "PUBLIC KEY BLOCK", pkt.ptr, pkt.size);
	fwrite(armored.ptr, 1, armored.size, stdout);
done:
	ch_buf_dispose(&body);
	ch_buf_dispose(&hashed);
	ch_buf_dispose(&pkt);
	ch_buf_dispose(&in);
	ch_buf_dispose(&sp);
	ch_buf_dispose(&armored);
	return error;
}

int main(int argc, char **argv)
{
	unsigned char seed[32], pub[32], sig[64], msg[64];
	long created = 0;
	size_t i, n;

	if (ch_crypto_init() < 0 || argc < 3)
		return 2;
	if (!strcmp(argv[1], "new") && argc >= 4) {
		ch_buf s = CH_BUF_INIT, path = CH_BUF_INIT;

		int rc = 0;

		ch_fs_mkdir_p(argv[2], 0700);
		if (key_new(&s) < 0) {
			rc = 1;
		} else {
			ch_buf_printf(&s, "%010ld", argc > 4 ? atol(argv[4]) : (long)time(NULL) - 60);
			ch_buf_printf(&path, "%s/seed", argv[2]);
			if (ch_fs_write_atomic(path.ptr, s.ptr, s.size, 0600) < 0)
				rc = 2;
		}
		ch_buf_dispose_secret(&s);
		ch_buf_dispose(&path);
		return rc ? rc : cert(argv[2], argv[3], 0) < 0 ? 1 : 0;
	}
	if (key_of(seed, pub, argv[2], &created) < 0)
		return 2;
	if (!strcmp(argv[1], "fpr")) {
		ch_buf in = CH_BUF_INIT;
		unsigned char fpr[20];

		ch_buf_putc(&in, (char)0x99);
		be(&in, 51, 2);
		ch_buf_putc(&in, 4);
		be(&in, (unsigned long)created, 4);
		ch_buf_putc(&in, 22);
		ch_buf_putc(&in, sizeof(oid));
		ch_buf_put(&in, oid, sizeof(oid));
		be(&in, 263, 2);
		ch_buf_putc(&in, 0x40);
		ch_buf_put(&in, pub, 32);
		gcry_md_hash_buffer(GCRY_MD_SHA1, fpr, in.ptr, in.size);
		ch_buf_dispose(&in);
		for (i = 0; i < 20; i++)
			printf("%02X", fpr[i]);
		printf("\n");
		return 0;
	}
	if (!strcmp(argv[1], "sign") && argc == 4) {
		n = strlen(argv[3]) / 2;
		if (n == 0 || n > sizeof(msg))
			return 2;
		for (i = 0; i < n; i++)
			if (sscanf(argv[3] + 2 * i, "%2hhx", &msg[i]) != 1)
				return 2;
		if (ed_sign(sig, seed, msg, n) < 0)
			return 1;
		for (i = 0; i < 64; i++)
			printf("%02x", sig[i]);
		printf("\n");
		return 0;
	}
	return 2;
}
