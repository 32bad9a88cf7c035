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
/* 0 when the password is right; CH_EAUTH when it is wrong or the person
 * has no account (the same work is done either way). */
int ch_accounts_check(ch_site *site, const char *person, const char *password);

#endif
