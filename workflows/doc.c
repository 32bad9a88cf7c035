/* doc.c -- document chains: load and replay, record the next step. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflows/commit.h"
#include "crypto/crypto.h"
#include "workflows/doc.h"
#include "workflows/classify/gate.h"
#include "workflows/json.h"
#include "util/failpoint.h"
#include "util/text.h"
#include "util/common.h"

#define F_META "meta.json"
#define F_TEXT "document.md"

/* ---- meta.json ---- */

static const char *const urgencies[] = { "normal", "urgent", "very-urgent", "flash", NULL };

static int valid_urgency(const char *s)
{
	size_t i;

	for (i = 0; urgencies[i]; i++)
		if (!strcmp(s, urgencies[i]))
			return 1;
	return 0;
}

static int valid_title(const char *s)
{
	return ch_valid_line(s, CH_TITLE_MAX);
}

void ch_meta_dispose(ch_meta *m)
{
	free(m->id);
	free(m->site);
	free(m->unit);
	free(m->title);
	free(m->type);
	free(m->classification);
	free(m->urgency);
	free(m->workflow);
	free(m->number);
	ch_strv_free(&m->recipients);
	memset(m, 0, sizeof(*m));
}

static char *dup_or_null(const char *s)
{
	return s ? ch_strdup(s) : NULL;
}

void ch_meta_copy(ch_meta *dst, const ch_meta *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->version = src->version;
	dst->id = dup_or_null(src->id);
	dst->site = dup_or_null(src->site);
	dst->unit = dup_or_null(src->unit);
	dst->title = dup_or_null(src->title);
	dst->type = dup_or_null(src->type);
	dst->classification = dup_or_null(src->classification);
	dst->urgency = dup_or_null(src->urgency);
	dst->workflow = dup_or_null(src->workflow);
	dst->number = dup_or_null(src->number);
	for (i = 0; i < src->recipients.n; i++)
		ch_strv_push(&dst->recipients, src->recipients.v[i]);
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

const char *ch_meta_fixed_change(const ch_meta *a, const ch_meta *b)
{
	if (a->version != b->version)
		return "version";
	if (!same_str(a->id, b->id))
		return "id";
	if (!same_str(a->site, b->site))
		return "site";
	if (!same_str(a->unit, b->unit))
		return "unit";
	if (!same_str(a->type, b->type))
		return "type";
	if (!same_str(a->workflow, b->workflow))
		return "workflow";
	if (!same_str(a->classification, b->classification))
		return "classification";
	return NULL;
}

int ch_meta_check_bound(const ch_meta *m, const char *doc_id, const ch_policy *pol)
{
	if (m->version < 2)
		return 0;
	if (strcmp(m->id, doc_id))
		return ch_error_setc(CH_EINVALID, "meta.json binds the chain to document '%s', but "
		                     "it is held by refs/docs/%s", m->id, doc_id);
	if (pol && strcmp(m->site, pol->site) && !ch_policy_site(pol, m->site))
		return ch_error_setc(CH_EINVALID, "meta.json names site '%s', which is neither this "
		                     "repository's site (%s) nor a site of policy/sites.json",
		                     m->site, pol->site);
	return 0;
}

/* id, site and unit: required in version 2, absent in version 1. */
static int parse_binding(ch_meta *out, const json_t *root)
{
	const char *s;
	int error;

	if (out->version < 2) {
		if (json_object_get(root, "id") || json_object_get(root, "site") ||
		    json_object_get(root, "unit"))
			return ch_error_setc(CH_EINVALID, "%s: id, site and unit belong to version 2 "
			                     "(\"version\": 2)", F_META);
		return 0;
	}
	if ((error = ch_json_str(&s, root, "id", 1, ch_valid_doc_id, F_META, "")) < 0)
		return error;
	out->id = ch_strdup(s);
	if ((error = ch_json_str(&s, root, "site", 1, ch_valid_name, F_META, "")) < 0)
		return error;
	out->site = ch_strdup(s);
	if ((error = ch_json_str(&s, root, "unit", 1, ch_valid_unit, F_META, "")) < 0)
		return error;
	out->unit = ch_strdup(s);
	return 0;
}

int ch_meta_parse(ch_meta *out, const void *data, size_t len)
{
	static const char *const keys[] = { "version", "id", "site", "unit", "title", "type",
	                                    "classification", "urgency", "workflow", "number",
	                                    "recipients", NULL };
	json_t *root = NULL, *num;
	const char *s;
	long version;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ch_json_parse(&root, data, len, 64 * 1024, F_META)) < 0 ||
	    (error = ch_json_only_keys(root, keys, F_META, "")) < 0 ||
	    (error = ch_json_int(&version, root, "version", 1, 0, 1, CH_META_VERSION, F_META,
	                         "")) < 0)
		goto done;
	out->version = (int)version;
	if ((error = parse_binding(out, root)) < 0 ||
	    (error = ch_json_str(&s, root, "title", 1, valid_title, F_META, "")) < 0)
		goto done;
	out->title = ch_strdup(s);
	if ((error = ch_json_str(&s, root, "type", 1, ch_valid_name, F_META, "")) < 0)
		goto done;
	out->type = ch_strdup(s);
	if ((error = ch_json_str(&s, root, "classification", 1, ch_valid_classification, F_META,
	                         "")) < 0)
		goto done;
	out->classification = ch_strdup(s);
	if ((error = ch_json_str(&s, root, "urgency", 1, valid_urgency, F_META, "")) < 0)
		goto done;
	out->urgency = ch_strdup(s);
	if ((error = ch_json_str(&s, root, "workflow", 1, ch_valid_name, F_META, "")) < 0)
		goto done;
	out->workflow = ch_strdup(s);
	num = json_object_get(root, "number");
	if (!json_is_string(num) || json_string_length(num) > 64 ||
	    (json_string_length(num) && !ch_valid_line(json_string_value(num), 64))) {
		error = ch_error_setc(CH_EINVALID, "%s: number: expected a string of at most 64 "
		                      "bytes", F_META);
		goto done;
	}
	out->number = ch_strdup(json_string_value(num));
	error = ch_json_strv(&out->recipients, root, "recipients", 1, 1024, ch_valid_name, F_META,
	                     "");
done:
	json_decref(root);
	if (error < 0)
		ch_meta_dispose(out);
	return error;
}

char *ch_meta_dump(const ch_meta *m)
{
	json_t *o = json_object(), *r = json_array();
	char *text;
	size_t i;

	for (i = 0; i < m->recipients.n; i++)
		json_array_append_new(r, json_string(m->recipients.v[i]));
	json_object_set_new(o, "version", json_integer(m->version >= 2 ? 2 : 1));
	if (m->version >= 2) {
		json_object_set_new(o, "id", json_string(m->id));
		json_object_set_new(o, "site", json_string(m->site));
		json_object_set_new(o, "unit", json_string(m->unit));
	}
	json_object_set_new(o, "title", json_string(m->title));
	json_object_set_new(o, "type", json_string(m->type));
	json_object_set_new(o, "classification", json_string(m->classification));
	json_object_set_new(o, "urgency", json_string(m->urgency));
	json_object_set_new(o, "workflow", json_string(m->workflow));
	json_object_set_new(o, "number", json_string(m->number ? m->number : ""));
	json_object_set_new(o, "recipients", r);
	text = ch_json_dump(o);
	json_decref(o);
	return text;
}

/* ---- loading ---- */

void ch_doc_free(ch_doc *doc)
{
	size_t i;

	if (!doc)
		return;
	for (i = 0; i < doc->nevents; i++) {
		free(doc->events[i].subject);
		free(doc->events[i].comment);
	}
	free(doc->events);
	ch_docstate_dispose(&doc->state);
	ch_meta_dispose(&doc->meta);
	ch_fileset_dispose(&doc->files);
	free(doc->id);
	free(doc->unit);
	free(doc);
}

static int read_event(ch_doc_event *ev, git_commit *c)
{
	const char *msg = git_commit_message_raw(c), *nl;
	ch_buf comment = CH_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	git_oid_cpy(&ev->id, git_commit_id(c));
	ev->time = (long long)git_commit_time(c);
	nl = strchr(msg, '\n');
	ev->subject = nl ? ch_strndup(msg, (size_t)(nl - msg)) : ch_strdup(msg);
	ch_message_comment(&comment, msg);
	ev->comment = ch_buf_detach(&comment);
	if ((error = ch_trailers_parse(&ev->t, msg, strlen(msg))) < 0)
		ch_error_prefix("commit %s: ", git_oid_tostr(hex, sizeof(hex), &ev->id));
	else if (ev->t.is_policy)
		error = ch_error_setc(CH_EINVALID, "commit %s: a policy commit in a document chain",
		                      git_oid_tostr(hex, sizeof(hex), &ev->id));
	return error;
}

/* Walk from head to the root, which must be reached by single parents. */
static int collect_chain(ch_doc *doc, git_repository *repo)
{
	git_commit *c = NULL, *parent;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int error = 0;

	if (git_commit_lookup(&c, repo, &doc->head) < 0)
		return ch_error_setc(CH_EIO, "refs/docs/%s: cannot read its head", doc->id);
	for (;;) {
		if (doc->nevents >= CH_DOC_MAX_STEPS) {
			error = ch_error_setc(CH_EINVALID, "refs/docs/%s: more than %d steps", doc->id,
			                      CH_DOC_MAX_STEPS);
			break;
		}
		doc->events = ch_realloc(doc->events, (doc->nevents + 1) * sizeof(*doc->events));
		memset(&doc->events[doc->nevents], 0, sizeof(*doc->events));
		if ((error = read_event(&doc->events[doc->nevents++], c)) < 0)
			break;
		if (git_commit_parentcount(c) == 0)
			break;
		if (git_commit_parentcount(c) > 1) {
			error = ch_error_setc(CH_EINVALID, "commit %s is a merge; document chains have "
			                      "none", git_oid_tostr(hex, sizeof(hex), git_commit_id(c)));
			break;
		}
		if (git_commit_parent(&parent, c, 0) < 0) {
			error = ch_error_setc(CH_EIO, "cannot read the parent of %s",
			                      git_oid_tostr(hex, sizeof(hex), git_commit_id(c)));
			break;
		}
		git_commit_free(c);
		c = parent;
	}
	git_commit_free(c);
	for (i = 0; i < doc->nevents / 2; i++) {
		ch_doc_event tmp = doc->events[i];

		doc->events[i] = doc->events[doc->nevents - 1 - i];
		doc->events[doc->nevents - 1 - i] = tmp;
	}
	return error;
}

static int load_meta_at(ch_meta *out, git_repository *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int error = 0;

	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&tree, c) < 0 ||
	    git_tree_entry_bypath(&e, tree, F_META) < 0 ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
		error = ch_error_setc(CH_EINVALID, "%s: missing", F_META);
	else
		error = ch_meta_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

/* Only create and revise change the tree, so meta.json is read again only
 * at those steps: replaying a long chain costs a commit lookup a step. */
static int replay(ch_doc *doc, ch_site *site)
{
	char hex[GIT_OID_HEXSZ + 1];
	ch_meta meta;
	size_t i;
	int error = 0, have_meta = 0;

	memset(&meta, 0, sizeof(meta));
	for (i = 0; i < doc->nevents && !error; i++) {
		const ch_doc_event *ev = &doc->events[i];
		const ch_policy *pol;
		const ch_workflow *wf;
		ch_step step = { ev->t.action, ev->t.actor, ev->t.on_behalf };
		git_oid pid;

		git_oid_tostr(hex, sizeof(hex), &ev->id);
		if (git_oid_fromstr(&pid, ev->t.policy) < 0 ||
		    (error = ch_site_policy(&pol, site, &pid)) < 0)
			break;
		if (!have_meta || !strcmp(ev->t.action, "create") || !strcmp(ev->t.action, "revise")) {
			ch_meta_dispose(&meta);
			if ((error = load_meta_at(&meta, site->repo, &ev->id)) < 0)
				break;
			have_meta = 1;
		}
		if (!strcmp(ev->t.action, "create"))
			ch_docstate_set_unit(&doc->state, meta.unit);
		if (!(wf = ch_policy_workflow(pol, meta.workflow)))
			error = ch_error_setc(CH_EINVALID, "workflow '%s' is not in policy %.12s",
			                      meta.workflow, ev->t.policy);
		else
			error = ch_engine_apply(&doc->state, wf, pol, &step, NULL);
		git_oid_cpy(&doc->policy, &pid);
		if (error < 0)
			ch_error_prefix("commit %.12s: ", hex);
	}
	ch_meta_dispose(&meta);
	return error;
}

static int not_found(ch_site *site, const char *id)
{
	return ch_error_setc(CH_ENOTFOUND, "no document '%s' on site %s", id, site->site_id);
}

/* A version-1 chain has no unit: it is its creator's, in the policy its
 * create names ("" when that cannot be read). Caller frees. */
static char *root_creator_unit(ch_site *site, const git_oid *head)
{
	git_commit *c = NULL, *parent;
	const ch_policy *pol;
	const ch_person *p;
	ch_trailers t;
	git_oid pid;
	const char *msg;
	char *unit = NULL;
	size_t n = 0;

	if (git_commit_lookup(&c, site->repo, head) < 0)
		return ch_strdup("");
	while (git_commit_parentcount(c) == 1 && n++ < CH_DOC_MAX_STEPS &&
	       git_commit_parent(&parent, c, 0) == 0) {
		git_commit_free(c);
		c = parent;
	}
	msg = git_commit_message_raw(c);
	if (git_commit_parentcount(c) == 0 && ch_trailers_parse(&t, msg, strlen(msg)) == 0 &&
	    git_oid_fromstr(&pid, t.policy) == 0 && ch_site_policy(&pol, site, &pid) == 0 &&
	    (p = ch_policy_person(pol, t.on_behalf[0] ? t.on_behalf : t.actor)))
		unit = ch_strdup(p->unit);
	git_commit_free(c);
	ch_error_clear();
	return unit ? unit : ch_strdup("");
}

/* The unit of a loaded document (borrowed): meta.json's, else the unit of
 * its creator in the policy its create names. */
static const char *doc_unit(const ch_doc *doc, ch_site *site)
{
	const ch_policy *pol;
	const ch_person *p;
	git_oid pid;

	if (doc->meta.version >= 2)
		return doc->meta.unit;
	if (!doc->nevents || !doc->state.creator ||
	    git_oid_fromstr(&pid, doc->events[0].t.policy) < 0 ||
	    ch_site_policy(&pol, site, &pid) < 0 || !(p = ch_policy_person(pol, doc->state.creator)))
		return "";
	return p->unit;
}

int ch_doc_load(ch_doc **out, ch_site *site, const char *id)
{
	ch_doc *doc = ch_calloc(1, sizeof(*doc));
	ch_buf ref = CH_BUF_INIT;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	const ch_buf *meta;
	int rc, error;

	*out = NULL;
	doc->id = ch_strdup(id);
	if (!ch_valid_doc_id(id)) {
		error = ch_error_setc(CH_EINVALID, "the id given is not a valid document id "
		                      "([a-z0-9][a-z0-9-]{0,63})");
		goto done;
	}
	ch_buf_printf(&ref, "refs/docs/%s", id);
	rc = git_reference_name_to_id(&doc->head, site->repo, ref.ptr);
	if (rc == GIT_ENOTFOUND) {
		error = not_found(site, id);
		goto done;
	} else if (rc < 0) {
		error = ch_error_setc(CH_EIO, "cannot read %s: %s", ref.ptr, git_error_last()->message);
		goto done;
	}
	if ((error = collect_chain(doc, site->repo)) < 0 || (error = replay(doc, site)) < 0) {
		ch_error_prefix("document %s is not a valid chain (run chancery verify): ", id);
		goto done;
	}
	if (git_commit_lookup(&head, site->repo, &doc->head) < 0 ||
	    git_commit_tree(&tree, head) < 0) {
		error = ch_error_setc(CH_EIO, "cannot read the tree of %s", id);
		goto done;
	}
	if ((error = ch_fileset_from_tree(&doc->files, site->repo, tree)) < 0)
		goto done;
	if (!(meta = ch_fileset_get(&doc->files, F_META))) {
		error = ch_error_setc(CH_EINVALID, "document %s has no %s", id, F_META);
		goto done;
	}
	if ((error = ch_meta_parse(&doc->meta, meta->ptr, meta->size)) < 0)
		goto done;
	if (doc->meta.version >= 2 && strcmp(doc->meta.id, id)) {
		error = ch_error_setc(CH_EINVALID, "document %s is not a valid chain (run chancery "
		                      "verify): D11: its meta.json binds it to document '%s'", id,
		                      doc->meta.id);
		goto done;
	}
	doc->unit = ch_strdup(doc_unit(doc, site));
	*out = doc;
	doc = NULL;
done:
	git_tree_free(tree);
	git_commit_free(head);
	ch_buf_dispose(&ref);
	ch_doc_free(doc);
	return error;
}

/* The answer for a document the person may not read is the answer for a
 * document that does not exist: the same code, the same message. */
int ch_doc_load_as(ch_doc **out, ch_site *site, const char *person, const char *id)
{
	const ch_policy *pol;
	git_oid head;
	ch_doc *doc = NULL;
	int error;

	*out = NULL;
	if ((error = ch_doc_readable(site, person, id)) < 0)
		return error;
	if ((error = ch_doc_load(&doc, site, id)) < 0)
		return error;
	/* the head may have moved since: judge what was loaded */
	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0) {
		ch_doc_free(doc);
		return error;
	}
	if (!ch_policy_may_read(pol, person, doc->unit, &doc->meta.recipients)) {
		ch_doc_free(doc);
		return not_found(site, id);
	}
	*out = doc;
	return 0;
}

/* Judged on meta.json at the head (and, for a version-1 chain, its root's
 * actor), before the chain is replayed: whether a chain someone may not
 * read is valid is not theirs to learn either. */
int ch_doc_readable(ch_site *site, const char *person, const char *id)
{
	const ch_policy *pol;
	ch_buf ref = CH_BUF_INIT;
	ch_meta meta;
	git_oid head, pid;
	char *unit = NULL;
	int error, ok = 0;

	memset(&meta, 0, sizeof(meta));
	if (!ch_valid_doc_id(id))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid document id "
		                     "([a-z0-9][a-z0-9-]{0,63})", id);
	if ((error = ch_site_policy_head(&pid, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &pid)) < 0)
		return error;
	ch_buf_printf(&ref, "refs/docs/%s", id);
	if (git_reference_name_to_id(&head, site->repo, ref.ptr) == 0) {
		if (load_meta_at(&meta, site->repo, &head) == 0) {
			unit = meta.version >= 2 ? ch_strdup(meta.unit) : root_creator_unit(site, &head);
			ok = ch_policy_may_read(pol, person, unit, &meta.recipients);
		} else { /* an auditor learns that the chain is broken; nobody else */
			ok = ch_policy_may_read(pol, person, NULL, NULL);
		}
	}
	ch_buf_dispose(&ref);
	ch_meta_dispose(&meta);
	free(unit);
	return ok ? 0 : not_found(site, id);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ch_doc_list_ids(ch_strv *out, ch_site *site)
{
	git_reference_iterator *it = NULL;
	const char *name;
	int rc;

	if (git_reference_iterator_glob_new(&it, site->repo, "refs/docs/*") < 0)
		return ch_error_setc(CH_EIO, "cannot list documents: %s", git_error_last()->message);
	while ((rc = git_reference_next_name(&name, it)) == 0)
		if (ch_valid_doc_id(name + 10))
			ch_strv_push(out, name + 10);
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER)
		return ch_error_setc(CH_EIO, "cannot list documents");
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

/* ---- recording ---- */

typedef struct {
	const ch_policy *pol;
	git_oid policy_id;
	const ch_person *person;
	ch_keyinfo key;
} actor_ctx;

/* A step to be signed by the person's browser or token: the key must be
 * theirs in the current policy, not revoked, and not one the server holds
 * (its secret is here: it signs through the signer, not from outside). */
static int prepare_external(actor_ctx *ctx, const ch_actor *who)
{
	const ch_person_key *k = ch_person_key_find(ctx->person, who->ext->key_fpr);
	int error;

	if (!k && ch_policy_person_by_fpr(ctx->pol, who->ext->key_fpr))
		return ch_error_setc(CH_EDENIED, "key %s is another person's, not a key of %s: "
		                     "nothing was recorded", who->ext->key_fpr, who->actor);
	if (!k)
		return ch_error_setc(CH_EDENIED, "key %s is not a key of %s in the current policy "
		                     "(awaiting approval?): nothing was recorded", who->ext->key_fpr,
		                     who->actor);
	if ((error = ch_policy_key_ok(ctx->pol, ctx->person, who->ext->key_fpr)) < 0)
		return ch_error_setc(CH_EDENIED, "%s: nothing was recorded", ch_error_last());
	if (k->custody == CH_CUSTODY_SERVER)
		return ch_error_setc(CH_EDENIED, "key %s is held by the server: it signs with the "
		                     "passphrase, not from outside", who->ext->key_fpr);
	memset(&ctx->key, 0, sizeof(ctx->key));
	snprintf(ctx->key.fpr, sizeof(ctx->key.fpr), "%s", who->ext->key_fpr);
	return 0;
}

/* The site's current policy decides who may record a step now, whatever
 * policy older steps named (DESIGN.md "Revocation and its limit"). */
static int prepare_actor(actor_ctx *ctx, ch_site *site, const ch_actor *who)
{
	int error;

	if (!ch_valid_person_id(who->actor))
		return ch_error_setc(CH_EINVALID, "the acting person's id is not a valid person id");
	if ((error = ch_site_policy_head(&ctx->policy_id, site)) < 0 ||
	    (error = ch_site_policy(&ctx->pol, site, &ctx->policy_id)) < 0)
		return error;
	if (!(ctx->person = ch_policy_person(ctx->pol, who->actor)))
		return ch_error_setc(CH_ENOTFOUND, "%s is not a person in the policy of site %s",
		                     who->actor, site->site_id);
	if (ctx->person->revoked)
		return ch_error_setc(CH_EDENIED, "%s is revoked in the current policy", who->actor);
	/* not echoed: the value is the requester's text, not yet judged */
	if (who->on_behalf && who->on_behalf[0] && !ch_valid_person_id(who->on_behalf))
		return ch_error_setc(CH_EINVALID, "the person acted for is not a valid person id");
	if (who->ext) /* signed outside: by a key of the person's own custody */
		return prepare_external(ctx, who);
	if ((error = ch_site_signer(&ctx->key, site, who->actor)) < 0)
		return error;
	if (ch_policy_key_ok(ctx->pol, ctx->person, ctx->key.fpr) < 0)
		return ch_error_setc(CH_EDENIED, "the local key of %s may not sign: %s", who->actor,
		                     ch_error_last());
	return 0;
}

static int record(git_oid *out, ch_site *site, const char *id, const git_oid *expected,
                  const ch_fileset *files, const ch_fileset *parent, const char *subject,
                  const ch_trailers *t, const ch_strv *declared, const actor_ctx *ctx,
                  const ch_actor *who)
{
	ch_buf msg = CH_BUF_INIT, ref = CH_BUF_INIT, email = CH_BUF_INIT, ident = CH_BUF_INIT;
	ch_commit_req req;
	int error;

	if (who->comment && (strlen(who->comment) > CH_COMMENT_MAX ||
	                     !ch_utf8_valid(who->comment, strlen(who->comment))))
		return ch_error_setc(CH_EINVALID, "the comment must be UTF-8 text of at most %d bytes",
		                     CH_COMMENT_MAX);
	ch_trailers_format(&msg, subject, who->comment, t);
	ch_trailers_format_declared(&msg, declared);
	ch_buf_printf(&ref, "refs/docs/%s", id);
	ch_buf_printf(&email, "%s@%s", who->actor, site->site_id);
	memset(&req, 0, sizeof(req));
	req.ref = ref.ptr;
	req.expected = expected;
	req.files = files;
	req.message = msg.ptr;
	req.name = ctx->person->name;
	req.email = email.ptr;
	req.signer = who->actor;
	req.key = &ctx->key;
	req.passphrase = who->passphrase;
	/* the step as it will be written, judged whole (workflows/classify/gate.h):
	 * every field, name, file and the message, before anything is signed */
	ch_buf_printf(&ident, "%s <%s>", req.name, req.email);
	req.ext = who->ext;
	if ((error = ch_gate_step(site, ctx->pol, files, parent, msg.ptr, ident.ptr,
	                          who->door ? who->door : "command line", who->actor)) == 0)
		error = ch_commit_signed(out, site, &req);
	ch_buf_dispose(&ident);
	ch_buf_dispose(&msg);
	ch_buf_dispose(&ref);
	ch_buf_dispose(&email);
	return error;
}

static void fill_trailers(ch_trailers *t, const char *action, const char *step,
                          const ch_actor *who, const git_oid *policy, const char *cls)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->action, sizeof(t->action), "%s", action);
	snprintf(t->step, sizeof(t->step), "%s", step);
	snprintf(t->actor, sizeof(t->actor), "%s", who->actor);
	if (who->on_behalf)
		snprintf(t->on_behalf, sizeof(t->on_behalf), "%s", who->on_behalf);
	git_oid_tostr(t->policy, sizeof(t->policy), policy);
	snprintf(t->classification, sizeof(t->classification), "%s", cls);
}

/* Every door of the networked tier goes through the gate (workflows/classify/gate.h),
 * before any other check, so that a stamped upload is refused as such. */
static int gate(ch_site *site, const actor_ctx *ctx, const ch_actor *who, const char *cls,
                const char *title, const void *text, size_t len, const char *what)
{
	ch_gate_item item;

	memset(&item, 0, sizeof(item));
	item.door = who->door ? who->door : "command line";
	item.person = who->actor;
	item.classification = cls;
	item.title = title;
	item.text = text;
	item.text_len = len;
	item.what = what;
	item.filename = who->source_name;
	return ch_gate_check(site, ctx->pol, &item);
}

/* What a create or revise carries besides the text: the comment (the
 * commit message's body) and the number (a meta.json string). */
static int gate_extras(ch_site *site, const actor_ctx *ctx, const ch_actor *who,
                       const char *number)
{
	int error = 0;

	if (who->comment && (error = gate(site, ctx, who, NULL, NULL, who->comment,
	                                  strlen(who->comment), "the comment")) < 0)
		return error;
	if (number && (error = gate(site, ctx, who, NULL, NULL, number, strlen(number),
	                            "the number")) < 0)
		return error;
	return 0;
}

/* Every short field of a new document, each as a title, before any other
 * check (whose messages could name a value). */
static int gate_new_fields(ch_site *site, const actor_ctx *ctx, const ch_actor *who,
                           const ch_doc_new *req)
{
	ch_gate_field f[6];
	size_t n = 0, i;
	int error;

	f[n++] = (ch_gate_field){ "the number", req->number };
	f[n++] = (ch_gate_field){ "the type", req->type };
	f[n++] = (ch_gate_field){ "the workflow", req->workflow };
	f[n++] = (ch_gate_field){ "the urgency", req->urgency };
	f[n++] = (ch_gate_field){ "the classification", req->classification };
	f[n++] = (ch_gate_field){ "the document id", req->id };
	if ((error = ch_gate_fields(site, ctx->pol, who->door ? who->door : "command line",
	                            who->actor, f, n)) < 0)
		return error;
	for (i = 0; req->recipients && i < req->recipients->n; i++) {
		f[0] = (ch_gate_field){ "a recipient", req->recipients->v[i] };
		if ((error = ch_gate_fields(site, ctx->pol, who->door ? who->door : "command line",
		                            who->actor, f, 1)) < 0)
			return error;
	}
	return 0;
}

static int check_text(ch_buf *out, const void *text, size_t len)
{
	int error;

	if (len > CH_DOC_MAX_TEXT)
		return ch_error_setc(CH_EINVALID, "the text is larger than %d bytes", CH_DOC_MAX_TEXT);
	if (!len)
		return ch_error_setc(CH_EINVALID, "the text is empty");
	if ((error = ch_utf8_nfc(out, text, len)) < 0)
		return ch_error_setc(CH_EINVALID, "the text is not valid UTF-8 (or holds NUL bytes)");
	return 0;
}

static int check_new_meta(ch_meta *m, ch_site *site, const ch_policy *pol, const ch_doc_new *req)
{
	size_t i;

	if (!req->title || !valid_title(req->title))
		return ch_error_setc(CH_EINVALID, "the title must be one line of 1 to %d bytes of "
		                     "UTF-8 text", CH_TITLE_MAX);
	if (!req->type || !ch_valid_name(req->type))
		return ch_error_setc(CH_EINVALID, "the document type is missing or malformed");
	m->title = ch_strdup(req->title);
	m->type = ch_strdup(req->type);
	m->workflow = ch_strdup(req->workflow ? req->workflow : req->type);
	m->classification = ch_strdup(req->classification ? req->classification : "unclassified");
	m->urgency = ch_strdup(req->urgency ? req->urgency : "normal");
	m->number = ch_strdup(req->number ? req->number : "");
	if (!ch_policy_workflow(pol, m->workflow))
		return ch_error_setc(CH_EINVALID, "no workflow '%s' in the policy", m->workflow);
	if (!ch_valid_classification(m->classification))
		return ch_error_setc(CH_EINVALID, "unknown classification '%s' (unclassified, "
		                     "confidential, secret, top-secret)", m->classification);
	if (strcmp(m->classification, "unclassified") && strcmp(pol->tier, "offline"))
		return ch_error_setc(CH_ECLASSIFIED, "site %s is on the networked tier: it holds "
		                     "unclassified documents only", site->site_id);
	if (!valid_urgency(m->urgency))
		return ch_error_setc(CH_EINVALID, "unknown urgency '%s' (normal, urgent, "
		                     "very-urgent, flash)", m->urgency);
	if (strlen(m->number) > 64 || (m->number[0] && !ch_valid_line(m->number, 64)))
		return ch_error_setc(CH_EINVALID, "the number must be one line of at most 64 bytes");
	for (i = 0; req->recipients && i < req->recipients->n; i++) {
		if (!ch_policy_site(pol, req->recipients->v[i]))
			return ch_error_setc(CH_EINVALID, "recipient '%.64s' is not a site in the policy",
			                     req->recipients->v[i]);
		if (!ch_strv_contains(&m->recipients, req->recipients->v[i]))
			ch_strv_push(&m->recipients, req->recipients->v[i]);
	}
	return 0;
}

/* ---- attachments ---- */

static int attach_path(ch_buf *path, ch_buf *norm, const char *name)
{
	int error;

	if ((error = ch_attach_name(norm, name)) < 0)
		return error;
	ch_buf_clear(path);
	ch_buf_printf(path, "%s%s", CH_ATTACH_DIR, norm->ptr);
	return 0;
}

/* The names of a request's list, normalised, into out; each once. */
static int attach_names(ch_strv *out, const char *const *names, size_t n, const char *what)
{
	ch_buf norm = CH_BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < n && !error; i++) {
		if ((error = ch_attach_name(&norm, names[i])) < 0)
			ch_error_prefix("%s %zu: ", what, i + 1);
		else if (ch_strv_contains(out, norm.ptr))
			error = ch_error_setc(CH_EINVALID, "%s %zu names an attachment given before",
			                      what, i + 1);
		else
			ch_strv_push(out, norm.ptr);
	}
	ch_buf_dispose(&norm);
	return error;
}

static int attach_bounds(const ch_fileset *files)
{
	size_t i, count = 0, total = 0;

	for (i = 0; i < files->n; i++)
		if (!strncmp(files->v[i].path, CH_ATTACH_DIR, sizeof(CH_ATTACH_DIR) - 1)) {
			count++;
			total += files->v[i].data.size;
		}
	if (count > CH_ATTACH_MAX_COUNT)
		return ch_error_setc(CH_EINVALID, "a document holds at most %d attachments",
		                     CH_ATTACH_MAX_COUNT);
	if (total > CH_ATTACH_MAX_TOTAL)
		return ch_error_setc(CH_EINVALID, "a document's attachments hold at most %u bytes "
		                     "in all", CH_ATTACH_MAX_TOTAL);
	return 0;
}

/* Apply `req` to the files of the step being built: detach, gate and add
 * (the gate runs on every file brought, before it is stored anywhere),
 * then check the bounds. The names declared unclassified into declared. */
static int apply_attachments(ch_fileset *files, ch_strv *declared, ch_site *site,
                             const actor_ctx *ctx, const ch_actor *who, const ch_attach_req *req)
{
	ch_strv decl = CH_STRV_INIT, added = CH_STRV_INIT, gone = CH_STRV_INIT;
	ch_buf path = CH_BUF_INIT, norm = CH_BUF_INIT;
	size_t i;
	int error;

	if (!req)
		return attach_bounds(files);
	if (req->nadd > CH_ATTACH_MAX_COUNT || req->nremove > 4 * CH_ATTACH_MAX_COUNT) {
		error = ch_error_setc(CH_EINVALID, "at most %d attachments at once",
		                      CH_ATTACH_MAX_COUNT);
		goto done;
	}
	if ((error = attach_names(&gone, req->remove, req->nremove, "detached name")) < 0 ||
	    (error = attach_names(&decl, req->declare, req->ndeclare, "declared name")) < 0)
		goto done;
	for (i = 0; i < gone.n; i++) {
		ch_buf_clear(&path);
		ch_buf_printf(&path, "%s%s", CH_ATTACH_DIR, gone.v[i]);
		if (ch_fileset_remove(files, path.ptr) < 0) {
			error = ch_error_setc(CH_ENOTFOUND, "detached name %zu: the document has no "
			                      "attachment of that name", i + 1);
			goto done;
		}
	}
	for (i = 0; i < req->nadd; i++) {
		ch_gate_file f;
		int unreadable = 0;

		if ((error = attach_path(&path, &norm, req->add[i].name)) < 0) {
			ch_error_prefix("attachment %zu: ", i + 1);
			goto done;
		}
		if (ch_strv_contains(&added, norm.ptr)) {
			error = ch_error_setc(CH_EINVALID, "attachment %zu has the name of an attachment "
			                      "given before", i + 1);
			goto done;
		}
		if (req->add[i].len > CH_ATTACH_MAX_FILE) {
			error = ch_error_setc(CH_EINVALID, "attachment %zu is larger than %u bytes", i + 1,
			                      CH_ATTACH_MAX_FILE);
			goto done;
		}
		memset(&f, 0, sizeof(f));
		f.door = who->door ? who->door : "command line";
		f.person = who->actor;
		f.index = i + 1;
		f.name = norm.ptr;
		f.data = req->add[i].data;
		f.len = req->add[i].len;
		f.declared = ch_strv_contains(&decl, norm.ptr);
		if ((error = ch_gate_attachment(site, ctx->pol, &f, &unreadable)) < 0)
			goto done;
		if (f.declared)
			ch_strv_push(declared, norm.ptr);
		ch_strv_push(&added, norm.ptr);
		ch_fileset_put(files, path.ptr, req->add[i].data, req->add[i].len);
	}
	for (i = 0; i < decl.n; i++)
		if (!ch_strv_contains(&added, decl.v[i])) {
			error = ch_error_setc(CH_EINVALID, "declared name %zu is not an attachment this "
			                      "step adds", i + 1);
			goto done;
		}
	error = attach_bounds(files);
done:
	ch_strv_free(&decl);
	ch_strv_free(&added);
	ch_strv_free(&gone);
	ch_buf_dispose(&path);
	ch_buf_dispose(&norm);
	return error;
}

/* <type>-<YYYYMMDD>-<10 hex>: 40 random bits a type and day, across every
 * site (a mission's new document and headquarters' must not share an id:
 * with 6 hex digits, a thousand documents of one type a day among 150
 * sites would meet about once a month). */
static void new_id(ch_buf *out, const char *type)
{
	char date[16];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	ch_buf_printf(out, "%.40s-%s-", type, date);
	ch_random_hex(out, 5);
}

/* Version 2 (D11): the chain names its document, the site that creates it
 * (this site's id; the policy's repository.json names the site that
 * introduced the policy, which every site shares) and the creator's unit
 * (the principal's, on behalf of someone). */
static void bind_meta(ch_meta *m, const char *id, ch_site *site, const actor_ctx *ctx,
                      const ch_actor *who)
{
	const ch_person *p = ctx->person;

	if (ch_testhook_meta_v1()) {
		m->version = 1;
		return;
	}
	if (who->on_behalf && who->on_behalf[0] && ch_policy_person(ctx->pol, who->on_behalf))
		p = ch_policy_person(ctx->pol, who->on_behalf);
	m->version = CH_META_VERSION;
	m->id = ch_strdup(id);
	m->site = ch_strdup(site->site_id);
	m->unit = ch_strdup(p->unit);
}

int ch_doc_create(ch_buf *id_out, ch_site *site, const ch_doc_new *req, const ch_actor *who)
{
	ch_fileset files = CH_FILESET_INIT;
	ch_docstate st = CH_DOCSTATE_INIT;
	ch_strv declared = CH_STRV_INIT;
	ch_meta meta;
	ch_buf text = CH_BUF_INIT, subject = CH_BUF_INIT;
	ch_trailers t;
	actor_ctx ctx;
	char *metatext = NULL;
	git_oid commit;
	ch_step step = { "create", who->actor, who->on_behalf };
	int error;

	memset(&meta, 0, sizeof(meta));
	ch_buf_clear(id_out);
	if ((error = prepare_actor(&ctx, site, who)) < 0 ||
	    (error = gate(site, &ctx, who, req->classification, req->title, req->text,
	                  req->text_len, "the text")) < 0 ||
	    (error = gate_extras(site, &ctx, who, req->number)) < 0 ||
	    (error = gate_new_fields(site, &ctx, who, req)) < 0 ||
	    (error = check_new_meta(&meta, site, ctx.pol, req)) < 0 ||
	    (error = check_text(&text, req->text, req->text_len)) < 0)
		goto done;
	if (req->attach && req->attach->nremove) {
		error = ch_error_setc(CH_EINVALID, "a new document has no attachment to detach");
		goto done;
	}
	if ((error = apply_attachments(&files, &declared, site, &ctx, who, req->attach)) < 0)
		goto done;
	if (req->id)
		ch_buf_puts(id_out, req->id);
	else
		new_id(id_out, meta.type);
	if (!ch_valid_doc_id(id_out->ptr)) {
		error = ch_error_setc(CH_EINVALID, "the id given is not a valid document id "
		                      "([a-z0-9][a-z0-9-]{0,63})");
		goto done;
	}
	bind_meta(&meta, id_out->ptr, site, &ctx, who);
	ch_docstate_set_unit(&st, meta.unit);
	if ((error = ch_engine_apply(&st, ch_policy_workflow(ctx.pol, meta.workflow), ctx.pol,
	                             &step, NULL)) < 0)
		goto done;
	metatext = ch_meta_dump(&meta);
	ch_fileset_put(&files, F_TEXT, text.ptr, text.size);
	ch_fileset_put(&files, F_META, metatext, strlen(metatext));
	fill_trailers(&t, "create", ch_policy_workflow(ctx.pol, meta.workflow)->start, who,
	              &ctx.policy_id, meta.classification);
	ch_buf_printf(&subject, "create: %s", meta.title);
	error = record(&commit, site, id_out->ptr, NULL, &files, NULL, subject.ptr, &t, &declared,
	               &ctx, who);
	if (error == CH_ECONFLICT)
		ch_error_setc(CH_ECONFLICT, "a document '%s' already exists", id_out->ptr);
done:
	ch_docstate_dispose(&st);
	ch_strv_free(&declared);
	ch_meta_dispose(&meta);
	ch_fileset_dispose(&files);
	ch_buf_dispose(&text);
	ch_buf_dispose(&subject);
	free(metatext);
	return error;
}

/* Check the step against the document's state under the current policy. */
static int check_step(ch_doc *doc, const actor_ctx *ctx, const char *action, const ch_actor *who)
{
	if (who->expected && !git_oid_equal(who->expected, &doc->head)) {
		char seen[GIT_OID_HEXSZ + 1];

		git_oid_tostr(seen, sizeof(seen), who->expected);
		return ch_error_setc(CH_ECONFLICT, "document %s changed since it was opened (its "
		                     "head is %.12s, not %.12s): someone acted first; nothing was "
		                     "recorded", doc->id, git_oid_tostr_s(&doc->head), seen);
	}
	const ch_workflow *wf = ch_policy_workflow(ctx->pol, doc->meta.workflow);
	ch_step step = { action, who->actor, who->on_behalf };
	ch_docstate copy;
	int error;

	if (!wf)
		return ch_error_setc(CH_EDENIED, "workflow '%s' is no longer in the policy",
		                     doc->meta.workflow);
	ch_docstate_copy(&copy, &doc->state);
	error = ch_engine_apply(&copy, wf, ctx->pol, &step, NULL);
	ch_docstate_dispose(&copy);
	return error;
}

/* What a door loads: for a server door, only a document the actor may
 * read (else "no document"); the binding (D11) holds under the current
 * policy either way. */
static int load_for(ch_doc **out, ch_site *site, const char *id, const ch_actor *who)
{
	const ch_policy *pol;
	git_oid head;
	int error;

	*out = NULL;
	if ((error = who->need_read ? ch_doc_load_as(out, site, who->actor, id) :
	                              ch_doc_load(out, site, id)) < 0)
		return error;
	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0 ||
	    (error = ch_meta_check_bound(&(*out)->meta, id, pol)) < 0) {
		if (error == CH_EINVALID)
			ch_error_prefix("D11: document %s: ", id);
		ch_doc_free(*out);
		*out = NULL;
	}
	return error;
}

/* D12 and D11 on the tree a revise is about to record: the fields fixed at
 * create stay as they are, and the binding holds. */
static int check_fixed(const ch_doc *doc, const ch_fileset *files, const ch_policy *pol)
{
	const ch_buf *b = ch_fileset_get(files, F_META);
	const char *field;
	ch_meta m;
	int error;

	if (!b)
		return ch_error_setc(CH_EINVALID, "D8: the revised document has no %s", F_META);
	if ((error = ch_meta_parse(&m, b->ptr, b->size)) < 0)
		return error;
	if ((field = ch_meta_fixed_change(&doc->meta, &m)))
		error = ch_error_setc(CH_EDENIED, "D12: a revise may not change meta.json's %s: it is "
		                      "fixed when document %s is created", field, doc->id);
	else if ((error = ch_meta_check_bound(&m, doc->id, pol)) < 0)
		ch_error_prefix("D11: ");
	ch_meta_dispose(&m);
	return error;
}

int ch_doc_revise(ch_site *site, const char *id, const void *text, size_t len,
                  const ch_actor *who)
{
	return ch_doc_revise_ex(site, id, text, len, NULL, who);
}

int ch_doc_revise_ex(ch_site *site, const char *id, const void *text, size_t len,
                     const ch_attach_req *attach, const ch_actor *who)
{
	ch_buf norm = CH_BUF_INIT, subject = CH_BUF_INIT;
	ch_fileset files = CH_FILESET_INIT;
	ch_strv declared = CH_STRV_INIT;
	ch_doc *doc = NULL;
	ch_trailers t;
	actor_ctx ctx;
	git_oid commit;
	size_t i;
	int error;

	if ((error = load_for(&doc, site, id, who)) < 0 ||
	    (error = prepare_actor(&ctx, site, who)) < 0 ||
	    (text && (error = gate(site, &ctx, who, NULL, NULL, text, len, "the text")) < 0) ||
	    (error = gate_extras(site, &ctx, who, NULL)) < 0)
		goto done;
	for (i = 0; i < doc->files.n; i++)
		ch_fileset_put(&files, doc->files.v[i].path, doc->files.v[i].data.ptr,
		               doc->files.v[i].data.size);
	if ((error = apply_attachments(&files, &declared, site, &ctx, who, attach)) < 0 ||
	    (error = check_step(doc, &ctx, "revise", who)) < 0 ||
	    (text && (error = check_text(&norm, text, len)) < 0))
		goto done;
	if (text)
		ch_fileset_put(&files, F_TEXT, norm.ptr, norm.size);
	if ((error = check_fixed(doc, &files, ctx.pol)) < 0)
		goto done;
	fill_trailers(&t, "revise", doc->state.state, who, &ctx.policy_id,
	              doc->meta.classification);
	ch_buf_printf(&subject, "revise: %s", doc->meta.title);
	error = record(&commit, site, id, &doc->head, &files, &doc->files, subject.ptr, &t,
	               &declared, &ctx, who);
done:
	ch_buf_dispose(&norm);
	ch_buf_dispose(&subject);
	ch_strv_free(&declared);
	ch_fileset_dispose(&files);
	ch_doc_free(doc);
	return error;
}

int ch_doc_act(git_oid *out, ch_site *site, const char *id, const char *action,
               const ch_actor *who)
{
	static const char *const acts[] = { "submit", "approve", "return", "reject", "sign",
	                                    "publish", "withdraw", "comment", NULL };
	ch_buf subject = CH_BUF_INIT;
	ch_doc *doc = NULL;
	ch_trailers t;
	actor_ctx ctx;
	size_t i;
	int error;

	for (i = 0; acts[i] && strcmp(acts[i], action); i++)
		;
	if (!acts[i])
		return ch_error_setc(CH_EINVALID, "unknown action '%.40s' (submit, approve, return, "
		                     "reject, sign, publish, withdraw, comment)", action);
	if ((error = load_for(&doc, site, id, who)) < 0 ||
	    (error = prepare_actor(&ctx, site, who)) < 0 ||
	    (who->comment && (error = gate(site, &ctx, who, NULL, NULL, who->comment,
	                                   strlen(who->comment), "the comment")) < 0) ||
	    (error = check_step(doc, &ctx, action, who)) < 0)
		goto done;
	fill_trailers(&t, action, doc->state.state, who, &ctx.policy_id, doc->meta.classification);
	ch_buf_printf(&subject, "%s: %s", action, doc->meta.title);
	error = record(out, site, id, &doc->head, NULL, NULL, subject.ptr, &t, NULL, &ctx, who);
done:
	ch_buf_dispose(&subject);
	ch_doc_free(doc);
	return error;
}

/* A peer whose kept chain of doc_id exists: looked up by its full name. */
static void conflict_peer(ch_strv *out, ch_site *site, const char *peer, const char *doc_id)
{
	ch_buf name = CH_BUF_INIT;
	git_reference *ref = NULL;

	if (ch_valid_name(peer) && !ch_strv_contains(out, peer)) {
		ch_buf_printf(&name, "refs/conflicts/%s/docs/%s", peer, doc_id);
		if (git_reference_lookup(&ref, site->repo, name.ptr) == 0)
			ch_strv_push(out, peer);
		git_reference_free(ref);
	}
	ch_buf_dispose(&name);
}

/* Not a glob over refs/conflicts/: libgit2 copies every packed ref into
 * such an iterator (with 10,000 documents, most of a document page's
 * time). The candidates are the sites of the current policy and the peer
 * directories of loose refs, each looked up by name (a stat and a search
 * of the packed-refs cache). A kept chain of a peer since removed from the
 * policy shows while its ref is loose. */
int ch_doc_conflicts(ch_strv *out, ch_site *site, const char *doc_id)
{
	const ch_policy *pol = NULL;
	ch_buf dir = CH_BUF_INIT;
	struct dirent *e;
	git_oid head;
	DIR *d;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!ch_valid_doc_id(doc_id))
		return ch_error_setc(CH_EINVALID, "not a document id");
	if (ch_site_policy_head(&head, site) == 0 && ch_site_policy(&pol, site, &head) == 0)
		for (i = 0; i < pol->nsites; i++)
			conflict_peer(out, site, pol->sites[i].id, doc_id);
	ch_buf_printf(&dir, "%s/refs/conflicts", site->repo_path);
	if ((d = opendir(dir.ptr))) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				conflict_peer(out, site, e->d_name, doc_id);
		closedir(d);
	}
	ch_buf_dispose(&dir);
	ch_error_clear();
	return 0;
}

/* ---- D13 against the site's refs ---- */

static int chain_root(git_oid *out, git_repository *repo, const git_oid *head)
{
	git_commit *c = NULL;
	git_oid next;
	size_t n = 0;

	git_oid_cpy(&next, head);
	for (;;) {
		if (git_commit_lookup(&c, repo, &next) < 0)
			return ch_error_setc(CH_EIO, "commit %s cannot be read", git_oid_tostr_s(&next));
		if (git_commit_parentcount(c) == 0 || ++n > CH_DOC_MAX_STEPS)
			break;
		git_oid_cpy(&next, git_commit_parent_id(c, 0));
		git_commit_free(c);
	}
	git_oid_cpy(out, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

static int reaches(git_repository *repo, const git_oid *head, const git_oid *commit)
{
	return git_oid_equal(head, commit) || git_graph_descendant_of(repo, head, commit) == 1;
}

int ch_doc_shared_root(ch_buf *holder, git_oid *root, ch_site *site, git_repository *repo,
                       const char *ref, const git_oid *head)
{
	git_reference_iterator *it = NULL;
	git_reference *r;
	git_odb *odb = NULL;
	git_oid local;
	int error, found = 0;

	ch_buf_clear(holder);
	if ((error = chain_root(root, repo, head)) < 0)
		return error;
	if (git_repository_odb(&odb, site->repo) < 0)
		return ch_error_setc(CH_EIO, "cannot open the site's objects");
	git_odb_refresh(odb);
	if (!git_odb_exists(odb, root)) { /* a root new to the site is nobody's yet */
		git_odb_free(odb);
		return 0;
	}
	git_odb_free(odb);
	if (git_reference_name_to_id(&local, site->repo, ref) == 0 &&
	    reaches(site->repo, &local, root))
		return 0; /* the same document */
	if (git_reference_iterator_glob_new(&it, site->repo, "refs/docs/*") < 0)
		return ch_error_setc(CH_EIO, "cannot list documents");
	while (!found && git_reference_next(&r, it) == 0) {
		const git_oid *h = git_reference_target(r);

		if (h && strcmp(git_reference_name(r), ref) && reaches(site->repo, h, root)) {
			ch_buf_puts(holder, git_reference_name(r));
			found = 1;
		}
		git_reference_free(r);
	}
	git_reference_iterator_free(it);
	return found;
}
