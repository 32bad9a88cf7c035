/* bundle.h -- sync by file for links that are down (docs/sync.md
 * "Bundles"): the refs and objects a peer site may see (workflows/sync/peerview.h,
 * the same need to know as a fetch), signed by the acting official of the
 * sending site with their own key and encrypted to the people of the
 * receiving site.
 *
 * The file is one OpenPGP message (binary), public-key encrypted, with no
 * compression. Its plaintext:
 *
 *   chancery-bundle 1\n
 *   signature <N>\n
 *   <N bytes: an armored detached OpenPGP signature over the body>
 *   <body>
 *
 * and the body, signed whole:
 *
 *   from <site id>\n
 *   to <site id>\n
 *   signer <person id>\n
 *   created <Unix time>\n
 *   ref <40 hex> refs/chancery/spills\n   (one line a ref, names strictly
 *   ref <40 hex> refs/docs/<id>\n          increasing; policy always there,
 *   ref <40 hex> refs/heads/policy\n      the spill list when the sender has one)
 *   pack <M>\n
 *   <M bytes: a git pack, version 2, which ends the body>
 *
 * Every field is checked by ch_bundle_parse (fuzzed by
 * tests/fuzz/fuzz_bundle.c) before anything else reads it. */
#ifndef CH_BUNDLE_H
#define CH_BUNDLE_H

#include <git2.h>

#include "workflows/doc.h"
#include "workflows/sync/quarantine.h"
#include "workflows/site.h"

#define CH_BUNDLE_MAGIC "chancery-bundle 1\n"
#define CH_BUNDLE_MAX_SIG 16384u
#define CH_BUNDLE_MAX_REFS 100000u
#define CH_BUNDLE_MAX_PACK CH_Q_MAX_PACK
/* the header lines: refs, at most 41 + 5 + 255 + 1 bytes each, and the rest */
#define CH_BUNDLE_MAX_HEADER (CH_BUNDLE_MAX_REFS * 304u + 4096u)
/* the decrypted content and the file: the pack, the header, the signature */
#define CH_BUNDLE_MAX_PLAIN ((size_t)CH_BUNDLE_MAX_PACK + CH_BUNDLE_MAX_HEADER + \
                             CH_BUNDLE_MAX_SIG + 64u)
#define CH_BUNDLE_MAX_FILE (CH_BUNDLE_MAX_PLAIN + 64u * 1024u)

typedef struct {
	char name[256]; /* refs/heads/policy, refs/chancery/spills or refs/docs/<id> */
	git_oid id;
} ch_bundle_ref;

typedef struct {
	char from[128], to[128], signer[128];
	long long created;
	ch_bundle_ref *refs; /* owned */
	size_t nrefs;
	/* borrowed from the parsed buffer */
	const char *sig;
	size_t sig_len;
	const unsigned char *body; /* what the signature covers */
	size_t body_len;
	const unsigned char *pack;
	size_t pack_len;
} ch_bundle;

/* bundle.c */
/* Parse a decrypted bundle (above); bounded, strict, no I/O. CH_EINVALID
 * names the first thing wrong. ch_bundle_dispose also after an error. */
int ch_bundle_parse(ch_bundle *out, const void *data, size_t len);
void ch_bundle_dispose(ch_bundle *b);

/* Write the encrypted bundle for `peer` (a site of the current policy,
 * not this one) into *out: the refs the peer may see (nrefs_out: how
 * many) and the objects they reach, less those that the commits in `have`
 * reach (the ones this site holds and the peer may see; others are
 * ignored), signed by who->actor (who->passphrase), who must be a person of
 * the current policy, not revoked, whose unit belongs to this site.
 * Encrypted to every non-revoked person whose unit belongs to the peer;
 * CH_EDENIED when there is none. */
int ch_bundle_create(ch_buf *out, size_t *nrefs_out, ch_site *site, const char *peer,
                     const ch_actor *who, const git_oid *have, size_t nhave);

/* The heads a checkpoint of `chancery verify --checkpoint` records (what
 * the peer holds and verified), at most CH_BUNDLE_MAX_REFS of them, for
 * ch_bundle_create's `have`: objects they reach are left out of the pack
 * (an incremental bundle). */
#define CH_BUNDLE_MAX_CHECKPOINT (16u * 1024 * 1024)
int ch_bundle_read_checkpoint(git_oid **have, size_t *nhave, const char *path);

/* Decrypt (with a key of this site's GnuPG home, `passphrase` answering
 * for it), parse, check that it is addressed to this site and signed by a
 * non-revoked person of the current policy whose unit belongs to the
 * sending site, then receive it through the quarantine (no old-id
 * check): the policy first, then the spill list (taken as
 * workflows/sync/spillsync.h says: what it spills is purged here), then
 * the documents. On success *results (nres of them, ch_qresults_free) say
 * what happened to each ref, and from_out (if not NULL, 128 bytes) names
 * the sender. Negative: refused before any ref moved, or a spill list
 * taken whose purge failed; the message says why. */
int ch_bundle_apply(ch_qresult **results, size_t *nres, char *from_out, ch_site *site,
                    const void *file, size_t len, const char *passphrase);

#endif
