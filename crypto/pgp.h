/* pgp.h -- OpenPGP (RFC 4880, v4 keys and signatures) in process.
 *
 * Verifying a commit signature must not start a process (a gpg run costs
 * ~13 ms; libgcrypt verifies Ed25519 in ~1 ms), so Chancery parses the
 * packets itself and verifies with libgcrypt. GPGME and stock gpg remain the
 * reference: the tests check that both agree on every fixture.
 *
 * Supported public-key algorithms: EdDSA legacy (22, Ed25519), RSA (1, 3),
 * ECDSA (19, NIST P-256/384/521). Hashes: SHA-256, SHA-384, SHA-512,
 * SHA-224 (SHA-1, MD5 and SHA-3 signatures are refused; revocations count
 * whatever their hash).
 *
 * Key semantics follow RFC 9580 (5.2.3, 10.1): a key signs only if its
 * certificate lets it (the newest valid self-signature's key flags for the
 * primary, the newest valid binding's, with a back-signature, for a
 * subkey); a signature made at or after a key's expiry (from that same
 * self-signature or binding, a subkey's capped by its primary's) is
 * refused, one made before stays good; a hard revocation (compromised, no
 * reason, any unknown reason) voids every signature, a soft one
 * (superseded, retired) those made from its time on. SECURITY.md says
 * why, and how this squares with stock git's EXPKEYSIG and REVKEYSIG. */
#ifndef CH_PGP_H
#define CH_PGP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define CH_PGP_FPR_HEX 41 /* 40 upper-case hex digits and a NUL */

/* OpenPGP algorithm ids */
enum {
	CH_PGP_PK_RSA = 1,
	CH_PGP_PK_ECDSA = 19,
	CH_PGP_PK_EDDSA = 22,
	CH_PGP_HASH_SHA256 = 8,
	CH_PGP_HASH_SHA384 = 9,
	CH_PGP_HASH_SHA512 = 10,
	CH_PGP_HASH_SHA224 = 11
};

typedef struct ch_pgp_keyring ch_pgp_keyring;

typedef struct {
	char signer_fpr[CH_PGP_FPR_HEX];  /* the key or subkey that signed */
	char primary_fpr[CH_PGP_FPR_HEX]; /* the primary key it belongs to */
	const char *owner;                /* borrowed from the keyring entry */
	int64_t created;                  /* signature creation time, Unix */
	int64_t expires;                  /* the signature's own expiry, Unix; 0 never
	                                   * (only then may the verdict be cached) */
} ch_pgp_verify_result;

/* pgp.c */
/* The libgcrypt id (GCRY_MD_*) of an allowed OpenPGP hash; 0 if refused. */
int ch_pgp_hash_gcry(int algo);
int ch_pgp_keyring_new(ch_pgp_keyring **out);
void ch_pgp_keyring_free(ch_pgp_keyring *kr);
/* Add the one certificate (transferable public key) in `data`, armored or
 * binary: a primary key with a valid self-signature, and its subkeys.
 * Subkeys that may not sign (unbound, binding or back-signature missing,
 * bad or over a refused hash, flags without signing, unsupported material)
 * are kept only to refuse their signatures by that reason. A second
 * certificate in `data` is refused: a person's key file holds exactly one.
 * `owner` is copied and tagged on the keys. If primary_out is not NULL it
 * receives the primary fingerprint. */
int ch_pgp_keyring_add(ch_pgp_keyring *kr, const void *data, size_t len,
                       const char *owner, char primary_out[CH_PGP_FPR_HEX]);
/* Several certificates in `data` (armored blocks one after another, or
 * binary), each added as by ch_pgp_keyring_add, at most `max`; their
 * primary fingerprints in order in primaries[0..*n). A person's key file
 * of version 2 holds one certificate per key people.json lists for them
 * (workflows/policy.c checks that each is listed). On error some may have
 * been added: callers discard the keyring. */
int ch_pgp_keyring_add_many(ch_pgp_keyring *kr, const void *data, size_t len, const char *owner,
                            char (*primaries)[CH_PGP_FPR_HEX], size_t max, size_t *n);
/* Whether certificate `primary` (40 hex) can make, at time `now`, a
 * signature that ch_pgp_verify accepts: 0 if one of its keys may sign and
 * is neither revoked nor expired; CH_EINVALID naming every key's reason if
 * none; CH_ENOTFOUND if kr does not hold it. For enrolling keys: a key that
 * could never sign an accepted step is refused up front. */
int ch_pgp_keyring_can_sign(const ch_pgp_keyring *kr, const char *primary, int64_t now);
/* Strict verification of a detached signature over data: exactly one
 * signature packet, v4, binary-document type (0x00), issuer key in the
 * keyring and allowed to sign when the signature was made (see above),
 * allowed hash, cryptographically good. 0 on success; CH_EINVALID
 * malformed or more than one signature; CH_ENOTFOUND the issuer is not in
 * the keyring (message names the key id or fingerprint); CH_EAUTH the
 * signature does not verify or its key may not sign (message says why:
 * revoked, expired, certify-only, subkey not properly bound ...). */
int ch_pgp_verify(ch_pgp_verify_result *out, const ch_pgp_keyring *kr,
                  const void *data, size_t len, const char *sig, size_t siglen);
/* The fingerprint of the issuer named in a signature, without verifying
 * (for reports: "signed by key 9C1D..."). Key id only (16 hex) when the
 * signature has no issuer-fingerprint subpacket. */
int ch_pgp_sig_issuer(char out[CH_PGP_FPR_HEX], const char *sig, size_t siglen);

/* pgp_sign.c -- a v4 binary-document signature made by an external
 * signer (gpg-agent's PKSIGN): begin() hashes data and the hashed
 * subpackets (creation time, issuer fingerprint) and yields the digest to
 * sign; finish() takes the signer's S-expression, (sig-val (eddsa (r)(s)))
 * or (sig-val (rsa (s))) or (sig-val (ecdsa (r)(s))), in canonical or
 * advanced form, and writes the armored signature as gpg would. */
typedef struct {
	int pk_algo, hash_algo;
	ch_buf hashed;   /* version .. hashed subpackets */
	ch_buf unhashed; /* unhashed subpackets (issuer key id) */
	unsigned char digest[64];
	size_t digest_len;
} ch_pgp_sigctx;

int ch_pgp_sig_begin(ch_pgp_sigctx *ctx, const char *signer_fpr, int pk_algo,
                     int hash_algo, int64_t created, const void *data, size_t len);
int ch_pgp_sig_finish(ch_buf *armored, ch_pgp_sigctx *ctx, const void *sexp, size_t sexplen);
void ch_pgp_sig_dispose(ch_pgp_sigctx *ctx);

#endif
