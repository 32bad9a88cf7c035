/* spill.c -- the spill list (refs/chancery/spills) and the purge of a
 * spilled document's objects. */
#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workflows/commit.h"
#include "workflows/classify/gate.h"
#include "workflows/json.h"
#include "workflows/classify/spill.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

#define SPILL_MAX_RECORDS 100000
#define SPILL_MAX_COMMITS 100000

/* ---- the list ---- */

static void spill_dispose(ch_spill *s)
{
	free(s->doc);
	free(s->at);
	free(s->by);
	free(s->reason);
	ch_strv_free(&s->recipients);
}

void ch_spill_list_dispose(ch_spill_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		spill_dispose(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const ch_spill *ch_spill_find(const ch_spill_list *l, const char *doc)
{
	size_t i;

	for (i = 0; l && doc && i < l->n; i++)
		if (!strcmp(l->v[i].doc, doc))
			return &l->v[i];
	return NULL;
}

static int valid_reason(const char *s)
{
	return strlen(s) <= CH_SPILL_REASON_MAX && ch_utf8_valid(s, strlen(s));
}

static int valid_any(const char *s)
{
	return ch_valid_line(s, 64);
}

static int parse_record(ch_spill *out, const json_t *e, size_t i)
{
	static const char *const keys[] = { "doc", "at", "by", "reason", "recipients", NULL };
	char where[32];
	const char *s;
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(where, sizeof(where), "spills[%zu].", i);
	if (!json_is_object(e))
		return ch_error_setc(CH_EINVALID, "%s: %s is not an object", CH_SPILLS_FILE, where);
	if ((error = ch_json_only_keys(e, keys, CH_SPILLS_FILE, where)) < 0 ||
	    (error = ch_json_str(&s, e, "doc", 1, ch_valid_doc_id, CH_SPILLS_FILE, where)) < 0)
		return error;
	out->doc = ch_strdup(s);
	if ((error = ch_json_str(&s, e, "at", 1, valid_any, CH_SPILLS_FILE, where)) < 0)
		return error;
	out->at = ch_strdup(s);
	if ((error = ch_json_str(&s, e, "by", 1, ch_valid_person_id, CH_SPILLS_FILE, where)) < 0)
		return error;
	out->by = ch_strdup(s);
	error = ch_json_str(&s, e, "reason", 0, valid_reason, CH_SPILLS_FILE, where);
	if (error < 0 && error != CH_ENOTFOUND)
		return error;
	out->reason = ch_strdup(s ? s : "");
	return ch_json_strv(&out->recipients, e, "recipients", 1, 1024, ch_valid_name,
	                    CH_SPILLS_FILE, where);
}

static int parse_list(ch_spill_list *out, const void *data, size_t len)
{
	static const char *const keys[] = { "version", "spills", NULL };
	json_t *root = NULL, *arr, *e;
	long version;
	size_t i;
	int error;

	if ((error = ch_json_parse(&root, data, len, CH_SPILLS_MAX, CH_SPILLS_FILE)) < 0 ||
	    (error = ch_json_only_keys(root, keys, CH_SPILLS_FILE, "")) < 0 ||
	    (error = ch_json_int(&version, root, "version", 1, 0, 1, 1, CH_SPILLS_FILE, "")) < 0)
		goto done;
	arr = json_object_get(root, "spills");
	if (!json_is_array(arr) || json_array_size(arr) > SPILL_MAX_RECORDS) {
		error = ch_error_setc(CH_EINVALID, "%s: spills: expected an array", CH_SPILLS_FILE);
		goto done;
	}
	out->v = ch_calloc(json_array_size(arr) + 1, sizeof(*out->v));
	json_array_foreach(arr, i, e) {
		error = parse_record(&out->v[out->n], e, i);
		out->n++;
		if (error < 0)
			goto done;
	}
done:
	json_decref(root);
	return error;
}

static int read_list_at(ch_spill_list *out, git_repository *repo, const git_oid *commit)
{
	ch_buf text = CH_BUF_INIT;
	int error;

	if (ch_fileset_read_at(&text, repo, commit, CH_SPILLS_FILE, CH_POLICY_MAX_FILE * 16) < 0)
		error = ch_error_setc(CH_EINVALID, "%s at %.12s: no readable %s", CH_SPILLS_REF,
		                      git_oid_tostr_s(commit), CH_SPILLS_FILE);
	else
		error = parse_list(out, text.ptr, text.size);
	ch_buf_dispose(&text);
	return error;
}

int ch_spill_list_load(ch_spill_list *out, git_repository *repo)
{
	int rc, error;

	memset(out, 0, sizeof(*out));
	rc = git_reference_name_to_id(&out->head, repo, CH_SPILLS_REF);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return ch_error_setc(CH_EIO, "cannot read %s", CH_SPILLS_REF);
	out->has_head = 1;
	if ((error = read_list_at(out, repo, &out->head)) < 0)
		ch_spill_list_dispose(out);
	return error;
}

/* ---- verifying the list ---- */

/* The value of trailer `key` ("Chancery-Actor") in a commit message. */
static int trailer(char *out, size_t size, const char *msg, const char *key)
{
	size_t klen = strlen(key);
	const char *p;

	for (p = msg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t n = strcspn(p, "\n");

		if (n > klen + 2 && !strncmp(p, key, klen) && p[klen] == ':' && p[klen + 1] == ' ' &&
		    n - klen - 2 < size) {
			memcpy(out, p + klen + 2, n - klen - 2);
			out[n - klen - 2] = '\0';
			return 0;
		}
	}
	return ch_error_setc(CH_EINVALID, "no %s trailer", key);
}

static int on_policy_chain(git_repository *repo, const git_oid *pid)
{
	git_oid head;

	if (git_reference_name_to_id(&head, repo, CH_POLICY_REF) < 0)
		return 0;
	return git_oid_equal(&head, pid) || git_graph_descendant_of(repo, &head, pid) == 1;
}

/* The signer of one spill commit is a security-officer in the policy the
 * commit names, with the key that policy gives them. */
static int check_signer(git_repository *repo, git_commit *c, char actor[65])
{
	const git_oid *id = git_commit_id(c);
	const char *msg = git_commit_message_raw(c);
	git_buf sig = { 0 }, data = { 0 };
	ch_pgp_verify_result res;
	ch_policy *pol = NULL;
	const ch_person *p;
	char phex[41];
	git_oid pid;
	int error;

	if ((error = trailer(actor, 65, msg, "Chancery-Actor")) < 0 ||
	    (error = trailer(phex, sizeof(phex), msg, "Chancery-Policy")) < 0)
		goto done;
	if (git_oid_fromstr(&pid, phex) < 0 || !on_policy_chain(repo, &pid)) {
		error = ch_error_setc(CH_EINVALID, "it names a policy that is not a commit of %s",
		                      CH_POLICY_REF);
		goto done;
	}
	if ((error = ch_policy_load(&pol, repo, &pid)) < 0)
		goto done;
	p = ch_policy_person(pol, actor);
	if (!p || p->revoked || !ch_person_has_role(p, "security-officer")) {
		error = ch_error_setc(CH_EINVALID, "%.64s is not a security-officer in policy %.12s",
		                      actor, phex);
		goto done;
	}
	if (git_commit_extract_signature(&sig, &data, repo, (git_oid *)id, NULL) < 0) {
		error = ch_error_setc(CH_EINVALID, "it is not signed");
		goto done;
	}
	if ((error = ch_pgp_verify(&res, pol->keyring, data.ptr, data.size, sig.ptr, sig.size)) < 0)
		goto done;
	if (ch_policy_key_ok(pol, p, res.primary_fpr) < 0)
		error = ch_error_setc(CH_EINVALID, "it is signed by key %s, not by a key of %s that "
		                      "may sign: %s", res.primary_fpr, actor, ch_error_last());
done:
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	ch_policy_free(pol);
	return error;
}

/* The list at a commit is its parent's list and one record more, by the
 * commit's signer, for the document its Chancery-Spill trailer names. */
static int check_growth(const ch_spill_list *prev, const ch_spill_list *cur, const char *actor,
                        const char *msg)
{
	char doc[80];
	size_t i;

	if (cur->n != prev->n + 1)
		return ch_error_setc(CH_EINVALID, "it must add exactly one record (%zu before, %zu "
		                     "after)", prev->n, cur->n);
	for (i = 0; i < prev->n; i++)
		if (strcmp(prev->v[i].doc, cur->v[i].doc) || strcmp(prev->v[i].by, cur->v[i].by) ||
		    strcmp(prev->v[i].at, cur->v[i].at))
			return ch_error_setc(CH_EINVALID, "it changes record %zu of the list", i);
	if (strcmp(cur->v[prev->n].by, actor))
		return ch_error_setc(CH_EINVALID, "its record names %s but %s signed it",
		                     cur->v[prev->n].by, actor);
	if (trailer(doc, sizeof(doc), msg, "Chancery-Spill") < 0 || strcmp(doc, cur->v[prev->n].doc))
		return ch_error_setc(CH_EINVALID, "its Chancery-Spill trailer does not name the "
		                     "document it adds");
	return 0;
}

static int collect_spill_commits(git_oid **out, size_t *n, git_repository *repo,
                                 const git_oid *head)
{
	git_commit *c = NULL, *parent = NULL;
	int error = 0;

	*out = NULL;
	*n = 0;
	if (git_commit_lookup(&c, repo, head) < 0)
		return ch_error_setc(CH_EINVALID, "%s: cannot read its head", CH_SPILLS_REF);
	for (;;) {
		if (*n >= SPILL_MAX_COMMITS || git_commit_parentcount(c) > 1) {
			error = ch_error_setc(CH_EINVALID, "%s: commit %.12s is a merge (or the list is "
			                      "too long)", CH_SPILLS_REF, git_oid_tostr_s(git_commit_id(c)));
			break;
		}
		*out = ch_realloc(*out, (*n + 1) * sizeof(**out));
		git_oid_cpy(&(*out)[(*n)++], git_commit_id(c));
		if (!git_commit_parentcount(c))
			break;
		if (git_commit_parent(&parent, c, 0) < 0) {
			error = ch_error_setc(CH_EINVALID, "%s: cannot read a parent", CH_SPILLS_REF);
			break;
		}
		git_commit_free(c);
		c = parent;
	}
	git_commit_free(c);
	return error;
}

static int verify_one(ch_spill_list *prev, git_repository *repo, const git_oid *id)
{
	ch_spill_list cur;
	git_commit *c = NULL;
	char actor[65];
	int error;

	memset(&cur, 0, sizeof(cur));
	if (git_commit_lookup(&c, repo, id) < 0)
		return ch_error_setc(CH_EINVALID, "cannot read the commit");
	if ((error = check_signer(repo, c, actor)) == 0 &&
	    (error = read_list_at(&cur, repo, id)) == 0 &&
	    (error = check_growth(prev, &cur, actor, git_commit_message_raw(c))) == 0) {
		ch_spill_list_dispose(prev);
		*prev = cur;
		memset(&cur, 0, sizeof(cur));
	}
	ch_spill_list_dispose(&cur);
	git_commit_free(c);
	return error;
}

int ch_spill_verify(ch_spill_list *out, git_repository *repo)
{
	git_oid *ids = NULL;
	size_t n = 0, i;
	int rc, error = 0;

	memset(out, 0, sizeof(*out));
	rc = git_reference_name_to_id(&out->head, repo, CH_SPILLS_REF);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return ch_error_setc(CH_EIO, "cannot read %s", CH_SPILLS_REF);
	if ((error = collect_spill_commits(&ids, &n, repo, &out->head)) < 0)
		goto done;
	for (i = n; i-- > 0;)
		if ((error = verify_one(out, repo, &ids[i])) < 0) {
			ch_error_prefix("%s commit %s: ", CH_SPILLS_REF, git_oid_tostr_s(&ids[i]));
			break;
		}
	out->has_head = 1;
	git_oid_cpy(&out->head, &ids[0]);
done:
	free(ids);
	if (error < 0)
		ch_spill_list_dispose(out);
	return error;
}

/* ---- recording a spill ---- */

static int check_officer(const ch_person **me, ch_keyinfo *key, ch_site *site,
                         const ch_policy *pol, const char *id)
{
	int error;

	*me = ch_policy_person(pol, id);
	if (!*me || (*me)->revoked || !ch_person_has_role(*me, "security-officer"))
		return ch_error_setc(CH_EDENIED, "%.64s is not a security-officer of site %s: only a "
		                     "security-officer may record a spill", id, site->site_id);
	if ((error = ch_site_signer(key, site, id)) < 0)
		return error;
	if (ch_policy_key_ok(pol, *me, key->fpr) < 0)
		return ch_error_setc(CH_EDENIED, "the local key of %s may not sign: %s", id,
		                     ch_error_last());
	return 0;
}

/* The ids a spill keeps (below, with the purge). */
static int spilled_ids(ch_buf *out, ch_site *site, const char *doc);

static json_t *record_json(const char *doc, const char *by, const char *reason,
                           const ch_strv *recipients)
{
	json_t *r = json_array();
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (i = 0; recipients && i < recipients->n; i++)
		json_array_append_new(r, json_string(recipients->v[i]));
	json_t *rec = json_pack("{s:s, s:s, s:s, s:o}", "doc", doc, "at", when, "by", by,
	                        "recipients", r);

	if (reason && *reason)
		json_object_set_new(rec, "reason", json_string(reason));
	return rec;
}

/* spills.json: the current list and one record more. */
static int next_list(ch_buf *out, git_repository *repo, const ch_spill_list *cur, json_t *rec)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	json_t *root = NULL;
	char *text;
	int error = 0;

	if (!cur->has_head) {
		root = json_pack("{s:i, s:[]}", "version", 1, "spills");
	} else if (git_commit_lookup(&c, repo, &cur->head) < 0 || git_commit_tree(&tree, c) < 0 ||
	           git_tree_entry_bypath(&e, tree, CH_SPILLS_FILE) < 0 ||
	           git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
		error = ch_error_setc(CH_EIO, "cannot read the spill list");
	} else {
		error = ch_json_parse(&root, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
		                      CH_SPILLS_MAX, CH_SPILLS_FILE);
	}
	if (!error) {
		json_array_append(json_object_get(root, "spills"), rec);
		text = ch_json_dump(root);
		ch_buf_puts(out, text);
		free(text);
	}
	json_decref(root);
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

/* The files of the list's head (the earlier records' spilled/<doc>),
 * carried into the next commit. */
static int previous_files(ch_fileset *out, git_repository *repo, const ch_spill_list *cur)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int error = 0;

	if (!cur->has_head)
		return 0;
	if (git_commit_lookup(&c, repo, &cur->head) < 0 || git_commit_tree(&tree, c) < 0)
		error = ch_error_setc(CH_EIO, "cannot read the spill list");
	else
		error = ch_fileset_from_tree(out, repo, tree);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

static int gate_reason(ch_site *site, const ch_policy *pol, const ch_actor *officer,
                       const char *reason)
{
	ch_gate_item item;

	if (!reason)
		return 0;
	if (!valid_reason(reason))
		return ch_error_setc(CH_EINVALID, "the reason must be UTF-8 text of at most %d bytes",
		                     CH_SPILL_REASON_MAX);
	memset(&item, 0, sizeof(item));
	item.door = officer->door ? officer->door : "command line";
	item.person = officer->actor;
	item.text = reason;
	item.text_len = strlen(reason);
	item.what = "the reason";
	return ch_gate_check(site, pol, &item);
}

static void spill_message(ch_buf *msg, const char *doc, const char *actor, const git_oid *pol)
{
	ch_buf_printf(msg, "spill: %s\n\nChancery-Action: spill\nChancery-Actor: %s\n"
	              "Chancery-Policy: %s\nChancery-Spill: %s\n", doc, actor,
	              git_oid_tostr_s(pol), doc);
}

int ch_spill_record(ch_site *site, const ch_actor *officer, const char *doc,
                    const char *reason, const ch_strv *recipients)
{
	ch_buf list = CH_BUF_INIT, msg = CH_BUF_INIT, email = CH_BUF_INIT;
	ch_buf ids = CH_BUF_INIT, path = CH_BUF_INIT;
	ch_fileset files = CH_FILESET_INIT;
	ch_spill_list cur;
	const ch_policy *pol;
	const ch_person *me;
	ch_commit_req req;
	ch_keyinfo key;
	git_oid phead, out;
	json_t *rec = NULL;
	int error;

	memset(&cur, 0, sizeof(cur));
	if (!ch_valid_doc_id(doc))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid document id", doc);
	if ((error = ch_site_policy_head(&phead, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &phead)) < 0 ||
	    (error = check_officer(&me, &key, site, pol, officer->actor)) < 0 ||
	    (error = gate_reason(site, pol, officer, reason)) < 0 ||
	    (error = ch_spill_list_load(&cur, site->repo)) < 0)
		goto done;
	if (ch_spill_find(&cur, doc)) {
		error = ch_error_setc(CH_EINVALID, "document %s is already in the spill list", doc);
		goto done;
	}
	rec = record_json(doc, officer->actor, reason, recipients);
	if ((error = next_list(&list, site->repo, &cur, rec)) < 0 ||
	    (error = previous_files(&files, site->repo, &cur)) < 0 ||
	    (error = spilled_ids(&ids, site, doc)) < 0)
		goto done;
	ch_fileset_put(&files, CH_SPILLS_FILE, list.ptr, list.size);
	ch_buf_clear(&path);
	ch_buf_printf(&path, "%s/%s", CH_SPILLED_DIR, doc);
	ch_fileset_put(&files, path.ptr, ids.ptr, ids.size);
	spill_message(&msg, doc, officer->actor, &phead);
	ch_buf_printf(&email, "%s@%s", officer->actor, site->site_id);
	memset(&req, 0, sizeof(req));
	req.ref = CH_SPILLS_REF;
	req.expected = cur.has_head ? &cur.head : NULL;
	req.files = &files;
	req.message = msg.ptr;
	req.name = me->name;
	req.email = email.ptr;
	req.signer = officer->actor;
	req.key = &key;
	req.passphrase = officer->passphrase;
	error = ch_commit_signed(&out, site, &req);
done:
	json_decref(rec);
	ch_spill_list_dispose(&cur);
	ch_fileset_dispose(&files);
	ch_buf_dispose(&list);
	ch_buf_dispose(&msg);
	ch_buf_dispose(&email);
	ch_buf_dispose(&ids);
	ch_buf_dispose(&path);
	return error;
}

int ch_spill_doc_recipients(ch_strv *out, ch_site *site, const char *doc)
{
	ch_buf ref = CH_BUF_INIT;
	git_object *obj = NULL;
	ch_meta meta;
	int rc, error = 0;

	ch_buf_printf(&ref, "refs/docs/%s:meta.json", doc);
	rc = git_revparse_single(&obj, site->repo, ref.ptr);
	if (rc == GIT_ENOTFOUND)
		error = ch_error_setc(CH_ENOTFOUND, "no document '%s' on site %s", doc, site->site_id);
	else if (rc < 0 || git_object_type(obj) != GIT_OBJECT_BLOB)
		error = ch_error_setc(CH_EIO, "cannot read meta.json of %s", doc);
	else if ((error = ch_meta_parse(&meta, git_blob_rawcontent((git_blob *)obj),
	                                (size_t)git_blob_rawsize((git_blob *)obj))) == 0) {
		size_t i;

		for (i = 0; i < meta.recipients.n; i++)
			ch_strv_push(out, meta.recipients.v[i]);
		ch_meta_dispose(&meta);
	}
	git_object_free(obj);
	ch_buf_dispose(&ref);
	return error;
}

/* ---- purging ---- */

/* A set of object ids: open addressing, linear probing. */
typedef struct {
	git_oid *v;
	unsigned char *used;
	size_t n, cap;
} oidset;

#define OIDSET_INIT { NULL, NULL, 0, 0 }

static size_t oid_hash(const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h;
}

static void oidset_free(oidset *s)
{
	free(s->v);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

static int oidset_has(const oidset *s, const git_oid *id)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = oid_hash(id) & (s->cap - 1); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->v[i], id))
			return 1;
	return 0;
}

static void oidset_insert(oidset *s, const git_oid *id)
{
	size_t i = oid_hash(id) & (s->cap - 1);

	while (s->used[i])
		i = (i + 1) & (s->cap - 1);
	s->used[i] = 1;
	git_oid_cpy(&s->v[i], id);
	s->n++;
}

static void oidset_add(oidset *s, const git_oid *id)
{
	if (oidset_has(s, id))
		return;
	if ((s->n + 1) * 2 > s->cap) {
		oidset old = *s;
		size_t i;

		s->cap = old.cap ? 2 * old.cap : 1024;
		s->v = ch_calloc(s->cap, sizeof(*s->v));
		s->used = ch_calloc(s->cap, 1);
		s->n = 0;
		for (i = 0; i < old.cap; i++)
			if (old.used[i])
				oidset_insert(s, &old.v[i]);
		oidset_free(&old);
	}
	oidset_insert(s, id);
}

typedef struct {
	oidset *objs;
	oidset *seen_trees;
} walk_ctx;

static int tree_cb(const char *root, const git_tree_entry *e, void *payload)
{
	walk_ctx *w = payload;

	(void)root;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		if (w->seen_trees && oidset_has(w->seen_trees, git_tree_entry_id(e)))
			return 1; /* already walked: skip it */
		if (w->seen_trees)
			oidset_add(w->seen_trees, git_tree_entry_id(e));
	}
	oidset_add(w->objs, git_tree_entry_id(e));
	return 0;
}

/* Every commit reachable from the pushed refs, and its trees and blobs. */
static int walk_objects(oidset *objs, oidset *seen, git_repository *repo, git_revwalk *rw)
{
	walk_ctx w = { objs, seen };
	git_oid id;
	int rc;

	while ((rc = git_revwalk_next(&id, rw)) == 0) {
		git_commit *c = NULL;
		git_tree *t = NULL;

		oidset_add(objs, &id);
		if (git_commit_lookup(&c, repo, &id) < 0 || git_commit_tree(&t, c) < 0) {
			git_commit_free(c);
			return ch_error_setc(CH_EIO, "cannot read commit %s", git_oid_tostr_s(&id));
		}
		if (!seen || !oidset_has(seen, git_tree_id(t))) {
			if (seen)
				oidset_add(seen, git_tree_id(t));
			oidset_add(objs, git_tree_id(t));
			rc = git_tree_walk(t, GIT_TREEWALK_PRE, tree_cb, &w);
		}
		git_tree_free(t);
		git_commit_free(c);
		if (rc < 0)
			return ch_error_setc(CH_EIO, "cannot walk a tree");
	}
	return rc == GIT_ITEROVER ? 0 : ch_error_setc(CH_EIO, "cannot walk the history");
}

static int doc_objects(oidset *out, git_repository *repo, const char *ref)
{
	git_revwalk *rw = NULL;
	int error;

	if (git_revwalk_new(&rw, repo) < 0 || git_revwalk_push_ref(rw, ref) < 0) {
		git_revwalk_free(rw);
		return ch_error_setc(CH_EIO, "cannot walk %s", ref);
	}
	error = walk_objects(out, NULL, repo, rw);
	git_revwalk_free(rw);
	return error;
}

/* refs/docs/<doc> or refs/conflicts/<peer>/docs/<doc> */
static int is_doc_ref(const char *name, const char *doc)
{
	const char *p;
	size_t n = strlen(doc);

	if (!strncmp(name, "refs/docs/", 10))
		return !strcmp(name + 10, doc);
	if (strncmp(name, "refs/conflicts/", 15) || !(p = strchr(name + 15, '/')))
		return 0;
	return !strncmp(p, "/docs/", 6) && !strncmp(p + 6, doc, n) && p[6 + n] == '\0';
}

/* Everything every other ref reaches (a ref to a non-commit counts as
 * reaching that object only); the document's own ref and its kept
 * conflicts are not "other". */
static int other_objects(oidset *out, git_repository *repo, const char *doc)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	git_revwalk *rw = NULL;
	oidset seen = OIDSET_INIT;
	int error = 0;

	if (git_revwalk_new(&rw, repo) < 0 || git_reference_iterator_new(&it, repo) < 0) {
		error = ch_error_setc(CH_EIO, "cannot list the refs");
		goto done;
	}
	while (git_reference_next(&ref, it) == 0) {
		git_object *peeled = NULL;

		if (!is_doc_ref(git_reference_name(ref), doc) &&
		    git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
			if (git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0)
				git_revwalk_push(rw, git_object_id(peeled));
			else
				oidset_add(out, git_reference_target(ref));
			git_object_free(peeled);
		}
		git_reference_free(ref);
	}
	error = walk_objects(out, &seen, repo, rw);
done:
	oidset_free(&seen);
	git_reference_iterator_free(it);
	git_revwalk_free(rw);
	return error;
}

static int cmp_hex(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/* Every commit, tree and blob of the document's chain and of its kept
 * conflicts that no other ref holds (what the purge removes), as sorted
 * hex ids, one a line: the spill record keeps them so that none comes
 * back (ch_spill_objects_load). Shared objects are left out: other
 * documents hold them, and they stay. */
static int spilled_ids(ch_buf *out, ch_site *site, const char *doc)
{
	oidset mine = OIDSET_INIT, others = OIDSET_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_oid *v = NULL;
	size_t i, n = 0;
	int error = 0;

	if (git_reference_iterator_glob_new(&it, site->repo, "refs/*") < 0)
		return ch_error_setc(CH_EIO, "cannot list the refs");
	while (!error && git_reference_next(&ref, it) == 0) {
		if (is_doc_ref(git_reference_name(ref), doc) &&
		    git_reference_type(ref) == GIT_REFERENCE_DIRECT)
			error = doc_objects(&mine, site->repo, git_reference_name(ref));
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (error < 0 || (error = other_objects(&others, site->repo, doc)) < 0)
		goto done;
	v = ch_calloc(mine.n ? mine.n : 1, sizeof(*v));
	for (i = 0; i < mine.cap; i++)
		if (mine.used[i] && !oidset_has(&others, &mine.v[i]))
			git_oid_cpy(&v[n++], &mine.v[i]);
	qsort(v, n, sizeof(*v), cmp_hex);
	for (i = 0; i < n; i++)
		ch_buf_printf(out, "%s\n", git_oid_tostr_s(&v[i]));
done:
	free(v);
	oidset_free(&mine);
	oidset_free(&others);
	return error;
}

/* Places where git would keep objects that a repack does not drop. */
static int check_store(const char *gitdir)
{
	ch_buf path = CH_BUF_INIT;
	struct dirent *de;
	DIR *d;
	int error = 0;

	ch_buf_printf(&path, "%sobjects/info/alternates", gitdir);
	if (ch_fs_exists(path.ptr))
		error = ch_error_setc(CH_EINVALID, "%s exists: objects may live in another store; "
		                      "remove the alternates (git repack -a -d first) and run the "
		                      "spill again", path.ptr);
	ch_buf_clear(&path);
	ch_buf_printf(&path, "%sobjects/pack", gitdir);
	if (!error && (d = opendir(path.ptr))) {
		while ((de = readdir(d)))
			if (strlen(de->d_name) > 5 &&
			    !strcmp(de->d_name + strlen(de->d_name) - 5, ".keep")) {
				error = ch_error_setc(CH_EINVALID, "%s/%s keeps a pack from being "
				                      "rewritten: remove it (no git process may be running) "
				                      "and run the spill again", path.ptr, de->d_name);
				break;
			}
		closedir(d);
	}
	ch_buf_dispose(&path);
	return error;
}

/* Stock git, by argv (no shell), in the repository; its output to ours. */
static int run_git(const char *gitdir, const char *const *args)
{
	char *argv[16];
	pid_t pid;
	size_t i, n = 0;
	int status, rc;

	argv[n++] = (char *)"git";
	argv[n++] = (char *)"--git-dir";
	argv[n++] = (char *)gitdir;
	for (i = 0; args[i] && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	rc = posix_spawnp(&pid, "git", NULL, NULL, argv, environ);
	if (rc)
		return ch_error_setc(CH_EIO, "cannot run git (%s): install git, it removes the "
		                     "objects", strerror(rc));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return ch_error_setc(CH_EIO, "waiting for git: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return ch_error_setc(CH_EIO, "git %s failed (exit %d): the document's ref is gone "
		                     "but its objects may remain; fix the cause and run the spill "
		                     "again", args[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

static int unlink_loose(const char *gitdir, const oidset *objs)
{
	char hex[GIT_OID_HEXSZ + 1];
	ch_buf path = CH_BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < objs->cap && !error; i++) {
		if (!objs->used[i])
			continue;
		git_oid_tostr(hex, sizeof(hex), &objs->v[i]);
		ch_buf_clear(&path);
		ch_buf_printf(&path, "%sobjects/%.2s/%s", gitdir, hex, hex + 2);
		if (unlink(path.ptr) < 0 && errno != ENOENT)
			error = ch_error_setc(CH_EIO, "cannot remove %s: %s", path.ptr, strerror(errno));
	}
	ch_buf_dispose(&path);
	return error;
}

static int delete_ref(git_repository *repo, const char *ref)
{
	git_reference *r = NULL;
	int rc = git_reference_lookup(&r, repo, ref);

	if (rc == 0)
		rc = git_reference_delete(r);
	git_reference_free(r);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return ch_error_setc(CH_EIO, "cannot delete %s: %s", ref,
		                     git_error_last() ? git_error_last()->message : "?");
	git_reflog_delete(repo, ref);
	return 0;
}

/* A mission's diverged chain of the document, kept under
 * refs/conflicts/<peer>/docs/<doc> (workflows/sync/quarantine.h), goes too: the
 * repack below then drops its objects with the rest. */
static int delete_conflicts(ch_site *site, const char *doc)
{
	ch_strv peers = CH_STRV_INIT;
	ch_buf ref = CH_BUF_INIT;
	size_t i;
	int error;

	if ((error = ch_doc_conflicts(&peers, site, doc)) < 0)
		return error;
	for (i = 0; i < peers.n && !error; i++) {
		ch_buf_clear(&ref);
		ch_buf_printf(&ref, "refs/conflicts/%s/docs/%s", peers.v[i], doc);
		error = delete_ref(site->repo, ref.ptr);
	}
	ch_strv_free(&peers);
	ch_buf_dispose(&ref);
	return error;
}

static size_t count_remaining(const char *gitdir, const oidset *unique)
{
	git_repository *fresh = NULL;
	git_odb *odb = NULL;
	size_t i, n = unique->n;

	if (git_repository_open_bare(&fresh, gitdir) < 0 || git_repository_odb(&odb, fresh) < 0)
		goto done;
	for (i = 0, n = 0; i < unique->cap; i++)
		if (unique->used[i] && git_odb_exists(odb, &unique->v[i]))
			n++;
done:
	git_odb_free(odb);
	git_repository_free(fresh);
	return n;
}

static int remove_objects(ch_site *site, const oidset *unique)
{
	static const char *const expire[] = { "reflog", "expire", "--expire=now",
	                                      "--expire-unreachable=now", "--all", NULL };
	static const char *const repack[] = { "repack", "-a", "-d", "-q", NULL };
	static const char *const graph[] = { "commit-graph", "write", "--reachable", NULL };
	const char *gitdir = git_repository_path(site->repo);
	ch_buf cg = CH_BUF_INIT;
	git_odb *odb = NULL;
	int error;

	if ((error = run_git(gitdir, expire)) < 0 || (error = run_git(gitdir, repack)) < 0 ||
	    (error = unlink_loose(gitdir, unique)) < 0)
		goto done;
	/* A commit-graph lists commit and tree ids: rewrite it without them. */
	ch_buf_printf(&cg, "%sobjects/info/commit-graph", gitdir);
	if (ch_fs_exists(cg.ptr) && (error = run_git(gitdir, graph)) < 0)
		goto done;
	if (git_repository_odb(&odb, site->repo) == 0)
		git_odb_refresh(odb);
done:
	git_odb_free(odb);
	ch_buf_dispose(&cg);
	return error;
}

void ch_spill_readers_path(ch_buf *out, const char *site_path, const char *doc)
{
	ch_buf_printf(out, "%s/state/spilled-%s.readers", site_path, doc);
}

/* Who may read DOC now, one person id a line, kept as
 * SITE/state/spilled-DOC.readers before the purge: the tombstone is shown
 * to them and to security officers; anyone else finds the id as if it had
 * never existed (server/routes.c). Written once: a purge run again after
 * the ref is gone keeps the first list. A file directly under state/
 * (SITE is root's, so no other user can put a link in state/'s place; the
 * file is created O_EXCL and renamed over the name). */
static int record_readers(ch_site *site, const char *doc)
{
	const ch_policy *pol;
	ch_buf path = CH_BUF_INIT, text = CH_BUF_INIT;
	git_oid pid;
	size_t i;
	int error;

	ch_spill_readers_path(&path, site->path, doc);
	if (ch_fs_exists(path.ptr)) {
		ch_buf_dispose(&path);
		return 0;
	}
	if ((error = ch_site_policy_head(&pid, site)) == 0 &&
	    (error = ch_site_policy(&pol, site, &pid)) == 0) {
		for (i = 0; i < pol->npeople; i++)
			if (ch_doc_readable(site, pol->people[i].id, doc) == 0)
				ch_buf_printf(&text, "%s\n", pol->people[i].id);
		ch_error_clear();
		error = ch_fs_write_atomic(path.ptr, text.ptr ? text.ptr : "", text.size, 0600);
	}
	ch_buf_dispose(&path);
	ch_buf_dispose(&text);
	return error;
}

int ch_spill_shown_to(const char *site_path, const char *doc, const char *person)
{
	ch_buf path = CH_BUF_INIT, text = CH_BUF_INIT;
	const char *p;
	size_t n = strlen(person);
	int yes = 0;

	ch_spill_readers_path(&path, site_path, doc);
	if (ch_fs_read(&text, path.ptr, 1 << 20) == 0)
		for (p = text.ptr; p && *p && !yes; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			yes = !strncmp(p, person, n) && p[n] == '\n';
	ch_error_clear();
	ch_buf_dispose(&path);
	ch_buf_dispose(&text);
	return yes;
}

int ch_spill_purge(ch_purge_result *result, ch_site *site, const char *doc)
{
	oidset mine = OIDSET_INIT, others = OIDSET_INIT, unique = OIDSET_INIT;
	ch_spill_list list;
	ch_buf ref = CH_BUF_INIT;
	const char *gitdir = git_repository_path(site->repo);
	git_oid head;
	size_t i;
	int error;

	memset(result, 0, sizeof(*result));
	memset(&list, 0, sizeof(list));
	ch_buf_printf(&ref, "refs/docs/%s", doc);
	if ((error = ch_spill_list_load(&list, site->repo)) < 0)
		goto done;
	if (!ch_spill_find(&list, doc)) {
		error = ch_error_setc(CH_EDENIED, "document %s is not in the spill list: a "
		                      "security-officer records the spill first", doc);
		goto done;
	}
	if ((error = check_store(gitdir)) < 0 || (error = delete_conflicts(site, doc)) < 0)
		goto done;
	if (git_reference_name_to_id(&head, site->repo, ref.ptr) == 0 &&
	    (error = doc_objects(&mine, site->repo, ref.ptr)) < 0)
		goto done;
	if ((error = other_objects(&others, site->repo, doc)) < 0)
		goto done;
	for (i = 0; i < mine.cap; i++)
		if (mine.used[i] && !oidset_has(&others, &mine.v[i]))
			oidset_add(&unique, &mine.v[i]);
	result->objects = mine.n;
	result->unique = unique.n;
	result->shared = mine.n - unique.n;
	/* the ref's deletion and git's repack leave locks and temporary packs
	 * when killed: under the site's write lock, as every write is */
	if ((error = ch_site_write_lock(site)) < 0)
		goto done;
	if ((git_reference_name_to_id(&head, site->repo, ref.ptr) == 0 &&
	     (error = record_readers(site, doc)) < 0) ||
	    (error = delete_ref(site->repo, ref.ptr)) < 0 ||
	    (error = remove_objects(site, &unique)) < 0) {
		ch_site_write_unlock(site);
		goto done;
	}
	ch_site_write_unlock(site);
	if ((result->remaining = count_remaining(gitdir, &unique)) > 0)
		error = ch_error_setc(CH_EIO, "%zu objects of %s are still in the repository after "
		                      "the purge: run the spill again, and check for other copies "
		                      "of the repository", result->remaining, doc);
done:
	oidset_free(&mine);
	oidset_free(&others);
	oidset_free(&unique);
	ch_spill_list_dispose(&list);
	ch_buf_dispose(&ref);
	return error;
}
