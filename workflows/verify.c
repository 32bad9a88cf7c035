/* verify.c -- the auditor's verifier (DESIGN.md rules P1-P6, D1-D9, C1). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/pgp.h"
#include "doc.h"
#include "engine.h"
#include "json.h"
#include "policy.h"
#include "trailers.h"
#include "verify.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

#define MAX_CHAIN 1000000
#define CHECKPOINT_MAX (64 * 1024 * 1024)

typedef struct {
	git_oid id;
	ch_policy *pol; /* NULL when it did not parse */
	int trusted;
} vpolicy;

typedef struct {
	git_repository *repo;
	ch_report *r;
	const ch_verify_opts *opts;
	vpolicy *pols;
	size_t npols;
	const ch_policy *newest; /* the last trusted policy */
	json_t *checkpoint;      /* {"refs": {...}} read before the run, or NULL */
} vctx;

/* ---- findings ---- */

static void add(ch_report *r, const char *rule, const char *ref, const git_oid *commit,
                const char *fmt, ...) CH_PRINTF(5, 6);

static void add(ch_report *r, const char *rule, const char *ref, const git_oid *commit,
                const char *fmt, ...)
{
	ch_finding *f;
	ch_buf msg = CH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ch_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	r->v = ch_realloc(r->v, (r->n + 1) * sizeof(*r->v));
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->ref = ch_strdup(ref);
	if (commit)
		git_oid_tostr(f->commit, sizeof(f->commit), commit);
	f->message = ch_buf_detach(&msg);
	f->warning = rule[0] == 'W';
	if (f->warning)
		r->nwarnings++;
	else
		r->nfindings++;
}

void ch_report_dispose(ch_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].ref);
		free(r->v[i].message);
	}
	free(r->v);
	ch_strv_free(&r->other_refs);
	memset(r, 0, sizeof(*r));
}

/* ---- chains ---- */

/* Commits from the root to `head` along first parents. Merges are
 * reported under `merge_rule`; the walk follows their first parent. */
static int walk_chain(git_oid **out, size_t *n, vctx *v, const git_oid *head, const char *ref,
                      const char *merge_rule)
{
	git_commit *c = NULL, *p;
	size_t i;
	int error = 0;

	*out = NULL;
	*n = 0;
	if (git_commit_lookup(&c, v->repo, head) < 0)
		return ch_error_setc(CH_EIO, "%s: cannot read commit: %s", ref,
		                     git_error_last()->message);
	for (;;) {
		if (*n >= MAX_CHAIN) {
			error = ch_error_setc(CH_EINVALID, "%s: longer than %d commits", ref, MAX_CHAIN);
			break;
		}
		*out = ch_realloc(*out, (*n + 1) * sizeof(**out));
		git_oid_cpy(&(*out)[(*n)++], git_commit_id(c));
		if (git_commit_parentcount(c) == 0)
			break;
		if (git_commit_parentcount(c) > 1)
			add(v->r, merge_rule, ref, git_commit_id(c), "is a merge of %u parents; a chain "
			    "has no merges (the other parents are not part of the chain)",
			    git_commit_parentcount(c));
		if (git_commit_parent(&p, c, 0) < 0) {
			error = ch_error_setc(CH_EIO, "%s: a parent is missing: %s", ref,
			                      git_error_last()->message);
			break;
		}
		git_commit_free(c);
		c = p;
	}
	git_commit_free(c);
	for (i = 0; i < *n / 2; i++) {
		git_oid t = (*out)[i];

		(*out)[i] = (*out)[*n - 1 - i];
		(*out)[*n - 1 - i] = t;
	}
	return error;
}

static int is_merge(git_repository *repo, const git_oid *id)
{
	git_commit *c;
	int merge = 0;

	if (git_commit_lookup(&c, repo, id) == 0) {
		merge = git_commit_parentcount(c) > 1;
		git_commit_free(c);
	}
	return merge;
}

/* Verify the commit's signature against `kr`. On failure `why` says why. */
static int check_sig(ch_pgp_verify_result *res, ch_buf *why, git_repository *repo,
                     const git_oid *id, const ch_pgp_keyring *kr)
{
	git_buf sig = { 0 }, data = { 0 };
	int rc = git_commit_extract_signature(&sig, &data, repo, (git_oid *)id, NULL);

	ch_buf_clear(why);
	if (rc == GIT_ENOTFOUND) {
		ch_buf_puts(why, "is not signed");
		rc = CH_ENOTFOUND;
	} else if (rc < 0) {
		ch_buf_printf(why, "signature cannot be read: %s", git_error_last()->message);
		rc = CH_EINVALID;
	} else if ((rc = ch_pgp_verify(res, kr, data.ptr, data.size, sig.ptr, sig.size)) < 0) {
		ch_buf_puts(why, ch_error_last());
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return rc;
}

static int read_message(ch_trailers *t, ch_buf *why, git_repository *repo, const git_oid *id)
{
	git_commit *c;
	const char *msg;
	int rc;

	if (git_commit_lookup(&c, repo, id) < 0) {
		ch_buf_set(why, "cannot be read", 14);
		return CH_EIO;
	}
	msg = git_commit_message_raw(c);
	if ((rc = ch_trailers_parse(t, msg, strlen(msg))) < 0)
		ch_buf_set(why, ch_error_last(), strlen(ch_error_last()));
	git_commit_free(c);
	return rc;
}

static int read_tree_files(ch_fileset *out, git_repository *repo, const git_oid *id,
                           git_oid *tree_id)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int error;

	if (git_commit_lookup(&c, repo, id) < 0 || git_commit_tree(&tree, c) < 0) {
		git_commit_free(c);
		return ch_error_setc(CH_EIO, "cannot read its tree");
	}
	if (tree_id)
		git_oid_cpy(tree_id, git_tree_id(tree));
	error = ch_fileset_from_tree(out, repo, tree);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

/* ---- the policy chain ---- */

static const vpolicy *find_policy(const vctx *v, const git_oid *id)
{
	size_t i;

	for (i = 0; i < v->npols; i++)
		if (git_oid_equal(&v->pols[i].id, id))
			return &v->pols[i];
	return NULL;
}

/* Who signed a policy commit, checked against `signers` (the parent policy,
 * or for the introduction, its own): a policy-admin, not revoked, and the
 * Chancery-Actor. Returns the rule broken, or NULL. */
static const char *check_policy_signer(vctx *v, const git_oid *id, const ch_policy *signers,
                                       const ch_trailers *t, const char *rule)
{
	ch_pgp_verify_result res;
	const ch_person *p;
	ch_buf why = CH_BUF_INIT;
	const char *broken = NULL;

	if (check_sig(&res, &why, v->repo, id, signers->keyring) < 0) {
		add(v->r, rule, CH_POLICY_REF, id, "policy commit %s", why.ptr);
		broken = rule;
	} else if (!(p = ch_policy_person(signers, res.owner)) || p->revoked ||
	           !ch_person_has_role(p, "policy-admin")) {
		add(v->r, rule, CH_POLICY_REF, id, "policy commit signed by key %s of %s, who is not "
		    "a policy-admin (or is revoked) in %s", res.signer_fpr, res.owner,
		    rule[1] == '1' ? "its own people.json" : "the parent policy");
		broken = rule;
	} else if (strcmp(t->actor, res.owner)) {
		add(v->r, rule[1] == '1' ? "P6" : rule, CH_POLICY_REF, id, "Chancery-Actor is %s but "
		    "the commit is signed by key %s, which belongs to %s", t->actor, res.signer_fpr,
		    res.owner);
		broken = rule;
	} else if (rule[1] == '1' && v->opts->introducer &&
	           strcmp(res.primary_fpr, v->opts->introducer)) {
		add(v->r, "P1", CH_POLICY_REF, id, "the introduction is signed by %s, not by the "
		    "introducer %s given as trust anchor", res.primary_fpr, v->opts->introducer);
		broken = "P1";
	}
	ch_buf_dispose(&why);
	return broken;
}

static int verify_policy_commit(vctx *v, size_t i, const ch_buf *intro_repo)
{
	vpolicy *vp = &v->pols[i];
	const vpolicy *parent = i ? &v->pols[i - 1] : NULL;
	ch_fileset files = CH_FILESET_INIT;
	ch_buf why = CH_BUF_INIT;
	const ch_buf *repo_json;
	ch_trailers t;
	int ok = 1, error = 0;

	if (parent && !parent->trusted)
		goto done; /* everything after an untrusted commit is untrusted */
	if (i == 0 && v->opts->introduction) {
		char hex[41];

		git_oid_tostr(hex, sizeof(hex), &vp->id);
		if (strcmp(hex, v->opts->introduction)) {
			add(v->r, "P1", CH_POLICY_REF, &vp->id, "the root of the policy chain is not the "
			    "introduction %s given as trust anchor", v->opts->introduction);
			goto done;
		}
	}
	if (i > 0 && is_merge(v->repo, &vp->id))
		goto done; /* P3, already reported by the walk */
	if (read_message(&t, &why, v->repo, &vp->id) < 0 || !t.is_policy) {
		add(v->r, "P6", CH_POLICY_REF, &vp->id, "policy commit trailers: %s",
		    why.size ? why.ptr : "Chancery-Action is not 'policy'");
		goto done;
	}
	if ((error = read_tree_files(&files, v->repo, &vp->id, NULL)) < 0 ||
	    (error = ch_policy_parse_ex(&vp->pol, &files, 0)) < 0) {
		add(v->r, "P6", CH_POLICY_REF, &vp->id, "%s", ch_error_last());
		error = 0;
		goto done;
	}
	if (!ch_policy_has_admin(vp->pol)) {
		add(v->r, "P5", CH_POLICY_REF, &vp->id, "the policy names no policy-admin who is not "
		    "revoked: it locks itself out");
		ok = 0;
	}
	repo_json = ch_fileset_get(&files, "policy/repository.json");
	if (i > 0 && (repo_json->size != intro_repo->size ||
	              memcmp(repo_json->ptr, intro_repo->ptr, repo_json->size))) {
		add(v->r, "P4", CH_POLICY_REF, &vp->id, "repository.json differs from the "
		    "introduction's (site or tier changed)");
		ok = 0;
	}
	if (i == 0)
		ch_buf_set((ch_buf *)intro_repo, repo_json->ptr, repo_json->size);
	if (check_policy_signer(v, &vp->id, i ? parent->pol : vp->pol, &t, i ? "P2" : "P1"))
		ok = 0;
	vp->trusted = ok;
done:
	ch_fileset_dispose(&files);
	ch_buf_dispose(&why);
	return error;
}

static int verify_policy_chain(vctx *v)
{
	ch_buf intro_repo = CH_BUF_INIT;
	git_oid head, *chain = NULL;
	size_t n = 0, i;
	int rc, error = 0;

	rc = git_reference_name_to_id(&head, v->repo, CH_POLICY_REF);
	if (rc == GIT_ENOTFOUND) {
		add(v->r, "P1", CH_POLICY_REF, NULL, "the repository has no policy chain");
		return 0;
	} else if (rc < 0) {
		return ch_error_setc(CH_EIO, "cannot read %s: %s", CH_POLICY_REF,
		                     git_error_last()->message);
	}
	if ((error = walk_chain(&chain, &n, v, &head, CH_POLICY_REF, "P3")) < 0)
		goto done;
	v->pols = ch_calloc(n, sizeof(*v->pols));
	for (i = 0; i < n; i++)
		git_oid_cpy(&v->pols[i].id, &chain[i]);
	v->npols = n;
	git_oid_tostr(v->r->root, sizeof(v->r->root), &chain[0]);
	v->r->anchored = v->opts->introduction != NULL;
	for (i = 0; i < n && !error; i++) {
		error = verify_policy_commit(v, i, &intro_repo);
		if (v->pols[i].trusted)
			v->newest = v->pols[i].pol;
	}
	v->r->policy_commits = n;
done:
	free(chain);
	ch_buf_dispose(&intro_repo);
	return error;
}

/* ---- document chains ---- */

typedef struct {
	const char *ref;
	ch_docstate st;
	int replay_ok;
	git_oid prev_policy, prev_tree;
	int have_prev;
	const git_oid *cp_head; /* the checkpoint's head for this ref, or NULL */
} dctx;

static int new_since_checkpoint(vctx *v, const dctx *d, const git_oid *id)
{
	if (!v->checkpoint || !d->cp_head)
		return v->checkpoint != NULL;
	return !git_oid_equal(id, d->cp_head) &&
	       git_graph_descendant_of(v->repo, d->cp_head, id) != 1;
}

static void check_signer(vctx *v, dctx *d, const git_oid *id, const ch_trailers *t,
                         const ch_policy *pol)
{
	ch_pgp_verify_result res;
	ch_buf why = CH_BUF_INIT;
	const ch_person *p;
	int rc = check_sig(&res, &why, v->repo, id, pol->keyring);

	if (rc == CH_ENOTFOUND && v->newest && v->newest != pol &&
	    check_sig(&res, &why, v->repo, id, v->newest->keyring) == 0) {
		add(v->r, "D1", d->ref, id, "%s as %s, signed by key %s of %s, which the policy it "
		    "names (%s) does not hold", t->action, t->actor, res.signer_fpr, res.owner,
		    t->policy);
	} else if (rc < 0) {
		add(v->r, "D1", d->ref, id, "%s as %s: %s", t->action, t->actor, why.ptr);
	} else if (strcmp(res.owner, t->actor)) {
		add(v->r, "D1", d->ref, id, "%ss as %s, signed by key %s which belongs to %s",
		    t->action, t->actor, res.signer_fpr, res.owner);
	} else if (!(p = ch_policy_person(pol, t->actor)) || p->revoked) {
		add(v->r, "D1", d->ref, id, "%s by %s, who is revoked in the policy it names",
		    t->action, t->actor);
	} else if (v->newest && (!(p = ch_policy_person(v->newest, t->actor)) || p->revoked)) {
		if (new_since_checkpoint(v, d, id) && v->checkpoint)
			add(v->r, "D1", d->ref, id, "%s by %s, who is revoked in the newest policy, and "
			    "the step is new since the checkpoint", t->action, t->actor);
		else
			add(v->r, "W", d->ref, id, "%s by %s, who is revoked in the newest policy "
			    "(the step names an older policy in which %s was not)", t->action, t->actor,
			    t->actor);
	}
	ch_buf_dispose(&why);
}

static void replay_step(vctx *v, dctx *d, const git_oid *id, const ch_trailers *t,
                        const ch_policy *pol, const ch_meta *meta)
{
	const ch_workflow *wf = ch_policy_workflow(pol, meta->workflow);
	ch_step step = { t->action, t->actor, t->on_behalf };
	const char *expect, *rule;

	if (!d->replay_ok)
		return;
	if (!wf) {
		add(v->r, "D3", d->ref, id, "workflow '%s' is not in the policy the step names",
		    meta->workflow);
		d->replay_ok = 0;
		return;
	}
	expect = d->st.state ? d->st.state : wf->start;
	if (strcmp(t->step, expect) && !d->st.final) {
		add(v->r, "D3", d->ref, id, "Chancery-Step says '%s' but the document was in '%s'",
		    t->step, expect);
		d->replay_ok = 0;
		return;
	}
	if (ch_engine_apply(&d->st, wf, pol, &step, &rule) < 0) {
		add(v->r, rule ? rule : "D3", d->ref, id, "%s by %s%s%s: %s", t->action, t->actor,
		    t->on_behalf[0] ? " for " : "", t->on_behalf, ch_error_last());
		d->replay_ok = 0;
	}
}

static void check_doc_commit(vctx *v, dctx *d, const git_oid *id, size_t index)
{
	ch_fileset files = CH_FILESET_INIT;
	ch_buf why = CH_BUF_INIT;
	const vpolicy *vp;
	const ch_buf *mb;
	ch_trailers t;
	ch_meta meta;
	git_oid pid, tree;
	int editing;

	memset(&meta, 0, sizeof(meta));
	memset(&tree, 0, sizeof(tree));
	if (read_message(&t, &why, v->repo, id) < 0 || t.is_policy) {
		add(v->r, "D8", d->ref, id, "trailers: %s", why.size ? why.ptr : "a policy commit");
		d->replay_ok = 0;
		goto done;
	}
	if (read_tree_files(&files, v->repo, id, &tree) < 0 ||
	    !(mb = ch_fileset_get(&files, "meta.json")) ||
	    ch_meta_parse(&meta, mb->ptr, mb->size) < 0) {
		add(v->r, "D8", d->ref, id, "meta.json: %s",
		    ch_fileset_get(&files, "meta.json") ? ch_error_last() : "missing");
		d->replay_ok = 0;
		goto done;
	}
	editing = !strcmp(t.action, "create") || !strcmp(t.action, "revise");
	if ((index == 0) != !strcmp(t.action, "create"))
		add(v->r, "D5", d->ref, id, index ? "a create that is not the root of the chain" :
		    "the root of the chain is a %s, not a create", t.action);
	if (d->have_prev && !editing && !git_oid_equal(&tree, &d->prev_tree))
		add(v->r, "D4", d->ref, id, "%s changes the document's tree; only create and "
		    "revise may (what was %sd is not what was reviewed)", t.action, t.action);
	if (strcmp(t.classification, meta.classification))
		add(v->r, "D6", d->ref, id, "Chancery-Classification is %s but meta.json says %s",
		    t.classification, meta.classification);
	git_oid_fromstr(&pid, t.policy);
	if (!(vp = find_policy(v, &pid)) || !vp->trusted) {
		add(v->r, "D2", d->ref, id, "names policy %s, which is not a trusted commit of the "
		    "policy chain", t.policy);
		d->replay_ok = 0;
		goto done;
	}
	if (d->have_prev && !git_oid_equal(&pid, &d->prev_policy) &&
	    git_graph_descendant_of(v->repo, &pid, &d->prev_policy) != 1)
		add(v->r, "D2", d->ref, id, "names policy %.12s, older than the policy %.12s named by "
		    "the step before (a downgrade)", t.policy,
		    git_oid_tostr_s(&d->prev_policy));
	if (!strcmp(vp->pol->tier, "networked") && strcmp(meta.classification, "unclassified"))
		add(v->r, "D6", d->ref, id, "a %s document in a networked repository",
		    meta.classification);
	check_signer(v, d, id, &t, vp->pol);
	replay_step(v, d, id, &t, vp->pol, &meta);
	git_oid_cpy(&d->prev_policy, &pid);
done:
	git_oid_cpy(&d->prev_tree, &tree);
	d->have_prev = 1;
	ch_meta_dispose(&meta);
	ch_fileset_dispose(&files);
	ch_buf_dispose(&why);
}

static const git_oid *checkpoint_head(vctx *v, const char *ref, git_oid *buf)
{
	const char *hex;

	if (!v->checkpoint)
		return NULL;
	hex = json_string_value(json_object_get(json_object_get(v->checkpoint, "refs"), ref));
	if (!hex || git_oid_fromstr(buf, hex) < 0)
		return NULL;
	return buf;
}

static int verify_doc(vctx *v, const char *ref, const git_oid *head)
{
	dctx d;
	git_oid *chain = NULL, cp;
	size_t n = 0, i;
	int error;

	memset(&d, 0, sizeof(d));
	d.ref = ref;
	d.replay_ok = 1;
	d.cp_head = checkpoint_head(v, ref, &cp);
	if (!ch_valid_doc_id(ref + 10)) {
		add(v->r, "D8", ref, NULL, "'%s' is not a valid document id", ref + 10);
		return 0;
	}
	if ((error = walk_chain(&chain, &n, v, head, ref, "D5")) < 0) {
		add(v->r, "D5", ref, head, "%s", ch_error_last());
		free(chain);
		return 0;
	}
	for (i = 0; i < n; i++)
		check_doc_commit(v, &d, &chain[i], i);
	v->r->doc_commits += n;
	v->r->docs++;
	ch_docstate_dispose(&d.st);
	free(chain);
	return 0;
}

/* ---- checkpoint ---- */

static int read_checkpoint(vctx *v)
{
	ch_buf text = CH_BUF_INIT;
	json_t *refs;
	int error;

	if (!v->opts->checkpoint)
		return 0;
	error = ch_fs_read(&text, v->opts->checkpoint, CHECKPOINT_MAX);
	if (error == CH_ENOTFOUND) {
		ch_buf_dispose(&text);
		return 0; /* the first run writes it */
	}
	if (!error)
		error = ch_json_parse(&v->checkpoint, text.ptr, text.size, CHECKPOINT_MAX,
		                      v->opts->checkpoint);
	if (!error && (!json_is_object(refs = json_object_get(v->checkpoint, "refs")) ||
	               json_integer_value(json_object_get(v->checkpoint, "version")) != 1))
		error = ch_error_setc(CH_EINVALID, "%s: not a checkpoint file (version 1, refs)",
		                      v->opts->checkpoint);
	ch_buf_dispose(&text);
	return error;
}

static int in_scope(const vctx *v, const char *ref)
{
	return !v->opts->docs || !strcmp(ref, CH_POLICY_REF) ||
	       (!strncmp(ref, "refs/docs/", 10) && ch_strv_contains(v->opts->docs, ref + 10));
}

static void check_checkpoint(vctx *v)
{
	const char *ref;
	json_t *val;
	git_oid rec, cur;

	if (!v->checkpoint)
		return;
	json_object_foreach(json_object_get(v->checkpoint, "refs"), ref, val) {
		if (!in_scope(v, ref))
			continue;
		if (!json_is_string(val) || git_oid_fromstr(&rec, json_string_value(val)) < 0) {
			add(v->r, "C1", ref, NULL, "the checkpoint's entry is malformed");
			continue;
		}
		if (git_reference_name_to_id(&cur, v->repo, ref) < 0) {
			add(v->r, "C1", ref, &rec, "the ref recorded at this commit no longer exists "
			    "(the document vanished)");
			continue;
		}
		if (!git_oid_equal(&cur, &rec) && git_graph_descendant_of(v->repo, &cur, &rec) != 1)
			add(v->r, "C1", ref, &cur, "the ref was rewritten or rolled back: it does not "
			    "descend from %s recorded in the checkpoint", json_string_value(val));
	}
}

static int write_checkpoint(vctx *v, json_t *heads)
{
	json_t *root;
	char *text;
	int error;

	if (!v->opts->checkpoint || v->r->nfindings)
		return 0;
	root = json_pack("{s:i, s:O}", "version", 1, "refs", heads);
	text = ch_json_dump(root);
	error = ch_fs_write_atomic(v->opts->checkpoint, text, strlen(text), 0644);
	free(text);
	json_decref(root);
	v->r->checkpoint_written = !error;
	return error;
}

/* ---- the run ---- */

int ch_verify(ch_report *out, git_repository *repo, const ch_verify_opts *opts)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	json_t *heads = json_object();
	vctx v;
	size_t i;
	int rc, error;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	v.repo = repo;
	v.r = out;
	v.opts = opts;
	if ((error = read_checkpoint(&v)) < 0 || (error = verify_policy_chain(&v)) < 0)
		goto done;
	if (git_reference_iterator_new(&it, repo) < 0) {
		error = ch_error_setc(CH_EIO, "cannot list refs: %s", git_error_last()->message);
		goto done;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		git_oid head;

		if (git_reference_type(ref) != GIT_REFERENCE_DIRECT) {
			git_reference_free(ref);
			continue; /* symbolic refs (HEAD) point at refs we visit anyway */
		}
		git_oid_cpy(&head, git_reference_target(ref));
		if (!strcmp(name, CH_POLICY_REF)) {
			json_object_set_new(heads, name, json_string(git_oid_tostr_s(&head)));
		} else if (!strncmp(name, "refs/docs/", 10)) {
			if (in_scope(&v, name)) {
				json_object_set_new(heads, name, json_string(git_oid_tostr_s(&head)));
				error = verify_doc(&v, name, &head);
			}
		} else {
			ch_strv_push(&out->other_refs, name);
		}
		git_reference_free(ref);
		if (error < 0)
			goto done;
	}
	for (i = 0; opts->docs && i < opts->docs->n; i++) {
		ch_buf name = CH_BUF_INIT;

		ch_buf_printf(&name, "refs/docs/%s", opts->docs->v[i]);
		if (!json_object_get(heads, name.ptr))
			add(out, "D8", name.ptr, NULL, "no such document");
		ch_buf_dispose(&name);
	}
	check_checkpoint(&v);
	error = write_checkpoint(&v, heads);
done:
	git_reference_iterator_free(it);
	json_decref(heads);
	json_decref(v.checkpoint);
	for (i = 0; i < v.npols; i++)
		ch_policy_free(v.pols[i].pol);
	free(v.pols);
	return error;
}

/* ---- reports ---- */

void ch_report_text(ch_buf *out, const ch_report *r)
{
	size_t i;

	if (r->root[0])
		ch_buf_printf(out, "introduction %s (%s)\n", r->root,
		              r->anchored ? "matches the trust anchor given" :
		              "trusted as found: no --introduction given");
	for (i = 0; i < r->n; i++) {
		const ch_finding *f = &r->v[i];

		ch_buf_printf(out, "%s %s %s%s%s%s: %s\n", f->warning ? "warning" : "FINDING",
		              f->warning ? "--" : f->rule, f->ref, f->commit[0] ? " commit " : "",
		              f->commit, "", f->message);
	}
	for (i = 0; i < r->other_refs.n; i++)
		ch_buf_printf(out, "not a chain, not judged: %s\n", r->other_refs.v[i]);
	ch_buf_printf(out, "%zu policy commits, %zu documents, %zu document commits: "
	              "%zu findings, %zu warnings%s\n", r->policy_commits, r->docs, r->doc_commits,
	              r->nfindings, r->nwarnings, r->checkpoint_written ? "; checkpoint written" : "");
}

void ch_report_json(ch_buf *out, const ch_report *r)
{
	json_t *o = json_object(), *f = json_array(), *w = json_array(), *other = json_array();
	char *text;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const ch_finding *e = &r->v[i];
		json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "rule", e->warning ? "warning" : e->rule,
		                      "ref", e->ref, "commit", e->commit, "message", e->message);

		json_array_append_new(e->warning ? w : f, j);
	}
	for (i = 0; i < r->other_refs.n; i++)
		json_array_append_new(other, json_string(r->other_refs.v[i]));
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "ok", json_boolean(r->nfindings == 0));
	json_object_set_new(o, "introduction", json_string(r->root));
	json_object_set_new(o, "anchored", json_boolean(r->anchored));
	json_object_set_new(o, "policy_commits", json_integer((json_int_t)r->policy_commits));
	json_object_set_new(o, "documents", json_integer((json_int_t)r->docs));
	json_object_set_new(o, "document_commits", json_integer((json_int_t)r->doc_commits));
	json_object_set_new(o, "findings", f);
	json_object_set_new(o, "warnings", w);
	json_object_set_new(o, "other_refs", other);
	json_object_set_new(o, "checkpoint_written", json_boolean(r->checkpoint_written));
	text = ch_json_dump(o);
	ch_buf_puts(out, text);
	free(text);
	json_decref(o);
}
