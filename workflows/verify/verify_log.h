/* verify_log.h -- the verifier's side of the site log (docs/format.md
 * "The site log": R2-R7 and "D1 at a log position"). Internal to
 * workflows/verify: verify.c calls it; the quarantine and the doors use
 * only what verify.h exports.
 *
 * The logs a run holds are the site's own (refs/chancery/log) and each
 * peer's (refs/chancery/peers/<site>/log), each loaded whole and checked
 * (ch_log_load: R2 shape, R3 signature, R4 time) before anything is taken
 * from it. A log that fails is a finding and is not used. Everything here
 * is read-only once ch_vlogs_open has returned: the worker threads share
 * it. */
#ifndef CH_VERIFY_LOG_H
#define CH_VERIFY_LOG_H

#include <git2.h>
#include <stdint.h>

#include "workflows/policy.h"
#include "workflows/sitelog.h"
#include "workflows/verify/verify.h"
#include "util/error.h"

/* Findings, as verify.c keeps them. */
typedef struct {
	ch_finding *v;
	size_t n;
} ch_vflist;

/* verify.c */
void ch_vadd(ch_vflist *l, const char *rule, const char *ref, const git_oid *commit,
             const char *fmt, ...) CH_PRINTF(5, 6);

typedef struct {
	ch_log log;
	char *ref;          /* CH_LOG_REF or refs/chancery/peers/<site>/log */
	/* before[p], p = 1..n+1: the earliest time a peer witnessed the last
	 * witnessed entry of this log with seq < p (R7's earliest bound of
	 * what entry p first records); 0 when no entry before p was witnessed. */
	int64_t *before;
} ch_vlog;

typedef struct {
	int held;           /* the repository holds CH_LOG_REF: R5-R7 apply */
	int own;            /* v[0] is the site's own log (it loaded and checked) */
	ch_vlog *v;         /* the usable logs */
	size_t n;
	const ch_log **logs;/* &v[i].log */
} ch_vlogs;

/* verify_log.c */
/* Load and check every log the repository holds: R2-R4 (ch_log_load),
 * R3 against the log_key `newest`'s sites.json names (newest may be NULL),
 * a peer's log under its own name, and R6 (every Witness item in any log
 * held names an entry of the witnessed log as held here). Findings go to
 * `f`; returns 0 (a log that fails is a finding, never an error). */
int ch_vlogs_open(ch_vlogs *L, git_repository *repo, const ch_policy *newest, ch_vflist *f);
void ch_vlogs_dispose(ch_vlogs *L);
/* R5 for the policy head, the spill list head and, when `conflicts`, each
 * kept conflict ref: recorded in the site's own log. */
void ch_vlogs_heads(const ch_vlogs *L, git_repository *repo, int conflicts, ch_vflist *f);
/* One document chain (root first, n commits, the head last): pos[l*n+i]
 * gets the position of commit i in log l (the first entry recording it or
 * a later commit of the chain; 0 none). R5: the head is recorded in the
 * own log, and in each log the commits recorded follow the chain forward.
 * `pos` holds L->n * n entries. */
void ch_vlogs_doc(const ch_vlogs *L, const char *ref, git_commit *const *chain, size_t n,
                  uint64_t *pos, ch_vflist *f);
/* R7's bounds of commit i (pos as ch_vlogs_doc made it): *earliest 0 when
 * unknown (a log records it with no witnessed entry before), *latest 0
 * when no log records it. */
void ch_vlogs_bounds(const ch_vlogs *L, const uint64_t *pos, size_t n, size_t i,
                     int64_t *earliest, int64_t *latest);
/* The pure core of R7's earliest bound: before[p] for p = 1..n+1 from
 * wit[q] (q = 1..n: the earliest time entry q was witnessed, 0 never). */
void ch_vlog_before(int64_t *before, const int64_t *wit, size_t n);
/* The order rule over one log's positions of a chain (first[i]: the first
 * entry recording commit i exactly, 0 none): the index of the first commit
 * recorded at an earlier entry than an older commit (*older: that older
 * one), or n when none. */
size_t ch_vlog_order_fault(const uint64_t *first, size_t n, size_t *older);

/* How a step by a person revoked later stands in the logs. */
typedef struct {
	size_t log;          /* which log (when accepted, else the own or first log) */
	uint64_t step_seq;   /* its position there; 0 none */
	uint64_t rev_seq;    /* the position of the revoking policy there; 0 none */
} ch_vlog_where;

/* D1 at a log position for commit i of a chain (pos as ch_vlogs_doc
 * made it), by the rule of the doors: 1 when the log of `hq` (the site
 * whose policy revoked) records it before the entry recording `revoking`,
 * or witnessed before that entry a head of another site's log recording
 * it; 0 otherwise; -1 when no log can order them (no log of hq held, it
 * does not record the revocation, or both lie in its first entry). */
int ch_vlogs_before_revocation(const ch_vlogs *L, git_repository *repo, const uint64_t *pos,
                               size_t n, size_t i, const git_oid *revoking, const char *hq,
                               ch_vlog_where *where);
/* Why `actor` may not sign with key `fpr` (primary) under `pol`: NULL when
 * they may (the person listed and not revoked, the key listed and not
 * revoked). */
const char *ch_vlog_revoked_in(const ch_policy *pol, const char *actor, const char *fpr);
/* Whether `ref` is a log ref: the own log or a peer's. */
int ch_vlog_is_log_ref(const char *ref);

#endif
