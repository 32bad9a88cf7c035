/* exchange.h -- one exchange with a peer site: pull its view of the
 * policy and documents into a quarantine (verified, gated, need to know)
 * and apply it; push what the peer should have. docs/sync.md. */
#ifndef CH_EXCHANGE_H
#define CH_EXCHANGE_H

#include <stdio.h>

#include "workflows/site.h"
#include "util/strv.h"

typedef struct {
	const char *remote, *cert, *key, *ca, *peer;
	const char *safe_dir; /* a local remote owned by another user (join), or NULL */
	int progress;
	FILE *out;            /* where each ref's line and the summary go (stdout) */
	size_t pulled, pushed, refused, conflicts, unchanged; /* counted, each ref reported */
	size_t log_bytes;     /* bytes of site-log objects taken (logsync.h) */
} ch_sync_run;

/* exchange.c */
/* `chancery sync`: pull from r->remote (r->peer: its site id), then push;
 * a line on r->out for each ref that changed or was refused, and a
 * summary. Refusals are counted in r, not errors. */
int ch_sync(ch_sync_run *r, const char *site_path);
/* Fetch the remote's policy (and `doc_refspecs`, e.g. "+refs/docs/x:refs/docs/x";
 * NULL: every document it advertises) into a quarantine for r->peer, and
 * apply: a line on r->out for each ref that changed or was refused. */
int ch_sync_pull(ch_sync_run *r, ch_site *site, const ch_strv *doc_refspecs);
/* The peer's site id from ".../git/<id>.git", or NULL (caller frees). */
char *ch_sync_peer_from_url(const char *url);

#endif
