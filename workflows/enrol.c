/* enrol.c -- enrolment codes, device keys awaiting approval, and the
 * officials' own changes of password and passphrase (enrol.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflows/enrol.h"
#include "crypto/crypto.h"
#include "workflows/json.h"
#include "workflows/store/accounts.h"
#include "workflows/store/keyguard.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

#define CODES_FILE "enrol.json"
#define PENDING_FILE "pending-keys.json"
#define STATE_MAX (4 * 1024 * 1024)
#define CODE_GROUPS 6 /* of 4 base32 letters: 120 bits */

/* ---- state files (SITE/state/, like accounts.json) ---- */

/* A string member of a state file, "" when absent or not a string. */
static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}


static int load_state(json_t **out, const ch_site *site, const char *name, const char *key)
{
	ch_buf path = CH_BUF_INIT, text = CH_BUF_INIT;
	int error;

	ch_buf_printf(&path, "%s/state/%s", site->path, name);
	error = ch_fs_read(&text, path.ptr, STATE_MAX);
	if (error == CH_ENOTFOUND) {
		*out = json_pack("{s:i, s:o}", "version", 1, key,
		                 !strcmp(key, "codes") ? json_object() : json_array());
		error = 0;
	} else if (!error) {
		error = ch_json_parse(out, text.ptr, text.size, STATE_MAX, path.ptr);
		if (!error && !json_object_get(*out, key)) {
			json_decref(*out);
			*out = NULL;
			error = ch_error_setc(CH_EINVALID, "%s: %s missing", path.ptr, key);
		}
	}
	ch_buf_dispose(&path);
	ch_buf_dispose(&text);
	return error;
}

static int store_state(const ch_site *site, const char *name, const json_t *root)
{
	ch_buf path = CH_BUF_INIT;
	char *text = ch_json_dump(root);
	int error;

	ch_buf_printf(&path, "%s/state", site->path);
	if ((error = ch_fs_mkdir_p(path.ptr, 0700)) == 0) {
		ch_buf_printf(&path, "/%s", name);
		error = ch_fs_write_atomic(path.ptr, text, strlen(text), 0600);
	}
	free(text);
	ch_buf_dispose(&path);
	return error;
}

/* ---- codes ---- */

/* XXXX-XXXX-...: base32 (RFC 4648 letters, no padding), upper case. */
static void make_code(ch_buf *out)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char r[CODE_GROUPS * 4];
	size_t i;

	ch_random_bytes(r, sizeof(r));
	ch_buf_clear(out);
	for (i = 0; i < sizeof(r); i++) {
		if (i && i % 4 == 0)
			ch_buf_putc(out, '-');
		ch_buf_putc(out, alpha[r[i] & 31]);
	}
	ch_wipe(r, sizeof(r));
}

/* What the official types, as the code was made: upper case, dashes where
 * they belong, spaces dropped. NULL if it cannot be a code. */
static char *normal_code(const char *in)
{
	ch_buf b = CH_BUF_INIT;
	size_t n = 0;

	for (; in && *in && b.size < 64; in++) {
		char c = *in;

		if (c == ' ' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')))
			break;
		if (n && n % 4 == 0)
			ch_buf_putc(&b, '-');
		ch_buf_putc(&b, c);
		n++;
	}
	if ((in && *in) || n != CODE_GROUPS * 4) {
		ch_wipe(b.ptr, b.size);
		ch_buf_dispose(&b);
		return NULL;
	}
	return ch_buf_detach(&b);
}

int ch_enrol_issue(ch_buf *code, ch_site *site, const char *person)
{
	ch_buf hash = CH_BUF_INIT;
	json_t *root = NULL;
	int error;

	if (!ch_valid_person_id(person))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid person id", person);
	make_code(code);
	if ((error = ch_password_hash(&hash, code->ptr)) < 0 ||
	    (error = load_state(&root, site, CODES_FILE, "codes")) < 0)
		goto done;
	json_object_set_new(json_object_get(root, "codes"), person,
	                    json_pack("{s:s, s:I}", "hash", hash.ptr, "expires",
	                              (json_int_t)time(NULL) + CH_ENROL_TTL));
	error = store_state(site, CODES_FILE, root);
done:
	json_decref(root);
	ch_buf_dispose(&hash);
	return error;
}

int ch_enrol_check(ch_site *site, const char *person, const char *code)
{
	static const char dummy[] = "$argon2id$v=19$m=47104,t=2,p=1$"
	                            "c2FsdHNhbHRzYWx0c2FsdA$"
	                            "3tXh4nFjHn7n2vH5ZlV0Qv0jvV4mR1c8j3s4W9l2b0A";
	json_t *root = NULL, *e = NULL;
	const char *phc = NULL;
	char *norm = normal_code(code);
	int error, expired = 0;

	if (load_state(&root, site, CODES_FILE, "codes") == 0 &&
	    (e = json_object_get(json_object_get(root, "codes"), person))) {
		phc = *jstr(e, "hash") ? jstr(e, "hash") : NULL;
		expired = json_integer_value(json_object_get(e, "expires")) < (json_int_t)time(NULL);
	}
	error = ch_password_check(phc ? phc : dummy, norm ? norm : "-");
	if (!phc || error < 0 || !norm)
		error = ch_error_setc(CH_EAUTH, "wrong identifier or enrolment code");
	else if (expired)
		error = ch_error_setc(CH_EAUTH, "the enrolment code of %s has expired: ask a "
		                      "policy-admin for a new one", person);
	ch_free_secret(norm);
	json_decref(root);
	return error;
}

static int consume(ch_site *site, const char *person)
{
	json_t *root = NULL;
	int error;

	if ((error = load_state(&root, site, CODES_FILE, "codes")) == 0) {
		json_object_del(json_object_get(root, "codes"), person);
		error = store_state(site, CODES_FILE, root);
	}
	json_decref(root);
	return error;
}

int ch_enrol_person_add(ch_buf *code, ch_site *site, const ch_actor *admin, ch_person_new *p,
                        int server_key)
{
	const ch_policy *pol;
	git_oid head;
	int error;

	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		return error;
	if (server_key && pol->server_custody_forbidden)
		return ch_error_setc(CH_EDENIED, "the policy forbids server custody "
		                     "(policy/settings.json): %s enrols a device key instead", p->id);
	make_code(code);
	p->no_key = !server_key && !p->public_key;
	p->passphrase = server_key ? code->ptr : NULL;
	if ((error = ch_admin_person_add(site, admin, p)) < 0)
		return error;
	/* the code stored is a new one only in its hash: the same text */
	{
		ch_buf hash = CH_BUF_INIT;
		json_t *root = NULL;

		if ((error = ch_password_hash(&hash, code->ptr)) == 0 &&
		    (error = load_state(&root, site, CODES_FILE, "codes")) == 0) {
			json_object_set_new(json_object_get(root, "codes"), p->id,
			                    json_pack("{s:s, s:I}", "hash", hash.ptr, "expires",
			                              (json_int_t)time(NULL) + CH_ENROL_TTL));
			error = store_state(site, CODES_FILE, root);
		}
		json_decref(root);
		ch_buf_dispose(&hash);
	}
	return error;
}

/* ---- device keys awaiting approval ---- */


static int device_check(char fpr[CH_PGP_FPR_HEX], ch_site *site, const char *person,
                        const ch_buf *armored, ch_custody custody)
{
	const ch_policy *pol;
	ch_pgp_keyring *kr = NULL;
	git_oid head;
	int error;

	if (custody == CH_CUSTODY_SERVER)
		return ch_error_setc(CH_EINVALID, "a device key is a browser or token key");
	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		return error;
	if (!ch_policy_person(pol, person) || ch_policy_person(pol, person)->revoked)
		return ch_error_setc(CH_EDENIED, "%s is not a person of the policy", person);
	if ((error = ch_pgp_keyring_new(&kr)) == 0 &&
	    (error = ch_pgp_keyring_add(kr, armored->ptr, armored->size, person, fpr)) == 0)
		error = ch_pgp_keyring_can_sign(kr, fpr, (int64_t)time(NULL));
	ch_pgp_keyring_free(kr);
	if (error < 0) {
		ch_error_prefix("the device key: ");
		return error;
	}
	if (ch_policy_person_by_fpr(pol, fpr))
		return ch_error_setc(CH_EINVALID, "key %s is already listed in the policy", fpr);
	return 0;
}

int ch_enrol_device(ch_site *site, const char *person, const ch_buf *armored,
                    ch_custody custody, const char *label, char fpr_out[CH_PGP_FPR_HEX])
{
	char fpr[CH_PGP_FPR_HEX], when[32];
	json_t *root = NULL, *arr, *e;
	time_t now = time(NULL);
	struct tm tm;
	size_t i, mine = 0;
	int error;

	if (label && *label && !ch_valid_line(label, 120))
		return ch_error_setc(CH_EINVALID, "a key's label is one line of at most 120 bytes");
	if ((error = device_check(fpr, site, person, armored, custody)) < 0 ||
	    (error = load_state(&root, site, PENDING_FILE, "pending")) < 0)
		goto done;
	arr = json_object_get(root, "pending");
	if (json_array_size(arr) >= CH_ENROL_MAX_PENDING) {
		error = ch_error_setc(CH_EDENIED, "%d device keys await approval already",
		                      CH_ENROL_MAX_PENDING);
		goto done;
	}
	json_array_foreach(arr, i, e) {
		if (!strcmp(jstr(e, "fingerprint"), fpr)) {
			error = ch_error_setc(CH_EINVALID, "key %s awaits approval already", fpr);
			goto done;
		}
		if (!strcmp(jstr(e, "person"), person) &&
		    ++mine >= CH_ENROL_MAX_PENDING_PERSON) {
			error = ch_error_setc(CH_EDENIED, "%d keys of %s await approval already",
			                      CH_ENROL_MAX_PENDING_PERSON, person);
			goto done;
		}
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s%}", "person", person,
	                                     "fingerprint", fpr, "custody", ch_custody_name(custody),
	                                     "label", label ? label : "", "at", when, "key",
	                                     armored->ptr, armored->size));
	if ((error = store_state(site, PENDING_FILE, root)) == 0 && fpr_out)
		memcpy(fpr_out, fpr, CH_PGP_FPR_HEX);
done:
	json_decref(root);
	return error;
}

int ch_enrol_pending(json_t **out, ch_site *site)
{
	json_t *root = NULL, *e, *a;
	size_t i;
	int error;

	*out = NULL;
	if ((error = load_state(&root, site, PENDING_FILE, "pending")) < 0)
		return error;
	a = json_array();
	json_array_foreach(json_object_get(root, "pending"), i, e)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "person",
		                                   jstr(e, "person"), "fingerprint",
		                                   jstr(e, "fingerprint"), "custody", jstr(e, "custody"),
		                                   "label", jstr(e, "label"), "at", jstr(e, "at")));
	json_decref(root);
	*out = a;
	return 0;
}

int ch_enrol_approve(ch_site *site, const ch_actor *admin, const char *person, const char *fpr)
{
	json_t *root = NULL, *arr, *e, *found = NULL;
	ch_buf key = CH_BUF_INIT;
	ch_custody custody;
	size_t i, at = 0;
	int error;

	if ((error = load_state(&root, site, PENDING_FILE, "pending")) < 0)
		return error;
	arr = json_object_get(root, "pending");
	json_array_foreach(arr, i, e)
		if (!strcmp(jstr(e, "person"), person) &&
		    !strcmp(jstr(e, "fingerprint"), fpr)) {
			found = e;
			at = i;
		}
	if (!found) {
		error = ch_error_setc(CH_ENOTFOUND, "no key %s of %s awaits approval", fpr, person);
		goto done;
	}
	ch_buf_puts(&key, jstr(found, "key"));
	/* the file is the network process's to write: the key listed must be
	 * the one whose fingerprint the admin compared, whatever the entry says */
	{
		char real[CH_PGP_FPR_HEX];

		if ((error = ch_custody_cert_fpr(real, &key)) < 0)
			goto done;
		if (strcmp(real, fpr)) {
			error = ch_error_setc(CH_EINVALID, "the pending entry for %s holds key %s, not the "
			                      "key %s approved: nothing was changed", person, real, fpr);
			goto done;
		}
	}
	if ((error = ch_custody_parse(&custody, jstr(found, "custody"))) < 0 ||
	    (error = ch_custody_key_add(site, admin, person, custody, jstr(found, "label"), &key,
	                                NULL)) < 0)
		goto done;
	/* read again: another enrolment may have come meanwhile */
	json_decref(root);
	root = NULL;
	if ((error = load_state(&root, site, PENDING_FILE, "pending")) < 0)
		goto done;
	arr = json_object_get(root, "pending");
	json_array_foreach(arr, i, e)
		if (!strcmp(jstr(e, "fingerprint"), fpr)) {
			json_array_remove(arr, i);
			break;
		}
	(void)at;
	error = store_state(site, PENDING_FILE, root);
done:
	json_decref(root);
	ch_buf_dispose(&key);
	return error;
}

/* ---- the official's own secrets ---- */

static int change_passphrase(ch_site *site, const char *person, const char *old_pass,
                             const char *new_pass)
{
	const ch_policy *pol;
	ch_keyinfo key;
	git_oid head;
	int error;

	if (!new_pass || strlen(new_pass) < 8)
		return ch_error_setc(CH_EINVALID, "a signing passphrase has at least 8 characters");
	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		return error;
	if (site->passwd)
		return site->passwd(person, old_pass, new_pass, site->sign_ctx);
	if ((error = ch_site_signer(&key, site, person)) < 0)
		return error;
	if ((error = ch_policy_key_ok(pol, ch_policy_person(pol, person), key.fpr)) < 0)
		return error;
	return ch_keyguard_passwd(site, person, &key, old_pass, new_pass);
}

int ch_enrol_open(ch_site *site, const ch_enrol_req *req)
{
	char *code = normal_code(req->code);
	char fpr[CH_PGP_FPR_HEX];
	int error;

	if ((error = ch_enrol_check(site, req->person, req->code)) < 0)
		goto done;
	if (req->password) {
		size_t n = strlen(req->password);

		if (n < CH_PASSWORD_MIN || n > CH_PASSWORD_MAX) {
			error = ch_error_setc(CH_EINVALID, "a login password has %d to %d characters",
			                      CH_PASSWORD_MIN, CH_PASSWORD_MAX);
			goto done;
		}
	}
	/* the parts that can fail on the official's input first */
	if (req->device_key && (error = ch_enrol_device(site, req->person, req->device_key,
	                                                req->device_custody, req->device_label,
	                                                fpr)) < 0)
		goto done;
	if (req->passphrase) {
		/* the server-held key was made with the code as its passphrase */
		if ((error = change_passphrase(site, req->person, code, req->passphrase)) < 0) {
			if (error == CH_EAUTH)
				ch_error_setc(CH_EAUTH, "this code is not the one the signing key of %s was "
				              "made with: the passphrase was not set (change it with the "
				              "old one, or ask a policy-admin)", req->person);
			goto done;
		}
	}
	/* Run by the key holder (the command line), a valid code also lifts
	 * a lock on the key; chanceryd's network process cannot (keyguard.h). */
	if (!site->sign && !site->passwd)
		ch_keyguard_unlock(site, req->person);
	if (req->password && (error = ch_accounts_set_password(site, req->person,
	                                                       req->password)) < 0)
		goto done;
	error = consume(site, req->person);
done:
	ch_free_secret(code);
	return error;
}

int ch_enrol_change_password(ch_site *site, const char *person, const char *old_pw,
                             const char *new_pw)
{
	int error;

	if ((error = ch_accounts_check(site, person, old_pw ? old_pw : "")) < 0)
		return ch_error_setc(CH_EAUTH, "the current login password is wrong: nothing was "
		                     "changed");
	return ch_accounts_set_password(site, person, new_pw);
}

int ch_enrol_change_passphrase(ch_site *site, const char *person, const char *old_pass,
                               const char *new_pass)
{
	return change_passphrase(site, person, old_pass ? old_pass : "", new_pass);
}
