/* keyguard.c -- a limit on wrong signing passphrases (keyguard.h). */
#include <stdlib.h>
#include <string.h>

#include "workflows/store/keyguard.h"
#include "workflows/classify/gate.h"
#include "workflows/json.h"
#include "util/fs.h"
#include "util/common.h"

#define TRIES_FILE "chancery-tries.json"
#define TRIES_MAX_BYTES (1024 * 1024)

static void tries_path(ch_buf *out, const ch_site *site)
{
	ch_buf_printf(out, "%s/" TRIES_FILE, site->gnupg_path);
}

static int load(json_t **out, const ch_site *site)
{
	ch_buf path = CH_BUF_INIT, text = CH_BUF_INIT;
	int error;

	tries_path(&path, site);
	error = ch_fs_read(&text, path.ptr, TRIES_MAX_BYTES);
	if (error == CH_ENOTFOUND) {
		*out = json_pack("{s:i, s:{}}", "version", 1, "people");
		error = 0;
	} else if (!error) {
		error = ch_json_parse(out, text.ptr, text.size, TRIES_MAX_BYTES, path.ptr);
		if (!error && !json_is_object(json_object_get(*out, "people"))) {
			json_decref(*out);
			*out = NULL;
			error = ch_error_setc(CH_EINVALID, "%s: people: expected an object", path.ptr);
		}
	}
	ch_buf_dispose(&path);
	ch_buf_dispose(&text);
	return error;
}

static int store(const ch_site *site, const json_t *root)
{
	ch_buf path = CH_BUF_INIT;
	char *text = ch_json_dump(root);
	int error;

	tries_path(&path, site);
	error = ch_fs_write_atomic(path.ptr, text, strlen(text), 0600);
	free(text);
	ch_buf_dispose(&path);
	return error;
}

int ch_keyguard_state(unsigned *tries, int *locked, ch_site *site, const char *person)
{
	json_t *root = NULL, *e;
	int error;

	*tries = 0;
	*locked = 0;
	if ((error = load(&root, site)) < 0)
		return error;
	if ((e = json_object_get(json_object_get(root, "people"), person))) {
		json_int_t n = json_integer_value(json_object_get(e, "tries"));

		*tries = n < 0 ? 0 : n > 1000 ? 1000 : (unsigned)n;
		*locked = *tries >= CH_KEYGUARD_TRIES;
	}
	json_decref(root);
	return 0;
}

static int refuse_locked(ch_site *site, const char *person)
{
	unsigned tries;
	int locked, error;

	if ((error = ch_keyguard_state(&tries, &locked, site, person)) < 0)
		return error;
	if (locked)
		return ch_error_setc(CH_EDENIED, "the signing key of %s is locked after %u wrong "
		                     "passphrases: a policy-admin (chancery person unlock) or %s's "
		                     "enrolment code (chancery enrol) unlocks it; nothing was signed",
		                     person, tries, person);
	return 0;
}

/* After a try: a wrong passphrase counts (a security event; the last one
 * locks), a right one clears the count. The caller's error is kept. */
static void count(ch_site *site, const char *person, int wrong)
{
	json_t *root = NULL, *people;
	json_int_t n = 0;
	char *msg = ch_strdup(ch_error_last());

	if (load(&root, site) < 0)
		goto done;
	people = json_object_get(root, "people");
	if (wrong)
		n = json_integer_value(json_object_get(json_object_get(people, person), "tries")) + 1;
	else if (!json_object_get(people, person))
		goto done; /* nothing to clear: no write on the hot path */
	if (wrong)
		json_object_set_new(people, person, json_pack("{s:I}", "tries", n));
	else
		json_object_del(people, person);
	store(site, root);
	if (wrong && site->relay_events)
		site->key_event = n >= CH_KEYGUARD_TRIES ? "key-locked" : "wrong-passphrase";
	else if (wrong)
		ch_gate_event(site, "signing key", person, n >= CH_KEYGUARD_TRIES ? "key-locked" :
		              "wrong-passphrase", "unclassified");
done:
	json_decref(root);
	ch_error_setc(CH_ERROR, "%s", msg);
	free(msg);
}

int ch_keyguard_sign(ch_buf *sig, ch_site *site, const char *person, const ch_keyinfo *key,
                     const char *passphrase, const void *payload, size_t len)
{
	ch_keystore *ks;
	int error;

	if ((error = refuse_locked(site, person)) < 0 || (error = ch_site_keystore(&ks, site)) < 0)
		return error;
	error = ch_keystore_sign(sig, ks, key, passphrase, payload, len);
	if (error == CH_EAUTH || error == 0)
		count(site, person, error == CH_EAUTH);
	if (error == CH_EAUTH)
		ch_error_setc(CH_EAUTH, "wrong signing passphrase for %s (%d wrong in a row lock "
		              "the key)", person, CH_KEYGUARD_TRIES);
	return error;
}

int ch_keyguard_passwd(ch_site *site, const char *person, const ch_keyinfo *key,
                       const char *old_pass, const char *new_pass)
{
	ch_keystore *ks;
	int error;

	if ((error = refuse_locked(site, person)) < 0 || (error = ch_site_keystore(&ks, site)) < 0)
		return error;
	error = ch_keystore_passwd(ks, key, old_pass, new_pass);
	if (error == CH_EAUTH || error == 0)
		count(site, person, error == CH_EAUTH);
	if (error == CH_EAUTH)
		ch_error_setc(CH_EAUTH, "wrong signing passphrase for %s: it was not changed", person);
	return error;
}

int ch_keyguard_unlock(ch_site *site, const char *person)
{
	json_t *root = NULL;
	int error;

	if ((error = load(&root, site)) == 0) {
		json_object_del(json_object_get(root, "people"), person);
		error = store(site, root);
	}
	json_decref(root);
	return error;
}
