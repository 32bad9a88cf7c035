/* policy.c -- parse and check the signed policy (DESIGN.md, rule P6). */
#include <stdlib.h>
#include <string.h>

#include "workflows/classify/attach.h"
#include "workflows/json.h"
#include "workflows/policy.h"
#include "util/text.h"
#include "util/common.h"

#define F_REPO "policy/repository.json"
#define F_PEOPLE "policy/people.json"
#define F_SITES "policy/sites.json"
#define F_ATTACH "policy/attachments.json"
#define F_SETTINGS "policy/settings.json"
#define CH_POLICY_MAX_ATTACH_TYPES 64

static const char *const levels[] = { "unclassified", "confidential", "secret", "top-secret",
                                      NULL };

int ch_valid_classification(const char *s)
{
	size_t i;

	for (i = 0; levels[i]; i++)
		if (!strcmp(levels[i], s))
			return 1;
	return 0;
}

static int valid_tier(const char *s)
{
	return !strcmp(s, "networked") || !strcmp(s, "offline");
}

static int valid_personal_name(const char *s)
{
	return ch_valid_line(s, 200);
}

static int valid_sha256_hex(const char *s)
{
	size_t i;

	if (strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int need_file(const ch_buf **out, const ch_fileset *files, const char *path)
{
	if (!(*out = ch_fileset_get(files, path)))
		return ch_error_setc(CH_EINVALID, "%s: missing from the policy", path);
	return 0;
}

static int parse_repository(ch_policy *pol, const ch_fileset *files)
{
	static const char *const keys[] = { "version", "site", "tier", NULL };
	const ch_buf *b;
	json_t *root = NULL;
	const char *site, *tier;
	long version;
	int error;

	if ((error = need_file(&b, files, F_REPO)) < 0 ||
	    (error = ch_json_parse(&root, b->ptr, b->size, 4096, F_REPO)) < 0 ||
	    (error = ch_json_only_keys(root, keys, F_REPO, "")) < 0 ||
	    (error = ch_json_int(&version, root, "version", 1, 0, 1, 1, F_REPO, "")) < 0 ||
	    (error = ch_json_str(&site, root, "site", 1, ch_valid_name, F_REPO, "")) < 0 ||
	    (error = ch_json_str(&tier, root, "tier", 1, valid_tier, F_REPO, "")) < 0)
		goto done;
	pol->site = ch_strdup(site);
	pol->tier = ch_strdup(tier);
done:
	json_decref(root);
	return error;
}

static int valid_scope_unit(const char *s)
{
	return !strcmp(s, "*") || ch_valid_unit(s);
}

/* "scope": optional; when given, 1 to 64 units, or ["*"] alone. */
static int parse_scope(ch_person *p, const json_t *o, const char *path)
{
	int error = ch_json_strv(&p->scope, o, "scope", 0, 64, valid_scope_unit, F_PEOPLE, path);

	if (error == CH_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	if (!p->scope.n)
		return ch_error_setc(CH_EINVALID, "%s: %s.scope: names no unit (leave it out for the "
		                     "person's own unit)", F_PEOPLE, path);
	if (p->scope.n > 1 && ch_strv_contains(&p->scope, "*"))
		return ch_error_setc(CH_EINVALID, "%s: %s.scope: \"*\" stands alone", F_PEOPLE, path);
	return 0;
}

static const char *const custody_names[] = { "server", "browser", "token", NULL };

const char *ch_custody_name(ch_custody c)
{
	return (unsigned)c < 3 ? custody_names[c] : "?";
}

int ch_custody_parse(ch_custody *out, const char *s)
{
	int i;

	for (i = 0; custody_names[i]; i++)
		if (!strcmp(custody_names[i], s)) {
			*out = (ch_custody)i;
			return 0;
		}
	return ch_error_setc(CH_EINVALID, "'%.40s' is not a custody (server, browser or token)", s);
}

static int valid_custody(const char *s)
{
	ch_custody c;

	return ch_custody_parse(&c, s) == 0;
}

static int valid_label(const char *s)
{
	return ch_valid_line(s, 120) || !*s;
}

/* "keys": [{"fingerprint","custody","label","revoked"}], version 2. */
static int parse_keys(ch_person *p, const json_t *arr, const char *path)
{
	static const char *const keys[] = { "fingerprint", "custody", "label", "revoked", NULL };
	ch_buf kp = CH_BUF_INIT;
	const json_t *e;
	const char *s;
	size_t i, j;
	int error = 0;

	if (!json_is_array(arr) || json_array_size(arr) > CH_PERSON_MAX_KEYS)
		return ch_error_setc(CH_EINVALID, "%s: %s.keys: expected an array of 0 to %d keys",
		                     F_PEOPLE, path, CH_PERSON_MAX_KEYS);
	p->keys = ch_calloc(json_array_size(arr), sizeof(*p->keys));
	json_array_foreach(arr, i, e) {
		ch_person_key *k = &p->keys[p->nkeys];

		ch_buf_clear(&kp);
		ch_buf_printf(&kp, "%s.keys[%zu]", path, i);
		if (!json_is_object(e)) {
			error = ch_error_setc(CH_EINVALID, "%s: %s: expected an object", F_PEOPLE, kp.ptr);
			goto done;
		}
		if ((error = ch_json_only_keys(e, keys, F_PEOPLE, kp.ptr)) < 0 ||
		    (error = ch_json_str(&s, e, "fingerprint", 1, ch_valid_fpr, F_PEOPLE, kp.ptr)) < 0)
			goto done;
		snprintf(k->fingerprint, sizeof(k->fingerprint), "%s", s);
		for (j = 0; j < p->nkeys; j++)
			if (!strcmp(p->keys[j].fingerprint, s)) {
				error = ch_error_setc(CH_EINVALID, "%s: %s: key %s is listed twice", F_PEOPLE,
				                      kp.ptr, s);
				goto done;
			}
		p->nkeys++;
		if ((error = ch_json_str(&s, e, "custody", 1, valid_custody, F_PEOPLE, kp.ptr)) < 0)
			goto done;
		ch_custody_parse(&k->custody, s);
		error = ch_json_str(&s, e, "label", 0, valid_label, F_PEOPLE, kp.ptr);
		if (error < 0 && error != CH_ENOTFOUND)
			goto done;
		k->label = ch_strdup(error == CH_ENOTFOUND || !s ? "" : s);
		if ((error = ch_json_bool(&k->revoked, e, "revoked", 0, F_PEOPLE, kp.ptr)) < 0)
			goto done;
	}
done:
	ch_buf_dispose(&kp);
	return error;
}

static void first_key(ch_person *p)
{
	size_t i;

	p->fingerprint = "";
	for (i = 0; i < p->nkeys; i++)
		if (!p->keys[i].revoked) {
			p->fingerprint = p->keys[i].fingerprint;
			return;
		}
}

static int parse_person(ch_person *p, const json_t *o, const char *path)
{
	static const char *const keys[] = { "id", "name", "unit", "fingerprint", "keys", "roles",
	                                    "clearance", "revoked", "scope", NULL };
	const char *s;
	int error;

	if (!json_is_object(o))
		return ch_error_setc(CH_EINVALID, "%s: %s: expected an object", F_PEOPLE, path);
	if ((error = ch_json_only_keys(o, keys, F_PEOPLE, path)) < 0 ||
	    (error = ch_json_str(&s, o, "id", 1, ch_valid_person_id, F_PEOPLE, path)) < 0)
		return error;
	p->id = ch_strdup(s);
	if ((error = ch_json_str(&s, o, "name", 1, valid_personal_name, F_PEOPLE, path)) < 0)
		return error;
	p->name = ch_strdup(s);
	if ((error = ch_json_str(&s, o, "unit", 1, ch_valid_unit, F_PEOPLE, path)) < 0)
		return error;
	p->unit = ch_strdup(s);
	if (json_object_get(o, "keys") && json_object_get(o, "fingerprint"))
		return ch_error_setc(CH_EINVALID, "%s: %s: either fingerprint (version 1) or keys, "
		                     "not both", F_PEOPLE, path);
	if (json_object_get(o, "keys")) {
		p->v2_keys = 1;
		if ((error = parse_keys(p, json_object_get(o, "keys"), path)) < 0)
			return error;
	} else {
		if ((error = ch_json_str(&s, o, "fingerprint", 1, ch_valid_fpr, F_PEOPLE, path)) < 0)
			return error;
		p->keys = ch_calloc(1, sizeof(*p->keys));
		snprintf(p->keys[0].fingerprint, sizeof(p->keys[0].fingerprint), "%s", s);
		p->keys[0].custody = CH_CUSTODY_SERVER;
		p->keys[0].label = ch_strdup("");
		p->nkeys = 1;
	}
	first_key(p);
	if ((error = ch_json_str(&s, o, "clearance", 1, ch_valid_classification, F_PEOPLE,
	                         path)) < 0)
		return error;
	p->clearance = ch_strdup(s);
	if ((error = ch_json_strv(&p->roles, o, "roles", 1, 32, ch_valid_name, F_PEOPLE, path)) < 0)
		return error;
	if ((error = parse_scope(p, o, path)) < 0)
		return error;
	return ch_json_bool(&p->revoked, o, "revoked", 0, F_PEOPLE, path);
}

static int parse_delegation(ch_delegation *d, const json_t *o, const char *path)
{
	static const char *const keys[] = { "from", "to", "roles", NULL };
	const char *s;
	int error;

	if (!json_is_object(o))
		return ch_error_setc(CH_EINVALID, "%s: %s: expected an object", F_PEOPLE, path);
	if ((error = ch_json_only_keys(o, keys, F_PEOPLE, path)) < 0 ||
	    (error = ch_json_str(&s, o, "from", 1, ch_valid_person_id, F_PEOPLE, path)) < 0)
		return error;
	d->from = ch_strdup(s);
	if ((error = ch_json_str(&s, o, "to", 1, ch_valid_person_id, F_PEOPLE, path)) < 0)
		return error;
	d->to = ch_strdup(s);
	if ((error = ch_json_strv(&d->roles, o, "roles", 1, 32, ch_valid_name, F_PEOPLE, path)) < 0)
		return error;
	if (!d->roles.n)
		return ch_error_setc(CH_EINVALID, "%s: %s.roles: names no role", F_PEOPLE, path);
	return 0;
}

/* keys/<id>.asc holds one certificate per key the entry lists, in any
 * order, and nothing else: a certificate the policy does not list would
 * let its signatures count as the person's. */
static int check_person_key(ch_policy *pol, const ch_person *p, const ch_fileset *files)
{
	char (*fprs)[CH_PGP_FPR_HEX] = ch_calloc(CH_PERSON_MAX_KEYS, sizeof(*fprs));
	ch_buf path = CH_BUF_INIT;
	const ch_buf *key;
	size_t i, j, n = 0;
	int error = 0;

	ch_buf_printf(&path, "policy/keys/%s.asc", p->id);
	key = ch_fileset_get(files, path.ptr);
	if (!p->nkeys) { /* enrolled, no device approved yet: no key file */
		if (key)
			error = ch_error_setc(CH_EINVALID, "%s: %s lists no key, so no key file may "
			                      "be there", path.ptr, p->id);
		goto done;
	}
	if (!key) {
		error = ch_error_setc(CH_EINVALID, "%s: missing (the key of %s)", path.ptr, p->id);
		goto done;
	}
	if (key->size > CH_KEY_MAX_BYTES * p->nkeys) {
		error = ch_error_setc(CH_EINVALID, "%s: larger than %d bytes a key", path.ptr,
		                      CH_KEY_MAX_BYTES);
		goto done;
	}
	if (!p->v2_keys)
		error = ch_pgp_keyring_add(pol->keyring, key->ptr, key->size, p->id, fprs[n++]);
	else
		error = ch_pgp_keyring_add_many(pol->keyring, key->ptr, key->size, p->id, fprs,
		                                CH_PERSON_MAX_KEYS, &n);
	if (error < 0) {
		ch_error_prefix("%s: ", path.ptr);
		goto done;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(fprs[i], fprs[j])) {
				error = ch_error_setc(CH_EINVALID, "%s: certificate %s is there twice",
				                      path.ptr, fprs[i]);
				goto done;
			}
		if (!ch_person_key_find(p, fprs[i])) {
			error = ch_error_setc(CH_EINVALID, "%s: primary key %s is not a key that "
			                      "people.json lists for %s", path.ptr, fprs[i], p->id);
			goto done;
		}
	}
	for (i = 0; i < p->nkeys; i++) {
		for (j = 0; j < n && strcmp(fprs[j], p->keys[i].fingerprint); j++)
			;
		if (j == n) {
			error = ch_error_setc(CH_EINVALID, "%s: holds no certificate for key %s, which "
			                      "people.json lists for %s", path.ptr,
			                      p->keys[i].fingerprint, p->id);
			goto done;
		}
	}
done:
	free(fprs);
	ch_buf_dispose(&path);
	return error;
}

static int parse_people(ch_policy *pol, const ch_fileset *files)
{
	static const char *const keys[] = { "version", "people", "delegations", NULL };
	ch_buf path = CH_BUF_INIT;
	const ch_buf *b;
	json_t *root = NULL, *arr, *e;
	long version;
	size_t i, j;
	int error;

	if ((error = need_file(&b, files, F_PEOPLE)) < 0 ||
	    (error = ch_json_parse(&root, b->ptr, b->size, CH_POLICY_MAX_FILE, F_PEOPLE)) < 0 ||
	    (error = ch_json_only_keys(root, keys, F_PEOPLE, "")) < 0 ||
	    (error = ch_json_int(&version, root, "version", 1, 0, 1, 1, F_PEOPLE, "")) < 0)
		goto done;
	arr = json_object_get(root, "people");
	if (!json_is_array(arr) || json_array_size(arr) > CH_POLICY_MAX_PEOPLE) {
		error = ch_error_setc(CH_EINVALID, "%s: people: expected an array of at most %d",
		                      F_PEOPLE, CH_POLICY_MAX_PEOPLE);
		goto done;
	}
	pol->people = ch_calloc(json_array_size(arr), sizeof(*pol->people));
	json_array_foreach(arr, i, e) {
		ch_buf_clear(&path);
		ch_buf_printf(&path, "people[%zu]", i);
		if ((error = parse_person(&pol->people[pol->npeople++], e, path.ptr)) < 0)
			goto done;
		for (j = 0; j + 1 < pol->npeople; j++)
			if (!strcmp(pol->people[j].id, pol->people[i].id)) {
				error = ch_error_setc(CH_EINVALID, "%s: %s: id '%s' is listed twice", F_PEOPLE,
				                      path.ptr, pol->people[i].id);
				goto done;
			}
		if ((error = check_person_key(pol, &pol->people[i], files)) < 0)
			goto done;
	}
	arr = json_object_get(root, "delegations");
	if (arr && (!json_is_array(arr) || json_array_size(arr) > CH_POLICY_MAX_PEOPLE)) {
		error = ch_error_setc(CH_EINVALID, "%s: delegations: expected an array", F_PEOPLE);
		goto done;
	}
	if (arr) {
		pol->delegations = ch_calloc(json_array_size(arr), sizeof(*pol->delegations));
		json_array_foreach(arr, i, e) {
			ch_delegation *d = &pol->delegations[pol->ndelegations++];

			ch_buf_clear(&path);
			ch_buf_printf(&path, "delegations[%zu]", i);
			if ((error = parse_delegation(d, e, path.ptr)) < 0)
				goto done;
			if (!ch_policy_person(pol, d->from) || !ch_policy_person(pol, d->to) ||
			    !strcmp(d->from, d->to)) {
				error = ch_error_setc(CH_EINVALID, "%s: %s: from and to must be two people "
				                      "listed in people", F_PEOPLE, path.ptr);
				goto done;
			}
		}
	}
done:
	json_decref(root);
	ch_buf_dispose(&path);
	return error;
}

static int parse_sites(ch_policy *pol, const ch_fileset *files)
{
	static const char *const keys[] = { "version", "sites", NULL };
	static const char *const skeys[] = { "id", "units", "tls_fingerprint", "log_key", NULL };
	ch_buf path = CH_BUF_INIT;
	const ch_buf *b;
	json_t *root = NULL, *arr, *e;
	const char *s;
	long version;
	size_t i;
	int error;

	if ((error = need_file(&b, files, F_SITES)) < 0 ||
	    (error = ch_json_parse(&root, b->ptr, b->size, CH_POLICY_MAX_FILE, F_SITES)) < 0 ||
	    (error = ch_json_only_keys(root, keys, F_SITES, "")) < 0 ||
	    (error = ch_json_int(&version, root, "version", 1, 0, 1, 1, F_SITES, "")) < 0)
		goto done;
	arr = json_object_get(root, "sites");
	if (!json_is_array(arr) || json_array_size(arr) > 1024) {
		error = ch_error_setc(CH_EINVALID, "%s: sites: expected an array of at most 1024",
		                      F_SITES);
		goto done;
	}
	pol->sites = ch_calloc(json_array_size(arr), sizeof(*pol->sites));
	json_array_foreach(arr, i, e) {
		ch_site_entry *se = &pol->sites[pol->nsites++];
		size_t j;

		ch_buf_clear(&path);
		ch_buf_printf(&path, "sites[%zu]", i);
		if (!json_is_object(e)) {
			error = ch_error_setc(CH_EINVALID, "%s: %s: expected an object", F_SITES, path.ptr);
			goto done;
		}
		if ((error = ch_json_only_keys(e, skeys, F_SITES, path.ptr)) < 0 ||
		    (error = ch_json_str(&s, e, "id", 1, ch_valid_name, F_SITES, path.ptr)) < 0)
			goto done;
		/* the current entry is counted already, with no id yet */
		for (j = 0; j + 1 < pol->nsites; j++)
			if (!strcmp(pol->sites[j].id, s)) {
				error = ch_error_setc(CH_EINVALID, "%s: %s: id '%s' is listed twice",
				                      F_SITES, path.ptr, s);
				goto done;
			}
		se->id = ch_strdup(s);
		if ((error = ch_json_strv(&se->units, e, "units", 1, 256, ch_valid_unit, F_SITES,
		                          path.ptr)) < 0)
			goto done;
		error = ch_json_str(&s, e, "tls_fingerprint", 0, valid_sha256_hex, F_SITES, path.ptr);
		if (error < 0 && error != CH_ENOTFOUND)
			goto done;
		error = 0;
		se->tls_fingerprint = s ? ch_strdup(s) : NULL;
		error = ch_json_str(&s, e, "log_key", 0, ch_valid_fpr, F_SITES, path.ptr);
		if (error < 0 && error != CH_ENOTFOUND)
			goto done;
		error = 0;
		se->log_key = s ? ch_strdup(s) : NULL;
	}
done:
	json_decref(root);
	ch_buf_dispose(&path);
	return error;
}

static int parse_workflows(ch_policy *pol, const ch_fileset *files)
{
	static const char prefix[] = "policy/workflows/";
	size_t i;
	int error;

	for (i = 0; i < files->n; i++) {
		const ch_file *f = &files->v[i];
		ch_workflow *wf;

		if (strncmp(f->path, prefix, sizeof(prefix) - 1))
			continue;
		if ((error = ch_workflow_parse(&wf, f->data.ptr, f->data.size, f->path)) < 0)
			return error;
		pol->workflows = ch_realloc(pol->workflows,
		                            (pol->nworkflows + 1) * sizeof(*pol->workflows));
		pol->workflows[pol->nworkflows++] = wf;
	}
	return 0;
}

static int valid_type(const char *s)
{
	return ch_attach_type_known(s);
}

static int parse_attach_entry(ch_policy *pol, const json_t *e, size_t i)
{
	static const char *const tkeys[] = { "type", "declare_roles", NULL };
	ch_attach_type *at = &pol->attach_types[pol->nattach_types];
	char path[32];
	const char *s;
	size_t j;
	int error;

	snprintf(path, sizeof(path), "types[%zu]", i);
	if (!json_is_object(e))
		return ch_error_setc(CH_EINVALID, "%s: %s: expected an object", F_ATTACH, path);
	if ((error = ch_json_only_keys(e, tkeys, F_ATTACH, path)) < 0 ||
	    (error = ch_json_str(&s, e, "type", 1, valid_type, F_ATTACH, path)) < 0)
		return error;
	if (ch_attach_type_encrypted(s))
		return ch_error_setc(CH_EINVALID, "%s: %s: type %s is encrypted: nobody can read it "
		                     "to declare it unclassified, so it is never allowed", F_ATTACH,
		                     path, s);
	for (j = 0; j < pol->nattach_types; j++)
		if (!strcmp(pol->attach_types[j].type, s))
			return ch_error_setc(CH_EINVALID, "%s: %s: type %s is listed twice", F_ATTACH,
			                     path, s);
	at->type = ch_strdup(s);
	pol->nattach_types++;
	if ((error = ch_json_strv(&at->declare_roles, e, "declare_roles", 1, 64, ch_valid_name,
	                          F_ATTACH, path)) < 0)
		return error;
	if (!at->declare_roles.n)
		return ch_error_setc(CH_EINVALID, "%s: %s: declare_roles: at least one role is "
		                     "needed", F_ATTACH, path);
	return 0;
}

/* Optional: without it, no file the scanner cannot read is allowed. */
static int parse_attachments(ch_policy *pol, const ch_fileset *files)
{
	static const char *const keys[] = { "version", "types", NULL };
	const ch_buf *b = ch_fileset_get(files, F_ATTACH);
	json_t *root = NULL, *arr, *e;
	long version;
	size_t i;
	int error;

	if (!b)
		return 0;
	if ((error = ch_json_parse(&root, b->ptr, b->size, 64 * 1024, F_ATTACH)) < 0 ||
	    (error = ch_json_only_keys(root, keys, F_ATTACH, "")) < 0 ||
	    (error = ch_json_int(&version, root, "version", 1, 0, 1, 1, F_ATTACH, "")) < 0)
		goto done;
	arr = json_object_get(root, "types");
	if (!json_is_array(arr) || json_array_size(arr) > CH_POLICY_MAX_ATTACH_TYPES) {
		error = ch_error_setc(CH_EINVALID, "%s: types: expected an array of at most %d",
		                      F_ATTACH, CH_POLICY_MAX_ATTACH_TYPES);
		goto done;
	}
	pol->attach_types = ch_calloc(json_array_size(arr) + 1, sizeof(*pol->attach_types));
	json_array_foreach(arr, i, e)
		if ((error = parse_attach_entry(pol, e, i)) < 0)
			goto done;
done:
	json_decref(root);
	return error;
}

/* policy/settings.json (project addition, optional):
 * {"version":1,"server_custody":"allowed"|"forbidden"}. */
static int parse_settings(ch_policy *pol, const ch_fileset *files)
{
	static const char *const keys[] = { "version", "server_custody", NULL };
	const ch_buf *b = ch_fileset_get(files, F_SETTINGS);
	json_t *root = NULL;
	const char *s = NULL;
	long version;
	int error;

	if (!b)
		return 0;
	if ((error = ch_json_parse(&root, b->ptr, b->size, 4096, F_SETTINGS)) < 0 ||
	    (error = ch_json_only_keys(root, keys, F_SETTINGS, "")) < 0 ||
	    (error = ch_json_int(&version, root, "version", 1, 0, 1, 1, F_SETTINGS, "")) < 0)
		goto done;
	error = ch_json_str(&s, root, "server_custody", 0, NULL, F_SETTINGS, "");
	if (error == CH_ENOTFOUND)
		error = 0;
	else if (error < 0)
		goto done;
	else if (!strcmp(s, "forbidden"))
		pol->server_custody_forbidden = 1;
	else if (strcmp(s, "allowed"))
		error = ch_error_setc(CH_EINVALID, "%s: server_custody: 'allowed' or 'forbidden'",
		                      F_SETTINGS);
done:
	json_decref(root);
	return error;
}

/* Only the files DESIGN.md names may appear in a policy tree. */
static int check_paths(const ch_fileset *files)
{
	size_t i;

	for (i = 0; i < files->n; i++) {
		const char *p = files->v[i].path;
		size_t n = strlen(p);

		if (!strcmp(p, F_REPO) || !strcmp(p, F_PEOPLE) || !strcmp(p, F_SITES) ||
		    !strcmp(p, F_ATTACH) || !strcmp(p, F_SETTINGS))
			continue;
		if (!strncmp(p, "policy/keys/", 12) && n > 16 && !strcmp(p + n - 4, ".asc") &&
		    !strchr(p + 12, '/'))
			continue;
		if (!strncmp(p, "policy/workflows/", 17) && n > 22 && !strcmp(p + n - 5, ".json") &&
		    !strchr(p + 17, '/'))
			continue;
		return ch_error_setc(CH_EINVALID, "%.200s: not a file a policy may hold", p);
	}
	return 0;
}

int ch_policy_parse(ch_policy **out, const ch_fileset *files)
{
	return ch_policy_parse_ex(out, files, 1);
}

int ch_policy_parse_ex(ch_policy **out, const ch_fileset *files, int require_admin)
{
	ch_policy *pol = ch_calloc(1, sizeof(*pol));
	size_t i;
	int error;

	*out = NULL;
	for (i = 0; i < files->n; i++)
		ch_fileset_put(&pol->files, files->v[i].path, files->v[i].data.ptr,
		               files->v[i].data.size);
	if ((error = ch_pgp_keyring_new(&pol->keyring)) < 0 ||
	    (error = check_paths(files)) < 0 ||
	    (error = parse_repository(pol, files)) < 0 ||
	    (error = parse_people(pol, files)) < 0 ||
	    (error = parse_sites(pol, files)) < 0 ||
	    (error = parse_workflows(pol, files)) < 0 ||
	    (error = parse_attachments(pol, files)) < 0 ||
	    (error = parse_settings(pol, files)) < 0)
		goto done;
	if (require_admin && !ch_policy_has_admin(pol)) {
		error = ch_error_setc(CH_EINVALID, "%s: no policy-admin who is not revoked: the "
		                      "policy would lock itself out", F_PEOPLE);
		goto done;
	}
	*out = pol;
	pol = NULL;
done:
	ch_policy_free(pol);
	return error;
}

int ch_policy_load(ch_policy **out, git_repository *repo, const git_oid *commit_id)
{
	ch_fileset files = CH_FILESET_INIT;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	*out = NULL;
	git_oid_tostr(hex, sizeof(hex), commit_id);
	if (git_commit_lookup(&commit, repo, commit_id) < 0 || git_commit_tree(&tree, commit) < 0) {
		error = ch_error_setc(CH_ENOTFOUND, "policy commit %s not found", hex);
		goto done;
	}
	if ((error = ch_fileset_from_tree(&files, repo, tree)) < 0 ||
	    (error = ch_policy_parse(out, &files)) < 0)
		ch_error_prefix("policy %.12s: ", hex);
done:
	ch_fileset_dispose(&files);
	git_tree_free(tree);
	git_commit_free(commit);
	return error;
}

void ch_policy_free(ch_policy *pol)
{
	size_t i, j;

	if (!pol)
		return;
	for (i = 0; i < pol->npeople; i++) {
		ch_person *p = &pol->people[i];

		free(p->id);
		free(p->name);
		free(p->unit);
		for (j = 0; j < p->nkeys; j++)
			free(p->keys[j].label);
		free(p->keys);
		free(p->clearance);
		ch_strv_free(&p->roles);
		ch_strv_free(&p->scope);
	}
	free(pol->people);
	for (i = 0; i < pol->ndelegations; i++) {
		free(pol->delegations[i].from);
		free(pol->delegations[i].to);
		ch_strv_free(&pol->delegations[i].roles);
	}
	free(pol->delegations);
	for (i = 0; i < pol->nworkflows; i++)
		ch_workflow_free(pol->workflows[i]);
	free(pol->workflows);
	for (i = 0; i < pol->nsites; i++) {
		free(pol->sites[i].id);
		free(pol->sites[i].tls_fingerprint);
		free(pol->sites[i].log_key);
		ch_strv_free(&pol->sites[i].units);
	}
	free(pol->sites);
	for (i = 0; i < pol->nattach_types; i++) {
		free(pol->attach_types[i].type);
		ch_strv_free(&pol->attach_types[i].declare_roles);
	}
	free(pol->attach_types);
	ch_pgp_keyring_free(pol->keyring);
	ch_fileset_dispose(&pol->files);
	free(pol->site);
	free(pol->tier);
	free(pol);
}

const ch_person *ch_policy_person(const ch_policy *pol, const char *id)
{
	size_t i;

	for (i = 0; i < pol->npeople; i++)
		if (!strcmp(pol->people[i].id, id))
			return &pol->people[i];
	return NULL;
}

const ch_person *ch_policy_person_by_fpr(const ch_policy *pol, const char *fpr)
{
	size_t i;

	for (i = 0; i < pol->npeople; i++)
		if (ch_person_key_find(&pol->people[i], fpr))
			return &pol->people[i];
	return NULL;
}

const ch_person_key *ch_person_key_find(const ch_person *p, const char *fpr)
{
	size_t i;

	for (i = 0; p && fpr && i < p->nkeys; i++)
		if (!strcmp(p->keys[i].fingerprint, fpr))
			return &p->keys[i];
	return NULL;
}

int ch_policy_key_ok(const ch_policy *pol, const ch_person *p, const char *fpr)
{
	const ch_person_key *k = ch_person_key_find(p, fpr);

	if (!p)
		return ch_error_setc(CH_EDENIED, "not a person of the policy");
	if (p->revoked)
		return ch_error_setc(CH_EDENIED, "%s is revoked in the policy", p->id);
	if (!k)
		return ch_error_setc(CH_EDENIED, "key %s is not a key of %s in the policy", fpr, p->id);
	if (k->revoked)
		return ch_error_setc(CH_EDENIED, "key %s of %s%s%s%s is revoked in the policy", fpr,
		                     p->id, *k->label ? " (" : "", k->label, *k->label ? ")" : "");
	if (k->custody == CH_CUSTODY_SERVER && pol->server_custody_forbidden)
		return ch_error_setc(CH_EDENIED, "key %s of %s is held by the server, and the policy "
		                     "forbids server custody (policy/settings.json)", fpr, p->id);
	return 0;
}

const ch_workflow *ch_policy_workflow(const ch_policy *pol, const char *name)
{
	size_t i;

	for (i = 0; i < pol->nworkflows; i++)
		if (!strcmp(pol->workflows[i]->name, name))
			return pol->workflows[i];
	return NULL;
}

const ch_delegation *ch_policy_delegation(const ch_policy *pol, const char *from, const char *to)
{
	size_t i;

	for (i = 0; i < pol->ndelegations; i++)
		if (!strcmp(pol->delegations[i].from, from) && !strcmp(pol->delegations[i].to, to))
			return &pol->delegations[i];
	return NULL;
}

const ch_site_entry *ch_policy_site(const ch_policy *pol, const char *id)
{
	size_t i;

	for (i = 0; i < pol->nsites; i++)
		if (!strcmp(pol->sites[i].id, id))
			return &pol->sites[i];
	return NULL;
}

int ch_person_has_role(const ch_person *p, const char *role)
{
	return ch_strv_contains(&p->roles, role);
}

int ch_unit_within(const char *unit, const char *base)
{
	size_t n;

	if (!unit || !base || !*unit)
		return 0;
	if (!strcmp(base, "*"))
		return 1;
	n = strlen(base);
	return !strncmp(unit, base, n) && (unit[n] == '\0' || unit[n] == '/');
}

int ch_person_scope_reaches(const ch_person *p, const char *unit)
{
	size_t i;

	if (!p->scope.n)
		return ch_unit_within(unit, p->unit);
	for (i = 0; i < p->scope.n; i++)
		if (ch_unit_within(unit, p->scope.v[i]))
			return 1;
	return 0;
}

char *ch_person_scope_text(const ch_person *p)
{
	if (!p->scope.n)
		return ch_strdup(p->unit);
	if (ch_strv_contains(&p->scope, "*"))
		return ch_strdup("every unit");
	return ch_strv_join(&p->scope, ", ");
}

int ch_policy_may_read(const ch_policy *pol, const char *person, const char *unit,
                       const ch_strv *recipients)
{
	const ch_person *p = person ? ch_policy_person(pol, person) : NULL;
	const ch_site_entry *se;
	size_t i, j;

	if (!p || p->revoked)
		return 0;
	if (ch_person_has_role(p, "auditor"))
		return 1;
	if (unit && *unit && ch_person_scope_reaches(p, unit))
		return 1;
	for (i = 0; recipients && i < recipients->n; i++)
		if ((se = ch_policy_site(pol, recipients->v[i])))
			for (j = 0; j < se->units.n; j++)
				if (ch_person_scope_reaches(p, se->units.v[j]))
					return 1;
	return 0;
}

int ch_policy_has_admin(const ch_policy *pol)
{
	size_t i;

	for (i = 0; i < pol->npeople; i++)
		if (!pol->people[i].revoked && ch_person_has_role(&pol->people[i], "policy-admin"))
			return 1;
	return 0;
}

const ch_attach_type *ch_policy_attach_type(const ch_policy *pol, const char *type)
{
	size_t i;

	for (i = 0; type && i < pol->nattach_types; i++)
		if (!strcmp(pol->attach_types[i].type, type))
			return &pol->attach_types[i];
	return NULL;
}

int ch_policy_may_declare(const ch_policy *pol, const ch_person *p, const char *type)
{
	const ch_attach_type *at = ch_policy_attach_type(pol, type);
	size_t i;

	if (!at || !p || p->revoked)
		return 0;
	for (i = 0; i < at->declare_roles.n; i++)
		if (ch_person_has_role(p, at->declare_roles.v[i]))
			return 1;
	return 0;
}
