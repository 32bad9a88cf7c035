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

/* meta.json. Version 1 (DESIGN.md "Repository format, version 1") has no
 * id, site or unit (NULL here); version 2 binds the chain to its document
 * (DESIGN.md "Binding a chain to its document"): id, site and unit are
 * then required. The version is meta.json's own "version" member. */
typedef struct {
	int version;         /* 1 or 2 */
	char *id, *site, *unit; /* version 2 only; NULL in version 1 */
	char *title, *type, *classification, *urgency, *workflow, *number;
	ch_strv recipients;
} ch_meta;

#define CH_META_VERSION 2 /* what Chancery writes */

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
	char *unit;         /* the document's unit: meta.json's (version 2), else the
	                     * creator's unit in the policy its create names; "" if unknown */
} ch_doc;

/* doc.c */
int ch_meta_parse(ch_meta *out, const void *json, size_t len);
char *ch_meta_dump(const ch_meta *m);
void ch_meta_dispose(ch_meta *m);
void ch_meta_copy(ch_meta *dst, const ch_meta *src);
/* D12: the name of the first field fixed at create (version, id, site,
 * unit, type, workflow, classification) that differs between a and b;
 * NULL when none does. */
const char *ch_meta_fixed_change(const ch_meta *a, const ch_meta *b);
/* D11 for a version-2 meta.json under `pol`: its id is `doc_id`, its site
 * is a site of sites.json or the repository's own. 0, or CH_EINVALID with a
 * message (no rule prefix). Version 1: always 0. */
int ch_meta_check_bound(const ch_meta *m, const char *doc_id, const ch_policy *pol);

/* CH_ENOTFOUND when there is no such document. */
int ch_doc_load(ch_doc **out, ch_site *site, const char *id);
/* The same for `person` reading under the site's current policy
 * (ch_policy_may_read): a document they may not read is answered exactly
 * as one that does not exist (the same code and message). */
int ch_doc_load_as(ch_doc **out, ch_site *site, const char *person, const char *id);
/* 0 when `person` may read document `id` under the current policy;
 * otherwise CH_ENOTFOUND with ch_doc_load's message for a missing id. */
int ch_doc_readable(ch_site *site, const char *person, const char *id);
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
	int need_read;          /* server doors: a document the actor may not read is
	                         * answered as one that does not exist */
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

/* D13 at a door that receives chains (workflows/sync/quarantine.c): is the
 * chain ending at `head` (read from `repo`, which may see more objects
 * than the site) one that another document ref of `site` already holds?
 * Chains have single parents (D5), so two chains share a commit exactly
 * when they share their root. 1 and the other ref's name into `holder`
 * and the shared root into `root` when document ref `ref` would share
 * its root with another one; 0 when not; negative on errors. */
int ch_doc_shared_root(ch_buf *holder, git_oid *root, ch_site *site, git_repository *repo,
                       const char *ref, const git_oid *head);

/* The peers whose diverged steps of document `doc_id` are kept under
 * refs/conflicts/<peer>/docs/<doc_id> (a mission's push that both sides
 * extended: sync/quarantine.h), in policy order; empty when none. */
int ch_doc_conflicts(ch_strv *out, ch_site *site, const char *doc_id);

#endif
