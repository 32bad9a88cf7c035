/* peerview.c -- need to know: the refs and commits a peer site may see. */
#include <stdlib.h>
#include <string.h>

#include "workflows/classify/attach.h"
#include "workflows/doc.h"
#include "workflows/classify/gate.h"
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
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_tree_entry *e;
	int error = 0;

	if (git_commit_lookup(&c, repo, head) < 0 || git_commit_tree(&tree, c) < 0 ||
	    !(e = git_tree_entry_byname(tree, "meta.json")) ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
		error = ch_error_setc(CH_EIO, "cannot read a document's meta.json");
	else
		error = ch_meta_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(c);
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

int ch_view_visible(ch_view *out, ch_site *site, const ch_policy *pol, const char *peer_site,
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
	qsort(out->refs, out->nrefs, sizeof(*out->refs), cmp_ref);
	if (flags & CH_VIEW_COMMITS)
		error = walk_commits(out, site->repo);
done:
	if (spills_loaded)
		ch_spill_list_dispose(&spills);
	ch_strv_free(&ids);
	ch_buf_dispose(&name);
	if (error < 0)
		ch_view_dispose(out);
	return error;
}
