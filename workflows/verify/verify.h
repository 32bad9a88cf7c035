/* verify.h -- the auditor's verifier: every rule of DESIGN.md on the
 * policy chain (P1-P6) and on every document chain (D1-D13), and the
 * checkpoint (C1). It needs nothing but the repository: keys come from the
 * policy chain and signatures are verified in process (crypto/pgp.h),
 * never with the host's keyring or a site's keystore.
 *
 * The policy chain is verified first, in the calling thread; the document
 * chains then in parallel, one git_repository handle per worker thread,
 * sharing the verified policies read-only. Findings come out in a stable
 * order (the policy chain, then each document by ref name, each in chain
 * order, a document's checkpoint finding after its chain's), whatever the
 * number of threads. */
#ifndef CH_VERIFY_H
#define CH_VERIFY_H

#include <git2.h>

#include "workflows/sitelog.h"
#include "util/buf.h"
#include "util/strv.h"

typedef struct {
	char rule[4];     /* "P1".."P6", "D1".."D13", "C1", "R2".."R7"; "W" for a warning */
	char *ref;        /* "refs/docs/x", "refs/heads/policy" */
	char commit[41];  /* "" when the finding is about a ref */
	char *message;    /* the facts: who acted as whom, with which key, ... */
	int warning;
} ch_finding;

/* One step of a document chain, for the reports: who signed it, with
 * which key, held where (DESIGN "Keys with custody"). */
typedef struct {
	char commit[41];
	char action[16];
	char actor[65];
	char key[41];     /* the primary key that signed; "" when no good signature */
	char custody[8];  /* "browser", "token", "server"; "" when unknown */
	/* The site log (R7): the time its signer claims (the committer time)
	 * and the bounds the logs held give it (0: unknown). */
	int64_t claimed, earliest, latest;
	uint64_t seq;     /* the first entry of the site's own log recording it; 0 none */
	/* A step by a person or key revoked later, accepted by a log before the
	 * revocation (D1 at a log position): that log's site, the step's and
	 * the revocation's positions in it (rev_seq 0: it holds none). */
	char rev_log[65];
	uint64_t rev_step_seq, rev_seq;
} ch_report_step;

/* One verified document, for the reports. */
typedef struct {
	char *ref;        /* "refs/docs/<id>" */
	char *title;      /* meta.json's title at the head; NULL when unreadable */
	char *state;      /* the replayed state; NULL when the replay stopped */
	char head[41];
	size_t commits;
	size_t findings;  /* findings (not warnings) on this document */
	ch_report_step *steps; /* every commit of the chain, in order */
	size_t nsteps;
} ch_report_doc;

typedef struct {
	ch_finding *v;
	size_t n;
	size_t nfindings, nwarnings;
	size_t policy_commits, doc_commits, docs;
	size_t by_custody[3];  /* document steps signed by keys of custody server,
	                        * browser, token (ch_custody order) */
	size_t by_unknown;     /* steps with no good signature by a listed key */
	ch_report_doc *doclist; /* the documents verified, by ref name */
	size_t ndoclist;
	ch_strv other_refs;   /* refs that are not chains: listed, not judged */
	char root[41];        /* the introduction found */
	char root_signer[41]; /* the primary key that signed it; "" when not checked or bad */
	int anchor_given;     /* a trust anchor was given (--introduction, --introducer) */
	char anchor_introduction[41], anchor_introducer[41]; /* the anchor given, or "" */
	int anchored;         /* an anchor was given, and the root is that introduction,
	                         signed by that introducer */
	int checkpoint_written;
	char *repo_path;      /* the repository's git directory */
	char *tier;           /* the signed tier ("networked", "offline"); NULL if unknown */
	unsigned threads;     /* worker threads used for the document chains */
	size_t cache_hits;    /* signatures taken from the cache */
	size_t cache_stored;  /* signatures added to it */
	char *cache_note;     /* why the cache (or part of it) was not used; NULL if it was */
	/* The site log (R2-R7): held when the repository has refs/chancery/log. */
	int log_held;
	char log_site[65];    /* the own log's site; "" when it did not load */
	uint64_t log_entries; /* its entries */
	size_t peer_logs;     /* peers' logs loaded and checked */
} ch_report;

typedef struct {
	const char *introduction; /* 40-hex commit id, or NULL */
	const char *introducer;   /* 40-hex upper-case fingerprint; given with introduction */
	const ch_strv *docs;      /* only these document ids; NULL: all */
	const ch_strv *hide;      /* document ids treated as absent (the caller may not show
	                           * them: the audit page); NULL: none */
	const char *checkpoint;   /* file, or NULL */
	const char *cache_dir;    /* verification cache directory, or NULL for none */
	unsigned threads;         /* 0: $CHANCERY_THREADS, else every online core */
	int no_log;               /* skip R2-R7 and D1 at a log position even when the
	                           * repository holds refs/chancery/log (the quarantine:
	                           * its repository is not a site's) */
} ch_verify_opts;

/* verify.c */
/* Returns 0 when the verification ran (findings are in the report, which
 * the caller disposes of in every case), negative on usage or I/O errors. */
int ch_verify(ch_report *out, git_repository *repo, const ch_verify_opts *opts);
void ch_report_dispose(ch_report *r);
/* For terminals: one line per finding and warning, then totals. */
void ch_report_text(ch_buf *out, const ch_report *r);
/* For tools: {"version":1,"ok":...,"findings":[...],...}. */
void ch_report_json(ch_buf *out, const ch_report *r);
/* For archives: one self-contained HTML page (inline CSS, no scripts, no
 * external resources, a Content-Security-Policy that forbids both); every
 * string from the repository is HTML-escaped. */
void ch_report_html(ch_buf *out, const ch_report *r);

/* verify_log.c */
/* (D1 at a log position has one rule, the doors': ch_logsync_before_revocation
 * in workflows/sync/logsync.h; the verifier's ch_vlogs_before_revocation
 * applies the same to the logs it holds.) */
/* The first policy commit after `named` (up to `head`, on the policy
 * chain) in which `actor` is no longer a person, is revoked, or no longer
 * holds key `fpr` (primary, 40 upper-case hex) or holds it revoked: 1 and
 * *out set; 0 when none is; negative when the chain cannot be read. */
int ch_verify_revoking_policy(git_oid *out, git_repository *repo, const git_oid *named,
                              const git_oid *head, const char *actor, const char *fpr);

#endif
