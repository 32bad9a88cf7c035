/* transport.h -- stock git as the transport of join and sync (a child
 * process: util/spawn.h). */
#ifndef CH_TRANSPORT_H
#define CH_TRANSPORT_H

#include "util/buf.h"
#include "util/strv.h"

/* transport.c */
/* The environment for stock git on `git_dir` (GIT_DIR), with the TLS
 * client certificate, its key and the CA (any may be NULL) as GIT_SSL_*,
 * no prompts, fsck of received objects, no automatic gc; with `durable`,
 * fsync of objects and refs (a site's repository; not a quarantine). */
void ch_git_env(ch_strv *env, const char *git_dir, const char *cert, const char *key,
                 const char *ca, int durable);
/* For `git fetch` from a local repository owned by another user (a site
 * that chanceryd serves): --upload-pack=... with safe.directory for it. */
void ch_git_upload_pack_arg(ch_strv *args, const char *safe_dir);
/* Run `git ARGS...`: CH_EIO naming git's own last words unless it exits 0.
 * With `progress`, git's stderr is ours (a terminal); else captured. */
int ch_git_run(ch_buf *out, const ch_strv *env, int progress, const ch_strv *args);

#endif
