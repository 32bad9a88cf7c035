/* doc.h -- document chains (refs/docs/<id>): reading, replaying, and
 * recording the next step.
 *
 * Loading replays the chain through the engine with the policy each step
 * names, so the state shown and the state checked before a new step are
 * exactly what the verifier will compute. Loading does not verify
 * signatures (the verifier does); it trusts the local repository. */
#ifndef CH_DOC_H
#define CH_DOC_H

#include <git2.h>

#include "workflows/classify/attach.h"
#include "workflows/statemachine.h"
#include "workflows/site.h"
#include "workflows/trailers.h"
#include "workflows/fileset.h"

#define CH_DOC_MAX_STEPS 10000
#define CH_DOC_MAX_TEXT (4 * 1024 * 1024)
#define CH_TITLE_MAX 300

typedef struct {
	char *title, *type, *classification, *urgency, *workflow, *number;
	ch_strv recipients;
} ch_meta;

typedef struct {
	git_oid id;
	ch_trailers t;
	char *subject, *comment;
	long long time;
} ch_doc_event;

typedef struct {
	char *id;
	git_oid head;
	ch_doc_event *events;
	size_t nevents;
	ch_docstate state;
	ch_meta meta;
	ch_fileset files;   /* the tree at head */
	git_oid policy;     /* the policy the last step named */
} ch_doc;

/* doc.c */
int ch_meta_parse(ch_meta *out, const void *json, size_t len);
char *ch_meta_dump(const ch_meta *m);
void ch_meta_dispose(ch_meta *m);

/* CH_ENOTFOUND when there is no such document. */
int ch_doc_load(ch_doc **out, ch_site *site, const char *id);
void ch_doc_free(ch_doc *doc);
/* Every document id on the site, sorted. */
int ch_doc_list_ids(ch_strv *out, ch_site *site);

typedef struct {
	const char *actor;
	const char *on_behalf;  /* NULL: own right */
	const char *passphrase;
	const char *comment;    /* NULL: none */
	const git_oid *expected;/* the head the person saw; NULL: the current one */
	const char *door;       /* for the classification gate: "command line", ... */
	const char *source_name;/* the uploaded file the text came from, or NULL */
	struct ch_commit_ext_s *ext; /* a signature made outside (workflows/commit.h):
	                              * prepare, or write what was prepared; NULL: none */
} ch_actor;

typedef struct {
	const char *id;         /* NULL: generate one */
	const char *title, *type, *workflow, *classification, *urgency, *number;
	const ch_strv *recipients;
	const void *text;       /* UTF-8 Markdown; NFC-normalised on the way in */
	size_t text_len;
	const ch_attach_req *attach; /* NULL: no attachments (remove is refused) */
} ch_doc_new;

/* Record a create step; the new id into id_out. */
int ch_doc_create(ch_buf *id_out, ch_site *site, const ch_doc_new *req, const ch_actor *who);
/* Record a revise step with new text. */
int ch_doc_revise(ch_site *site, const char *id, const void *text, size_t len,
                  const ch_actor *who);
/* The same, with attachment changes (`attach` may be NULL); `text` NULL
 * keeps the current text. */
int ch_doc_revise_ex(ch_site *site, const char *id, const void *text, size_t len,
                     const ch_attach_req *attach, const ch_actor *who);
/* Record submit, approve, return, reject, sign, publish, withdraw or comment. */
int ch_doc_act(git_oid *out, ch_site *site, const char *id, const char *action,
               const ch_actor *who);

/* The peers whose diverged steps of document `doc_id` are kept under
 * refs/conflicts/<peer>/docs/<doc_id> (a mission's push that both sides
 * extended: sync/quarantine.h), in policy order; empty when none. */
int ch_doc_conflicts(ch_strv *out, ch_site *site, const char *doc_id);

#endif
