/* keystore.h -- a site's GnuPG home: per-person keys, held by gpg-agent.
 *
 * The home is created with mode 0700 and its own gpg-agent.conf
 * (allow-loopback-pinentry, no passphrase caching, so the passphrase is
 * asked at every signature like a signing token's PIN). Keys are created
 * through GPGME with the loopback pinentry and a passphrase callback: a
 * passphrase never travels in argv, the environment or a file.
 *
 * Signing talks to gpg-agent over one Assuan connection (libassuan, the
 * library GPGME itself uses for that protocol; a GPGME context would cost
 * ~10 ms to create because it runs gpg --version and gpgconf): SIGKEY,
 * SETHASH, PKSIGN, the passphrase answered to the agent's INQUIRE
 * PASSPHRASE in loopback pinentry mode. That takes ~1.5 ms where a gpg
 * process per signature takes ~11 ms. The packet is built by pgp_sign.c.
 * A keystore is not thread-safe: one connection, one GPGME context. */
#ifndef CH_KEYSTORE_H
#define CH_KEYSTORE_H

#include <stddef.h>

#include "crypto/pgp.h"
#include "util/buf.h"

typedef struct ch_keystore ch_keystore;

typedef struct {
	char fpr[CH_PGP_FPR_HEX];     /* primary key, upper-case hex */
	char signing_fpr[CH_PGP_FPR_HEX]; /* the (sub)key that signs */
	char keygrip[41];             /* gpg-agent's keygrip of the signing key */
	int pk_algo;                  /* CH_PGP_PK_* of the signing key */
} ch_keyinfo;

/* keystore.c */
/* Open (creating if needed, mode 0700) the GnuPG home at `homedir`. */
int ch_keystore_open(ch_keystore **out, const char *homedir);
void ch_keystore_free(ch_keystore *ks);
/* Create a key for "Name <email>" protected by `passphrase`.
 * `algo` is "ed25519" (default when NULL) or "rsa3072". */
int ch_keystore_create_key(ch_keyinfo *out, ch_keystore *ks, const char *name,
                           const char *email, const char *algo, const char *passphrase);
/* A site's own signing key, without a passphrase (workflows/sitelog.h):
 * the home's permissions protect it. Signed with ch_keystore_sign_machine. */
int ch_keystore_create_machine_key(ch_keyinfo *out, ch_keystore *ks, const char *name,
                                   const char *email);
int ch_keystore_sign_machine(ch_buf *out, ch_keystore *ks, const ch_keyinfo *key,
                             const void *payload, size_t len);
/* Look up a key by primary fingerprint. CH_ENOTFOUND if absent. */
int ch_keystore_find(ch_keyinfo *out, ch_keystore *ks, const char *fpr);
/* The armored public key (primary and subkeys) for `fpr`. */
int ch_keystore_export(ch_buf *out, ch_keystore *ks, const char *fpr);
/* A detached, armored signature over payload, as git writes in gpgsig
 * (trailing newline included). CH_EAUTH on a wrong passphrase (the message
 * says so), CH_ENOTFOUND when the key is not in this home. */
int ch_keystore_sign(ch_buf *out, ch_keystore *ks, const ch_keyinfo *key,
                     const char *passphrase, const void *payload, size_t len);
/* Change the passphrase of `key` (gpg-agent PASSWD, loopback): CH_EAUTH
 * when old_pass is wrong (the agent checks it), nothing changed then. */
int ch_keystore_passwd(ch_keystore *ks, const ch_keyinfo *key, const char *old_pass,
                       const char *new_pass);
/* Bundles (docs/sync.md): encrypt to people's public keys (their
 * encryption subkeys; keys come from the signed policy, so no web of
 * trust), in a temporary GnuPG home that holds nothing else. */
typedef struct {
	const char *owner; /* a person id, for messages */
	const void *key;   /* the armored public key, as policy/keys/<id>.asc */
	size_t len;
} ch_seal_recipient;
int ch_seal_encrypt(ch_buf *out, const ch_seal_recipient *r, size_t n, const void *data,
                    size_t len);
/* Decrypt with a secret key of this home (the loopback passphrase answers
 * the agent), at most `max` bytes of plaintext. CH_EDENIED: no key here
 * can (not addressed to us); CH_EAUTH: wrong passphrase; CH_EINVALID:
 * damaged, truncated or altered. */
int ch_keystore_decrypt(ch_buf *out, ch_keystore *ks, const char *passphrase, const void *data,
                        size_t len, size_t max);

#endif
