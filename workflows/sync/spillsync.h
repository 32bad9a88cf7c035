/* spillsync.h -- spills reach every recipient (issue 19, part 5;
 * docs/format.md "The spill list", docs/sync.md "Spills").
 *
 * The spill list (refs/chancery/spills, workflows/classify/spill.h)
 * travels to every peer site like the policy: the peer view advertises it
 * (peerview.c), `chancery sync` fetches it, bundles carry it, `join` takes
 * it. A transfer's list is taken after the transfer's policy update was
 * applied and before its documents are judged, so that a document spilled
 * upstream cannot arrive in the same transfer:
 *
 *   - no list in the transfer: nothing;
 *   - the same head as ours: unchanged; ours extends it: ours is kept
 *     (the peer is behind);
 *   - a head that does not extend ours (a fork, a rewritten or rewound
 *     list): REFUSED, rule "SL1", a security event; ours is kept;
 *   - every commit must verify (ch_spill_verify, against the policy this
 *     site now holds: each signed by a non-revoked security-officer of the
 *     policy chain, one record each) and each new commit pass the
 *     classification gate: else REFUSED, rule "SL2" (or "G"), a security
 *     event;
 *   - accepted: the list's new objects enter the site (durable first),
 *     the ref moves by compare-and-swap, the site log records the move (its
 *     Spills item is this site's acknowledgement), and every document the
 *     list names that this site still holds (refs/docs/<id>,
 *     refs/conflicts/<peer>/docs/<id>) is withdrawn and purged
 *     (ch_spill_purge).
 *
 * Headquarters reads the acknowledgements back from the peers' logs it
 * keeps (refs/chancery/peers/<site>/log): ch_spillsync_acks. */
#ifndef CH_SPILLSYNC_H
#define CH_SPILLSYNC_H

#include <stdint.h>
#include <stdio.h>

#include <git2.h>

#include "workflows/site.h"
#include "workflows/sync/quarantine.h"
#include "util/strv.h"

/* What taking a transfer's spill list did. */
typedef struct {
	int present;         /* the transfer brought a spill list */
	ch_qstatus status;   /* ACCEPTED (taken), UNCHANGED, AHEAD (ours kept), REFUSED */
	char commit[41];     /* the list head brought (or the offending commit) */
	char rule[8];        /* "SL1", "SL2", "G", "REF", "CAS" when REFUSED */
	char message[512];   /* one line for a human */
	size_t new_records;  /* records new to this site */
	ch_strv purged;      /* documents withdrawn and purged here */
	ch_strv failed;      /* documents whose purge failed (see message) */
} ch_spillsync;

/* spillsync.c */
/* Take the spill list a transfer from `peer` brought into `q` (its head:
 * `head`, or, when NULL, the quarantine's refs/chancery/spills, as `git
 * fetch` left it). Call after the transfer's policy update was applied and
 * before its documents. Refusals are results, not errors (a security
 * event at `door`); negative only when the take could not run (nothing
 * moved) -- or when the ref moved but the log could not record it or a
 * purge failed (out says which). ch_spillsync_dispose afterwards. */
int ch_spillsync_take(ch_spillsync *out, ch_site *site, ch_quarantine *q, const git_oid *head,
                      const char *peer, const char *door);
void ch_spillsync_dispose(ch_spillsync *s);
/* The same result as a quarantine's (ref CH_SPILLS_REF; message owned by
 * *out, freed with ch_qresults_free), for callers that list results. */
void ch_spillsync_qresult(ch_qresult *out, const ch_spillsync *s);
/* Lines for a human: the result, each purge. */
void ch_spillsync_print(FILE *out, const ch_spillsync *s);

/* Withdraw and purge every document the site's own spill list names that
 * the site still holds (a take, or one interrupted before): appends the
 * ids to `purged` and `failed`. Negative when one failed. */
int ch_spillsync_sweep(ch_site *site, ch_strv *purged, ch_strv *failed);

/* ---- acknowledgements (headquarters' security page) ---- */

typedef enum {
	CH_ACK_APPLIED = 1, /* the site's log holds a Spills item at this record or later */
	CH_ACK_NOT_YET,     /* its log is here but holds none */
	CH_ACK_NO_LOG       /* no log from that site here yet */
} ch_ack_state;

typedef struct {
	char site[65];
	ch_ack_state state;
	uint64_t seq;        /* APPLIED: the log entry that acknowledges it */
	int64_t time;        /* and its time (the site's clock) */
} ch_spill_ack;

typedef struct {
	char doc[80];
	char at[32];
	char by[65];
	git_oid commit;      /* the spill list commit that added the record */
	ch_spill_ack *acks;  /* one per recipient site named in the record */
	size_t nacks;
} ch_spill_status;

typedef struct {
	ch_spill_status *v;  /* in the list's order */
	size_t n;
} ch_spill_acks;

/* Per spill record of this site's list, per recipient site: whether that
 * site's log kept here (refs/chancery/peers/<site>/log, or this site's own
 * log for itself) acknowledges the record's commit or a later one. An
 * empty table when there is no list. A peer's log that does not load is
 * treated as absent (CH_ACK_NO_LOG). */
int ch_spillsync_acks(ch_spill_acks *out, git_repository *repo, const char *self);
void ch_spill_acks_dispose(ch_spill_acks *a);

#endif
