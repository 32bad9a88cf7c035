/* recover.h -- what a writer killed mid-write leaves behind, removed
 * safely (`chancery recover SITE`, and chanceryd at start).
 *
 * A writer killed by SIGKILL or a power cut can leave:
 *   repo.git/refs/...<ref>.lock, packed-refs.lock, logs/...lock
 *                         git's lock files: the ref stays blocked (every
 *                         next step on the document is a conflict)
 *   repo.git/objects/tmp_*, objects/XX/tmp_*, objects/pack/tmp_*
 *                         objects and packs half written (libgit2, git)
 *   SITE/...NAME.tmp.PID  ch_fs_write_atomic's file before its rename
 *                         (site.json, state/accounts.json, keys)
 * Nothing can tell a dead lock holder from a slow one by looking at the
 * files. ch_recover can: it takes the site's write lock (site.h)
 * EXCLUSIVE, which it gets only while no writer is inside a write, since
 * every writer holds it shared for the whole write; what it then finds in
 * repo.git was left by a writer that died. A NAME.tmp.PID is removed only
 * when no process PID runs (it may belong to a write outside repo.git).
 * The exclusive hold lasts only for the removals. */
#ifndef CH_RECOVER_H
#define CH_RECOVER_H

#include "workflows/site.h"
#include "util/strv.h"

typedef struct {
	ch_strv removed;  /* "PATH (what it was)", PATH relative to SITE */
	ch_strv kept;     /* NAME.tmp.PID files whose process still runs */
} ch_recover_result;

/* recover.c */
/* Wait at most wait_ms for the exclusive lock: CH_ECONFLICT if a writer
 * still holds it (nothing removed). `out` is always initialized. */
int ch_recover(ch_recover_result *out, ch_site *site, int wait_ms);
void ch_recover_result_dispose(ch_recover_result *r);

#endif
