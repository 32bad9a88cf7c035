/* logsync.h -- site logs travelling between sites (issue 19, part 2 and 3;
 * docs/sync.md "Site logs"): taking a peer's log and the logs it relays,
 * fork detection, countersigning, and D1 at a log position at the doors.
 *
 * Every transfer carries logs beside the documents: a fetch takes the
 * peer's refs/chancery/log (into the quarantine as LOGSYNC_PEER_REF) and
 * every refs/chancery/peers/<S>/log it holds (as LOGSYNC_RELAYED_PREFIX
 * <S>/log); a push sends this site's log as refs/chancery/peers/<me>/log;
 * a bundle names them with their own names. Each log is verified
 * (ch_log_load: shape, signatures, the site) and compared with what this
 * site keeps for that site under refs/chancery/peers/<S>/log:
 *
 *   - the peer's own log must extend the one kept (else a fork: refused,
 *     a security event, rule R6);
 *   - a relayed log of S that extends ours is adopted, one ours extends is
 *     left, and one of which neither extends the other is a fork of S;
 *   - a relayed copy of this site's own log must be extended by our own
 *     head (else someone showed a forged history of us: a fork);
 *   - every Witness of this site in an incoming log names a head our own
 *     log extends.
 * A verified head of the direct peer is countersigned: a Witness item in
 * this site's log (unless the peer's log moved only by Witness items since
 * the head witnessed before: countersigning countersignatures never settles). */
#ifndef CH_LOGSYNC_H
#define CH_LOGSYNC_H

#include <stdio.h>

#include <git2.h>

#include "workflows/policy.h"
#include "workflows/site.h"
#include "workflows/sitelog.h"
#include "util/strv.h"

#define LOGSYNC_PEER_REF "refs/chancery/peer-log"         /* in a quarantine */
#define LOGSYNC_RELAYED_PREFIX "refs/chancery/relayed/"   /* in a quarantine: <S>/log */
/* the fetch refspecs (globs: a peer without a log is no error) */
#define LOGSYNC_FETCH_OWN "+refs/chancery/lo*:refs/chancery/peer-lo*"
#define LOGSYNC_FETCH_RELAYED "+refs/chancery/peers/*:refs/chancery/relayed/*"
#define LOGSYNC_MAX_LOGS 4096 /* logs one transfer may carry */

/* One log a transfer carries: whose it is and its head. */
typedef struct {
	char site[65];
	git_oid head;
} ch_logsync_in;

typedef struct {
	size_t stored;      /* logs stored or moved here */
	size_t forks;       /* forks (and invalid logs) found: each a line */
	size_t witnessed;   /* Witness items appended to this site's log */
	size_t bytes;       /* bytes of log objects copied into the site */
	ch_strv lines;      /* "fork: ..." and "refused log ...": for a human */
} ch_logsync_result;

void ch_logsync_result_dispose(ch_logsync_result *r);

/* logsync.c */
/* The site whose log `ref` is, as a transfer from `from` names it:
 * refs/chancery/log (from's own) or refs/chancery/peers/<S>/log. 1 and
 * `site` set, or 0 when `ref` is no log ref. */
int ch_logsync_ref(char site[65], const char *ref, const char *from);

/* Take the logs `in` that a transfer from `peer` brought into `src` (a
 * quarantine repository that sees the site's objects), as above. `door`
 * names the way in for security events. A fork or an invalid log is no
 * error: counted and described in `out`. With `witness`, the peer's own
 * verified head is countersigned. */
int ch_logsync_take(ch_logsync_result *out, ch_site *site, git_repository *src,
                    const char *peer, const char *door, const ch_logsync_in *in, size_t n,
                    int witness);

/* The same for what `git fetch` put in the quarantine at `qpath`
 * (LOGSYNC_PEER_REF and LOGSYNC_RELAYED_PREFIX refs). */
int ch_logsync_take_fetched(ch_logsync_result *out, ch_site *site, const char *qpath,
                            const char *peer, const char *door);

/* A push: the one log ref a peer may push is refs/chancery/peers/<peer>/log
 * (its own log). 1 if `ref` is refs/chancery/log or under
 * refs/chancery/peers/ (then *reason is NULL when it was taken, else a
 * one-line refusal the caller frees), 0 if not (the quarantine judges it). */
int ch_logsync_receive(char **reason, ch_site *site, const char *qpath, const char *peer,
                       const char *ref, const git_oid *new_id);

/* D1 at a log position (docs/format.md): a step `step` (chain `ref` at
 * `head`, in `repo`) by `actor` with key `fpr`, revoked in the policy at
 * `policy_head`, is valid when headquarters' log (the policy's home site;
 * this site's own log at headquarters) shows it before the entry that
 * records the first policy commit revoking it: recorded there at an
 * earlier entry, or in a log of site S that headquarters witnessed, at
 * an entry before that one, at or after the step's position in S's log.
 * 1 valid, 0 not (`why` says what the logs show), negative on error.
 * `cache` (NULL at first) keeps the logs loaded: ch_logsync_cache_free. */
typedef struct ch_logsync_cache ch_logsync_cache;
int ch_logsync_before_revocation(ch_logsync_cache **cache, ch_buf *why, ch_site *site,
                                 git_repository *repo, const git_oid *policy_head,
                                 const char *ref, const git_oid *step, const git_oid *head,
                                 const char *actor, const char *fpr);
void ch_logsync_cache_free(ch_logsync_cache *c);

#endif
