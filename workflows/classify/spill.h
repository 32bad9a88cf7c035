/* spill.h -- spillage: a document found to be classified after it went
 * online is withdrawn from every network path and purged from the site's
 * repository (SECURITY.md "Spillage").
 *
 * The spill list lives on its own ref, refs/chancery/spills, which is not a
 * document chain (DESIGN.md: a verifier lists it and does not judge it as
 * one). Each commit adds one record and is signed by a security-officer:
 *
 *   tree:    spills.json  {"version":1,"spills":[{"doc":"<id>","at":"<UTC>",
 *                          "by":"<person>","reason":"...","recipients":[...]}]}
 *   message: "spill: <id>", a blank line, then the trailers
 *            Chancery-Action: spill
 *            Chancery-Actor: <security-officer id>
 *            Chancery-Policy: <policy commit that names the actor>
 *            Chancery-Spill: <id>
 *
 *   and spilled/<id>: the ids (40 hex, sorted, one a line) of every commit,
 *   tree and blob of the document's chain and kept conflicts that no other
 *   ref held when the spill was recorded -- what the purge removes. Each
 *   commit carries the earlier records' files. No create, revise, push,
 *   sync, bundle or import may bring any of them back, under any id
 *   (ch_spill_check_tree at every step, the quarantine for transfers; a
 *   security event, rule "SPILL").
 *
 * A record holds no title and no text: it is a tombstone. The server reads
 * the list (without judging signatures: withdrawing is the safe direction)
 * and shows a spilled document as a tombstone everywhere; ch_spill_verify
 * checks every commit of the list for auditors. */
#ifndef CH_SPILL_H
#define CH_SPILL_H

#include "workflows/format.h"

#include <git2.h>

#include "workflows/doc.h"
#include "workflows/fileset.h"
#include "workflows/oidset.h"
#include "workflows/site.h"
#include "workflows/classify/spilled.h"

#define CH_SPILLS_MAX (4 * 1024 * 1024)
#define CH_SPILL_REASON_MAX 1000

typedef struct {
	char *doc, *at, *by, *reason;
	ch_strv recipients;
} ch_spill;

typedef struct {
	ch_spill *v;
	size_t n;
	git_oid head;  /* the commit the list was read from */
	int has_head;  /* 0: no spill list yet (an empty list) */
} ch_spill_list;

/* What a purge did. */
typedef struct {
	size_t objects;   /* objects of the document's chain */
	size_t unique;    /* of those, reachable from no other ref: removed */
	size_t shared;    /* kept: identical objects another ref reaches */
	size_t remaining; /* unique objects still present afterwards (0 on success) */
} ch_purge_result;

/* spill.c */
/* The list at the head of CH_SPILLS_REF; an empty list when there is none. */
int ch_spill_list_load(ch_spill_list *out, git_repository *repo);
void ch_spill_list_dispose(ch_spill_list *l);
/* Borrowed; NULL when `doc` is not in the list. */
const ch_spill *ch_spill_find(const ch_spill_list *l, const char *doc);

/* Check every commit of the list: one parent at most, signed by a person
 * who is a security-officer, not revoked, with that key, in the policy the
 * commit names (a commit of refs/heads/policy), and adding exactly one
 * record, by that person, to its parent's list. 0 and the list when it
 * holds; CH_EINVALID naming the commit and the fault otherwise. */
int ch_spill_verify(ch_spill_list *out, git_repository *repo);

/* Record a spill of `doc` as a signed commit by `officer` (who must be a
 * security-officer in the current policy). The reason passes the
 * classification gate. Recipients are the document's meta.json recipients
 * (read before anything is removed) or, for a document already gone, NULL. */
int ch_spill_record(ch_site *site, const ch_actor *officer, const char *doc,
                    const char *reason, const ch_strv *recipients);

/* Delete refs/docs/<doc> and remove from the object store every object of
 * its chain that no other ref reaches: reflogs expired and packs rewritten
 * with stock git (posix_spawn, no shell), the loose objects unlinked, then
 * each removed object looked up again. Refuses unless the spill list names
 * the document. CH_EIO when an object survives (result->remaining). */
int ch_spill_purge(ch_purge_result *result, ch_site *site, const char *doc);

/* SITE/state/spilled-<doc>.readers: the people who could read `doc` when
 * its ref was deleted (ch_spill_purge writes it first). A spilled
 * document's tombstone (its id and the time of the spill) is shown to
 * them and to security officers only. */
void ch_spill_readers_path(ch_buf *out, const char *site_path, const char *doc);

/* 1 when `person` is on `doc`'s readers list at SITE_PATH; 0 otherwise
 * (no list, unreadable, not named). */
int ch_spill_shown_to(const char *site_path, const char *doc, const char *person);

/* The recipients of a document, from meta.json at its head (no replay: the
 * chain may be one the verifier would refuse). CH_ENOTFOUND without a ref. */
int ch_spill_doc_recipients(ch_strv *out, ch_site *site, const char *doc);

#endif
