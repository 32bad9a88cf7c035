/* commit.h -- write one signed commit and move its ref by compare-and-swap.
 *
 * The order is what makes a refused step leave nothing behind and a crash
 * lose nothing acknowledged:
 *   1. lock the ref (git's "<ref>.lock"); a held lock is a conflict;
 *   2. check the ref still points at `expected` (else: conflict);
 *   3. compute the tree id without writing; build the commit text;
 *   4. sign it (a wrong passphrase stops here: nothing written);
 *   5. append the new blobs, trees and commit and the ref's move to the
 *      step journal, flushed once (journal.h): from here the step survives
 *      a crash of the machine;
 *   6. write them as loose objects, move the ref under the lock (rename),
 *      unlock; neither flushed (the journal is the durable copy until its
 *      next checkpoint). */
#ifndef CH_COMMIT_H
#define CH_COMMIT_H

#include <git2.h>

#include "site.h"
#include "tree.h"

typedef struct {
	const char *ref;          /* "refs/docs/<id>" or "refs/heads/policy" */
	const git_oid *expected;  /* current head; NULL: the ref must not exist */
	const ch_fileset *files;  /* the new tree; NULL: the parent's tree as is */
	const char *message;
	const char *name, *email; /* author and committer, informational */
	const char *signer;       /* person id, for messages */
	const ch_keyinfo *key;
	const char *passphrase;
} ch_commit_req;

/* commit.c */
/* CH_ECONFLICT when the ref moved or is locked, CH_EAUTH on a wrong
 * passphrase; the repository is then as it was. */
int ch_commit_signed(git_oid *out, ch_site *site, const ch_commit_req *req);

#endif
