/* commit.h -- write one signed commit and move its ref by compare-and-swap.
 *
 * The order is what makes a refused step leave nothing behind and a crash
 * lose nothing acknowledged:
 *   1. take the site's write lock (shared) and the ref's lock (git's
 *      "<ref>.lock", through a libgit2 transaction); a held lock is a
 *      conflict;
 *   2. check the ref still points at `expected` (else: conflict);
 *   3. compute the tree id without writing; build the commit text;
 *   4. sign it (a wrong passphrase stops here: nothing written);
 *   5. write the blobs, trees and the commit through libgit2, each file and
 *      its directory flushed (GIT_OPT_ENABLE_FSYNC_GITDIR, site.c);
 *   6. move the ref under its lock (written, flushed, renamed), unlock.
 * A crash before 6 leaves unreferenced objects (harmless) and perhaps a
 * stale lock (`chancery recover` removes it); after 6 the step is on disk. */
#ifndef CH_COMMIT_H
#define CH_COMMIT_H

#include <git2.h>

#include "workflows/site.h"
#include "workflows/fileset.h"

/* A step signed outside the server (a browser's WebCrypto key, a token):
 * in two calls. Prepare: everything up to the signature (locks, the
 * compare-and-swap check, the tree, the commit text with its times), then
 * the v4 signature's hashed part and digest for key_fpr, and nothing is
 * written. Write: the same request with the text prepared and the
 * armored signature, which the caller has verified against the policy;
 * the head is checked again (compare-and-swap on the head prepared) and
 * the text must name the tree and parent computed now. */
typedef struct ch_commit_ext_s {
	int prepare;            /* 1: prepare; 0: write `text` signed by `signature` */
	char key_fpr[CH_PGP_FPR_HEX]; /* prepare: the signing key (40 hex) */
	int pk_algo;            /* prepare: CH_PGP_PK_* of that key */
	ch_buf text;            /* prepare: out; write: in */
	ch_pgp_sigctx sig;      /* prepare: out (hashed part, digest) */
	const char *signature;  /* write: the armored signature */
	/* prepare: out, what the write needs again */
	char *ref;
	git_oid expected;
	int has_expected;
	ch_fileset files;
	int has_files;
} ch_commit_ext;

typedef struct {
	const char *ref;          /* "refs/docs/<id>" or "refs/heads/policy" */
	const git_oid *expected;  /* current head; NULL: the ref must not exist */
	const ch_fileset *files;  /* the new tree; NULL: the parent's tree as is */
	const char *message;
	const char *name, *email; /* author and committer, informational */
	const char *signer;       /* person id, for messages */
	const ch_keyinfo *key;
	const char *passphrase;
	ch_commit_ext *ext;       /* NULL: sign here (or through the signer) */
} ch_commit_req;

/* commit.c */
/* Write what ext prepared, signed by `armored` (already verified by the
 * caller): compare-and-swap on the head prepared. */
int ch_commit_write_prepared(git_oid *out, ch_site *site, ch_commit_ext *ext,
                             const char *armored);
void ch_commit_ext_init(ch_commit_ext *ext);
void ch_commit_ext_dispose(ch_commit_ext *ext);
/* CH_ECONFLICT when the ref moved or is locked, CH_EAUTH on a wrong
 * passphrase; the repository is then as it was. */
int ch_commit_signed(git_oid *out, ch_site *site, const ch_commit_req *req);

#endif
