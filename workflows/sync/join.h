/* join.h -- a mission's site joins headquarters' policy chain. */
#ifndef CH_JOIN_H
#define CH_JOIN_H

#include <stdio.h>

#include "workflows/sync/exchange.h"

typedef struct {
	const char *path;     /* the new site's directory */
	const char *site_id;  /* its id, listed in the policy's sites.json */
	const char *from;     /* https://HOST:PORT/git/ID.git, or a site or repository directory */
	const char *anchor;   /* the introduction's 40-hex id, or NULL (then trusted, and said) */
	const char *cert, *key, *ca; /* TLS client certificate, key, CA (a URL) */
	const char *peer;     /* the source's site id, or NULL: from the URL or the policy */
	int progress;         /* git's progress on stderr */
	FILE *out;            /* each document's line and the summary */
} ch_join_req;

/* join.c */
/* Create the site, take the policy chain through a staging repository
 * (verified whole, anchored when given, networked tier, this site listed),
 * then the documents through the quarantine (ch_sync_pull). A refused join
 * leaves no site behind. *out: the pull's counts (refusals are not errors). */
int ch_sync_join(const ch_join_req *jr, ch_sync_run *out);

#endif
