/* custody.h -- a person's keys and where they live (DESIGN.md "Keys with
 * custody", docs/format.md "Keys with custody").
 *
 * A person of the policy may list several keys, each labelled with its
 * custody: `browser` (a WebCrypto key the browser cannot export),
 * `token` (an OpenPGP card or PKCS#11 token behind the official's own
 * gpg-agent) or `server` (the site's GnuPG home). Each change here is one
 * policy commit signed by a policy-admin, like every other policy change
 * (workflows/admin.h). */
#ifndef CH_CUSTODY_H
#define CH_CUSTODY_H

#include "workflows/admin.h"
#include "workflows/commit.h"

/* custody.c */
/* List the certificate `armored` (one public key) as a key of `id` with
 * the given custody and label (label may be NULL). A version-1 entry
 * becomes a version-2 one ("keys"), its old key listed as custody server.
 * The certificate must be able to sign now. out_fpr, when not NULL,
 * receives the key's primary fingerprint. */
int ch_custody_key_add(ch_site *site, const ch_actor *admin, const char *id, ch_custody custody,
                       const char *label, const ch_buf *armored, char out_fpr[CH_PGP_FPR_HEX]);
/* Mark one key of `id` revoked; the person and their other keys stay. */
int ch_custody_key_revoke(ch_site *site, const ch_actor *admin, const char *id, const char *fpr);
/* policy/settings.json: whether server-held keys may sign. */
int ch_custody_set_server(ch_site *site, const ch_actor *admin, int forbidden);
/* A step prepared for a signature made outside (a browser's WebCrypto
 * Ed25519 key: `sig` is its 64 bytes, r then s, over ext's digest): the
 * signature packet is built around it, verified against the site's
 * *current* policy (a key of `person`, listed, not revoked, the key the
 * step was prepared for), and only then is the commit written, by
 * compare-and-swap on the head prepared. CH_EAUTH when it does not verify,
 * CH_EDENIED for a key that may not sign, CH_ECONFLICT when the head
 * moved; nothing is written then. */
int ch_custody_finish_ed25519(git_oid *out, ch_site *site, ch_commit_ext *ext,
                              const char *person, const unsigned char sig[64]);
/* The same with an armored OpenPGP signature made elsewhere (a token,
 * through the official's own GnuPG). */
int ch_custody_finish_armored(git_oid *out, ch_site *site, ch_commit_ext *ext,
                              const char *person, const char *armored);
/* The primary fingerprint of the one certificate in `armored`. */
int ch_custody_cert_fpr(char out[CH_PGP_FPR_HEX], const ch_buf *armored);

#endif
