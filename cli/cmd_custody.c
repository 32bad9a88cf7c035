/* cmd_custody.c -- a person's keys and their custody: `person key add`,
 * `person key revoke`, `custody set` (workflows/custody.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "workflows/classify/gate.h"
#include "workflows/custody.h"
#include "workflows/enrol.h"
#include "workflows/store/keyguard.h"
#include "util/fs.h"
#include "util/common.h"

static int key_add(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	char fpr[CH_PGP_FPR_HEX];
	ch_buf key = CH_BUF_INIT;
	ch_custody c;
	int error;

	if (!cli_get(a, "key") || !cli_get(a, "custody"))
		return ch_error_setc(CH_EINVALID, "person key add needs --key FILE and --custody "
		                     "browser|token|server");
	if ((error = ch_custody_parse(&c, cli_get(a, "custody"))) < 0 ||
	    (error = ch_fs_read(&key, cli_get(a, "key"), CH_KEY_MAX_BYTES)) < 0)
		goto done;
	if ((error = ch_custody_key_add(site, admin, a->pos.v[1], c, cli_get(a, "label"), &key,
	                                fpr)) == 0)
		printf("key %s (%s) of %s listed\n", fpr, ch_custody_name(c), a->pos.v[1]);
done:
	ch_buf_dispose(&key);
	return error;
}

static int key_revoke(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	int error = ch_custody_key_revoke(site, admin, a->pos.v[1], a->pos.v[2]);

	if (!error)
		printf("key %s of %s revoked\n", a->pos.v[2], a->pos.v[1]);
	return error;
}

int cmd_person_key(int argc, char **argv)
{
	static const char *const add_opts[] = { "key", "custody", "label", "as", "passphrase-file",
	                                        "comment", NULL };
	static const char *const rev_opts[] = { "as", "passphrase-file", "comment", NULL };
	const char *sub = argc > 0 ? argv[0] : "";
	int add = !strcmp(sub, "add"), rc;
	cli_args a;

	if (!add && strcmp(sub, "revoke"))
		return cli_usage("usage: chancery person key add SITE ID --key FILE --custody "
		                 "browser|token|server [--label L] --as ADMIN\n"
		                 "       chancery person key revoke SITE ID FINGERPRINT --as ADMIN\n");
	if (cli_parse(&a, argc - 1, argv + 1, add ? add_opts : rev_opts, NULL) < 0)
		return cli_bad_args(&a);
	rc = a.pos.n == (add ? 2u : 3u) ? cli_with_admin(&a, add ? key_add : key_revoke) :
	                                  cli_usage(NULL);
	cli_args_dispose(&a);
	return rc;
}

static int set_server(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	const char *v = cli_get(a, "server");
	int error;

	if (!v || (strcmp(v, "allowed") && strcmp(v, "forbidden")))
		return ch_error_setc(CH_EINVALID, "custody set needs --server allowed|forbidden");
	if ((error = ch_custody_set_server(site, admin, !strcmp(v, "forbidden"))) == 0)
		printf("server custody %s\n", v);
	return error;
}

int cmd_custody(int argc, char **argv)
{
	static const char *const opts[] = { "server", "as", "passphrase-file", "comment", NULL };
	cli_args a;
	int rc;

	if (argc < 1 || strcmp(argv[0], "set"))
		return cli_usage("usage: chancery custody set SITE --server allowed|forbidden "
		                 "--as ADMIN\n");
	if (cli_parse(&a, argc - 1, argv + 1, opts, NULL) < 0)
		return cli_bad_args(&a);
	rc = a.pos.n == 1 ? cli_with_admin(&a, set_server) : cli_usage(NULL);
	cli_args_dispose(&a);
	return rc;
}

/* ---- enrolment and the officials' own secrets (workflows/enrol.h) ---- */

/* The admin proves who they are to this command as everywhere else: by
 * signing (a fixed challenge, never written), their key's tries counted. */
static int admin_proves(ch_site *site, const ch_actor *admin)
{
	const ch_policy *pol;
	const ch_person *me;
	ch_keyinfo key;
	ch_buf sig = CH_BUF_INIT;
	git_oid head;
	int error;

	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		return error;
	me = ch_policy_person(pol, admin->actor);
	if (!me || me->revoked || !ch_person_has_role(me, "policy-admin"))
		return ch_error_setc(CH_EDENIED, "%s is not a policy-admin of site %s", admin->actor,
		                     site->site_id);
	if ((error = ch_site_signer(&key, site, admin->actor)) < 0 ||
	    (error = ch_keyguard_sign(&sig, site, admin->actor, &key, admin->passphrase,
	                              "chancery admin challenge", 24)) < 0)
		ch_error_prefix("%s: ", admin->actor);
	ch_buf_dispose(&sig);
	return error;
}

static int person_code(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	ch_buf code = CH_BUF_INIT;
	int error;

	if ((error = admin_proves(site, admin)) == 0 &&
	    (error = ch_enrol_issue(&code, site, a->pos.v[1])) == 0)
		printf("enrolment code for %s: %s\n(valid %d hours, shown this once; it sets a new "
		       "login password and lifts a lock on the key: chancery enrol)\n", a->pos.v[1],
		       code.ptr, CH_ENROL_TTL / 3600);
	ch_wipe(code.ptr, code.size);
	ch_buf_dispose(&code);
	return error;
}

static int person_unlock(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	int error;

	if ((error = admin_proves(site, admin)) == 0 &&
	    (error = ch_keyguard_unlock(site, a->pos.v[1])) == 0) {
		ch_gate_event(site, "signing key", a->pos.v[1], "key-unlocked", "unclassified");
		printf("the signing key of %s is unlocked\n", a->pos.v[1]);
	}
	return error;
}

static int person_approve(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	int error = ch_enrol_approve(site, admin, a->pos.v[1], a->pos.v[2]);

	if (!error)
		printf("key %s of %s approved and listed in the policy\n", a->pos.v[2], a->pos.v[1]);
	return error;
}

static int person_pending(const char *path)
{
	ch_site *site = NULL;
	json_t *list = NULL, *e;
	size_t i;
	int error;

	if ((error = ch_site_open(&site, path)) == 0 && (error = ch_enrol_pending(&list, site)) == 0)
		json_array_foreach(list, i, e)
			printf("%s %s %s %s %s\n", json_string_value(json_object_get(e, "person")),
			       json_string_value(json_object_get(e, "fingerprint")),
			       json_string_value(json_object_get(e, "custody")),
			       json_string_value(json_object_get(e, "at")),
			       json_string_value(json_object_get(e, "label")));
	json_decref(list);
	ch_site_free(site);
	return error < 0 ? cli_fail(error) : CLI_OK;
}

int cmd_person_enrol(int argc, char **argv)
{
	static const char *const opts[] = { "as", "passphrase-file", "comment", NULL };
	static const char *const none[] = { NULL };
	const char *sub = argv[0];
	cli_admin_fn fn = !strcmp(sub, "code") ? person_code : !strcmp(sub, "unlock") ?
	                  person_unlock : !strcmp(sub, "approve") ? person_approve : NULL;
	size_t want = fn == person_approve ? 3 : 2;
	cli_args a;
	int rc;

	if (cli_parse(&a, argc - 1, argv + 1, fn ? opts : none, NULL) < 0)
		return cli_bad_args(&a);
	if (!fn)
		rc = a.pos.n == 1 ? person_pending(a.pos.v[0]) :
		     cli_usage("usage: chancery person pending SITE\n");
	else
		rc = a.pos.n == want ? cli_with_admin(&a, fn) :
		     cli_usage("usage: chancery person code|unlock SITE ID --as ADMIN\n"
		               "       chancery person approve SITE ID FINGERPRINT --as ADMIN\n");
	cli_args_dispose(&a);
	return rc;
}

/* A secret from a file (its first line) or the terminal. */
static int secret(char **out, const char *file, const char *what, int confirm)
{
	return cli_passphrase(out, file, what, confirm);
}

int cmd_enrol(int argc, char **argv)
{
	static const char *const opts[] = { "code-file", "password-file", "passphrase-file",
	                                    "device-key", "custody", "label", NULL };
	char *code = NULL, *pw = NULL, *pass = NULL;
	ch_buf dev = CH_BUF_INIT;
	ch_site *site = NULL;
	ch_enrol_req req;
	cli_args a;
	int error;

	if (cli_parse(&a, argc, argv, opts, NULL) < 0)
		return cli_bad_args(&a);
	if (a.pos.n != 2) {
		cli_args_dispose(&a);
		return cli_usage("usage: chancery enrol SITE ID --code-file F [--password-file F] "
		                 "[--passphrase-file F] [--device-key PUBLIC.asc --custody token|browser "
		                 "[--label L]]\n");
	}
	memset(&req, 0, sizeof(req));
	req.person = a.pos.v[1];
	req.device_label = cli_get(&a, "label");
	if ((error = ch_site_open(&site, a.pos.v[0])) < 0 ||
	    (error = secret(&code, cli_get(&a, "code-file"), "enrolment code", 0)) < 0 ||
	    (error = secret(&pw, cli_get(&a, "password-file"), "new login password", 1)) < 0)
		goto done;
	req.code = code;
	req.password = pw;
	if (cli_get(&a, "device-key")) {
		if ((error = ch_fs_read(&dev, cli_get(&a, "device-key"), CH_KEY_MAX_BYTES)) < 0 ||
		    (error = ch_custody_parse(&req.device_custody, cli_get(&a, "custody") ?
		                              cli_get(&a, "custody") : "token")) < 0)
			goto done;
		req.device_key = &dev;
	} else if (cli_get(&a, "passphrase-file")) {
		if ((error = secret(&pass, cli_get(&a, "passphrase-file"), "new signing passphrase",
		                    1)) < 0)
			goto done;
		req.passphrase = pass;
	}
	if ((error = ch_enrol_open(site, &req)) == 0)
		printf("%s enrolled: login password set%s%s\n", req.person,
		       req.passphrase ? ", signing passphrase set" : "",
		       req.device_key ? ", device key awaiting a policy-admin's approval" : "");
done:
	ch_free_secret(code);
	ch_free_secret(pw);
	ch_free_secret(pass);
	ch_buf_dispose(&dev);
	ch_site_free(site);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}

/* An official changes one of their own secrets: the current one, then the
 * new one (files, or asked on the terminal). */
typedef struct {
	const char *opts[3];   /* the option of the current secret, of the new one */
	const char *usage;
	const char *old_label, *new_label, *done;
	int (*change)(ch_site *site, const char *id, const char *old, const char *new_secret);
} secret_change;

static int change_secret(int argc, char **argv, const secret_change *sc)
{
	char *old = NULL, *fresh = NULL;
	ch_site *site = NULL;
	cli_args a;
	int error;

	if (cli_parse(&a, argc, argv, sc->opts, NULL) < 0)
		return cli_bad_args(&a);
	if (a.pos.n != 2) {
		cli_args_dispose(&a);
		return cli_usage(sc->usage);
	}
	if ((error = ch_site_open(&site, a.pos.v[0])) == 0 &&
	    (error = secret(&old, cli_get(&a, sc->opts[0]), sc->old_label ? sc->old_label :
	                    a.pos.v[1], 0)) == 0 &&
	    (error = secret(&fresh, cli_get(&a, sc->opts[1]), sc->new_label, 1)) == 0 &&
	    (error = sc->change(site, a.pos.v[1], old, fresh)) == 0)
		printf("%s of %s changed\n", sc->done, a.pos.v[1]);
	ch_free_secret(old);
	ch_free_secret(fresh);
	ch_site_free(site);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}

int cmd_account_password(int argc, char **argv)
{
	static const secret_change sc = {
		{ "old-password-file", "password-file", NULL },
		"usage: chancery account password SITE ID [--old-password-file F] "
		"[--password-file F]\n",
		"current login password", "new login password", "login password",
		ch_enrol_change_password
	};

	return change_secret(argc, argv, &sc);
}

int cmd_key_passphrase(int argc, char **argv)
{
	static const secret_change sc = {
		{ "passphrase-file", "new-passphrase-file", NULL },
		"usage: chancery key passphrase SITE ID [--passphrase-file OLD] "
		"[--new-passphrase-file NEW]\n",
		NULL, "new signing passphrase", "signing passphrase",
		ch_enrol_change_passphrase
	};

	return change_secret(argc, argv, &sc);
}
