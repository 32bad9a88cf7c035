/* quarantine.h -- receiving objects from a peer site (a push, a fetch from
 * HQ, a bundle) without letting anything unverified into the site.
 *
 *   SITE/state/quarantine/<random>/   a temporary bare repository whose
 *       objects/info/alternates names SITE/repo.git/objects: received
 *       objects land there, never in the site's repository; the verifier
 *       reads the quarantine and sees the site's objects through the
 *       alternates.
 *
 * ch_quarantine_apply then judges every update (below) and, for those
 * accepted, copies into the site only the objects the accepted heads reach
 * (repacked, so junk a peer slipped into its pack never lands), fsyncs the
 * pack, its index and the pack directory, and only then moves each ref by
 * compare-and-swap under git's ref lock. A crash at any point leaves the
 * site's refs as they were or moved to a durable, verified commit; the
 * quarantine directory is removed by ch_quarantine_free, and stale ones
 * (from a crash) by the next ch_quarantine_open after an hour.
 *
 * Semantics of one update (ref R, local head L, incoming N, S = the highest
 * head of R accepted before from this peer, docs/sync.md "Rollback"):
 *   - R must be refs/heads/policy or refs/docs/<valid id>; anything else,
 *     and a deletion (zero N), is REFUSED (rule "REF").
 *   - with CH_Q_CHECK_OLD (a push), old_id must equal L (zero: R absent),
 *     else REFUSED (rule "CAS": the ref moved; fetch and push again).
 *   - S known and N neither S nor a descendant of S: REFUSED, rule "R1"
 *     (a rollback or freeze), recorded as a security event.
 *   - N == L: UNCHANGED. L descends from N: AHEAD (nothing moves).
 *   - L absent, or N descends from L: N's chain is verified; ACCEPTED and R
 *     moves to N.
 *   - diverged: a document's N is verified and kept under
 *     refs/conflicts/<peer>/docs/<id> (neither side's steps are lost):
 *     CONFLICT. A diverged policy is REFUSED (rule "P3": a policy fork is
 *     never merged) and recorded as a security event.
 *   - verification: the verifier's rules on N's chain (P1-P6 for the
 *     policy, D1-D9 for a document), plus, for each commit new to the site:
 *     its actor must not be revoked in the site's CURRENT policy (rule
 *     "D1"), every blob new to the site and the document's label and title
 *     pass the classification gate (rule "G"; door given to
 *     ch_quarantine_open); a document must be one the peer may see
 *     (workflows/sync/peerview.h: addressed to it or created by one of its people,
 *     not spilled; rule "N"). A failure REFUSES the update naming the first
 *     bad commit and the rule.
 * After verification succeeded (ACCEPTED, UNCHANGED, AHEAD, CONFLICT), S
 * becomes N (durably, SITE/state/peers/<peer>.json, written atomically).
 * A policy update is judged first; documents are then verified against
 * the policy as it will stand (N when the policy update is accepted).
 *
 * One quarantine per transfer; not thread-safe. Two applies for the same
 * peer are serialized by a lock file (SITE/state/peers/<peer>.lock). */
#ifndef CH_QUARANTINE_H
#define CH_QUARANTINE_H

#include <stddef.h>

#include <git2.h>

#include "workflows/site.h"
#include "util/strv.h"

#define CH_Q_MAX_PACK (64u * 1024 * 1024) /* bytes of one received pack */
#define CH_Q_MAX_OBJECTS 2000000u         /* objects in one received pack */
#define CH_Q_MAX_UPDATES 1000             /* ref updates in one apply */
#define CH_Q_STALE_SECONDS 3600           /* older quarantines are removed on open */

typedef struct ch_quarantine ch_quarantine;

/* quarantine.c */
/* A new quarantine for objects from `peer_site` (a site id of the current
 * policy). `door` names the way in for the gate and security events
 * ("git push", "git fetch", "bundle"; static string). Owned by the
 * caller: ch_quarantine_free. */
int ch_quarantine_open(ch_quarantine **out, ch_site *site, const char *peer_site,
                       const char *door);
/* The quarantine's git directory (borrowed), so that `git fetch` or
 * `git index-pack` can write into it. */
const char *ch_quarantine_path(const ch_quarantine *q);
/* Index a whole pack into the quarantine (libgit2's git_indexer; at most
 * CH_Q_MAX_PACK bytes and CH_Q_MAX_OBJECTS objects). May be called more
 * than once. CH_EINVALID on a malformed or oversized pack. */
int ch_quarantine_add_pack(ch_quarantine *q, const void *pack, size_t len);

/* One requested update: zero oid = absent (old: the ref does not exist;
 * new: a deletion, always refused). */
typedef struct {
	char ref[256];
	git_oid old_id;
	git_oid new_id;
} ch_qupdate;

typedef enum {
	CH_Q_ACCEPTED,  /* verified; the ref moved to new_id */
	CH_Q_UNCHANGED, /* new_id is already the ref's head */
	CH_Q_AHEAD,     /* the site already has new_id and more after it */
	CH_Q_CONFLICT,  /* diverged document: kept under refs/conflicts/<peer>/docs/<id> */
	CH_Q_REFUSED    /* nothing moved; rule and message say why */
} ch_qstatus;

typedef struct {
	char ref[256];
	ch_qstatus status;
	char commit[41]; /* the offending commit (REFUSED), else new_id; "" if none */
	char rule[8];    /* "P1".."P6", "D1".."D9", "G" (gate), "N" (need to know),
	                  * "SPILL" (brings back an object of a spilled document),
	                  * "R1" (rollback), "REF" (ref name, deletion, missing
	                  * commit), "CAS" (the ref moved or is locked), "ATOM"
	                  * (another update of an atomic transfer failed), "IO";
	                  * "" unless REFUSED */
	char *message;   /* one line for a human, naming the commit and rule; never NULL */
} ch_qresult;

/* Flags for ch_quarantine_apply. */
#define CH_Q_CHECK_OLD 1u /* a push: each old_id must be the current head */
#define CH_Q_ATOMIC 2u    /* all or nothing: if any update is REFUSED or
                           * CONFLICT, nothing moves (the others are REFUSED,
                           * rule "ATOM") */

/* Judge and apply `n` updates (at most CH_Q_MAX_UPDATES). Returns 0 when
 * every update was judged (results say what happened to each, in the order
 * given; *results owned by the caller, ch_qresults_free), negative when
 * the apply itself could not run (then nothing moved, *results is NULL). */
int ch_quarantine_apply(ch_quarantine *q, const ch_qupdate *u, size_t n, unsigned flags,
                        ch_qresult **results);
void ch_qresults_free(ch_qresult *r, size_t n);
/* Removes the temporary directory. Accepts NULL. */
void ch_quarantine_free(ch_quarantine *q);

/* The name of a status ("accepted", "unchanged", ...). */
const char *ch_qstatus_name(ch_qstatus s);

/* Copy into the site what `walk` (over `src`) reaches, as one pack,
 * flushed with its index and directory before the caller moves a ref
 * (the quarantine's own migrate; the spill list's take). */
int ch_quarantine_pack_into(ch_site *site, git_repository *src, git_revwalk *walk);

#endif
