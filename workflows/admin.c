/* admin.c -- policy changes, each one signed policy commit. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflows/admin.h"
#include "workflows/commit.h"
#include "workflows/json.h"
#include "util/embedded.h"
#include "util/text.h"
#include "util/common.h"

#define F_PEOPLE "policy/people.json"
#define F_SITES "policy/sites.json"


static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static json_t *find_by_id(json_t *arr, const char *id)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e)
		if (!strcmp(jstr(e, "id"), id))
			return e;
	return NULL;
}

static json_t *strv_json(const ch_strv *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static int commit_policy(ch_site *site, const ch_actor *admin, const ch_person *person,
                         const ch_keyinfo *key, const git_oid *expected,
                         const ch_fileset *files, const char *subject)
{
	ch_buf msg = CH_BUF_INIT, email = CH_BUF_INIT;
	ch_trailers t;
	ch_commit_req req;
	git_oid out;
	int error;

	memset(&t, 0, sizeof(t));
	t.is_policy = 1;
	snprintf(t.action, sizeof(t.action), "policy");
	snprintf(t.actor, sizeof(t.actor), "%s", admin->actor);
	ch_trailers_format(&msg, subject, admin->comment, &t);
	ch_buf_printf(&email, "%s@%s", admin->actor, site->site_id);
	memset(&req, 0, sizeof(req));
	req.ref = CH_POLICY_REF;
	req.expected = expected;
	req.files = files;
	req.message = msg.ptr;
	req.name = person->name;
	req.email = email.ptr;
	req.signer = admin->actor;
	req.key = key;
	req.passphrase = admin->passphrase;
	error = ch_commit_signed(&out, site, &req);
	ch_buf_dispose(&msg);
	ch_buf_dispose(&email);
	return error;
}

static int load_json_file(json_t **out, const ch_fileset *files, const char *path)
{
	const ch_buf *b = ch_fileset_get(files, path);

	if (!b)
		return ch_error_setc(CH_EINVALID, "%s: missing from the policy", path);
	return ch_json_parse(out, b->ptr, b->size, CH_POLICY_MAX_FILE, path);
}

static void store_json_file(ch_fileset *files, const char *path, const json_t *v)
{
	char *text = ch_json_dump(v);

	ch_fileset_put(files, path, text, strlen(text));
	free(text);
}

/* Every key the change brings (a new person's, a replaced file) must be
 * able to sign an accepted step now: not revoked, not expired, with a key
 * allowed to sign. Keys already in the policy are not judged again, so a
 * key that expires later never blocks a change (revoking its owner, say). */
static int check_new_keys(const ch_policy *old, const ch_policy *next)
{
	ch_buf path = CH_BUF_INIT;
	const ch_buf *a, *b;
	const ch_person *p;
	size_t i, k;
	int error = 0, same;

	for (i = 0; i < next->npeople && !error; i++) {
		p = &next->people[i];
		ch_buf_clear(&path);
		ch_buf_printf(&path, "policy/keys/%s.asc", p->id);
		a = ch_fileset_get(&old->files, path.ptr);
		b = ch_fileset_get(&next->files, path.ptr);
		same = a && b && a->size == b->size && !memcmp(a->ptr, b->ptr, a->size);
		for (k = 0; k < p->nkeys && !error && !p->revoked && b; k++) {
			const ch_person *op = ch_policy_person(old, p->id);

			/* a key listed before, in a file unchanged, is not judged again */
			if (p->keys[k].revoked || (same && ch_person_key_find(op, p->keys[k].fingerprint)))
				continue;
			if ((error = ch_pgp_keyring_can_sign(next->keyring, p->keys[k].fingerprint,
			                                     (int64_t)time(NULL))) < 0)
				ch_error_prefix("the key %s of %s cannot sign a step: ",
				                p->keys[k].fingerprint, p->id);
		}
	}
	ch_buf_dispose(&path);
	return error;
}

int ch_admin_policy_change(ch_site *site, const ch_actor *admin, ch_admin_change_fn fn,
                           void *payload, const char *subject)
{
	ch_fileset files = CH_FILESET_INIT;
	json_t *people = NULL, *sites = NULL;
	const ch_policy *pol;
	const ch_person *me;
	ch_policy *next = NULL;
	ch_keyinfo key;
	git_oid head;
	size_t i;
	int error;

	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		goto done;
	me = ch_policy_person(pol, admin->actor);
	if (!me || me->revoked || !ch_person_has_role(me, "policy-admin")) {
		error = ch_error_setc(CH_EDENIED, "%s is not a policy-admin of site %s: only a "
		                      "policy-admin may change the policy", admin->actor,
		                      site->site_id);
		goto done;
	}
	if ((error = ch_site_signer(&key, site, admin->actor)) < 0)
		goto done;
	/* a listed key, not revoked: the policy chain is the admins' (P2);
	 * settings.json's server_custody governs document steps (D1) */
	if (!ch_person_key_find(me, key.fpr) || ch_person_key_find(me, key.fpr)->revoked) {
		error = ch_error_setc(CH_EDENIED, "the local key of %s is not a key of theirs that the "
		                      "policy lists unrevoked: it cannot sign the policy change",
		                      admin->actor);
		goto done;
	}
	for (i = 0; i < pol->files.n; i++)
		ch_fileset_put(&files, pol->files.v[i].path, pol->files.v[i].data.ptr,
		               pol->files.v[i].data.size);
	if ((error = load_json_file(&people, &files, F_PEOPLE)) < 0 ||
	    (error = load_json_file(&sites, &files, F_SITES)) < 0 ||
	    (error = fn(&files, people, sites, payload)) < 0)
		goto done;
	store_json_file(&files, F_PEOPLE, people);
	store_json_file(&files, F_SITES, sites);
	if ((error = ch_policy_parse(&next, &files)) < 0) {
		ch_error_prefix("the new policy would be invalid, nothing was changed: ");
		goto done;
	}
	if ((error = check_new_keys(pol, next)) < 0)
		goto done;
	error = commit_policy(site, admin, me, &key, &head, &files, subject);
done:
	ch_policy_free(next);
	json_decref(people);
	json_decref(sites);
	ch_fileset_dispose(&files);
	return error;
}

/* ---- people ---- */

typedef struct {
	const ch_person_new *p;
	const char *fpr;
	const ch_buf *armored;
} add_payload;

static int check_person_new(const ch_person_new *p)
{
	if (!ch_valid_person_id(p->id))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid person id "
		                     "([a-z0-9][a-z0-9._-]{0,63})", p->id);
	if (!p->name || !ch_valid_line(p->name, 200))
		return ch_error_setc(CH_EINVALID, "the name must be one line of UTF-8 text");
	if (!ch_valid_unit(p->unit))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid unit (like hq/legal)",
		                     p->unit);
	if (!p->public_key && !p->no_key && (!p->passphrase || strlen(p->passphrase) < 8))
		return ch_error_setc(CH_EINVALID, "the signing passphrase of %s must have at least "
		                     "8 characters", p->id);
	return 0;
}

static json_t *person_json(const ch_person_new *p, const char *fpr)
{
	json_t *j = p->no_key ? /* version 2: keys come later, each approved by an admin */
	            json_pack("{s:s, s:s, s:s, s:[], s:o, s:s}", "id", p->id, "name", p->name,
	                      "unit", p->unit, "keys", "roles", strv_json(p->roles), "clearance",
	                      p->clearance ? p->clearance : "unclassified") :
	            json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "id", p->id, "name", p->name,
	                      "unit", p->unit, "fingerprint", fpr, "roles", strv_json(p->roles),
	                      "clearance", p->clearance ? p->clearance : "unclassified");

	if (p->scope && p->scope->n)
		json_object_set_new(j, "scope", strv_json(p->scope));
	return j;
}

static void put_key(ch_fileset *files, const char *id, const ch_buf *armored)
{
	ch_buf path = CH_BUF_INIT;

	ch_buf_printf(&path, "policy/keys/%s.asc", id);
	ch_fileset_put(files, path.ptr, armored->ptr, armored->size);
	ch_buf_dispose(&path);
}

static int add_person_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	add_payload *ap = payload;
	json_t *arr = json_object_get(people, "people");

	(void)sites;
	if (find_by_id(arr, ap->p->id))
		return ch_error_setc(CH_EINVALID, "%s is already a person in the policy", ap->p->id);
	json_array_append_new(arr, person_json(ap->p, ap->fpr));
	if (!ap->p->no_key)
		put_key(files, ap->p->id, ap->armored);
	return 0;
}

static int make_key(ch_keyinfo *key, ch_buf *armored, ch_site *site, const ch_person_new *p)
{
	ch_buf email = CH_BUF_INIT;
	ch_keystore *ks;
	int error;

	ch_buf_printf(&email, "%s@%s", p->id, site->site_id);
	if (site->keygen)
		error = site->keygen(key, armored, p->id, p->name, email.ptr, p->key_algo,
		                     p->passphrase, site->sign_ctx);
	else if ((error = ch_site_keystore(&ks, site)) == 0 &&
	         (error = ch_keystore_create_key(key, ks, p->name, email.ptr, p->key_algo,
	                                         p->passphrase)) == 0)
		error = ch_keystore_export(armored, ks, key->fpr);
	if (error < 0)
		ch_error_prefix("creating the key of %s: ", p->id);
	ch_buf_dispose(&email);
	return error;
}

/* A person whose secret key lives elsewhere: the policy names the key given. */
static int key_from_public(ch_keyinfo *key, ch_buf *armored, const ch_person_new *p)
{
	ch_pgp_keyring *kr = NULL;
	int error;

	memset(key, 0, sizeof(*key));
	if ((error = ch_pgp_keyring_new(&kr)) == 0 &&
	    (error = ch_pgp_keyring_add(kr, p->public_key->ptr, p->public_key->size, p->id,
	                                key->fpr)) == 0)
		ch_buf_set(armored, p->public_key->ptr, p->public_key->size);
	ch_pgp_keyring_free(kr);
	if (error < 0)
		ch_error_prefix("the public key of %s: ", p->id);
	return error;
}

int ch_admin_person_add(ch_site *site, const ch_actor *admin, const ch_person_new *p)
{
	ch_buf armored = CH_BUF_INIT, subject = CH_BUF_INIT;
	const ch_policy *pol;
	add_payload ap;
	ch_keyinfo key;
	git_oid head;
	int error;

	if ((error = check_person_new(p)) < 0 ||
	    (error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		goto done;
	if (ch_policy_person(pol, p->id)) {
		error = ch_error_setc(CH_EINVALID, "%s is already a person in the policy", p->id);
		goto done;
	}
	memset(&key, 0, sizeof(key));
	if (!p->no_key && (error = p->public_key ? key_from_public(&key, &armored, p) :
	                                           make_key(&key, &armored, site, p)) < 0)
		goto done;
	ap.p = p;
	ap.fpr = key.fpr;
	ap.armored = &armored;
	ch_buf_printf(&subject, "policy: add %s (%s)", p->id, p->name);
	if ((error = ch_admin_policy_change(site, admin, add_person_fn, &ap, subject.ptr)) < 0)
		goto done;
	/* A signer process records the key itself (it owns site.json). */
	if (!site->keygen && !p->public_key && !p->no_key)
		error = ch_site_set_signer(site, p->id, &key);
done:
	ch_buf_dispose(&armored);
	ch_buf_dispose(&subject);
	return error;
}

typedef struct {
	const char *id;
	const ch_strv *roles;
} roles_payload;

static int roles_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	roles_payload *rp = payload;
	json_t *e = find_by_id(json_object_get(people, "people"), rp->id);

	(void)files;
	(void)sites;
	if (!e)
		return ch_error_setc(CH_ENOTFOUND, "%s is not a person in the policy", rp->id);
	if (rp->roles)
		json_object_set_new(e, "roles", strv_json(rp->roles));
	else
		json_object_set_new(e, "revoked", json_true());
	return 0;
}

int ch_admin_person_roles(ch_site *site, const ch_actor *admin, const char *id,
                          const ch_strv *roles)
{
	roles_payload rp = { id, roles };
	ch_buf subject = CH_BUF_INIT;
	int error;

	ch_buf_printf(&subject, "policy: roles of %s", id);
	error = ch_admin_policy_change(site, admin, roles_fn, &rp, subject.ptr);
	ch_buf_dispose(&subject);
	return error;
}

static int scope_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	roles_payload *rp = payload;
	json_t *e = find_by_id(json_object_get(people, "people"), rp->id);

	(void)files;
	(void)sites;
	if (!e)
		return ch_error_setc(CH_ENOTFOUND, "%s is not a person in the policy", rp->id);
	if (rp->roles && rp->roles->n)
		json_object_set_new(e, "scope", strv_json(rp->roles));
	else
		json_object_del(e, "scope");
	return 0;
}

int ch_admin_person_scope(ch_site *site, const ch_actor *admin, const char *id,
                          const ch_strv *scope)
{
	roles_payload rp = { id, scope };
	ch_buf subject = CH_BUF_INIT;
	int error;

	ch_buf_printf(&subject, "policy: scope of %s", id);
	error = ch_admin_policy_change(site, admin, scope_fn, &rp, subject.ptr);
	ch_buf_dispose(&subject);
	return error;
}

typedef struct {
	const char *id, *unit;
} unit_payload;

static int unit_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	unit_payload *up = payload;
	json_t *e = find_by_id(json_object_get(people, "people"), up->id);

	(void)files;
	(void)sites;
	if (!e)
		return ch_error_setc(CH_ENOTFOUND, "%s is not a person in the policy", up->id);
	json_object_set_new(e, "unit", json_string(up->unit));
	return 0;
}

int ch_admin_person_unit(ch_site *site, const ch_actor *admin, const char *id, const char *unit)
{
	unit_payload up = { id, unit };
	ch_buf subject = CH_BUF_INIT;
	int error;

	if (!ch_valid_unit(unit))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid unit (like hq/legal)", unit);
	ch_buf_printf(&subject, "policy: unit of %s", id);
	error = ch_admin_policy_change(site, admin, unit_fn, &up, subject.ptr);
	ch_buf_dispose(&subject);
	return error;
}

int ch_admin_person_revoke(ch_site *site, const ch_actor *admin, const char *id)
{
	roles_payload rp = { id, NULL };
	ch_buf subject = CH_BUF_INIT;
	int error;

	ch_buf_printf(&subject, "policy: revoke %s", id);
	error = ch_admin_policy_change(site, admin, roles_fn, &rp, subject.ptr);
	ch_buf_dispose(&subject);
	return error;
}

/* ---- delegations ---- */

typedef struct {
	const char *from, *to;
	const ch_strv *roles;
} deleg_payload;

static int deleg_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	deleg_payload *dp = payload;
	json_t *arr = json_object_get(people, "delegations"), *e;
	size_t i;

	(void)files;
	(void)sites;
	if (!arr) {
		arr = json_array();
		json_object_set_new(people, "delegations", arr);
	}
	json_array_foreach(arr, i, e)
		if (!strcmp(jstr(e, "from"), dp->from) &&
		    !strcmp(jstr(e, "to"), dp->to)) {
			json_array_remove(arr, i);
			break;
		}
	if (!dp->roles)
		return 0;
	json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "from", dp->from, "to", dp->to,
	                                     "roles", strv_json(dp->roles)));
	return 0;
}

int ch_admin_delegate(ch_site *site, const ch_actor *admin, const char *from, const char *to,
                      const ch_strv *roles)
{
	deleg_payload dp = { from, to, roles };
	ch_buf subject = CH_BUF_INIT;
	int error;

	ch_buf_printf(&subject, "policy: %s delegation from %s to %s", roles ? "add" : "remove",
	              from, to);
	error = ch_admin_policy_change(site, admin, deleg_fn, &dp, subject.ptr);
	ch_buf_dispose(&subject);
	return error;
}

/* ---- workflows and sites ---- */

typedef struct {
	const char *name;
	const void *json;
	size_t len;
} wf_payload;

static int wf_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	wf_payload *wp = payload;
	ch_buf path = CH_BUF_INIT;
	ch_workflow *wf = NULL;
	int error;

	(void)people;
	(void)sites;
	ch_buf_printf(&path, "policy/workflows/%s.json", wp->name);
	if ((error = ch_workflow_parse(&wf, wp->json, wp->len, path.ptr)) == 0)
		ch_fileset_put(files, path.ptr, wp->json, wp->len);
	ch_workflow_free(wf);
	ch_buf_dispose(&path);
	return error;
}

int ch_admin_workflow_set(ch_site *site, const ch_actor *admin, const char *name,
                          const void *json, size_t len)
{
	wf_payload wp = { name, json, len };
	ch_buf subject = CH_BUF_INIT;
	int error;

	if (!ch_valid_name(name))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid workflow name", name);
	ch_buf_printf(&subject, "policy: workflow %s", name);
	error = ch_admin_policy_change(site, admin, wf_fn, &wp, subject.ptr);
	ch_buf_dispose(&subject);
	return error;
}

static int attach_types_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	const ch_buf *b = payload;

	(void)people;
	(void)sites;
	ch_fileset_put(files, "policy/attachments.json", b->ptr, b->size);
	return 0; /* the whole new policy is parsed (P6) before anything is signed */
}

int ch_admin_attach_types_set(ch_site *site, const ch_actor *admin, const void *json, size_t len)
{
	ch_buf b = CH_BUF_INIT;
	int error;

	ch_buf_put(&b, json, len);
	error = ch_admin_policy_change(site, admin, attach_types_fn, &b, "policy: attachment types");
	ch_buf_dispose(&b);
	return error;
}

typedef struct {
	const char *id, *tls, *log_key;
	const ch_strv *units;
} site_payload;

static int site_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	site_payload *sp = payload;
	json_t *arr = json_object_get(sites, "sites"), *e;

	(void)files;
	(void)people;
	if (!(e = find_by_id(arr, sp->id))) {
		e = json_object();
		json_array_append_new(arr, e);
		json_object_set_new(e, "units", json_pack("[s]", sp->id));
	}
	json_object_set_new(e, "id", json_string(sp->id));
	if (sp->units)
		json_object_set_new(e, "units", strv_json(sp->units));
	if (sp->tls)
		json_object_set_new(e, "tls_fingerprint", json_string(sp->tls));
	if (sp->log_key)
		json_object_set_new(e, "log_key", json_string(sp->log_key));
	return 0;
}

int ch_admin_site_set(ch_site *site, const ch_actor *admin, const char *id, const ch_strv *units,
                      const char *tls_fingerprint, const char *log_key)
{
	site_payload sp = { id, tls_fingerprint, log_key, units };
	ch_buf subject = CH_BUF_INIT;
	char fpr[41];
	size_t i;
	int error;

	if (log_key) { /* as gpg prints it: spaces dropped, upper case (the policy's form) */
		for (i = 0; *log_key && i < sizeof(fpr); log_key++)
			if (*log_key != ' ')
				fpr[i++] = (char)toupper((unsigned char)*log_key);
		if (i == sizeof(fpr)) /* too long */
			i = 0;
		fpr[i] = '\0';
		if (!ch_valid_fpr(fpr))
			return ch_error_setc(CH_EINVALID, "--log-key wants the 40 hex digits of the site "
			                     "log's key fingerprint (gpg --show-keys on the site's "
			                     "refs/chancery/log:site.asc)");
		sp.log_key = fpr;
	}

	ch_buf_printf(&subject, "policy: site %s", id);
	error = ch_admin_policy_change(site, admin, site_fn, &sp, subject.ptr);
	ch_buf_dispose(&subject);
	return error;
}

/* ---- the introduction ---- */

static void intro_files(ch_fileset *files, const char *site_id, const char *tier,
                        const ch_person_new *admin, const char *fpr, const ch_buf *armored)
{
	json_t *repo = json_pack("{s:i, s:s, s:s}", "version", 1, "site", site_id, "tier", tier);
	json_t *people = json_pack("{s:i, s:[o], s:[]}", "version", 1, "people",
	                           person_json(admin, fpr), "delegations");
	json_t *sites = json_pack("{s:i, s:[{s:s, s:[s]}]}", "version", 1, "sites", "id", site_id,
	                          "units", site_id);
	const ch_embedded *e;
	ch_buf path = CH_BUF_INIT;

	store_json_file(files, "policy/repository.json", repo);
	store_json_file(files, F_PEOPLE, people);
	store_json_file(files, F_SITES, sites);
	put_key(files, admin->id, armored);
	for (e = ch_embedded_files; e->path; e++) {
		if (strncmp(e->path, "workflows/defs/", 15) || !strstr(e->path, ".json"))
			continue;
		ch_buf_clear(&path);
		ch_buf_printf(&path, "policy/workflows/%s", e->path + 15);
		ch_fileset_put(files, path.ptr, e->data, e->len);
	}
	ch_buf_dispose(&path);
	json_decref(repo);
	json_decref(people);
	json_decref(sites);
}

int ch_admin_init(ch_site **out, const char *path, const char *site_id, const char *tier,
                  const ch_person_new *admin)
{
	ch_fileset files = CH_FILESET_INIT;
	ch_buf armored = CH_BUF_INIT;
	ch_policy *pol = NULL;
	ch_site *site = NULL;
	ch_keyinfo key;
	ch_actor who;
	int error;

	*out = NULL;
	if (strcmp(tier, "networked") && strcmp(tier, "offline"))
		return ch_error_setc(CH_EINVALID, "the tier is 'networked' or 'offline'");
	/* Before the admin's unit, which defaults to the site id. */
	if (!ch_valid_name(site_id))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid site id (lower case letters, "
		                     "digits, '-' and '_', starting with a letter or digit: e.g. hq, "
		                     "mission-tokyo)", site_id);
	if ((error = check_person_new(admin)) < 0)
		return error;
	if (!ch_strv_contains(admin->roles, "policy-admin"))
		return ch_error_setc(CH_EINVALID, "the first person must be a policy-admin");
	if ((error = ch_site_create(&site, path, site_id, tier)) < 0 ||
	    (error = make_key(&key, &armored, site, admin)) < 0)
		goto done;
	intro_files(&files, site_id, tier, admin, key.fpr, &armored);
	if ((error = ch_policy_parse(&pol, &files)) < 0 ||
	    (error = ch_site_set_signer(site, admin->id, &key)) < 0)
		goto done;
	memset(&who, 0, sizeof(who));
	who.actor = admin->id;
	who.passphrase = admin->passphrase;
	error = commit_policy(site, &who, &pol->people[0], &key, NULL, &files,
	                      "policy: introduction");
	if (!error) {
		*out = site;
		site = NULL;
	}
done:
	ch_policy_free(pol);
	ch_fileset_dispose(&files);
	ch_buf_dispose(&armored);
	ch_site_free(site);
	return error;
}
