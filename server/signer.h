/* signer.h -- chanceryd's signer process (OpenSMTPD's ca.c model).
 *
 * The only process that can open the site's GnuPG home; started as root,
 * chanceryd runs it as the site's keys user (chancery-SITE-keys). It answers one
 * kind of request over its socket: "sign this payload as this person with
 * this passphrase". It looks the person's key up in site.json itself (it
 * never takes key material from the network process), signs through
 * gpg-agent, wipes the passphrase, and replies with the signature or an
 * error. A malformed request ends the process. */
#ifndef CH_SIGNER_H
#define CH_SIGNER_H

#include <pthread.h>

#include "workflows/site.h"

typedef struct {
	int fd;
	pthread_mutex_t lock; /* one request at a time on the socket */
	const char *site_path; /* where the key guard's events are recorded */
} ch_signer_client;

/* signer.c */
/* The signer loop; returns the process exit status. */
int ch_signer_main(int fd, const char *site_path);
/* A ch_sign_fn (workflows/site.h) that asks the signer; ctx is a
 * ch_signer_client. */
int ch_signer_client_sign(ch_buf *sig, const char *person, const ch_keyinfo *key,
                          const char *passphrase, const void *payload, size_t len, void *ctx);

/* A ch_keygen_fn that asks the signer to create a key (and record it in
 * site.json, which only the signer may write). */
int ch_signer_client_keygen(ch_keyinfo *key, ch_buf *armored, const char *person,
                            const char *name, const char *email, const char *algo,
                            const char *passphrase, void *ctx);

/* A ch_passwd_fn that asks the signer to change a passphrase. */
int ch_signer_client_passwd(const char *person, const char *old_pass, const char *new_pass,
                            void *ctx);

#endif
