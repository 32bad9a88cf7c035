/* peerview.c -- need to know: the refs and commits a peer site may see,
 * computed once per state of the repository (peerview.h). */
#include <gcrypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/classify/attach.h"
#include "workflows/doc.h"
#include "workflows/oidset.h"
#include "workflows/classify/gate.h"
#include "workflows/sync/logsync.h"
#include "workflows/sync/peerview.h"
#include "util/common.h"

static void view_add(ch_view *v, const char *name, const git_oid *id)
{
	v->refs = ch_realloc(v->refs, (v->nrefs + 1) * sizeof(*v->refs));
	v->refs[v->nrefs].name = ch_strdup(name);
	git_oid_cpy(&v->refs[v->nrefs].id, id);
	v->nrefs++;
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const ch_view_ref *)a)->name, ((const ch_view_ref *)b)->name);
}

static int cmp_oid(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

void ch_view_dispose(ch_view *v)
{
	size_t i;

	for (i = 0; i < v->nrefs; i++)
		free(v->refs[i].name);
	free(v->refs);
	free(v->commits);
	free(v->objects);
	memset(v, 0, sizeof(*v));
}

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, ((const ch_view_ref *)elem)->name);
}

const ch_view_ref *ch_view_find(const ch_view *v, const char *name)
{
	return v->nrefs ? bsearch(name, v->refs, v->nrefs, sizeof(*v->refs), cmp_name) : NULL;
}

int ch_view_has_commit(const ch_view *v, const git_oid *id)
{
	return v->ncommits && bsearch(id, v->commits, v->ncommits, sizeof(*v->commits), cmp_oid);
}

int ch_view_has_object(const ch_view *v, const git_oid *id)
{
	return ch_view_has_commit(v, id) ||
	       (v->nobjects && bsearch(id, v->objects, v->nobjects, sizeof(*v->objects), cmp_oid));
}

int ch_view_unit_in_site(const ch_site_entry *s, const char *unit)
{
	size_t i, n;

	for (i = 0; unit && i < s->units.n; i++) {
		n = strlen(s->units.v[i]);
		if (!strncmp(unit, s->units.v[i], n) && (unit[n] == '\0' || unit[n] == '/'))
			return 1;
	}
	return 0;
}

int ch_view_doc_creator(ch_buf *out, git_repository *repo, const git_oid *head)
{
	git_commit *c = NULL, *parent = NULL;
	ch_trailers t;
	const char *msg;
	size_t steps = 0;
	int error = 0;

	if (git_commit_lookup(&c, repo, head) < 0)
		return ch_error_setc(CH_EIO, "cannot read a document's head commit");
	while (git_commit_parentcount(c) > 0) {
		if (++steps > CH_DOC_MAX_STEPS) {
			error = ch_error_setc(CH_EINVALID, "a document chain longer than %d steps",
			                      CH_DOC_MAX_STEPS);
			goto done;
		}
		if (git_commit_parent(&parent, c, 0) < 0) {
			error = ch_error_setc(CH_EIO, "cannot read a document's commit");
			goto done;
		}
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	msg = git_commit_message_raw(c);
	if ((error = ch_trailers_parse(&t, msg, strlen(msg))) < 0)
		goto done;
	ch_buf_clear(out);
	ch_buf_puts(out, t.actor);
done:
	git_commit_free(c);
	return error;
}

static int head_meta(ch_meta *out, git_repository *repo, const git_oid *head)
{
	ch_buf text = CH_BUF_INIT;
	int error;

	if (ch_fileset_read_at(&text, repo, head, "meta.json", CH_POLICY_MAX_FILE) < 0)
		error = ch_error_setc(CH_EIO, "cannot read a document's meta.json");
	else
		error = ch_meta_parse(out, text.ptr, text.size);
	ch_buf_dispose(&text);
	return error;
}

int ch_view_doc_for_peer(git_repository *repo, const git_oid *head, const ch_policy *pol,
                         const char *peer_site, ch_meta *meta_out)
{
	const ch_site_entry *peer = ch_policy_site(pol, peer_site);
	const ch_person *creator;
	ch_buf who = CH_BUF_INIT;
	ch_meta meta;
	int yes = 0, error;

	if ((error = head_meta(&meta, repo, head)) < 0)
		return error;
	if (ch_strv_contains(&meta.recipients, peer_site)) {
		yes = 1;
	} else if (peer && meta.version >= 2) {
		/* the unit bound at create (D12; the creator's scope reached it,
		 * D4), not where its creator works today */
		yes = ch_view_unit_in_site(peer, meta.unit);
	} else if (peer && (error = ch_view_doc_creator(&who, repo, head)) == 0) {
		creator = ch_policy_person(pol, who.ptr);
		yes = creator && ch_view_unit_in_site(peer, creator->unit);
	}
	ch_buf_dispose(&who);
	if (error < 0 || !meta_out)
		ch_meta_dispose(&meta);
	else
		*meta_out = meta;
	return error < 0 ? error : yes;
}

int ch_gate_head(ch_site *site, git_repository *repo, const ch_policy *pol,
                 const git_oid *head, const char *door, const char *peer)
{
	git_oid id = *head, parent;
	size_t n = 0;
	int error = 0, more;

	if (!strcmp(pol->tier, "offline"))
		return 0;
	/* the pack sends the chain whole: every commit is judged as it would
	 * be coming in (ch_gate_commit: each against its parent, so every blob
	 * once; the head's whole tree, its messages, names and headers) */
	do {
		git_commit *c = NULL;

		if (++n > CH_DOC_MAX_STEPS || git_commit_lookup(&c, repo, &id) < 0)
			return ch_error_setc(CH_EINVALID, "%.12s: unreadable document chain",
			                     git_oid_tostr_s(head));
		if ((more = git_commit_parentcount(c) == 1))
			git_oid_cpy(&parent, git_commit_parent_id(c, 0));
		git_commit_free(c);
		if ((error = ch_gate_commit(site, repo, pol, &id, door, peer)) < 0)
			return error;
		git_oid_cpy(&id, &parent);
	} while (more);
	return 0;
}

static int walk_commits(ch_view *v, git_repository *repo)
{
	git_revwalk *walk = NULL;
	git_oid id;
	size_t i, cap = 0;
	int rc, error = 0;

	if (git_revwalk_new(&walk, repo) < 0)
		return ch_error_setc(CH_EIO, "cannot walk the repository");
	for (i = 0; i < v->nrefs; i++)
		if (git_revwalk_push(walk, &v->refs[i].id) < 0) {
			error = ch_error_setc(CH_EIO, "cannot walk the repository");
			goto done;
		}
	while ((rc = git_revwalk_next(&id, walk)) == 0) {
		if (v->ncommits >= CH_VIEW_MAX_COMMITS) {
			error = ch_error_setc(CH_EIO, "more than %u visible commits",
			                      CH_VIEW_MAX_COMMITS);
			goto done;
		}
		if (v->ncommits == cap) {
			cap = cap ? cap * 2 : 256;
			v->commits = ch_realloc(v->commits, cap * sizeof(*v->commits));
		}
		git_oid_cpy(&v->commits[v->ncommits++], &id);
	}
	if (rc != GIT_ITEROVER) {
		error = ch_error_setc(CH_EIO, "cannot walk the repository");
		goto done;
	}
	if (v->ncommits)
		qsort(v->commits, v->ncommits, sizeof(*v->commits), cmp_oid);
done:
	git_revwalk_free(walk);
	return error;
}

/* ------------------------------------------------------------------ */
/* Trees and blobs of the visible commits                              */

typedef struct {
	git_oid *v;
	size_t n, cap;
} oid_vec;

static int oid_push(oid_vec *o, const git_oid *id)
{
	if (o->n >= CH_VIEW_MAX_OBJECTS)
		return ch_error_setc(CH_EIO, "more than %u visible objects", CH_VIEW_MAX_OBJECTS);
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 1024;
		o->v = ch_realloc(o->v, o->cap * sizeof(*o->v));
	}
	git_oid_cpy(&o->v[o->n++], id);
	return 0;
}

static int walk_tree(oid_vec *out, ch_oidset *seen, git_repository *repo, const git_oid *tree_id,
                     int depth)
{
	git_tree *tree = NULL;
	size_t i, n;
	int error = 0;

	if (!ch_oidset_add(seen, tree_id))
		return 0;
	if ((error = oid_push(out, tree_id)) < 0)
		return error;
	if (depth > 64 || git_tree_lookup(&tree, repo, tree_id) < 0)
		return ch_error_setc(CH_EIO, "cannot read a visible tree");
	n = git_tree_entrycount(tree);
	for (i = 0; i < n && !error; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			error = walk_tree(out, seen, repo, git_tree_entry_id(e), depth + 1);
		else if (ch_oidset_add(seen, git_tree_entry_id(e)))
			error = oid_push(out, git_tree_entry_id(e));
	}
	git_tree_free(tree);
	return error;
}

static int walk_objects(ch_view *v, git_repository *repo)
{
	oid_vec out = { NULL, 0, 0 };
	ch_oidset seen = CH_OIDSET_INIT;
	git_commit *c = NULL;
	size_t i;
	int error = 0;

	for (i = 0; i < v->ncommits && !error; i++) {
		if (git_commit_lookup(&c, repo, &v->commits[i]) < 0) {
			error = ch_error_setc(CH_EIO, "cannot read a visible commit");
			break;
		}
		error = walk_tree(&out, &seen, repo, git_commit_tree_id(c), 0);
		git_commit_free(c);
		c = NULL;
	}
	ch_oidset_dispose(&seen);
	if (error < 0) {
		free(out.v);
		return error;
	}
	if (out.n)
		qsort(out.v, out.n, sizeof(*out.v), cmp_oid);
	v->objects = out.v;
	v->nobjects = out.n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Computing a view                                                    */

/* Site logs hold only commitments: every site of the policy may see this
 * site's log and every peer's log it keeps (logsync.h). */
static int add_logs(ch_view *v, ch_site *site)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	char whose[65];
	git_oid id;

	if (git_reference_name_to_id(&id, site->repo, CH_LOG_REF) == 0)
		view_add(v, CH_LOG_REF, &id);
	if (git_reference_iterator_glob_new(&it, site->repo, CH_PEERLOG_PREFIX "*") < 0)
		return ch_error_setc(CH_EIO, "cannot list the peers' logs");
	while (git_reference_next(&ref, it) == 0) {
		if (git_reference_target(ref) &&
		    ch_logsync_ref(whose, git_reference_name(ref), site->site_id) &&
		    strcmp(git_reference_name(ref), CH_LOG_REF))
			view_add(v, git_reference_name(ref), git_reference_target(ref));
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return 0;
}

static int compute_view(ch_view *out, ch_site *site, const ch_policy *pol, const char *peer_site,
                        unsigned flags)
{
	ch_strv ids = CH_STRV_INIT;
	ch_spill_list spills;
	ch_buf name = CH_BUF_INIT;
	git_oid id;
	ch_meta meta;
	size_t i;
	int spills_loaded = 0, error = 0, rc;

	memset(out, 0, sizeof(*out));
	if (git_reference_name_to_id(&id, site->repo, CH_POLICY_REF) < 0) {
		error = ch_error_setc(CH_EIO, "the site has no policy");
		goto done;
	}
	view_add(out, CH_POLICY_REF, &id);
	/* the spill list travels to every peer (workflows/sync/spillsync.h) */
	if (git_reference_name_to_id(&id, site->repo, CH_SPILLS_REF) == 0)
		view_add(out, CH_SPILLS_REF, &id);
	if ((error = ch_spill_list_load(&spills, site->repo)) < 0)
		goto done;
	spills_loaded = 1;
	if ((error = ch_doc_list_ids(&ids, site)) < 0)
		goto done;
	for (i = 0; i < ids.n; i++) {
		if (ch_spill_find(&spills, ids.v[i]))
			continue;
		ch_buf_clear(&name);
		ch_buf_printf(&name, "refs/docs/%s", ids.v[i]);
		if (git_reference_name_to_id(&id, site->repo, name.ptr) < 0)
			continue;
		/* An unreadable chain is not shown: withholding is the safe side. */
		if ((rc = ch_view_doc_for_peer(site->repo, &id, pol, peer_site, &meta)) < 0)
			continue;
		if (rc == 1 && ch_gate_head(site, site->repo, pol, &id, "git sync", peer_site) == 0)
			view_add(out, name.ptr, &id);
		ch_meta_dispose(&meta);
	}
	if ((error = add_logs(out, site)) < 0)
		goto done;
	qsort(out->refs, out->nrefs, sizeof(*out->refs), cmp_ref);
	if (flags & (CH_VIEW_COMMITS | CH_VIEW_OBJECTS))
		error = walk_commits(out, site->repo);
	if (!error && (flags & CH_VIEW_OBJECTS))
		error = walk_objects(out, site->repo);
done:
	if (spills_loaded)
		ch_spill_list_dispose(&spills);
	ch_strv_free(&ids);
	ch_buf_dispose(&name);
	if (error < 0)
		ch_view_dispose(out);
	return error;
}

/* ------------------------------------------------------------------ */
/* The cache: one view per (repository, peer, state of every ref)      */

typedef struct {
	unsigned char key[32];
	unsigned flags;      /* what the view holds: CH_VIEW_COMMITS, CH_VIEW_OBJECTS */
	unsigned long used;  /* for least-recently-used replacement */
	int full;
	ch_view view;
} cache_slot;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_slot cache[CH_VIEW_CACHE_SLOTS];
static unsigned long cache_clock;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The state key: repository path, peer, and every ref under refs/ with
 * its target, sorted (the iterator's order is not promised). */
static int state_key(unsigned char out[32], ch_site *site, const char *peer_site)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	ch_strv lines = CH_STRV_INIT;
	ch_buf line = CH_BUF_INIT;
	gcry_md_hd_t md = NULL;
	size_t i;
	int error = 0;

	if (git_reference_iterator_glob_new(&it, site->repo, "refs/*") < 0)
		return ch_error_setc(CH_EIO, "cannot list the site's refs");
	while (git_reference_next(&ref, it) == 0) {
		ch_buf_clear(&line);
		if (git_reference_target(ref))
			ch_buf_printf(&line, "%s %s", git_reference_name(ref),
			              git_oid_tostr_s(git_reference_target(ref)));
		else
			ch_buf_printf(&line, "%s -> %s", git_reference_name(ref),
			              git_reference_symbolic_target(ref) ?
			              git_reference_symbolic_target(ref) : "");
		ch_strv_push(&lines, line.ptr);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (lines.n)
		qsort(lines.v, lines.n, sizeof(*lines.v), cmp_str);
	if (gcry_md_open(&md, GCRY_MD_SHA256, 0)) {
		error = ch_error_setc(CH_EIO, "cannot start SHA-256");
		goto done;
	}
	gcry_md_write(md, site->repo_path, strlen(site->repo_path) + 1);
	gcry_md_write(md, peer_site, strlen(peer_site) + 1);
	for (i = 0; i < lines.n; i++)
		gcry_md_write(md, lines.v[i], strlen(lines.v[i]) + 1);
	memcpy(out, gcry_md_read(md, GCRY_MD_SHA256), 32);
	gcry_md_close(md);
done:
	ch_strv_free(&lines);
	ch_buf_dispose(&line);
	return error;
}

static void view_copy(ch_view *out, const ch_view *v, unsigned flags)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (v->nrefs) {
		out->refs = ch_calloc(v->nrefs, sizeof(*out->refs));
		for (i = 0; i < v->nrefs; i++) {
			out->refs[i].name = ch_strdup(v->refs[i].name);
			git_oid_cpy(&out->refs[i].id, &v->refs[i].id);
		}
		out->nrefs = v->nrefs;
	}
	if ((flags & (CH_VIEW_COMMITS | CH_VIEW_OBJECTS)) && v->ncommits) {
		out->commits = ch_malloc(v->ncommits * sizeof(*out->commits));
		memcpy(out->commits, v->commits, v->ncommits * sizeof(*out->commits));
		out->ncommits = v->ncommits;
	}
	if ((flags & CH_VIEW_OBJECTS) && v->nobjects) {
		out->objects = ch_malloc(v->nobjects * sizeof(*out->objects));
		memcpy(out->objects, v->objects, v->nobjects * sizeof(*out->objects));
		out->nobjects = v->nobjects;
	}
}

static unsigned norm_flags(unsigned flags)
{
	return flags & CH_VIEW_OBJECTS ? CH_VIEW_COMMITS | CH_VIEW_OBJECTS : flags & CH_VIEW_COMMITS;
}

static int cache_get(ch_view *out, const unsigned char key[32], unsigned flags)
{
	size_t i;
	int hit = 0;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < CH_VIEW_CACHE_SLOTS && !hit; i++)
		if (cache[i].full && !memcmp(cache[i].key, key, 32) &&
		    (cache[i].flags & flags) == flags) {
			cache[i].used = ++cache_clock;
			view_copy(out, &cache[i].view, flags);
			hit = 1;
		}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void cache_put(const unsigned char key[32], const ch_view *v, unsigned flags)
{
	size_t i, pick = 0;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < CH_VIEW_CACHE_SLOTS; i++) {
		if (cache[i].full && !memcmp(cache[i].key, key, 32)) {
			pick = i;
			break;
		}
		if (!cache[i].full || cache[i].used < cache[pick].used)
			pick = i;
		if (!cache[i].full)
			break;
	}
	if (cache[pick].full)
		ch_view_dispose(&cache[pick].view);
	memcpy(cache[pick].key, key, 32);
	view_copy(&cache[pick].view, v, flags);
	cache[pick].flags = flags;
	cache[pick].used = ++cache_clock;
	cache[pick].full = 1;
	pthread_mutex_unlock(&cache_lock);
}

void ch_view_cache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < CH_VIEW_CACHE_SLOTS; i++)
		if (cache[i].full) {
			ch_view_dispose(&cache[i].view);
			cache[i].full = 0;
		}
	pthread_mutex_unlock(&cache_lock);
}

int ch_view_visible(ch_view *out, ch_site *site, const ch_policy *pol, const char *peer_site,
                    unsigned flags)
{
	unsigned char key[32];
	int error;

	memset(out, 0, sizeof(*out));
	flags = norm_flags(flags);
	if (getenv("CHANCERY_VIEW_NOCACHE")) /* benchmarks: the cost without the cache */
		return compute_view(out, site, pol, peer_site, flags);
	if ((error = state_key(key, site, peer_site)) < 0)
		return error;
	if (cache_get(out, key, flags))
		return 0;
	/* computed outside the lock: other peers are not held meanwhile */
	if ((error = compute_view(out, site, pol, peer_site, flags)) < 0)
		return error;
	cache_put(key, out, flags);
	return 0;
}
