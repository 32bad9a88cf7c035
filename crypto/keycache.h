/* keycache.h -- the step engine's unlocked-key cache (the "token" model).
 *
 * gpg-agent caches no passphrase (keystore.c): every PKSIGN unprotects the
 * key again, ~1 ms of S2K of a ~4 ms step. A resident process that signs
 * for people can instead hold their Ed25519 keys unlocked, like a signing
 * token that stays powered: the key comes out of the agent once
 * (ch_keystore_export_secret: EXPORT_KEY, authorised by the passphrase at
 * full S2K cost) and later signatures are made in process with libgcrypt
 * (~0.3 ms), each still authorised by the passphrase, which is compared
 * against a verifier instead of being run through S2K:
 *
 *   per keygrip: the secret key (libgcrypt secure memory), HMAC-SHA-256 of
 *   the passphrase under a random per-cache key (that key in secure
 *   memory), when the key was unlocked, and the identity of the agent's
 *   key file (GNUPGHOME/private-keys-v1.d/<KEYGRIP>.key: device, inode,
 *   size, mtime and ctime in ns).
 *
 * A signature uses the cached key only when the entry is younger than the
 * TTL, the key file is unchanged (a new passphrase or a deleted key is
 * seen at once) and the passphrase matches the verifier (constant-time).
 * Otherwise the entry is evicted first and the agent asked again with the
 * passphrase given: so a wrong passphrase always costs the agent's S2K,
 * and guessing through the cache is never faster than guessing against
 * gpg-agent. A wrong passphrase is CH_EAUTH "wrong signing passphrase",
 * as from PKSIGN.
 *
 * Only Ed25519 keys are cached; others sign through ch_keystore_sign.
 * TTL: CHANCERY_KEYCACHE_TTL seconds (default 900, at most 86400); 0 turns
 * the cache off (every signature goes to PKSIGN). At most
 * CH_KEYCACHE_MAX keys (the oldest goes): libgcrypt's secure pool is
 * 32 KiB (secret.c) and one key takes ~240 bytes of it.
 *
 * Not thread-safe: one cache per signing thread (the engine has one). */
#ifndef CH_KEYCACHE_H
#define CH_KEYCACHE_H

#include <stddef.h>

#include "crypto/keystore.h"
#include "util/buf.h"

#define CH_KEYCACHE_TTL_DEFAULT 900
#define CH_KEYCACHE_TTL_MAX 86400
#define CH_KEYCACHE_MAX 64

typedef struct ch_keycache ch_keycache;

typedef struct {
	unsigned long hits;      /* signatures made from the cache */
	unsigned long unlocks;   /* keys exported from the agent into the cache */
	unsigned long evictions; /* entries dropped: expired, key file changed,
	                          * wrong passphrase, or room needed */
} ch_keycache_stats;

/* keycache.c */
/* ttl_seconds < 0: CHANCERY_KEYCACHE_TTL, else the default. */
int ch_keycache_new(ch_keycache **out, long ttl_seconds);
/* Wipes and frees every key; accepts NULL. */
void ch_keycache_free(ch_keycache *kc);
/* Drop every key (wiped); the cache stays usable. */
void ch_keycache_clear(ch_keycache *kc);
long ch_keycache_ttl(const ch_keycache *kc);
size_t ch_keycache_size(const ch_keycache *kc);
void ch_keycache_get_stats(ch_keycache_stats *out, const ch_keycache *kc);
/* What ch_keystore_sign produces (the same packet, the same signature
 * S-expression: Ed25519 is deterministic), from the cache when it may,
 * else through gpg-agent (see above). kc NULL or TTL 0: ch_keystore_sign. */
int ch_keystore_sign_cached(ch_buf *out, ch_keystore *ks, ch_keycache *kc,
                            const ch_keyinfo *key, const char *passphrase,
                            const void *payload, size_t len);
/* The digest signer behind it (the signature S-expression into sigval),
 * for tests comparing it with ch_keystore_sign_digest. */
int ch_keycache_sign_digest(ch_buf *sigval, ch_keystore *ks, ch_keycache *kc,
                            const char *keygrip, const unsigned char *digest,
                            size_t digest_len, const char *passphrase);

#endif
