/* accounts.c -- login passwords (Argon2id) in SITE/state/accounts.json. */
#include <stdlib.h>
#include <string.h>

#include "workflows/store/accounts.h"
#include "crypto/crypto.h"
#include "workflows/json.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

#define ACCOUNTS_MAX (8 * 1024 * 1024)

/* SITE/state/ holds what the server's network process writes; it owns that
 * directory (and repo.git), never the site directory itself. */
static void accounts_path(ch_buf *out, const ch_site *site)
{
	ch_buf_printf(out, "%s/state/accounts.json", site->path);
}

static int load(json_t **out, const ch_site *site)
{
	ch_buf path = CH_BUF_INIT, text = CH_BUF_INIT;
	int error;

	accounts_path(&path, site);
	error = ch_fs_read(&text, path.ptr, ACCOUNTS_MAX);
	if (error == CH_ENOTFOUND) {
		*out = json_pack("{s:i, s:{}}", "version", 1, "accounts");
		error = 0;
	} else if (!error) {
		error = ch_json_parse(out, text.ptr, text.size, ACCOUNTS_MAX, path.ptr);
		if (!error && !json_is_object(json_object_get(*out, "accounts"))) {
			json_decref(*out);
			*out = NULL;
			error = ch_error_setc(CH_EINVALID, "%s: accounts: expected an object", path.ptr);
		}
	}
	ch_buf_dispose(&path);
	ch_buf_dispose(&text);
	return error;
}

int ch_accounts_set_password(ch_site *site, const char *person, const char *password)
{
	ch_buf path = CH_BUF_INIT, hash = CH_BUF_INIT;
	const ch_policy *pol;
	json_t *root = NULL;
	git_oid head;
	char *text = NULL;
	size_t n = strlen(password);
	int error;

	if (n < CH_PASSWORD_MIN || n > CH_PASSWORD_MAX || !ch_utf8_valid(password, n))
		return ch_error_setc(CH_EINVALID, "a login password has %d to %d characters",
		                     CH_PASSWORD_MIN, CH_PASSWORD_MAX);
	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		return error;
	if (!ch_policy_person(pol, person))
		return ch_error_setc(CH_ENOTFOUND, "%s is not a person in the policy", person);
	if ((error = load(&root, site)) < 0 || (error = ch_password_hash(&hash, password)) < 0)
		goto done;
	json_object_set_new(json_object_get(root, "accounts"), person,
	                    json_pack("{s:s}", "password", hash.ptr));
	text = ch_json_dump(root);
	ch_buf_printf(&path, "%s/state", site->path);
	if ((error = ch_fs_mkdir_p(path.ptr, 0700)) < 0)
		goto done;
	ch_buf_clear(&path);
	accounts_path(&path, site);
	error = ch_fs_write_atomic(path.ptr, text, strlen(text), 0600);
done:
	free(text);
	json_decref(root);
	ch_buf_dispose(&path);
	ch_buf_dispose(&hash);
	return error;
}

int ch_accounts_check(ch_site *site, const char *person, const char *password)
{
	/* A fixed hash of a random password: an unknown person costs one
	 * Argon2id computation too, so timing does not tell who exists. */
	static const char dummy[] = "$argon2id$v=19$m=47104,t=2,p=1$"
	                            "c2FsdHNhbHRzYWx0c2FsdA$"
	                            "3tXh4nFjHn7n2vH5ZlV0Qv0jvV4mR1c8j3s4W9l2b0A";
	json_t *root = NULL;
	const char *phc = NULL;
	int error;

	if (load(&root, site) == 0)
		phc = json_string_value(json_object_get(
			json_object_get(json_object_get(root, "accounts"), person), "password"));
	error = ch_password_check(phc ? phc : dummy, password);
	if (!phc || error < 0)
		error = ch_error_setc(CH_EAUTH, "wrong identifier or password");
	/* After the hash, so that timing tells nothing more: a person revoked
	 * in (or removed from) the current policy cannot log in, whatever
	 * accounts.json still holds (SECURITY.md, "Revocation"). */
	else if (!ch_accounts_person_active(site, person))
		error = ch_error_setc(CH_EAUTH, "wrong identifier or password");
	json_decref(root);
	return error;
}

int ch_accounts_person_active(ch_site *site, const char *person)
{
	const ch_policy *pol;
	const ch_person *p;
	git_oid head;

	/* ch_site_policy caches parsed policies by commit: one ref read here */
	if (ch_site_policy_head(&head, site) < 0 || ch_site_policy(&pol, site, &head) < 0)
		return 0; /* cannot tell: refuse */
	p = ch_policy_person(pol, person);
	return p && !p->revoked;
}
