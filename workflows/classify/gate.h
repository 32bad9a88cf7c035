/* gate.h -- the classification gate: one piece of code called at every
 * door of the networked tier (command line, browser forms, JSON API, and
 * every response the server sends). It refuses any classification label
 * but "unclassified", and any item carrying a state-secret stamp
 * (workflows/classify/stamp.h). A refusal never echoes, stores or logs the
 * content: it records a security event (who, when, which door, which rule)
 * in SITE/state/security.log, shown to the security-officer role. */
#ifndef CH_GATE_H
#define CH_GATE_H

#include <jansson.h>
#include <stddef.h>

#include <git2.h>

#include "workflows/classify/stamp.h"
#include "workflows/fileset.h"
#include "workflows/policy.h"
#include "workflows/site.h"

typedef struct {
	const char *door;           /* static: "command line", "browser form", "JSON API" */
	const char *person;         /* who brought it, or NULL */
	const char *classification; /* a claimed label, or NULL */
	const char *title;          /* or NULL */
	const void *text;           /* a document's text or a comment, or NULL */
	size_t text_len;
	const char *what;           /* static: "the text", "the comment" */
	const char *filename;       /* an upload's name, or NULL */
	const char *query;          /* a search query (scanned as a title), or NULL */
} ch_gate_item;

/* gate.c */
/* 0 to let it in; CH_ECLASSIFIED (message says which door, what, level
 * and rule, nothing of the content) after recording a security event.
 * Offline-tier sites take every level: the gate lets everything in. */
int ch_gate_check(ch_site *site, const ch_policy *pol, const ch_gate_item *item);
/* An attachment at a door (workflows/classify/attach.h). */
typedef struct {
	const char *door;           /* static, as in ch_gate_item */
	const char *person;         /* who brings it (its policy entry decides declarations) */
	size_t index;               /* 1-based position among the files brought, for messages */
	const char *name;           /* the NFC name */
	const void *data;
	size_t len;
	int declared;               /* the person declares it unclassified */
} ch_gate_file;

/* The gate on an attachment coming in. On the networked tier its name is
 * scanned as a file name and its content as a file (ch_stamp_scan_file);
 * a stamp refuses it. A file the scanner cannot read is refused unless it
 * is declared and the policy allows its type (ch_attach_sniff) for one of
 * the person's roles. On both tiers a declaration is valid only for an
 * unreadable file of an allowed type by a person with the right. Refusals
 * name the door, the file's position and the rule, never its name or
 * content, and record a security event. *unreadable (may be NULL) says
 * whether the scanner could not read it. */
int ch_gate_attachment(ch_site *site, const ch_policy *pol, const ch_gate_file *f,
                       int *unreadable);
/* The gate on an attachment going out (a download, a sync): 0 if its name
 * and content carry no stamp and it is readable or of a type the policy
 * allows; else CH_ECLASSIFIED after recording a security event. Offline
 * sites let everything out. */
int ch_gate_attachment_out(ch_site *site, const ch_policy *pol, const char *door,
                           const char *person, const char *name, const void *data,
                           size_t len);
/* Short fields at a door, each judged as a title (CH_STAMP_IN_TITLE): a
 * refusal names the field's `what` (static), never its value. */
typedef struct {
	const char *what;           /* static: "the number", "the type", ... */
	const char *value;          /* NULL: absent */
} ch_gate_field;
int ch_gate_fields(ch_site *site, const ch_policy *pol, const char *door, const char *person,
                   const ch_gate_field *fields, size_t n);

/* ---- whole commits: one rule for every door ----
 *
 * What a commit brings is judged whole, whatever door it came through:
 *   - its message: the subject as a title, the whole message as text, and
 *     every trailer value (the last paragraph's "Key: value" lines) as a
 *     title;
 *   - every header but the signature (author, committer, any extra
 *     header) as a title;
 *   - every path of its tree as a file name (all of them, whether or not
 *     the blob changed: a name is the tree's, and the tree is new);
 *   - every blob it adds or changes (compared with the first parent's
 *     tree at the same path; a root commit: every blob): meta.json as JSON
 *     (every string, keys included, each also as a title; a label other
 *     than "unclassified" is refused), document.md and any other file as a
 *     file (ch_stamp_scan_file: a file the scanner cannot read is refused),
 *     attachments/<name> as an attachment (ch_attach_scan: an unreadable
 *     one passes only when the policy allows its type; the verifier's D10
 *     then checks its declaration).
 * Nothing is skipped for its name or place. The verdict names the place
 * (static words and positions), never a name or the content. */
typedef struct {
	ch_stamp_result r;          /* r.level CH_STAMP_NONE: it passes */
	const char *place;          /* static: "the subject", "meta.json: number", ... */
	size_t index;               /* 1-based position of the file or trailer, or 0 */
	char where[96];             /* place and index in words, for messages */
} ch_gate_verdict;

/* Judging flags. */
#define CH_GATE_AUDIT 1u   /* the verifier: unreadable attachments are D10's, not judged */

/* Judge commit `c` of `repo` against `parent_tree` (NULL: a root, every blob
 * is new), recording nothing. `pol` decides which unreadable attachment
 * types pass (may be NULL with CH_GATE_AUDIT). 0 with the verdict in *out;
 * negative only when the commit or its objects cannot be read. */
int ch_gate_judge_commit(ch_gate_verdict *out, git_repository *repo, const ch_policy *pol,
                         const git_commit *c, const git_tree *parent_tree, unsigned flags);
/* The gate on a commit received at `door` (a push, a sync, a bundle): the
 * commit `id` of `repo` judged against its first parent (when `repo` holds
 * it). 0 to let it in; else CH_ECLASSIFIED, naming the door, the commit,
 * the place, level and rule, after recording one security event. Offline
 * sites take everything. */
int ch_gate_commit(ch_site *site, git_repository *repo, const ch_policy *pol,
                   const git_oid *id, const char *door, const char *person);
/* The same for a step about to be written (workflows/doc.c): the files of
 * its tree (NULL: the parent's tree, as an action keeps it), its parent's
 * files (NULL: a root), its whole message, and the author as written
 * ("Name <email>"). Judged before anything is signed or stored. */
int ch_gate_step(ch_site *site, const ch_policy *pol, const ch_fileset *files,
                 const ch_fileset *parent, const char *message, const char *ident,
                 const char *door, const char *person);

/* Record a security event (JSON line, appended and synced). */
/* The security log: SITE/state/security.log, rotated at CH_SECLOG_MAX
 * bytes into security.log.1 .. .CH_SECLOG_FILES (the oldest dropped); one
 * line per event, repeats of the same event within an hour folded into
 * its line ("count", "last"). */
#define CH_SECLOG_MAX (1024 * 1024)
#define CH_SECLOG_FILES 8
/* Events newest first, from the from-th, at most max, in *out (the
 * caller's); *total: how many the log holds. */
int ch_gate_events(json_t **out, size_t *total, ch_site *site, size_t from, size_t max);
int ch_gate_event(ch_site *site, const char *door, const char *person, const char *rule,
                  const char *level);

#endif
