/* enrol.h -- officials own their secrets (issue 17).
 *
 * An account is opened with a one-time enrolment code: random (120 bits,
 * shown once to the admin who added the person, or printed for them),
 * expiring after CH_ENROL_TTL, stored only as an Argon2id hash in
 * SITE/state/enrol.json. With it the official sets their own login
 * password and either enrols a device key (a browser's WebCrypto key, or
 * a token's), which stays pending until a policy-admin approves it after
 * comparing fingerprints (a signed policy commit), or -- where the policy
 * allows server custody -- sets their own signing passphrase on the
 * server-held key that was created for them protected by the code itself
 * (gpg-agent PASSWD: the agent checks the old passphrase, the code, and
 * the admin never learns the new one). Nobody else ever knows either.
 * Officials change both themselves afterwards (old secret required). */
#ifndef CH_ENROL_H
#define CH_ENROL_H

#include "workflows/custody.h"

#define CH_ENROL_TTL (72 * 3600)      /* seconds a code stays valid */
#define CH_ENROL_MAX_PENDING 64        /* device keys awaiting approval, whole site */
#define CH_ENROL_MAX_PENDING_PERSON 4  /* ... of one person */

typedef struct {
	const char *person;
	const char *code;
	const char *password;        /* the new login password; NULL: leave it */
	const char *passphrase;      /* the new signing passphrase of the server-held key;
	                              * NULL: none (device key, or later) */
	const ch_buf *device_key;    /* an armored public key to enrol; NULL: none */
	ch_custody device_custody;   /* browser or token */
	const char *device_label;
} ch_enrol_req;

/* enrol.c */
/* Add a person and issue their enrolment code (into `code`, shown once).
 * server_key: create a server-held key protected by the code; else the
 * person starts with no key ("keys": []). */
int ch_enrol_person_add(ch_buf *code, ch_site *site, const ch_actor *admin, ch_person_new *p,
                        int server_key);
/* A new code for an existing person (a forgotten password, a locked
 * key), replacing any earlier one. Run by the site's operator. */
int ch_enrol_issue(ch_buf *code, ch_site *site, const char *person);
/* Check a code (unexpired, this person's); CH_EAUTH otherwise, with the
 * same work done for an unknown person. Does not consume it. */
int ch_enrol_check(ch_site *site, const char *person, const char *code);
/* Use a code: everything in req, then the code is gone. Nothing is
 * changed when a part fails before the code is consumed. */
int ch_enrol_open(ch_site *site, const ch_enrol_req *req);
/* Device keys awaiting approval: a JSON array of {"person","fingerprint",
 * "custody","label","at"} (new reference). */
int ch_enrol_pending(json_t **out, ch_site *site);
/* Record a device key for a person who is logged in (a new device). */
int ch_enrol_device(ch_site *site, const char *person, const ch_buf *armored,
                    ch_custody custody, const char *label, char fpr_out[CH_PGP_FPR_HEX]);
/* A policy-admin approves a pending key: a signed policy commit lists it
 * (ch_custody_key_add); the pending entry goes. */
int ch_enrol_approve(ch_site *site, const ch_actor *admin, const char *person, const char *fpr);
/* The official changes their login password (old one required). */
int ch_enrol_change_password(ch_site *site, const char *person, const char *old_pw,
                             const char *new_pw);
/* The official changes the passphrase of their server-held key. */
int ch_enrol_change_passphrase(ch_site *site, const char *person, const char *old_pass,
                               const char *new_pass);

#endif
