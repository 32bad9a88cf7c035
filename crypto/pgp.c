/* pgp.c -- OpenPGP (RFC 4880) in process: transferable public keys,
 * fingerprints, and strict verification of detached v4 signatures.
 *
 * Every commit signature goes through here, so the parser is written for
 * hostile input: a bounded cursor that cannot read past its end, named
 * limits on every size and count, no partial or indeterminate lengths. Key
 * material is turned into libgcrypt S-expressions once, when a key is added,
 * so a verification is one hash and one gcry_pk_verify (~1 ms Ed25519). */
#include <gcrypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "crypto/pgp.h"
#include "util/common.h"

/* Limits: a person's key is a few KiB, a signature a few hundred bytes. */
#define PGP_MAX_KEYTEXT   (2u << 20)  /* key text as given, armored or not */
#define PGP_MAX_KEYBLOCK  (1u << 20)  /* binary key block after dearmoring */
#define PGP_MAX_SIGTEXT   (64u << 10) /* one detached signature */
#define PGP_MAX_PACKETS   4096        /* packets in one call to keyring_add */
#define PGP_MAX_KEYS      256         /* keys and subkeys kept from one call */
#define PGP_MAX_CHECKS    512         /* signatures verified in one call */
#define PGP_MAX_KEYRING   100000      /* entries in one keyring */
#define PGP_RSA_MIN_BITS  2048
#define PGP_RSA_MAX_BITS  16384

/* Packet tags and signature types used here (RFC 4880 4.3 and 5.2.1). */
enum {
	TAG_SIG = 2, TAG_SECKEY = 5, TAG_PUBKEY = 6, TAG_SECSUB = 7,
	TAG_MARKER = 10, TAG_TRUST = 12, TAG_UID = 13, TAG_PUBSUB = 14,
	TAG_UATTR = 17
};
enum {
	SIG_BINARY = 0x00, SIG_CERT_FIRST = 0x10, SIG_CERT_LAST = 0x13,
	SIG_SUBKEY_BINDING = 0x18, SIG_PRIMARY_BINDING = 0x19, SIG_DIRECT_KEY = 0x1F,
	SIG_KEY_REVOKE = 0x20, SIG_SUBKEY_REVOKE = 0x28
};
#define KEYFLAG_SIGN 0x02
#define PK_RSA_SIGN_ONLY 3
/* RFC 9580 9.5: known, but not accepted on documents (stock GnuPG 2.2,
 * the auditors' second verifier, cannot check them). */
#define HASH_SHA3_256 12
#define HASH_SHA3_512 14

/* ------------------------------------------------------------------ */
/* A bounded reader: every read checks what is left, and once a read   */
/* fails the cursor stays failed, so callers test `bad` once at the end. */

typedef struct {
	const unsigned char *p;
	size_t left;
	int bad;
} cursor;

typedef struct {
	const unsigned char *p;
	size_t len;
} span;

static void cur_init(cursor *c, const void *p, size_t len)
{
	c->p = p;
	c->left = len;
	c->bad = 0;
}

static const unsigned char *cur_take(cursor *c, size_t n)
{
	const unsigned char *p = c->p;

	if (c->bad || n > c->left) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	c->left -= n;
	return p;
}

/* A big-endian number of n <= 4 bytes (0 when the cursor fails). */
static uint32_t cur_be(cursor *c, size_t n)
{
	const unsigned char *p = cur_take(c, n);
	uint32_t v = 0;
	size_t i;

	for (i = 0; p && i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* An MPI (RFC 4880 3.2): a 2-byte bit count, then the value. Leading zero
 * bytes are dropped: libgcrypt does not need them and EdDSA pads itself. */
static span cur_mpi(cursor *c)
{
	size_t bits = cur_be(c, 2);
	span m;

	m.len = (bits + 7) / 8;
	m.p = cur_take(c, m.len);
	if (!m.p)
		m.len = 0;
	while (m.len && !m.p[0]) {
		m.p++;
		m.len--;
	}
	return m;
}

/* Significant bits of a value without leading zero bytes. */
static size_t span_bits(span v)
{
	size_t bits = v.len * 8;
	unsigned top = v.len ? v.p[0] : 0;

	if (!v.len)
		return 0;
	while (!(top & 0x80)) {
		top <<= 1;
		bits--;
	}
	return bits;
}

static void to_hex(char *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ------------------------------------------------------------------ */
/* Packet framing (RFC 4880 4.2).                                      */

typedef struct {
	int tag;
	const unsigned char *body;
	size_t len;
} packet;

/* Partial body lengths (new format 224..254) are allowed by RFC 4880 only
 * for data packets, and indeterminate old-format lengths only for the last
 * packet of a stream: no key or signature uses either, so both are refused
 * rather than reassembled. */
static int next_packet(packet *pkt, cursor *c)
{
	unsigned ctb = cur_be(c, 1), first;
	size_t len = 0;

	if (!(ctb & 0x80))
		return ch_error_setc(CH_EINVALID, "not an OpenPGP packet (byte 0x%02x)", ctb);
	if (ctb & 0x40) {
		pkt->tag = (int)(ctb & 0x3F);
		first = cur_be(c, 1);
		if (first < 192)
			len = first;
		else if (first < 224)
			len = ((size_t)(first - 192) << 8) + cur_be(c, 1) + 192;
		else if (first == 255)
			len = cur_be(c, 4);
		else
			return ch_error_setc(CH_EINVALID,
			                     "packet (tag %d) uses partial body lengths", pkt->tag);
	} else {
		pkt->tag = (int)((ctb >> 2) & 0xF);
		if ((ctb & 3) == 3)
			return ch_error_setc(CH_EINVALID,
			                     "packet (tag %d) has an indeterminate length", pkt->tag);
		len = cur_be(c, (size_t)1 << (ctb & 3));
	}
	pkt->body = cur_take(c, len);
	pkt->len = len;
	if (c->bad)
		return ch_error_setc(CH_EINVALID, "truncated packet (tag %d)", pkt->tag);
	if (pkt->tag == 0)
		return ch_error_setc(CH_EINVALID, "packet with reserved tag 0");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Algorithms.                                                         */

int ch_pgp_hash_gcry(int algo)
{
	switch (algo) {
	case CH_PGP_HASH_SHA256: return GCRY_MD_SHA256;
	case CH_PGP_HASH_SHA384: return GCRY_MD_SHA384;
	case CH_PGP_HASH_SHA512: return GCRY_MD_SHA512;
	case CH_PGP_HASH_SHA224: return GCRY_MD_SHA224;
	default: return 0;
	}
}

/* Every hash libgcrypt computes, for signatures that can only take trust
 * away: a revocation counts whatever its hash (RFC 9580 5.2.3.23 and 9.5;
 * GnuPG and Sequoia honour SHA-1 revocations). Forging one would need a
 * collision under the key's own signature, and would only make a key less
 * usable: refusing it would keep a revoked key alive. */
static int hash_gcry_any(int algo)
{
	switch (algo) {
	case 1: return GCRY_MD_MD5;
	case 2: return GCRY_MD_SHA1;
	case 3: return GCRY_MD_RMD160;
	case HASH_SHA3_256: return GCRY_MD_SHA3_256;
	case HASH_SHA3_512: return GCRY_MD_SHA3_512;
	default: return ch_pgp_hash_gcry(algo);
	}
}

/* The name libgcrypt's PKCS#1 encoder wants in "(hash NAME ...)". */
static const char *hash_sexp_name(int algo)
{
	switch (algo) {
	case 1: return "md5";
	case 2: return "sha1";
	case 3: return "rmd160";
	case CH_PGP_HASH_SHA256: return "sha256";
	case CH_PGP_HASH_SHA384: return "sha384";
	case CH_PGP_HASH_SHA512: return "sha512";
	case HASH_SHA3_256: return "sha3-256";
	case HASH_SHA3_512: return "sha3-512";
	default: return "sha224";
	}
}

static const char *hash_label(int algo)
{
	switch (algo) {
	case 1: return "MD5";
	case 2: return "SHA-1";
	case 3: return "RIPEMD-160";
	case CH_PGP_HASH_SHA256: return "SHA-256";
	case CH_PGP_HASH_SHA384: return "SHA-384";
	case CH_PGP_HASH_SHA512: return "SHA-512";
	case CH_PGP_HASH_SHA224: return "SHA-224";
	case HASH_SHA3_256: return "SHA3-256";
	case HASH_SHA3_512: return "SHA3-512";
	default: return "an unknown hash algorithm";
	}
}

/* Curves by OpenPGP OID (RFC 6637, and GnuPG's Ed25519 OID). `qlen` is the
 * size of the encoded point; `qbytes` is, for ECDSA, how much of the digest
 * the signature covers (gpg caps P-521 at SHA-512's 64 bytes), and for
 * EdDSA the width of r and s. */
static const struct curve {
	const char *name;
	int algo;
	unsigned char oid[9];
	size_t oidlen;
	size_t qlen;
	unsigned qbytes;
} curves[] = {
	{ "NIST P-256", CH_PGP_PK_ECDSA,
	  { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 }, 8, 65, 32 },
	{ "NIST P-384", CH_PGP_PK_ECDSA, { 0x2B, 0x81, 0x04, 0x00, 0x22 }, 5, 97, 48 },
	{ "NIST P-521", CH_PGP_PK_ECDSA, { 0x2B, 0x81, 0x04, 0x00, 0x23 }, 5, 133, 64 },
	{ "Ed25519", CH_PGP_PK_EDDSA,
	  { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 }, 9, 33, 32 },
};

/* What verification needs of a public key, cached for the key's life. */
typedef struct {
	int algo;
	unsigned qbytes;
	uint32_t created;
	gcry_sexp_t pkey;
} pk_material;

/* ------------------------------------------------------------------ */
/* Public-key packets (RFC 4880 5.5.2).                                */

typedef struct {
	pk_material mat;
	unsigned char fpr[20];
	char hex[CH_PGP_FPR_HEX];
	const unsigned char *body; /* borrowed: hashed again by binding signatures */
	size_t len;
} key_info;

static int parse_rsa(key_info *k, cursor *c)
{
	span n = cur_mpi(c), e = cur_mpi(c);
	size_t bits;

	if (c->bad || c->left || !n.len || !e.len)
		return ch_error_setc(CH_EINVALID, "malformed RSA key %s", k->hex);
	bits = span_bits(n);
	if (bits < PGP_RSA_MIN_BITS || bits > PGP_RSA_MAX_BITS)
		return ch_error_setc(CH_EINVALID, "RSA key %s has %zu bits (%d to %d accepted)",
		                     k->hex, bits, PGP_RSA_MIN_BITS, PGP_RSA_MAX_BITS);
	if (e.len > n.len)
		return ch_error_setc(CH_EINVALID, "malformed RSA key %s", k->hex);
	if (gcry_sexp_build(&k->mat.pkey, NULL, "(public-key(rsa(n%b)(e%b)))",
	                    (int)n.len, n.p, (int)e.len, e.p))
		return ch_error_setc(CH_EIO, "libgcrypt refused RSA key %s", k->hex);
	return 0;
}

static int parse_ecc(key_info *k, cursor *c)
{
	size_t oidlen = cur_be(c, 1), i;
	const unsigned char *oid = cur_take(c, oidlen), *q;
	const struct curve *cv = NULL;
	size_t qbits;

	for (i = 0; oid && i < CH_ARRAY_SIZE(curves); i++)
		if (curves[i].algo == k->mat.algo && curves[i].oidlen == oidlen &&
		    !memcmp(curves[i].oid, oid, oidlen))
			cv = &curves[i];
	if (!cv && !c->bad)
		return ch_error_setc(CH_EINVALID, "key %s uses an unsupported curve", k->hex);
	/* The point is read raw: its leading 0x04 / 0x40 is part of the value. */
	qbits = cur_be(c, 2);
	q = cur_take(c, (qbits + 7) / 8);
	if (c->bad || c->left || !cv || (qbits + 7) / 8 != cv->qlen ||
	    q[0] != (cv->algo == CH_PGP_PK_EDDSA ? 0x40 : 0x04))
		return ch_error_setc(CH_EINVALID, "malformed %s key %s",
		                     cv ? cv->name : "ECC", k->hex);
	k->mat.qbytes = cv->qbytes;
	if (gcry_sexp_build(&k->mat.pkey, NULL,
	                    cv->algo == CH_PGP_PK_EDDSA ?
	                    "(public-key(ecc(curve %s)(flags eddsa)(q%b)))" :
	                    "(public-key(ecc(curve %s)(q%b)))",
	                    cv->name, (int)cv->qlen, q))
		return ch_error_setc(CH_EIO, "libgcrypt refused %s key %s", cv->name, k->hex);
	return 0;
}

/* Fingerprint = SHA-1(0x99 || 2-byte length || body) for v4 keys. */
static void key_fingerprint(key_info *k)
{
	unsigned char head[3] = { 0x99, (unsigned char)(k->len >> 8), (unsigned char)k->len };
	gcry_md_hd_t md;

	if (gcry_md_open(&md, GCRY_MD_SHA1, 0))
		abort();
	gcry_md_write(md, head, sizeof(head));
	gcry_md_write(md, k->body, k->len);
	memcpy(k->fpr, gcry_md_read(md, GCRY_MD_SHA1), 20);
	gcry_md_close(md);
	to_hex(k->hex, k->fpr, 20);
}

/* Parse a v4 public key or subkey packet. Fails (CH_EINVALID, message set)
 * for anything that cannot verify signatures here: other versions, other
 * algorithms, weak or malformed material. On success k->mat.pkey is owned
 * by the caller. */
static int parse_key(key_info *k, const packet *pkt)
{
	cursor c;
	int version;

	memset(k, 0, sizeof(*k));
	k->body = pkt->body;
	k->len = pkt->len;
	cur_init(&c, pkt->body, pkt->len);
	version = (int)cur_be(&c, 1);
	if (c.bad || version != 4)
		return ch_error_setc(CH_EINVALID, "version %d keys are not supported", version);
	if (pkt->len > 0xFFFF)
		return ch_error_setc(CH_EINVALID, "key packet too large (%zu bytes)", pkt->len);
	key_fingerprint(k);
	k->mat.created = cur_be(&c, 4);
	k->mat.algo = (int)cur_be(&c, 1);
	if (c.bad)
		return ch_error_setc(CH_EINVALID, "truncated key packet %s", k->hex);
	switch (k->mat.algo) {
	case CH_PGP_PK_RSA:
	case PK_RSA_SIGN_ONLY:
		return parse_rsa(k, &c);
	case CH_PGP_PK_ECDSA:
	case CH_PGP_PK_EDDSA:
		return parse_ecc(k, &c);
	default:
		return ch_error_setc(CH_EINVALID, "key %s uses unsupported public-key algorithm %d",
		                     k->hex, k->mat.algo);
	}
}

/* ------------------------------------------------------------------ */
/* Signature packets (RFC 4880 5.2.3).                                 */

typedef struct {
	int type, pk_algo, hash_algo;
	const unsigned char *hashed; /* version .. last hashed subpacket */
	size_t hashed_len;
	unsigned char left16[2];
	span mpi[2];
	int nmpi;
	int64_t created;             /* hashed creation time, -1 if absent */
	uint32_t expires;            /* seconds after creation, 0 = never */
	uint32_t key_expires;        /* key's seconds after its creation, 0 = never */
	int has_fpr, has_keyid, has_flags;
	unsigned char fpr[20], keyid[8];
	unsigned key_flags;
	int reason;                  /* hashed revocation reason code, -1 if absent */
	int any_hash;                /* a revocation: every hash libgcrypt has counts */
	span embedded;               /* first embedded signature (type 32) */
} sig_info;

/* One subpacket. Creation time, expiry, key expiry, key flags and the
 * revocation reason count only when hashed (an unhashed reason could turn
 * a hard revocation into a soft one); issuer hints count anywhere (the signature itself proves the
 * key). A critical subpacket we do not understand voids the signature, as
 * RFC 4880 5.2.3.1 requires. */
static int subpacket(sig_info *s, unsigned type, const unsigned char *p, size_t n, int hashed)
{
	int critical = (type & 0x80) != 0;
	cursor c;

	cur_init(&c, p, n);
	switch (type & 0x7F) {
	case 2: /* signature creation time */
		if (n != 4)
			return ch_error_setc(CH_EINVALID, "malformed creation-time subpacket");
		if (hashed)
			s->created = cur_be(&c, 4);
		return 0;
	case 3: /* signature expiration time */
		if (n != 4)
			return ch_error_setc(CH_EINVALID, "malformed expiration-time subpacket");
		if (hashed)
			s->expires = cur_be(&c, 4);
		return 0;
	case 16:
		if (n != 8)
			return ch_error_setc(CH_EINVALID, "malformed issuer subpacket");
		if (!s->has_keyid)
			memcpy(s->keyid, p, 8);
		s->has_keyid = 1;
		return 0;
	case 33:
		if (n == 21 && p[0] == 4) {
			if (!s->has_fpr)
				memcpy(s->fpr, p + 1, 20);
			s->has_fpr = 1;
			return 0;
		}
		break; /* another key version: not ours, fatal only if critical */
	case 9: /* key expiration time */
		if (n != 4)
			return ch_error_setc(CH_EINVALID, "malformed key-expiration subpacket");
		if (hashed)
			s->key_expires = cur_be(&c, 4);
		return 0;
	case 29: /* reason for revocation: a code, then text */
		if (n >= 1 && hashed)
			s->reason = p[0];
		return 0;
	case 27:
		if (n >= 1 && hashed) {
			s->key_flags = p[0];
			s->has_flags = 1;
		}
		return 0;
	case 32:
		if (!s->embedded.p) {
			s->embedded.p = p;
			s->embedded.len = n;
		}
		return 0;
	case 4: case 5: case 7: case 11: case 12: case 21: case 22:
	case 23: case 24: case 25: case 26: case 28: case 30: case 31:
		return 0; /* understood, and irrelevant to verification */
	default:
		break;
	}
	if (critical)
		return ch_error_setc(CH_EINVALID,
		                     "signature has a critical subpacket (type %u) that is not understood",
		                     type & 0x7F);
	return 0;
}

static int parse_subpackets(sig_info *s, const unsigned char *p, size_t len, int hashed)
{
	cursor c;
	size_t n;
	unsigned first;
	const unsigned char *sp;
	int error;

	cur_init(&c, p, len);
	while (c.left) {
		first = cur_be(&c, 1);
		if (first < 192)
			n = first;
		else if (first < 255)
			n = ((size_t)(first - 192) << 8) + cur_be(&c, 1) + 192;
		else
			n = cur_be(&c, 4);
		sp = cur_take(&c, n);
		if (c.bad || n == 0)
			return ch_error_setc(CH_EINVALID, "malformed signature subpacket");
		if ((error = subpacket(s, sp[0], sp + 1, n - 1, hashed)) < 0)
			return error;
	}
	return 0;
}

static int parse_sig(sig_info *s, const unsigned char *body, size_t len)
{
	const unsigned char *hsub, *usub, *left;
	size_t hlen, ulen;
	int version, error, i;
	cursor c;

	memset(s, 0, sizeof(*s));
	s->created = -1;
	s->reason = -1;
	cur_init(&c, body, len);
	version = (int)cur_be(&c, 1);
	if (version != 4)
		return ch_error_setc(CH_EINVALID, "version %d signatures are not supported", version);
	s->type = (int)cur_be(&c, 1);
	s->pk_algo = (int)cur_be(&c, 1);
	s->hash_algo = (int)cur_be(&c, 1);
	hlen = cur_be(&c, 2);
	hsub = cur_take(&c, hlen);
	ulen = cur_be(&c, 2);
	usub = cur_take(&c, ulen);
	left = cur_take(&c, 2);
	if (c.bad)
		return ch_error_setc(CH_EINVALID, "truncated signature packet");
	s->hashed = body;
	s->hashed_len = 6 + hlen;
	memcpy(s->left16, left, 2);
	if ((error = parse_subpackets(s, hsub, hlen, 1)) < 0 ||
	    (error = parse_subpackets(s, usub, ulen, 0)) < 0)
		return error;
	if (s->created < 0)
		return ch_error_setc(CH_EINVALID, "signature has no hashed creation time");
	if (s->pk_algo == CH_PGP_PK_RSA || s->pk_algo == PK_RSA_SIGN_ONLY)
		s->nmpi = 1;
	else if (s->pk_algo == CH_PGP_PK_ECDSA || s->pk_algo == CH_PGP_PK_EDDSA)
		s->nmpi = 2;
	else
		return ch_error_setc(CH_EINVALID, "signature uses unsupported public-key algorithm %d",
		                     s->pk_algo);
	for (i = 0; i < s->nmpi; i++)
		s->mpi[i] = cur_mpi(&c);
	if (c.bad || c.left || !s->mpi[0].len || !s->mpi[s->nmpi - 1].len)
		return ch_error_setc(CH_EINVALID, "malformed signature value");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Verification: the digest, then libgcrypt, the way GnuPG's           */
/* g10/pkglue.c and g10/seskey.c (encode_md_value) do it.              */

static int md_open(gcry_md_hd_t *md, const sig_info *s)
{
	int algo = s->any_hash ? hash_gcry_any(s->hash_algo) : ch_pgp_hash_gcry(s->hash_algo);

	*md = NULL;
	if (!algo)
		return ch_error_setc(CH_EINVALID,
		                     "signature uses %s (algorithm %d), which is not accepted: "
		                     "SHA-224, SHA-256, SHA-384 or SHA-512 only",
		                     hash_label(s->hash_algo), s->hash_algo);
	if (gcry_md_open(md, algo, 0))
		return ch_error_setc(CH_EIO, "libgcrypt cannot open %s", hash_label(s->hash_algo));
	return 0;
}

/* Hash a key the way signatures over keys cover it (RFC 4880 5.2.4). */
static void md_put_key(gcry_md_hd_t md, const key_info *k)
{
	unsigned char head[3] = { 0x99, (unsigned char)(k->len >> 8), (unsigned char)k->len };

	gcry_md_write(md, head, sizeof(head));
	gcry_md_write(md, k->body, k->len);
}

/* EdDSA wants r and s at the curve's full width; OpenPGP MPIs drop
 * leading zeros (gpg pads them back in pk_verify). */
static int pad_value(unsigned char *out, size_t width, span v)
{
	if (v.len > width)
		return ch_error_setc(CH_EINVALID, "malformed EdDSA signature value");
	memset(out, 0, width - v.len);
	memcpy(out + (width - v.len), v.p, v.len);
	return 0;
}

static int build_sexps(gcry_sexp_t *data, gcry_sexp_t *sigv, const pk_material *k,
                       const sig_info *s, const unsigned char *d, size_t dlen)
{
	unsigned char r[64], sv[64];
	gcry_error_t rc;
	int error;

	switch (k->algo) {
	case CH_PGP_PK_EDDSA:
		/* Legacy EdDSA signs the digest itself as the message. */
		if ((error = pad_value(r, k->qbytes, s->mpi[0])) < 0 ||
		    (error = pad_value(sv, k->qbytes, s->mpi[1])) < 0)
			return error;
		rc = gcry_sexp_build(data, NULL, "(data(flags eddsa)(hash-algo sha512)(value %b))",
		                     (int)dlen, d);
		if (!rc)
			rc = gcry_sexp_build(sigv, NULL, "(sig-val(eddsa(r%b)(s%b)))",
			                     (int)k->qbytes, r, (int)k->qbytes, sv);
		break;
	case CH_PGP_PK_ECDSA:
		/* Like gpg: the hash must cover the curve order, and only its
		 * leftmost bytes are signed. */
		if (dlen < k->qbytes && !s->any_hash)
			return ch_error_setc(CH_EINVALID, "an ECDSA key of %u bits needs at least a "
			                     "%u-bit hash, not %s", k->qbytes * 8, k->qbytes * 8,
			                     hash_label(s->hash_algo));
		rc = gcry_sexp_build(data, NULL, "(data(flags raw)(value %b))",
		                     (int)(dlen < k->qbytes ? dlen : k->qbytes), d);
		if (!rc)
			rc = gcry_sexp_build(sigv, NULL, "(sig-val(ecdsa(r%b)(s%b)))",
			                     (int)s->mpi[0].len, s->mpi[0].p,
			                     (int)s->mpi[1].len, s->mpi[1].p);
		break;
	default:
		rc = gcry_sexp_build(data, NULL, "(data(flags pkcs1)(hash %s %b))",
		                     hash_sexp_name(s->hash_algo), (int)dlen, d);
		if (!rc)
			rc = gcry_sexp_build(sigv, NULL, "(sig-val(rsa(s%b)))",
			                     (int)s->mpi[0].len, s->mpi[0].p);
		break;
	}
	if (rc)
		return ch_error_setc(CH_EIO, "libgcrypt: %s", gcry_strerror(rc));
	return 0;
}

/* Finish the digest (md already holds what the signature covers before
 * its own fields), then check the quick 16-bit prefix and the signature.
 * CH_EAUTH when it does not verify. */
static int sig_check(const pk_material *k, const sig_info *s, gcry_md_hd_t md)
{
	size_t n = s->hashed_len, dlen = gcry_md_get_algo_dlen(gcry_md_get_algo(md));
	unsigned char trailer[6] = { 4, 0xFF, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
	                             (unsigned char)(n >> 8), (unsigned char)n };
	gcry_sexp_t data = NULL, sigv = NULL;
	const unsigned char *d;
	int error;

	if (s->pk_algo != k->algo)
		return ch_error_setc(CH_EAUTH, "signature algorithm %d does not match the key's (%d)",
		                     s->pk_algo, k->algo);
	gcry_md_write(md, s->hashed, s->hashed_len);
	gcry_md_write(md, trailer, sizeof(trailer));
	d = gcry_md_read(md, 0);
	if (d[0] != s->left16[0] || d[1] != s->left16[1])
		return ch_error_setc(CH_EAUTH, "bad signature (digest does not match)");
	if ((error = build_sexps(&data, &sigv, k, s, d, dlen)) < 0)
		goto done;
	if (gcry_pk_verify(sigv, data, k->pkey))
		error = ch_error_setc(CH_EAUTH, "bad signature");
done:
	gcry_sexp_release(data);
	gcry_sexp_release(sigv);
	return error;
}

/* ------------------------------------------------------------------ */
/* The keyring.                                                        */

/* Why a key may not sign. A key that may not is still listed, so that a
 * signature by it is refused with the real reason, not as an unknown key. */
enum {
	WHY_OK, WHY_UNBOUND, WHY_BINDING_HASH, WHY_BINDING_BAD, WHY_FLAGS, WHY_NO_BACKSIG,
	WHY_BACKSIG_HASH, WHY_BACKSIG_BAD, WHY_MATERIAL
};

/* A revocation's effect (RFC 9580 5.2.3.31). A hard one (compromised, no
 * reason, or any other code) voids every signature by the key; a soft one
 * (superseded, retired) only those made from its own creation time on:
 * the key was good until then, as GnuPG's and Sequoia's readings of RFC
 * 9580 have it, and a chain signed before a key was retired must keep
 * verifying. A hard one always wins over a soft one. */
typedef struct {
	int hard, soft;
	int reason;       /* the code of the revocation that counts, -1 none given */
	int64_t soft_at;  /* the earliest soft revocation */
} revocation;

typedef struct {
	char fpr[CH_PGP_FPR_HEX];
	char primary[CH_PGP_FPR_HEX];
	unsigned char fpr_raw[20];
	pk_material mat;  /* pkey is NULL for a key that may not sign */
	char *owner;
	int64_t expires;  /* key expiry, Unix time (primary's included); 0 never */
	revocation rev;   /* the primary's included */
	int why, detail;  /* WHY_*, and the hash algorithm or key flags it names */
	int listed_only;  /* a subkey that does not count: never found first */
} pgp_key;

struct ch_pgp_keyring {
	pgp_key *keys;
	size_t n, alloc;
};

static void key_dispose(pgp_key *k)
{
	gcry_sexp_release(k->mat.pkey);
	free(k->owner);
	memset(k, 0, sizeof(*k));
}

int ch_pgp_keyring_new(ch_pgp_keyring **out)
{
	*out = ch_calloc(1, sizeof(**out));
	return 0;
}

void ch_pgp_keyring_free(ch_pgp_keyring *kr)
{
	size_t i;

	if (!kr)
		return;
	for (i = 0; i < kr->n; i++)
		key_dispose(&kr->keys[i]);
	free(kr->keys);
	free(kr);
}

static void keys_reserve(pgp_key **keys, size_t *alloc, size_t want)
{
	size_t n = *alloc ? *alloc : 8;

	if (want <= *alloc)
		return;
	while (n < want)
		n *= 2; /* want <= PGP_MAX_KEYRING: cannot overflow */
	*keys = ch_realloc(*keys, n * sizeof(**keys));
	*alloc = n;
}

/* A key that counts first; one listed only to say why it does not, after:
 * a subkey someone else's key file lists unbound cannot shadow the real one. */
static const pgp_key *find_fpr(const ch_pgp_keyring *kr, const unsigned char fpr[20])
{
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < kr->n; i++)
			if (kr->keys[i].listed_only == pass && !memcmp(kr->keys[i].fpr_raw, fpr, 20))
				return &kr->keys[i];
	return NULL;
}

/* A v4 key id is the low 64 bits of the fingerprint. */
static const pgp_key *find_keyid(const ch_pgp_keyring *kr, const unsigned char id[8])
{
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < kr->n; i++)
			if (kr->keys[i].listed_only == pass && !memcmp(kr->keys[i].fpr_raw + 12, id, 8))
				return &kr->keys[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Reading transferable public keys (RFC 4880 11.1, RFC 9580 10.1).    */

enum { AT_KEY, AT_UID, AT_SUB };

typedef struct {
	key_info key;
	int usable;           /* supported algorithm: its signatures can be checked */
	int64_t bound_at;     /* creation of the newest valid binding, -1 if none */
	uint32_t key_expires; /* that binding's key expiration, 0 never */
	int why, detail;
	revocation rev;
} sub_state;

/* What the primary's self-signatures say: the newest valid one (a user ID
 * certification or a direct-key signature) decides its flags and expiry. */
typedef struct {
	int64_t self_at;       /* the newest valid self-signature, -1 if none */
	int self_flags;        /* its key flags, -1 if it has none */
	uint32_t self_expires; /* its key expiration, 0 never */
	int refused_hash;      /* a self-signature over a refused hash was seen */
	int bad;               /* a self-signature that does not verify was seen */
	revocation rev;
} prim_state;

typedef struct {
	const char *owner;
	pgp_key *keys;    /* staged entries, moved to the keyring on success */
	size_t n, alloc;
	int have_primary, where;
	size_t first;     /* index of the primary in keys */
	key_info primary; /* its pkey is owned by keys[first] */
	prim_state prim;
	span uid;         /* the current user ID or attribute, and its hash tag */
	unsigned char uid_tag;
	int have_sub;
	sub_state sub;
	unsigned checks;
} add_state;

static int stage(add_state *st, const key_info *k, const char *primary_hex)
{
	pgp_key *e;

	if (st->n >= PGP_MAX_KEYS)
		return ch_error_setc(CH_EINVALID, "more than %d keys in one key block", PGP_MAX_KEYS);
	keys_reserve(&st->keys, &st->alloc, st->n + 1);
	e = &st->keys[st->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->fpr, k->hex, CH_PGP_FPR_HEX);
	memcpy(e->primary, primary_hex, CH_PGP_FPR_HEX);
	memcpy(e->fpr_raw, k->fpr, 20);
	e->mat = k->mat;
	e->owner = ch_strdup(st->owner);
	e->rev.reason = -1;
	return 0;
}

/* Whether a signature names the primary as its issuer. A signature with
 * no issuer hint is tried against the primary anyway: the cryptographic
 * check is what counts, the hints only skip third-party certifications. */
static int issued_by_primary(const add_state *st, const sig_info *s)
{
	if (s->has_fpr)
		return !memcmp(s->fpr, st->primary.fpr, 20);
	if (s->has_keyid)
		return !memcmp(s->keyid, st->primary.fpr + 12, 8);
	return 1;
}

/* Verify a signature over the primary (and subkey, if given) made by
 * `signer`. 0 when good; CH_EAUTH or CH_EINVALID when not (callers treat
 * both as "this signature does not count"); the check budget is enforced
 * by the caller. */
static int check_key_sig(const key_info *signer, const sig_info *s, const key_info *primary,
                         const key_info *sub)
{
	gcry_md_hd_t md;
	int error;

	if ((error = md_open(&md, s)) < 0)
		return error;
	md_put_key(md, primary);
	if (sub)
		md_put_key(md, sub);
	error = sig_check(&signer->mat, s, md);
	gcry_md_close(md);
	return error;
}

/* A self-signature over the primary and, for a certification, the current
 * user ID (RFC 4880 5.2.4: tag 0xB4 or 0xD1, 4-byte length, body). */
static int check_selfsig(const add_state *st, const sig_info *s)
{
	unsigned char head[5];
	gcry_md_hd_t md;
	size_t n = st->uid.len;
	int error;

	if ((error = md_open(&md, s)) < 0)
		return error;
	md_put_key(md, &st->primary);
	if (s->type != SIG_DIRECT_KEY) {
		head[0] = st->uid_tag;
		head[1] = (unsigned char)(n >> 24);
		head[2] = (unsigned char)(n >> 16);
		head[3] = (unsigned char)(n >> 8);
		head[4] = (unsigned char)n;
		gcry_md_write(md, head, sizeof(head));
		gcry_md_write(md, st->uid.p, n);
	}
	error = sig_check(&st->primary.mat, s, md);
	gcry_md_close(md);
	return error;
}

static int spend_check(add_state *st)
{
	if (++st->checks > PGP_MAX_CHECKS)
		return ch_error_setc(CH_EINVALID, "key block has more than %d signatures to check",
		                     PGP_MAX_CHECKS);
	return 0;
}

/* The newest valid self-signature wins (RFC 9580 5.2.3.10); one older than
 * the best so far is not even checked, so a usual key costs one check. */
static int on_selfsig(add_state *st, const sig_info *s)
{
	prim_state *pr = &st->prim;
	int error;

	if (s->created <= pr->self_at)
		return 0;
	if (!ch_pgp_hash_gcry(s->hash_algo)) {
		pr->refused_hash = s->hash_algo;
		return 0;
	}
	if ((error = spend_check(st)) < 0)
		return error;
	if (check_selfsig(st, s) < 0) {
		pr->bad = 1;
		return 0;
	}
	pr->self_at = s->created;
	pr->self_flags = s->has_flags ? (int)s->key_flags : -1;
	pr->self_expires = s->key_expires;
	return 0;
}

/* The primary-key binding (0x19) embedded in a subkey binding: made by the
 * subkey, it proves the subkey's holder agrees to belong to this primary,
 * so nobody can claim someone else's signing subkey. WHY_OK when good,
 * else why not (the refused hash in *hash). */
static int backsig_check(add_state *st, const sig_info *binding, int *hash)
{
	sig_info b;
	int error;

	if (!binding->embedded.p ||
	    parse_sig(&b, binding->embedded.p, binding->embedded.len) < 0 ||
	    b.type != SIG_PRIMARY_BINDING)
		return WHY_NO_BACKSIG;
	if (!ch_pgp_hash_gcry(b.hash_algo)) {
		*hash = b.hash_algo;
		return WHY_BACKSIG_HASH;
	}
	if ((error = spend_check(st)) < 0)
		return error;
	if (check_key_sig(&st->sub.key, &b, &st->primary, &st->sub.key) < 0)
		return WHY_BACKSIG_BAD;
	return WHY_OK;
}

static void set_why(sub_state *sub, int why, int detail)
{
	sub->why = why;
	sub->detail = detail;
}

/* A binding that does not count still says why the subkey is unbound, so
 * long as no valid binding is known. */
static int on_subkey_binding(add_state *st, const sig_info *s)
{
	sub_state *sub = &st->sub;
	int error, why, hash = 0;

	if (sub->bound_at >= 0 && s->created < sub->bound_at)
		return 0; /* a newer binding supersedes older ones */
	if (!ch_pgp_hash_gcry(s->hash_algo)) {
		if (sub->bound_at < 0)
			set_why(sub, WHY_BINDING_HASH, s->hash_algo);
		return 0;
	}
	if ((error = spend_check(st)) < 0)
		return error;
	if (check_key_sig(&st->primary, s, &st->primary, &sub->key) < 0) {
		if (sub->bound_at < 0 && sub->why == WHY_UNBOUND)
			set_why(sub, WHY_BINDING_BAD, 0);
		return 0;
	}
	sub->bound_at = s->created;
	sub->key_expires = s->key_expires;
	if (s->has_flags && !(s->key_flags & KEYFLAG_SIGN)) {
		set_why(sub, WHY_FLAGS, (int)s->key_flags);
		return 0;
	}
	if ((why = backsig_check(st, s, &hash)) < 0)
		return why;
	set_why(sub, why, hash);
	return 0;
}

/* Reason codes 1 (superseded) and 3 (retired) are soft; every other code,
 * and none, is hard. 32 (user ID no longer valid) means nothing on a key
 * revocation, and is taken as hard: a revocation fails closed. */
static int reason_is_soft(int reason)
{
	return reason == 1 || reason == 3;
}

/* A revocation made by the primary, over the primary alone (0x20) or over
 * the primary and the current subkey (0x28), whatever its hash. */
static int on_revocation(add_state *st, sig_info *s, const key_info *sub, revocation *rev)
{
	int error;

	if (rev->hard)
		return 0; /* nothing can add to it */
	if ((error = spend_check(st)) < 0)
		return error;
	s->any_hash = 1;
	if (check_key_sig(&st->primary, s, &st->primary, sub) < 0)
		return 0; /* one that does not verify proves nothing */
	if (!reason_is_soft(s->reason)) {
		rev->hard = 1;
		rev->reason = s->reason;
	} else if (!rev->soft || s->created < rev->soft_at) {
		rev->soft = 1;
		rev->soft_at = s->created;
		rev->reason = s->reason;
	}
	return 0;
}

static int on_signature(add_state *st, const packet *pkt)
{
	sig_info s;

	/* Signatures we cannot read (other versions, algorithms, critical
	 * notations) are third-party or legacy: they do not count. */
	if (parse_sig(&s, pkt->body, pkt->len) < 0 || !issued_by_primary(st, &s))
		return 0;
	if (s.type == SIG_KEY_REVOKE) /* honoured wherever it stands */
		return on_revocation(st, &s, NULL, &st->prim.rev);
	if (s.type == SIG_DIRECT_KEY)
		return st->where == AT_KEY ? on_selfsig(st, &s) : 0;
	if (st->where == AT_UID && s.type >= SIG_CERT_FIRST && s.type <= SIG_CERT_LAST)
		return on_selfsig(st, &s);
	if (st->where != AT_SUB || !st->sub.usable)
		return 0;
	if (s.type == SIG_SUBKEY_BINDING)
		return on_subkey_binding(st, &s);
	if (s.type == SIG_SUBKEY_REVOKE)
		return on_revocation(st, &s, &st->sub.key, &st->sub.rev);
	return 0;
}

static int64_t expiry_time(uint32_t created, uint32_t seconds)
{
	return seconds ? (int64_t)created + seconds : 0;
}

/* Every subkey is staged: one that may sign with its key, one that may
 * not without it, marked with the reason. */
static int end_subkey(add_state *st)
{
	sub_state *sub = &st->sub;
	pgp_key *e;
	int error;

	if (!st->have_sub)
		return 0;
	st->have_sub = 0;
	if (sub->why != WHY_OK || !sub->key.hex[0]) {
		gcry_sexp_release(sub->key.mat.pkey);
		sub->key.mat.pkey = NULL;
	}
	if (!sub->key.hex[0])
		return 0; /* not a v4 key: nothing can name it */
	if ((error = stage(st, &sub->key, st->primary.hex)) < 0) {
		gcry_sexp_release(sub->key.mat.pkey);
		return error;
	}
	e = &st->keys[st->n - 1];
	e->why = sub->why;
	e->detail = sub->detail;
	e->listed_only = sub->why != WHY_OK;
	e->expires = expiry_time(sub->key.mat.created, sub->key_expires);
	e->rev = sub->rev;
	return 0;
}

static int start_subkey(add_state *st, const packet *pkt)
{
	int error;

	if ((error = end_subkey(st)) < 0)
		return error;
	memset(&st->sub, 0, sizeof(st->sub));
	st->have_sub = 1;
	st->sub.bound_at = -1;
	st->sub.rev.reason = -1;
	/* Subkeys we cannot use (encryption algorithms, v3) are listed as such. */
	st->sub.usable = parse_key(&st->sub.key, pkt) == 0;
	set_why(&st->sub, st->sub.usable ? WHY_UNBOUND : WHY_MATERIAL, st->sub.key.mat.algo);
	st->where = AT_SUB;
	return 0;
}

static int no_selfsig(const add_state *st)
{
	if (st->prim.refused_hash)
		return ch_error_setc(CH_EINVALID, "key %s has no valid self-signature: it is "
		                     "self-signed with %s, which is not accepted (SHA-224, SHA-256, "
		                     "SHA-384 or SHA-512 only)", st->primary.hex,
		                     hash_label(st->prim.refused_hash));
	if (st->prim.bad)
		return ch_error_setc(CH_EINVALID, "key %s has no valid self-signature: its "
		                     "self-signatures do not verify", st->primary.hex);
	return ch_error_setc(CH_EINVALID, "key %s has no self-signed user ID (nor a direct-key "
	                     "self-signature)", st->primary.hex);
}

/* A subkey lives no longer than its primary: the earlier expiry and the
 * stronger revocation of the two. */
static void inherit(pgp_key *sub, const pgp_key *pk)
{
	if (pk->expires && (!sub->expires || pk->expires < sub->expires))
		sub->expires = pk->expires;
	if (sub->rev.hard)
		return;
	if (pk->rev.hard)
		sub->rev = pk->rev;
	else if (pk->rev.soft && (!sub->rev.soft || pk->rev.soft_at < sub->rev.soft_at))
		sub->rev = pk->rev;
}

static int end_primary(add_state *st)
{
	const prim_state *pr = &st->prim;
	pgp_key *pk;
	size_t i;
	int error;

	if (!st->have_primary)
		return 0;
	if ((error = end_subkey(st)) < 0)
		return error;
	st->have_primary = 0;
	if (pr->self_at < 0)
		return no_selfsig(st);
	pk = &st->keys[st->first];
	pk->expires = expiry_time(st->primary.mat.created, pr->self_expires);
	pk->rev = pr->rev;
	if (pr->self_flags >= 0 && !(pr->self_flags & KEYFLAG_SIGN)) {
		pk->why = WHY_FLAGS; /* certify-only: it signs through subkeys */
		pk->detail = pr->self_flags;
	}
	for (i = st->first + 1; i < st->n; i++)
		inherit(&st->keys[i], pk);
	return 0;
}

/* One certificate per call: a person's key file names one primary key,
 * the one the policy gives; a second certificate beside it would let
 * signatures by a key the policy never names count as the person's. */
static int start_primary(add_state *st, const packet *pkt)
{
	key_info k;
	int error;

	if ((error = end_primary(st)) < 0)
		return error;
	if ((error = parse_key(&k, pkt)) < 0) {
		gcry_sexp_release(k.mat.pkey);
		return error;
	}
	if (st->n) {
		gcry_sexp_release(k.mat.pkey);
		return ch_error_setc(CH_EINVALID, "the key block holds more than one certificate "
		                     "(%s, then %s): a key file holds exactly one", st->keys[0].fpr,
		                     k.hex);
	}
	st->first = st->n;
	if ((error = stage(st, &k, k.hex)) < 0) {
		gcry_sexp_release(k.mat.pkey);
		return error;
	}
	st->primary = k;
	st->have_primary = 1;
	st->where = AT_KEY;
	memset(&st->prim, 0, sizeof(st->prim));
	st->prim.self_at = -1;
	st->prim.self_flags = -1;
	st->prim.rev.reason = -1;
	return 0;
}

static int on_user_id(add_state *st, const packet *pkt)
{
	if (st->where == AT_SUB)
		return ch_error_setc(CH_EINVALID, "user ID after a subkey in key %s", st->primary.hex);
	st->where = AT_UID;
	st->uid.p = pkt->body;
	st->uid.len = pkt->len;
	st->uid_tag = pkt->tag == TAG_UID ? 0xB4 : 0xD1;
	return 0;
}

static int on_packet(add_state *st, const packet *pkt)
{
	if (pkt->tag == TAG_PUBKEY)
		return start_primary(st, pkt);
	if (pkt->tag == TAG_SECKEY || pkt->tag == TAG_SECSUB)
		return ch_error_setc(CH_EINVALID, "secret key material is not accepted here");
	if (pkt->tag == TAG_MARKER || pkt->tag == TAG_TRUST)
		return 0;
	if (!st->have_primary)
		return ch_error_setc(CH_EINVALID, "key block does not start with a public key "
		                     "(packet tag %d)", pkt->tag);
	switch (pkt->tag) {
	case TAG_PUBSUB:
		return start_subkey(st, pkt);
	case TAG_UID:
	case TAG_UATTR:
		return on_user_id(st, pkt);
	case TAG_SIG:
		return on_signature(st, pkt);
	default:
		return ch_error_setc(CH_EINVALID, "unexpected packet (tag %d) in key %s",
		                     pkt->tag, st->primary.hex);
	}
}

static int read_keyblock(add_state *st, const ch_buf *bin)
{
	cursor c;
	packet pkt;
	size_t count = 0;
	int error;

	cur_init(&c, bin->ptr, bin->size);
	while (c.left) {
		if (++count > PGP_MAX_PACKETS)
			return ch_error_setc(CH_EINVALID, "key block has more than %d packets",
			                     PGP_MAX_PACKETS);
		if ((error = next_packet(&pkt, &c)) < 0 || (error = on_packet(st, &pkt)) < 0)
			return error;
	}
	if ((error = end_primary(st)) < 0)
		return error;
	if (!st->n)
		return ch_error_setc(CH_EINVALID, "no public key in the key block");
	return 0;
}

static void add_state_dispose(add_state *st)
{
	size_t i;

	if (st->have_sub)
		gcry_sexp_release(st->sub.key.mat.pkey);
	for (i = 0; i < st->n; i++)
		key_dispose(&st->keys[i]);
	free(st->keys);
}

/* A key already in the keyring may come again (an updated export, say,
 * carrying a revocation) for the same owner: it replaces the old entries.
 * The same key for another owner, or under another primary, is refused:
 * a fingerprint must name one person. Subkeys listed only to say why they
 * do not count take no part. */
static int check_conflicts(const ch_pgp_keyring *kr, const add_state *st)
{
	const pgp_key *e, *old;
	size_t i;

	if (kr->n + st->n > PGP_MAX_KEYRING)
		return ch_error_setc(CH_EINVALID, "keyring is full (%d keys)", PGP_MAX_KEYRING);
	for (i = 0; i < st->n; i++) {
		e = &st->keys[i];
		if (!e->listed_only && (old = find_fpr(kr, e->fpr_raw)) && !old->listed_only &&
		    (strcmp(old->primary, e->primary) || strcmp(old->owner, e->owner)))
			return ch_error_setc(CH_EINVALID, "key %s is already in the keyring for '%s'",
			                     e->fpr, old->owner);
	}
	return 0;
}

static int staged_primary(const add_state *st, const char *primary)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->keys[i].primary, primary))
			return 1;
	return 0;
}

static void commit(ch_pgp_keyring *kr, add_state *st)
{
	size_t i, j = 0;

	for (i = 0; i < kr->n; i++) {
		if (staged_primary(st, kr->keys[i].primary))
			key_dispose(&kr->keys[i]);
		else
			kr->keys[j++] = kr->keys[i];
	}
	kr->n = j;
	keys_reserve(&kr->keys, &kr->alloc, kr->n + st->n);
	memcpy(kr->keys + kr->n, st->keys, st->n * sizeof(*st->keys));
	kr->n += st->n;
	st->n = 0;
}

/* ------------------------------------------------------------------ */
/* Input: armored or binary.                                           */

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static int has_prefix(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && !memcmp(p, prefix, n);
}

#define KEY_BEGIN "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define KEY_END   "-----END PGP PUBLIC KEY BLOCK-----"
#define SIG_BEGIN "-----BEGIN PGP SIGNATURE-----"
#define SIG_END   "-----END PGP SIGNATURE-----"

/* Every armored key block in the text, concatenated. Nothing but white
 * space may stand around them: text that other implementations read as a
 * broken block (found by fuzz_pgp_diff against librnp) must not be
 * skipped here. */
static int dearmor_keys(ch_buf *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *b, *e;
	ch_buf one = CH_BUF_INIT;
	int error = 0;

	while ((b = memmem(p, (size_t)(end - p), KEY_BEGIN, strlen(KEY_BEGIN)))) {
		if (skip_space(p, b) != b)
			goto outside;
		if ((error = ch_pgp_dearmor(&one, "PUBLIC KEY BLOCK", b, (size_t)(end - b))) < 0)
			goto done;
		ch_buf_put(out, one.ptr, one.size);
		if (!(e = memmem(b, (size_t)(end - b), KEY_END, strlen(KEY_END))))
			break; /* cannot happen: dearmor found it */
		p = e + strlen(KEY_END);
	}
	if (!out->size)
		error = ch_error_setc(CH_EINVALID, "armor: no '%s' line", KEY_BEGIN);
	else if (skip_space(p, end) != end)
		goto outside;
	goto done;
outside:
	error = ch_error_setc(CH_EINVALID, "armor: text outside the key's armored blocks");
done:
	ch_buf_dispose(&one);
	return error;
}

static int decode_keys(ch_buf *out, const void *data, size_t len)
{
	const char *text = data, *p = skip_space(text, text + len);
	int error;

	if (len > PGP_MAX_KEYTEXT)
		return ch_error_setc(CH_EINVALID, "key text larger than %u bytes", PGP_MAX_KEYTEXT);
	if (has_prefix(p, text + len, "-----BEGIN PGP ")) {
		if ((error = dearmor_keys(out, text, len)) < 0)
			return error;
	} else if (len && (*text & 0x80)) {
		ch_buf_set(out, data, len);
	} else {
		return ch_error_setc(CH_EINVALID, "not an OpenPGP key (neither armored nor binary)");
	}
	if (out->size > PGP_MAX_KEYBLOCK)
		return ch_error_setc(CH_EINVALID, "key block larger than %u bytes", PGP_MAX_KEYBLOCK);
	return 0;
}

/* A detached signature is exactly one armored block (white space around
 * it allowed) or one binary packet. Anything more is refused, since a
 * verifier that looks only at the first of two signatures can be fooled. */
static int decode_sig(ch_buf *out, const char *sig, size_t siglen)
{
	const char *end = sig + siglen, *p, *e;

	if (siglen > PGP_MAX_SIGTEXT)
		return ch_error_setc(CH_EINVALID, "signature larger than %u bytes", PGP_MAX_SIGTEXT);
	p = skip_space(sig, end);
	if (siglen && (*sig & 0x80)) {
		ch_buf_set(out, sig, siglen);
		return 0;
	}
	if (!has_prefix(p, end, SIG_BEGIN))
		return ch_error_setc(CH_EINVALID, "not an OpenPGP signature (no '%s' line)", SIG_BEGIN);
	if (memmem(p + 1, (size_t)(end - p - 1), "-----BEGIN PGP ", 15))
		return ch_error_setc(CH_EINVALID, "more than one signature (several armored blocks)");
	if (!(e = memmem(p, (size_t)(end - p), SIG_END, strlen(SIG_END))))
		return ch_error_setc(CH_EINVALID, "armor: no '%s' line", SIG_END);
	if (skip_space(e + strlen(SIG_END), end) != end)
		return ch_error_setc(CH_EINVALID, "text after the signature's armor");
	return ch_pgp_dearmor(out, "SIGNATURE", p, (size_t)(end - p));
}

/* The one signature packet of a detached signature; its fields point into
 * bin, which must outlive s. */
static int read_one_sig(sig_info *s, const ch_buf *bin)
{
	packet pkt, sigpkt = { 0, NULL, 0 };
	int error, nsig = 0;
	cursor c;

	cur_init(&c, bin->ptr, bin->size);
	while (c.left) {
		if ((error = next_packet(&pkt, &c)) < 0)
			return error;
		if (pkt.tag != TAG_SIG)
			return ch_error_setc(CH_EINVALID,
			                     "unexpected packet (tag %d) in a detached signature", pkt.tag);
		if (++nsig > 1)
			return ch_error_setc(CH_EINVALID, "more than one signature");
		sigpkt = pkt;
	}
	if (!nsig)
		return ch_error_setc(CH_EINVALID, "no signature packet");
	return parse_sig(s, sigpkt.body, sigpkt.len);
}

/* ------------------------------------------------------------------ */
/* Public functions.                                                   */

int ch_pgp_keyring_add(ch_pgp_keyring *kr, const void *data, size_t len,
                       const char *owner, char primary_out[CH_PGP_FPR_HEX])
{
	ch_buf bin = CH_BUF_INIT;
	add_state st;
	int error;

	memset(&st, 0, sizeof(st));
	st.owner = owner ? owner : "";
	if (primary_out)
		primary_out[0] = '\0';
	if ((error = decode_keys(&bin, data, len)) < 0 ||
	    (error = read_keyblock(&st, &bin)) < 0 ||
	    (error = check_conflicts(kr, &st)) < 0)
		goto done;
	if (primary_out)
		memcpy(primary_out, st.keys[0].fpr, CH_PGP_FPR_HEX);
	commit(kr, &st);
done:
	add_state_dispose(&st);
	ch_buf_dispose(&bin);
	return error;
}

/* The certificates of a key block, one after the other: each starts at a
 * primary public-key packet. Returns their number (at most max) with each
 * one's bounds in starts[]/ends[]; packets before the first primary are
 * left for read_keyblock to refuse. */
static int split_certs(size_t *starts, size_t *ends, size_t max, size_t *n, const ch_buf *bin)
{
	packet pkt;
	cursor c;
	size_t at, count = 0;
	int error;

	*n = 0;
	cur_init(&c, bin->ptr, bin->size);
	while (c.left) {
		at = bin->size - c.left;
		if (++count > PGP_MAX_PACKETS)
			return ch_error_setc(CH_EINVALID, "key block has more than %d packets",
			                     PGP_MAX_PACKETS);
		if ((error = next_packet(&pkt, &c)) < 0)
			return error;
		if (pkt.tag == TAG_PUBKEY || !*n) {
			if (*n == max)
				return ch_error_setc(CH_EINVALID, "the key file holds more than %zu "
				                     "certificates", max);
			if (*n)
				ends[*n - 1] = at;
			starts[(*n)++] = at;
		}
	}
	if (*n)
		ends[*n - 1] = bin->size;
	return 0;
}

int ch_pgp_keyring_add_many(ch_pgp_keyring *kr, const void *data, size_t len, const char *owner,
                            char (*primaries)[CH_PGP_FPR_HEX], size_t max, size_t *n)
{
	ch_buf bin = CH_BUF_INIT, one = CH_BUF_INIT;
	size_t *starts = ch_calloc(max ? max : 1, sizeof(*starts));
	size_t *ends = ch_calloc(max ? max : 1, sizeof(*ends));
	size_t i, count = 0;
	int error;

	*n = 0;
	if ((error = decode_keys(&bin, data, len)) < 0 ||
	    (error = split_certs(starts, ends, max, &count, &bin)) < 0)
		goto done;
	if (!count) {
		error = ch_error_setc(CH_EINVALID, "no public key in the key block");
		goto done;
	}
	for (i = 0; i < count; i++) {
		ch_buf_set(&one, bin.ptr + starts[i], ends[i] - starts[i]);
		if ((error = ch_pgp_keyring_add(kr, one.ptr, one.size, owner, primaries[i])) < 0) {
			ch_error_prefix("certificate %zu: ", i + 1);
			goto done;
		}
	}
	*n = count;
done:
	free(starts);
	free(ends);
	ch_buf_dispose(&one);
	ch_buf_dispose(&bin);
	return error;
}

static int find_issuer(const pgp_key **out, const ch_pgp_keyring *kr, const sig_info *s)
{
	char hex[CH_PGP_FPR_HEX];

	if (s->has_fpr) {
		if ((*out = find_fpr(kr, s->fpr)))
			return 0;
		to_hex(hex, s->fpr, 20);
		return ch_error_setc(CH_ENOTFOUND, "no key %s in the keyring", hex);
	}
	if (!s->has_keyid)
		return ch_error_setc(CH_EINVALID, "signature names no issuer");
	if ((*out = find_keyid(kr, s->keyid)))
		return 0;
	to_hex(hex, s->keyid, 8);
	return ch_error_setc(CH_ENOTFOUND, "no key with id %s in the keyring", hex);
}

static int check_doc_sig(const sig_info *s)
{
	if (s->type != SIG_BINARY)
		return ch_error_setc(CH_EINVALID, "signature type 0x%02x is not a binary-document "
		                     "signature (0x00)", s->type);
	if (!ch_pgp_hash_gcry(s->hash_algo))
		return ch_error_setc(CH_EINVALID, "signature uses %s (algorithm %d), which is not "
		                     "accepted: SHA-224, SHA-256, SHA-384 or SHA-512 only",
		                     hash_label(s->hash_algo), s->hash_algo);
	return 0;
}

static void fmt_time(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

static const char *reason_label(int reason)
{
	switch (reason) {
	case -1: return "no reason given";
	case 0: return "no reason specified";
	case 1: return "superseded";
	case 2: return "key material compromised";
	case 3: return "retired";
	default: return "an unknown reason";
	}
}

/* The subkeys' reasons for not counting, worded after "key X is a subkey
 * of Y ". */
static int subkey_refused(const pgp_key *k)
{
	const char *f = k->fpr, *p = k->primary;

	switch (k->why) {
	case WHY_UNBOUND:
		return ch_error_setc(CH_EAUTH, "key %s is a subkey of %s with no binding signature "
		                     "from its primary key", f, p);
	case WHY_BINDING_HASH:
		return ch_error_setc(CH_EAUTH, "key %s is a subkey of %s whose binding signature uses "
		                     "%s, which is not accepted (SHA-224, SHA-256, SHA-384 or SHA-512 "
		                     "only)", f, p, hash_label(k->detail));
	case WHY_BINDING_BAD:
		return ch_error_setc(CH_EAUTH, "key %s is a subkey of %s whose binding signature does "
		                     "not verify", f, p);
	case WHY_NO_BACKSIG:
		return ch_error_setc(CH_EAUTH, "key %s is a subkey of %s whose binding has no "
		                     "back-signature (the primary-key binding a signing subkey makes)",
		                     f, p);
	case WHY_BACKSIG_HASH:
		return ch_error_setc(CH_EAUTH, "key %s is a subkey of %s whose back-signature uses %s, "
		                     "which is not accepted (SHA-224, SHA-256, SHA-384 or SHA-512 only)",
		                     f, p, hash_label(k->detail));
	case WHY_BACKSIG_BAD:
		return ch_error_setc(CH_EAUTH, "key %s is a subkey of %s whose back-signature does not "
		                     "verify", f, p);
	default:
		return ch_error_setc(CH_EAUTH, "key %s is a subkey of %s that cannot sign here: its "
		                     "algorithm (%d) or key material is not supported", f, p, k->detail);
	}
}

/* 0 if the certificate lets key k sign at all; CH_EAUTH naming why not. */
static int key_may_sign(const pgp_key *k)
{
	int primary = !strcmp(k->fpr, k->primary);

	if (k->why == WHY_OK)
		return 0;
	if (k->why != WHY_FLAGS)
		return subkey_refused(k);
	if (primary)
		return ch_error_setc(CH_EAUTH, "key %s may not sign: its key flags (0x%02x) do not "
		                     "allow signing (a certify-only primary key signs only through a "
		                     "signing subkey)", k->fpr, (unsigned)k->detail);
	return ch_error_setc(CH_EAUTH, "key %s is a subkey of %s whose key flags (0x%02x) do not "
	                     "allow signing", k->fpr, k->primary, (unsigned)k->detail);
}

/* 0 if key k was good at time t (`when` names t in the message): not hard
 * revoked, not soft revoked at or before t, created, not yet expired. */
static int key_good_at(const pgp_key *k, int64_t t, const char *when)
{
	char at[32], tt[32];

	fmt_time(tt, t);
	if (k->rev.hard)
		return ch_error_setc(CH_EAUTH, "key %s is revoked (%s)", k->fpr,
		                     reason_label(k->rev.reason));
	if (k->rev.soft && t >= k->rev.soft_at) {
		fmt_time(at, k->rev.soft_at);
		return ch_error_setc(CH_EAUTH, "key %s is revoked (%s) since %s, before %s (%s)",
		                     k->fpr, reason_label(k->rev.reason), at, when, tt);
	}
	if (t < (int64_t)k->mat.created) {
		fmt_time(at, k->mat.created);
		return ch_error_setc(CH_EAUTH, "key %s was created on %s, after %s (%s)", k->fpr,
		                     at, when, tt);
	}
	if (k->expires && t >= k->expires) {
		fmt_time(at, k->expires);
		return ch_error_setc(CH_EAUTH, "key %s expired on %s, before %s (%s)", k->fpr, at,
		                     when, tt);
	}
	return 0;
}

static int check_key_usable(const pgp_key *k, const sig_info *s)
{
	int error;

	if ((error = key_may_sign(k)) < 0 ||
	    (error = key_good_at(k, s->created, "this signature was made")) < 0)
		return error;
	if (s->expires && (int64_t)time(NULL) >= s->created + (int64_t)s->expires)
		return ch_error_setc(CH_EAUTH, "signature by key %s has expired", k->fpr);
	return 0;
}

int ch_pgp_keyring_can_sign(const ch_pgp_keyring *kr, const char *primary, int64_t now)
{
	ch_buf why = CH_BUF_INIT;
	const pgp_key *k;
	size_t i, n = 0;
	int error = 0;

	for (i = 0; i < kr->n; i++) {
		k = &kr->keys[i];
		if (strcmp(k->primary, primary))
			continue;
		n++;
		if (key_may_sign(k) == 0 && key_good_at(k, now, "now") == 0)
			goto done;
		ch_buf_printf(&why, "%s%s", why.size ? "; " : "", ch_error_last());
	}
	if (!n)
		error = ch_error_setc(CH_ENOTFOUND, "no certificate %s in the keyring", primary);
	else
		error = ch_error_setc(CH_EINVALID, "no key of certificate %s can sign: %s", primary,
		                      why.ptr);
done:
	ch_buf_dispose(&why);
	return error;
}

int ch_pgp_verify(ch_pgp_verify_result *out, const ch_pgp_keyring *kr,
                  const void *data, size_t len, const char *sig, size_t siglen)
{
	ch_buf bin = CH_BUF_INIT;
	const pgp_key *k = NULL;
	gcry_md_hd_t md = NULL;
	sig_info s;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = decode_sig(&bin, sig, siglen)) < 0 ||
	    (error = read_one_sig(&s, &bin)) < 0 ||
	    (error = check_doc_sig(&s)) < 0 ||
	    (error = find_issuer(&k, kr, &s)) < 0 ||
	    (error = check_key_usable(k, &s)) < 0 ||
	    (error = md_open(&md, &s)) < 0)
		goto done;
	if (len)
		gcry_md_write(md, data, len);
	if ((error = sig_check(&k->mat, &s, md)) < 0) {
		ch_error_prefix("key %s: ", k->fpr);
		goto done;
	}
	memcpy(out->signer_fpr, k->fpr, CH_PGP_FPR_HEX);
	memcpy(out->primary_fpr, k->primary, CH_PGP_FPR_HEX);
	out->owner = k->owner;
	out->created = s.created;
	out->expires = s.expires ? s.created + (int64_t)s.expires : 0;
done:
	gcry_md_close(md);
	ch_buf_dispose(&bin);
	return error;
}

int ch_pgp_sig_issuer(char out[CH_PGP_FPR_HEX], const char *sig, size_t siglen)
{
	ch_buf bin = CH_BUF_INIT;
	sig_info s;
	int error;

	out[0] = '\0';
	if ((error = decode_sig(&bin, sig, siglen)) < 0 || (error = read_one_sig(&s, &bin)) < 0)
		goto done;
	if (s.has_fpr)
		to_hex(out, s.fpr, 20);
	else if (s.has_keyid)
		to_hex(out, s.keyid, 8);
	else
		error = ch_error_setc(CH_EINVALID, "signature names no issuer");
done:
	ch_buf_dispose(&bin);
	return error;
}
