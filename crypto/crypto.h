/* crypto.h -- Chancery's cryptography: one header per concern.
 *
 *   crypto/armor.c     OpenPGP ASCII armor and CRC-24
 *   crypto/pgp.c       OpenPGP packets: public keys, fingerprints, in-process
 *                      signature verification with libgcrypt (pgp.h)
 *   crypto/pgp_sign.c  building v4 signature packets for an external signer
 *   crypto/keystore.c  a site's GnuPG home: key creation (GPGME), export,
 *                      signing through gpg-agent over Assuan (keystore.h)
 *   crypto/secret.c    Argon2id passwords, random tokens, HMAC (this file)
 */
#ifndef CH_CRYPTO_H
#define CH_CRYPTO_H

#include <stddef.h>

#include "util/buf.h"

/* secret.c */
/* Initialise libgcrypt (secure memory) and GPGME once per
 * process; safe to call again. Returns 0 or CH_EIO. */
int ch_crypto_init(void);
/* `nbytes` random bytes as lower-case hex appended to out (2*nbytes chars). */
int ch_random_hex(ch_buf *out, size_t nbytes);
void ch_random_bytes(void *out, size_t n);
/* Argon2id (libgcrypt KDF) in PHC string form:
 * $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt b64>$<hash b64> */
int ch_password_hash(ch_buf *out, const char *password);
/* 0 when the password matches (constant-time compare), CH_EAUTH when it
 * does not, CH_EINVALID when `phc` is malformed. */
int ch_password_check(const char *phc, const char *password);
/* HMAC-SHA-256 into out[32]. */
int ch_hmac_sha256(unsigned char out[32], const void *key, size_t keylen,
                   const void *data, size_t len);

/* armor.c */
/* Decode base64 text, ignoring white space. Padding may only end the text,
 * and the characters must come in groups of four: a line cut short or data
 * after the padding is an error, never silently dropped. */
int ch_base64_decode(ch_buf *out, const char *s, size_t len);
unsigned long ch_crc24(const unsigned char *data, size_t len);
/* Armor `data` as "-----BEGIN PGP <type>-----", a blank line, base64 in
 * 64-column lines, "=" CRC-24, "-----END PGP <type>-----" and a final "\n",
 * the way gpg writes it. */
void ch_pgp_armor(ch_buf *out, const char *type, const void *data, size_t len);
/* Undo ch_pgp_armor: finds the first block of `type` (e.g. "SIGNATURE",
 * "PUBLIC KEY BLOCK"), skips armor headers, checks the CRC when present.
 * CH_EINVALID with a message naming what is wrong. */
int ch_pgp_dearmor(ch_buf *out, const char *type, const char *text, size_t len);

#endif
