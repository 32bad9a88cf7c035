/* peerview.h -- need to know: what a peer site may see of this site's
 * repository (mission sync, docs/sync.md). Used by the fetch endpoint
 * (server/git_http.c), by the push quarantine (workflows/sync/quarantine.c) and
 * by bundles.
 *
 * A peer may see:
 *   - refs/heads/policy (the whole policy chain);
 *   - refs/chancery/spills (the whole spill list: every peer, so that
 *     every recipient applies it; workflows/sync/spillsync.h);
 *   - refs/docs/<id> for each document that
 *       * is addressed to it (its head meta.json `recipients` name the
 *         peer), or was created by a person whose unit belongs to the peer
 *         (the Chancery-Actor of the chain's root commit, looked up in the
 *         policy given; a unit belongs to a site whose `units` hold it or a
 *         prefix of it, DESIGN.md sites.json),
 *       * is not named by the spill list (refs/chancery/spills),
 *       * and whose head passes the classification gate (label, title,
 *         text; door "git sync"; a refusal is recorded as a security event).
 *   - refs/chancery/log and every refs/chancery/peers/<site>/log held here
 *     (site logs hold only commitments: workflows/sync/logsync.h).
 * Nothing else (nothing else under refs/chancery/, refs/conflicts/, ...). */
#ifndef CH_PEERVIEW_H
#define CH_PEERVIEW_H

#include <git2.h>

#include "workflows/policy.h"
#include "workflows/site.h"
#include "workflows/classify/spill.h"

#define CH_VIEW_MAX_COMMITS (16u * 1024 * 1024) /* a walk over the visible history */

typedef struct {
	char *name; /* "refs/heads/policy", "refs/chancery/spills", "refs/docs/<id>" */
	git_oid id;
} ch_view_ref;

typedef struct {
	ch_view_ref *refs; /* sorted by name */
	size_t nrefs;
	git_oid *commits;  /* with CH_VIEW_COMMITS: every commit the refs reach, sorted */
	size_t ncommits;
	git_oid *objects;  /* with CH_VIEW_OBJECTS: every tree and blob those commits
	                    * reach, sorted */
	size_t nobjects;
} ch_view;

/* Flags for ch_view_visible. */
#define CH_VIEW_COMMITS 1u /* also list every commit reachable from the refs */
#define CH_VIEW_OBJECTS 2u /* and every tree and blob (implies CH_VIEW_COMMITS) */
#define CH_VIEW_MAX_OBJECTS (16u * 1024 * 1024)
#define CH_VIEW_CACHE_SLOTS 64 /* views kept per process (one per peer and state) */

/* peerview.c */
/* Everything `peer_site` (a site id of `pol`) may see of `site`'s
 * repository, judged with `pol` (the current policy: every caller passes
 * the policy at refs/heads/policy). The caller disposes of *out (also
 * after an error: it is then empty).
 *
 * Cost: a view is computed once per state of the repository and kept in
 * the process (CH_VIEW_CACHE_SLOTS slots, least recently used replaced,
 * guarded by a mutex): the key is the SHA-256 of the repository path, the
 * peer, and every ref name and target under refs/ (sorted), so any moved
 * ref (a step, a spill, a policy change) is a new key. A request then
 * costs one scan of the ref names and a copy. */
int ch_view_visible(ch_view *out, ch_site *site, const ch_policy *pol, const char *peer_site,
                    unsigned flags);
/* Empty the process's cache of views (tests, benchmarks). */
void ch_view_cache_clear(void);
void ch_view_dispose(ch_view *v);
/* Borrowed; NULL when the view has no such ref. */
const ch_view_ref *ch_view_find(const ch_view *v, const char *name);
/* 1 if `id` is among v->commits (needs CH_VIEW_COMMITS). */
int ch_view_has_commit(const ch_view *v, const git_oid *id);
/* 1 if `id` is a commit, tree or blob of the view (needs CH_VIEW_OBJECTS). */
int ch_view_has_object(const ch_view *v, const git_oid *id);

/* 1 if `unit` belongs to site `s` (its units hold it or a prefix of it
 * ending at a '/'). */
int ch_view_unit_in_site(const ch_site_entry *s, const char *unit);

/* The document whose head commit is `head` in `repo`: 1 if it is for
 * `peer_site` by recipients or by its unit (meta.json's `unit`, bound at
 * create; a version-1 chain: its creator's unit in `pol`), 0 if
 * not; negative when the chain cannot be read. No gate, no spill list: the
 * caller adds those. `meta_out`, when not NULL, receives the head's
 * meta.json (disposed of by the caller when the result is >= 0). */
int ch_view_doc_for_peer(git_repository *repo, const git_oid *head, const ch_policy *pol,
                         const char *peer_site, ch_meta *meta_out);

/* The creator of a document chain: the Chancery-Actor of the root commit
 * reached from `head` by first parents (at most CH_DOC_MAX_STEPS). */
int ch_view_doc_creator(ch_buf *out, git_repository *repo, const git_oid *head);

/* A document's head on its way out to `peer` (a fetch, a bundle, a join,
 * a push to a peer): every commit of its chain, as the pack sends it, judged
 * as what comes in is (ch_gate_commit: messages, headers, names, every blob
 * each commit adds, so the head's whole tree) at `door`. The one decision
 * every outgoing path makes (this file's view, the command line's join and
 * sync). */
int ch_gate_head(ch_site *site, git_repository *repo, const ch_policy *pol,
                 const git_oid *head, const char *door, const char *peer);

#endif
