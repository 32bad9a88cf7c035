/* custody.c -- adding and revoking a person's keys; the server-custody
 * setting. Each is one signed policy commit (ch_admin_policy_change). */
#include <stdlib.h>
#include <string.h>

#include "workflows/custody.h"
#include "workflows/json.h"
#include "util/text.h"
#include "util/common.h"

static json_t *find_person(json_t *people, const char *id)
{
	json_t *arr = json_object_get(people, "people"), *e;
	size_t i;

	json_array_foreach(arr, i, e)
		if (json_string_value(json_object_get(e, "id")) &&
		    !strcmp(json_string_value(json_object_get(e, "id")), id))
			return e;
	return NULL;
}

/* A version-1 entry ("fingerprint") becomes a version-2 one ("keys"),
 * placed where the fingerprint was; its key is a server-held one. */
static json_t *entry_keys(json_t *e)
{
	json_t *keys = json_object_get(e, "keys"), *copy, *v;
	const char *k;
	void *tmp;

	if (keys)
		return keys;
	copy = json_object();
	json_object_foreach_safe(e, tmp, k, v) {
		if (!strcmp(k, "fingerprint")) {
			keys = json_pack("[{s:O, s:s}]", "fingerprint", v, "custody", "server");
			json_object_set_new(copy, "keys", keys);
		} else {
			json_object_set(copy, k, v);
		}
	}
	json_object_clear(e);
	json_object_update(e, copy);
	json_decref(copy);
	return json_object_get(e, "keys");
}

int ch_custody_cert_fpr(char out[CH_PGP_FPR_HEX], const ch_buf *armored)
{
	ch_pgp_keyring *kr = NULL;
	int error;

	if ((error = ch_pgp_keyring_new(&kr)) == 0)
		error = ch_pgp_keyring_add(kr, armored->ptr, armored->size, "", out);
	ch_pgp_keyring_free(kr);
	return error;
}

typedef struct {
	const char *id, *label, *fpr;
	ch_custody custody;
	const ch_buf *armored;
} key_add;

static int key_add_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	key_add *ka = payload;
	json_t *e = find_person(people, ka->id), *keys, *k;
	ch_buf path = CH_BUF_INIT, text = CH_BUF_INIT;
	const ch_buf *old;

	(void)sites;
	if (!e)
		return ch_error_setc(CH_ENOTFOUND, "%s is not a person in the policy", ka->id);
	keys = entry_keys(e);
	k = json_pack("{s:s, s:s}", "fingerprint", ka->fpr, "custody", ch_custody_name(ka->custody));
	if (ka->label && *ka->label)
		json_object_set_new(k, "label", json_string(ka->label));
	json_array_append_new(keys, k);
	ch_buf_printf(&path, "policy/keys/%s.asc", ka->id);
	if ((old = ch_fileset_get(files, path.ptr))) {
		ch_buf_put(&text, old->ptr, old->size);
		if (text.size && text.ptr[text.size - 1] != '\n')
			ch_buf_putc(&text, '\n');
	}
	ch_buf_put(&text, ka->armored->ptr, ka->armored->size);
	ch_fileset_put(files, path.ptr, text.ptr, text.size);
	ch_buf_dispose(&path);
	ch_buf_dispose(&text);
	return 0; /* the new policy is parsed whole, and the new key judged */
}

int ch_custody_key_add(ch_site *site, const ch_actor *admin, const char *id, ch_custody custody,
                       const char *label, const ch_buf *armored, char out_fpr[CH_PGP_FPR_HEX])
{
	char fpr[CH_PGP_FPR_HEX];
	ch_buf subject = CH_BUF_INIT;
	key_add ka;
	int error;

	if (!ch_valid_person_id(id))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid person id", id);
	if (label && *label && !ch_valid_line(label, 120))
		return ch_error_setc(CH_EINVALID, "a key's label is one line of at most 120 bytes");
	if ((error = ch_custody_cert_fpr(fpr, armored)) < 0) {
		ch_error_prefix("the key to add: ");
		return error;
	}
	ka.id = id;
	ka.label = label;
	ka.fpr = fpr;
	ka.custody = custody;
	ka.armored = armored;
	ch_buf_printf(&subject, "policy: key %s (%s) for %s", fpr, ch_custody_name(custody), id);
	error = ch_admin_policy_change(site, admin, key_add_fn, &ka, subject.ptr);
	if (!error && out_fpr)
		memcpy(out_fpr, fpr, CH_PGP_FPR_HEX);
	ch_buf_dispose(&subject);
	return error;
}

typedef struct {
	const char *id, *fpr;
} key_revoke;

static int key_revoke_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	key_revoke *kr = payload;
	json_t *e = find_person(people, kr->id), *keys, *k;
	size_t i;

	(void)files;
	(void)sites;
	if (!e)
		return ch_error_setc(CH_ENOTFOUND, "%s is not a person in the policy", kr->id);
	keys = entry_keys(e);
	json_array_foreach(keys, i, k) {
		const char *f = json_string_value(json_object_get(k, "fingerprint"));

		if (f && !strcmp(f, kr->fpr)) {
			json_object_set_new(k, "revoked", json_true());
			return 0;
		}
	}
	return ch_error_setc(CH_ENOTFOUND, "key %s is not a key of %s", kr->fpr, kr->id);
}

int ch_custody_key_revoke(ch_site *site, const ch_actor *admin, const char *id, const char *fpr)
{
	key_revoke kr = { id, fpr };
	ch_buf subject = CH_BUF_INIT;
	int error;

	if (!ch_valid_fpr(fpr))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a fingerprint (40 upper-case hex)",
		                     fpr);
	ch_buf_printf(&subject, "policy: revoke key %s of %s", fpr, id);
	error = ch_admin_policy_change(site, admin, key_revoke_fn, &kr, subject.ptr);
	ch_buf_dispose(&subject);
	return error;
}

static int settings_fn(ch_fileset *files, json_t *people, json_t *sites, void *payload)
{
	const int *forbidden = payload;
	json_t *o = json_pack("{s:i, s:s}", "version", 1, "server_custody",
	                      *forbidden ? "forbidden" : "allowed");
	char *text = ch_json_dump(o);

	(void)people;
	(void)sites;
	ch_fileset_put(files, "policy/settings.json", text, strlen(text));
	free(text);
	json_decref(o);
	return 0;
}

int ch_custody_set_server(ch_site *site, const ch_actor *admin, int forbidden)
{
	return ch_admin_policy_change(site, admin, settings_fn, &forbidden,
	                              forbidden ? "policy: server custody forbidden" :
	                                          "policy: server custody allowed");
}

/* ---- steps signed outside the server ---- */

int ch_custody_finish_armored(git_oid *out, ch_site *site, ch_commit_ext *ext,
                              const char *person, const char *armored)
{
	const ch_policy *pol;
	const ch_person *p;
	ch_pgp_verify_result res;
	git_oid head;
	int error;

	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		return error;
	if ((error = ch_pgp_verify(&res, pol->keyring, ext->text.ptr, ext->text.size, armored,
	                           strlen(armored))) < 0) {
		ch_error_prefix("the signature is not a good one over the step prepared (another "
		                "payload, or a key the current policy does not hold): ");
		return error == CH_ENOTFOUND ? CH_EDENIED : CH_EAUTH;
	}
	p = ch_policy_person(pol, person);
	if (!p || strcmp(res.owner, person))
		return ch_error_setc(CH_EDENIED, "the signature is by key %s of %s, not by a key of %s: "
		                     "nothing was recorded", res.primary_fpr, res.owner, person);
	if (strcmp(res.primary_fpr, ext->key_fpr))
		return ch_error_setc(CH_EDENIED, "the signature is by key %s, not by key %s the step "
		                     "was prepared for: nothing was recorded", res.primary_fpr,
		                     ext->key_fpr);
	if ((error = ch_policy_key_ok(pol, p, res.primary_fpr)) < 0)
		return ch_error_setc(CH_EDENIED, "%s: nothing was recorded", ch_error_last());
	return ch_commit_write_prepared(out, site, ext, armored);
}

int ch_custody_finish_ed25519(git_oid *out, ch_site *site, ch_commit_ext *ext,
                              const char *person, const unsigned char sig[64])
{
	/* the canonical S-expression gpg-agent would answer */
	static const char pre[] = "(7:sig-val(5:eddsa(1:r32:", mid[] = ")(1:s32:", post[] = ")))";
	ch_buf sexp = CH_BUF_INIT, armored = CH_BUF_INIT;
	int error;

	if (ext->sig.pk_algo != CH_PGP_PK_EDDSA)
		return ch_error_setc(CH_EINVALID, "the step was not prepared for an Ed25519 key");
	ch_buf_put(&sexp, pre, sizeof(pre) - 1);
	ch_buf_put(&sexp, sig, 32);
	ch_buf_put(&sexp, mid, sizeof(mid) - 1);
	ch_buf_put(&sexp, sig + 32, 32);
	ch_buf_put(&sexp, post, sizeof(post) - 1);
	if ((error = ch_pgp_sig_finish(&armored, &ext->sig, sexp.ptr, sexp.size)) == 0) {
		while (armored.size && armored.ptr[armored.size - 1] == '\n')
			ch_buf_truncate(&armored, armored.size - 1);
		error = ch_custody_finish_armored(out, site, ext, person, armored.ptr);
	}
	ch_buf_dispose(&sexp);
	ch_buf_dispose(&armored);
	return error;
}
