/* keyguard.h -- server-held keys used like a token's PIN.
 *
 * A key in the site's GnuPG home is unlocked by its owner's passphrase at
 * every signature (gpg-agent's calibrated S2K, no cache). What gpg-agent
 * does not do is count wrong passphrases: without a limit, whoever can
 * reach the key holder (a compromised network process, through the
 * signer's socket) may guess at ~25 tries a second. So every use of a
 * server-held key goes through here: after CH_KEYGUARD_TRIES wrong
 * passphrases in a row the key is locked, and stays locked until a
 * policy-admin (`chancery person unlock`) or the official's enrolment
 * code (`chancery enrol`) unlocks it; each wrong try is a security event
 * (rule `wrong-passphrase`, then `key-locked`).
 *
 * The counts live in SITE/gnupg/chancery-tries.json, beside the keys:
 * only the key holder (the `chancery` command run by the site's owner, or
 * chanceryd's signer process) can open that directory, so the network
 * process can neither read nor reset them. */
#ifndef CH_KEYGUARD_H
#define CH_KEYGUARD_H

#include "workflows/site.h"

#define CH_KEYGUARD_TRIES 5

/* keyguard.c */
/* Sign as `person` with their server-held key, counting a wrong
 * passphrase. CH_EDENIED when the key is locked (nothing is tried). */
int ch_keyguard_sign(ch_buf *sig, ch_site *site, const char *person, const ch_keyinfo *key,
                     const char *passphrase, const void *payload, size_t len);
/* Change the passphrase of person's server-held key; a wrong old one
 * counts as a wrong try. */
int ch_keyguard_passwd(ch_site *site, const char *person, const ch_keyinfo *key,
                       const char *old_pass, const char *new_pass);
/* Clear the count (and the lock) of person's key. */
int ch_keyguard_unlock(ch_site *site, const char *person);
/* Wrong tries in a row so far, and whether the key is locked. */
int ch_keyguard_state(unsigned *tries, int *locked, ch_site *site, const char *person);

#endif
