/* verify.h -- the auditor's verifier: every rule of DESIGN.md on the
 * policy chain (P1-P6) and on every document chain (D1-D9), and the
 * checkpoint (C1). It needs nothing but the repository: keys come from the
 * policy chain and signatures are verified in process (crypto/pgp.h). */
#ifndef CH_VERIFY_H
#define CH_VERIFY_H

#include <git2.h>

#include "util/buf.h"
#include "util/strv.h"

typedef struct {
	char rule[4];     /* "P1".."P6", "D1".."D9", "C1"; "W" for a warning */
	char *ref;        /* "refs/docs/x", "refs/heads/policy" */
	char commit[41];  /* "" when the finding is about a ref */
	char *message;
	int warning;
} ch_finding;

typedef struct {
	ch_finding *v;
	size_t n;
	size_t nfindings, nwarnings;
	size_t policy_commits, doc_commits, docs;
	ch_strv other_refs;   /* refs that are not chains: listed, not judged */
	char root[41];        /* the introduction found */
	int anchored;         /* the introduction was given out of band */
	int checkpoint_written;
} ch_report;

typedef struct {
	const char *introduction; /* 40-hex commit id, or NULL */
	const char *introducer;   /* 40-hex fingerprint, or NULL */
	const ch_strv *docs;      /* only these documents; NULL: all */
	const char *checkpoint;   /* file, or NULL */
} ch_verify_opts;

/* verify.c */
/* Returns 0 when the verification ran (findings are in the report),
 * negative on usage or I/O errors. */
int ch_verify(ch_report *out, git_repository *repo, const ch_verify_opts *opts);
void ch_report_dispose(ch_report *r);
void ch_report_text(ch_buf *out, const ch_report *r);
void ch_report_json(ch_buf *out, const ch_report *r);

#endif
