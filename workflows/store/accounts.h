/* accounts.h -- login passwords of a site's people (SITE/state/accounts.json,
 * mode 0600): Argon2id hashes only. The login password is a separate
 * secret from the signing passphrase, which gpg-agent alone checks. */
#ifndef CH_ACCOUNTS_H
#define CH_ACCOUNTS_H

#include "workflows/site.h"

#define CH_PASSWORD_MIN 10
#define CH_PASSWORD_MAX 256

/* accounts.c */
/* Set (or replace) the login password of a person of the current policy. */
int ch_accounts_set_password(ch_site *site, const char *person, const char *password);
/* 0 when the password is right and the person is active; CH_EAUTH when it
 * is wrong, the person has no account, or the person is revoked in (or
 * absent from) the current policy (the same work is done either way). */
int ch_accounts_check(ch_site *site, const char *person, const char *password);
/* 1 if `person` is listed and not revoked in the site's current policy
 * (parsed policies are cached by commit, so this is one ref read); 0
 * otherwise, and when the policy cannot be read. */
int ch_accounts_person_active(ch_site *site, const char *person);

#endif
