/* cmd_admin.c -- init, person, delegate, workflow, site, export-keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "workflows/store/accounts.h"
#include "workflows/admin.h"
#include "workflows/enrol.h"
#include "util/fs.h"
#include "util/common.h"

#ifdef CH_OFFLINE
#define DEFAULT_TIER "offline"
#else
#define DEFAULT_TIER "networked"
#endif

int cli_with_admin(const cli_args *a, cli_admin_fn fn)
{
	ch_site *site = NULL;
	char *pass = NULL;
	ch_actor admin;
	int error;

	memset(&admin, 0, sizeof(admin));
	admin.actor = cli_get(a, "as");
	if (!admin.actor || a->pos.n < 1)
		return cli_usage(NULL);
	if ((error = ch_site_open(&site, a->pos.v[0])) < 0 ||
	    (error = cli_passphrase(&pass, cli_get(a, "passphrase-file"), admin.actor, 0)) < 0)
		goto done;
	admin.passphrase = pass;
	admin.comment = cli_get(a, "comment");
	error = fn(site, &admin, a);
done:
	ch_free_secret(pass);
	ch_site_free(site);
	return error < 0 ? cli_fail(error) : CLI_OK;
}

int cmd_init(int argc, char **argv)
{
	static const char *const opts[] = { "site-id", "admin", "name", "unit", "tier",
	                                    "passphrase-file", "new-passphrase-file", "key-algo",
	                                    "password-file", NULL };
	ch_strv roles = CH_STRV_INIT;
	ch_person_new admin;
	ch_site *site = NULL;
	char *pass = NULL;
	cli_args a;
	int error;

	if ((error = cli_parse(&a, argc, argv, opts, NULL)) < 0)
		return fprintf(stderr, "chancery: %s\n", ch_error_last()), cli_usage(NULL);
	if (a.pos.n != 1 || !cli_get(&a, "site-id") || !cli_get(&a, "admin") || !cli_get(&a, "name")) {
		cli_args_dispose(&a);
		return cli_usage("usage: chancery init SITE --site-id ID --admin ID --name NAME "
		                 "[--unit U] [--tier networked|offline] [--passphrase-file F] "
		                 "[--password-file F]\n");
	}
	memset(&admin, 0, sizeof(admin));
	ch_strv_push(&roles, "policy-admin");
	admin.id = cli_get(&a, "admin");
	admin.name = cli_get(&a, "name");
	admin.unit = cli_get(&a, "unit") ? cli_get(&a, "unit") : cli_get(&a, "site-id");
	admin.roles = &roles;
	admin.key_algo = cli_get(&a, "key-algo");
	if ((error = cli_passphrase(&pass, cli_get(&a, "passphrase-file") ?
	                            cli_get(&a, "passphrase-file") : cli_get(&a, "new-passphrase-file"),
	                            admin.id, 1)) < 0)
		goto done;
	admin.passphrase = pass;
	if ((error = ch_admin_init(&site, a.pos.v[0], cli_get(&a, "site-id"),
	                           cli_get(&a, "tier") ? cli_get(&a, "tier") : DEFAULT_TIER,
	                           &admin)) < 0)
		goto done;
	printf("site %s created in %s; policy-admin %s\n", site->site_id, a.pos.v[0], admin.id);
	/* the first admin's own login password, chosen by the admin */
	if (cli_get(&a, "password-file")) {
		char *pw = NULL;

		if ((error = cli_passphrase(&pw, cli_get(&a, "password-file"), admin.id, 1)) == 0)
			error = ch_accounts_set_password(site, admin.id, pw);
		ch_free_secret(pw);
	}
done:
	ch_free_secret(pass);
	ch_site_free(site);
	ch_strv_free(&roles);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}

static int person_add(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	ch_buf key = CH_BUF_INIT, code = CH_BUF_INIT;
	ch_strv roles = CH_STRV_INIT, scope = CH_STRV_INIT;
	const char *custody = cli_get(a, "custody");
	ch_person_new p;
	char *pass = NULL;
	int error;

	memset(&p, 0, sizeof(p));
	cli_split(&scope, cli_get(a, "scope"));
	p.scope = &scope;
	p.id = a->pos.v[1];
	p.name = cli_get(a, "name");
	p.unit = cli_get(a, "unit") ? cli_get(a, "unit") : site->site_id;
	p.clearance = cli_get(a, "clearance");
	p.key_algo = cli_get(a, "key-algo");
	cli_split(&roles, cli_get(a, "roles"));
	p.roles = &roles;
	if (!p.name) {
		error = ch_error_setc(CH_EINVALID, "person add needs --name");
		goto done;
	}
	if (custody && strcmp(custody, "server") && strcmp(custody, "browser")) {
		error = ch_error_setc(CH_EINVALID, "--custody is server (a key in this site's GnuPG "
		                      "home, its passphrase set by the official at enrolment) or "
		                      "browser (no key until the official enrols a device key)");
		goto done;
	}
	if (cli_get(a, "key")) { /* a public key only: the secret key stays where it is */
		if ((error = ch_fs_read(&key, cli_get(a, "key"), CH_KEY_MAX_BYTES)) < 0)
			goto done;
		p.public_key = &key;
	}
#ifdef CH_TEST_HOOKS
	/* The test suites' shortcut (test builds only; release builds refuse
	 * the option): the code is issued and used at once, as `chancery
	 * enrol` would, with the passphrase from the file. */
	if (!p.public_key && cli_get(a, "new-passphrase-file")) {
		ch_enrol_req er;

		if ((error = cli_passphrase(&pass, cli_get(a, "new-passphrase-file"), p.id, 1)) < 0 ||
		    (error = ch_enrol_person_add(&code, site, admin, &p, 1)) < 0)
			goto done;
		memset(&er, 0, sizeof(er));
		er.person = p.id;
		er.code = code.ptr;
		er.passphrase = pass;
		if ((error = ch_enrol_open(site, &er)) == 0)
			printf("%s added to site %s\n", p.id, site->site_id);
		goto done;
	}
#else
	if (cli_get(a, "new-passphrase-file")) {
		error = ch_error_setc(CH_EINVALID, "person add no longer takes the official's "
		                      "passphrase: it prints an enrolment code, with which the "
		                      "official sets their own (chancery enrol)");
		goto done;
	}
#endif
	if ((error = ch_enrol_person_add(&code, site, admin, &p, !p.public_key &&
	                                 (!custody || !strcmp(custody, "server")))) < 0)
		goto done;
	printf("%s added to site %s\n", p.id, site->site_id);
	printf("enrolment code for %s: %s\n", p.id, code.ptr);
	printf("(valid %d hours, shown this once: hand it to %s in person; with it they set their "
	       "own login password and %s: chancery enrol, or /enrol in the browser)\n",
	       CH_ENROL_TTL / 3600, p.id, p.no_key ? "enrol their device key" :
	       "signing passphrase");
done:
	ch_free_secret(pass);
	if (code.size)
		ch_wipe(code.ptr, code.size);
	ch_buf_dispose(&code);
	ch_strv_free(&roles);
	ch_strv_free(&scope);
	ch_buf_dispose(&key);
	return error;
}

/* person set: --unit U (the person's own unit), --scope U1,U2 (or "*";
 * "own": back to the person's own unit); either or both. */
static int person_set(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	ch_strv scope = CH_STRV_INIT;
	const char *s = cli_get(a, "scope"), *unit = cli_get(a, "unit");
	int error;

	if (!s && !unit)
		return ch_error_setc(CH_EINVALID, "person set needs --unit UNIT or --scope UNIT[,UNIT] "
		                     "(or * for every unit, own for the person's own unit)");
	if (unit) {
		if ((error = ch_admin_person_unit(site, admin, a->pos.v[1], unit)) < 0)
			return error;
		printf("unit of %s: %s\n", a->pos.v[1], unit);
		if (!s)
			return 0;
	}
	if (strcmp(s, "own"))
		cli_split(&scope, s);
	if ((error = ch_admin_person_scope(site, admin, a->pos.v[1], &scope)) == 0)
		printf("scope of %s: %s\n", a->pos.v[1], strcmp(s, "own") ? s : "own unit");
	ch_strv_free(&scope);
	return error;
}

static int person_roles(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	ch_strv roles = CH_STRV_INIT;
	int error;

	if (!cli_get(a, "roles"))
		return ch_error_setc(CH_EINVALID, "person roles needs --roles");
	cli_split(&roles, cli_get(a, "roles"));
	error = ch_admin_person_roles(site, admin, a->pos.v[1], &roles);
	ch_strv_free(&roles);
	return error;
}

static int person_revoke(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	return ch_admin_person_revoke(site, admin, a->pos.v[1]);
}

int cmd_person(int argc, char **argv)
{
	static const char *const add_opts[] = { "name", "roles", "unit", "clearance", "as",
	                                        "key-algo", "key", "passphrase-file", "custody",
	                                        "new-passphrase-file", "comment", "scope", NULL };
	static const char *const roles_opts[] = { "roles", "as", "passphrase-file", "comment",
	                                          NULL };
	static const char *const revoke_opts[] = { "as", "passphrase-file", "comment", NULL };
	static const char *const set_opts[] = { "scope", "unit", "as", "passphrase-file", "comment", NULL };
	const char *sub = argc > 0 ? argv[0] : "";
	cli_admin_fn fn = !strcmp(sub, "add") ? person_add : !strcmp(sub, "roles") ? person_roles :
	              !strcmp(sub, "revoke") ? person_revoke : !strcmp(sub, "set") ? person_set :
	              NULL;
	cli_args a;
	int rc;

	if (!strcmp(sub, "key"))
		return cmd_person_key(argc - 1, argv + 1);
	if (!strcmp(sub, "code") || !strcmp(sub, "unlock") || !strcmp(sub, "approve") ||
	    !strcmp(sub, "pending"))
		return cmd_person_enrol(argc, argv);
	if (!fn)
		return cli_usage("usage: chancery person add|roles|set|revoke|key SITE ID ... --as ADMIN\n");
	if (cli_parse(&a, argc - 1, argv + 1, fn == person_add ? add_opts :
	              fn == person_roles ? roles_opts : fn == person_set ? set_opts : revoke_opts, NULL) < 0)
		return cli_bad_args(&a);
	rc = a.pos.n == 2 ? cli_with_admin(&a, fn) : cli_usage(NULL);
	cli_args_dispose(&a);
	return rc;
}

static int do_delegate(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	ch_strv roles = CH_STRV_INIT;
	int error;

	if (!cli_get(a, "from") || !cli_get(a, "to"))
		return ch_error_setc(CH_EINVALID, "a delegation needs --from and --to");
	if (!cli_get(a, "roles"))
		return ch_admin_delegate(site, admin, cli_get(a, "from"), cli_get(a, "to"), NULL);
	cli_split(&roles, cli_get(a, "roles"));
	error = ch_admin_delegate(site, admin, cli_get(a, "from"), cli_get(a, "to"), &roles);
	ch_strv_free(&roles);
	return error;
}

int cmd_delegate(int argc, char **argv, int remove)
{
	static const char *const opts[] = { "from", "to", "roles", "as", "passphrase-file",
	                                    "comment", NULL };
	cli_args a;
	int rc;

	if (cli_parse(&a, argc, argv, opts, NULL) < 0) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_args_dispose(&a);
		return CLI_USAGE;
	}
	if (a.pos.n != 1 || (!remove && !cli_get(&a, "roles")) || (remove && cli_get(&a, "roles")))
		rc = cli_usage("usage: chancery delegate SITE --from ID --to ID --roles R --as ADMIN\n"
		               "       chancery undelegate SITE --from ID --to ID --as ADMIN\n");
	else
		rc = cli_with_admin(&a, do_delegate);
	cli_args_dispose(&a);
	return rc;
}

static int do_workflow(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	const char *file = a->pos.v[1], *base = strrchr(file, '/');
	ch_buf text = CH_BUF_INIT;
	char *name;
	size_t n;
	int error;

	base = base ? base + 1 : file;
	n = strlen(base);
	if (n <= 5 || strcmp(base + n - 5, ".json"))
		return ch_error_setc(CH_EINVALID, "%s: a workflow file is named <name>.json", file);
	name = ch_strndup(base, n - 5);
	if ((error = ch_fs_read(&text, file, 64 * 1024)) == 0 &&
	    (error = ch_admin_workflow_set(site, admin, name, text.ptr, text.size)) == 0)
		printf("workflow %s set\n", name);
	free(name);
	ch_buf_dispose(&text);
	return error;
}

static int do_attach_types(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	ch_buf text = CH_BUF_INIT;
	int error;

	if ((error = ch_fs_read(&text, a->pos.v[1], 64 * 1024)) == 0 &&
	    (error = ch_admin_attach_types_set(site, admin, text.ptr, text.size)) == 0)
		printf("policy/attachments.json set\n");
	ch_buf_dispose(&text);
	return error;
}

int cmd_attachment_types(int argc, char **argv)
{
	static const char *const opts[] = { "as", "passphrase-file", "comment", NULL };
	cli_args a;
	int rc;

	if (argc < 1 || strcmp(argv[0], "set"))
		return cli_usage("usage: chancery attachment-types set SITE attachments.json "
		                 "--as ADMIN\n");
	if (cli_parse(&a, argc - 1, argv + 1, opts, NULL) < 0) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_args_dispose(&a);
		return CLI_USAGE;
	}
	rc = a.pos.n == 2 ? cli_with_admin(&a, do_attach_types) : cli_usage(NULL);
	cli_args_dispose(&a);
	return rc;
}

int cmd_workflow(int argc, char **argv)
{
	static const char *const opts[] = { "as", "passphrase-file", "comment", NULL };
	cli_args a;
	int rc;

	if (argc < 1 || strcmp(argv[0], "set"))
		return cli_usage("usage: chancery workflow set SITE FILE.json --as ADMIN\n");
	if (cli_parse(&a, argc - 1, argv + 1, opts, NULL) < 0) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_args_dispose(&a);
		return CLI_USAGE;
	}
	rc = a.pos.n == 2 ? cli_with_admin(&a, do_workflow) : cli_usage(NULL);
	cli_args_dispose(&a);
	return rc;
}

static int do_site(ch_site *site, const ch_actor *admin, const cli_args *a)
{
	ch_strv units = CH_STRV_INIT;
	int error;

	if (cli_get(a, "units"))
		cli_split(&units, cli_get(a, "units"));
	error = ch_admin_site_set(site, admin, a->pos.v[1], cli_get(a, "units") ? &units : NULL,
	                          cli_get(a, "tls-fingerprint"), cli_get(a, "log-key"));
	ch_strv_free(&units);
	return error;
}

int cmd_site(int argc, char **argv)
{
	static const char *const opts[] = { "as", "units", "tls-fingerprint", "log-key", "passphrase-file",
	                                    "comment", NULL };
	cli_args a;
	int rc;

	if (argc < 1 || strcmp(argv[0], "set"))
		return cli_usage("usage: chancery site set SITE ID [--units U1,U2] "
		                 "[--tls-fingerprint HEX] [--log-key FPR] --as ADMIN\n");
	if (cli_parse(&a, argc - 1, argv + 1, opts, NULL) < 0) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_args_dispose(&a);
		return CLI_USAGE;
	}
	rc = a.pos.n == 2 ? cli_with_admin(&a, do_site) : cli_usage(NULL);
	cli_args_dispose(&a);
	return rc;
}

/* Every key the policy chain ever held (people removed later signed older
 * steps too), each once, as auditors import them for stock git. */
static int export_all_keys(ch_site *site)
{
	git_revwalk *walk = NULL;
	ch_strv seen = CH_STRV_INIT;
	git_oid id;
	int error = 0;

	if (git_revwalk_new(&walk, site->repo) < 0 || git_revwalk_push_ref(walk, CH_POLICY_REF) < 0)
		return ch_error_setc(CH_EIO, "cannot walk the policy chain");
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	while (!error && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		git_tree_entry *keys = NULL;
		git_tree *kt = NULL;
		size_t i;

		if (git_commit_lookup(&c, site->repo, &id) < 0 || git_commit_tree(&t, c) < 0 ||
		    git_tree_entry_bypath(&keys, t, CH_DIR_KEYS) < 0 ||
		    git_tree_lookup(&kt, site->repo, git_tree_entry_id(keys)) < 0)
			goto next;
		for (i = 0; i < git_tree_entrycount(kt); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(kt, i);
			const char *hex = git_oid_tostr_s(git_tree_entry_id(e));
			git_blob *b;

			if (ch_strv_contains(&seen, hex) ||
			    git_blob_lookup(&b, site->repo, git_tree_entry_id(e)) < 0)
				continue;
			ch_strv_push(&seen, hex);
			fwrite(git_blob_rawcontent(b), 1, (size_t)git_blob_rawsize(b), stdout);
			git_blob_free(b);
		}
next:
		git_tree_free(kt);
		git_tree_entry_free(keys);
		git_tree_free(t);
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	ch_strv_free(&seen);
	return error;
}

int cmd_export_keys(int argc, char **argv)
{
	ch_site *site = NULL;
	int error;

	static const char *const opts[] = { NULL };
	cli_args a;

	if (cli_parse(&a, argc, argv, opts, NULL) < 0)
		return cli_bad_args(&a);
	if (a.pos.n != 1) {
		cli_args_dispose(&a);
		return cli_usage("usage: chancery export-keys SITE\n");
	}
	if ((error = ch_site_open(&site, a.pos.v[0])) == 0)
		error = export_all_keys(site);
	ch_site_free(site);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}

/* `account set SITE ID`: the login password for the browser server (a
 * local secret of this site, not part of the signed policy). */
int cmd_account(int argc, char **argv)
{
	static const char *const opts[] = { "password-file", NULL };
	ch_site *site = NULL;
	char *pw = NULL;
	cli_args a;
	int error;

	if (argc >= 1 && !strcmp(argv[0], "password"))
		return cmd_account_password(argc - 1, argv + 1);
	if (argc < 1 || strcmp(argv[0], "set"))
		return cli_usage("usage: chancery account password SITE ID [--old-password-file F] "
		                 "[--password-file F]\n");
	if (cli_parse(&a, argc - 1, argv + 1, opts, NULL) < 0)
		return cli_bad_args(&a);
	if (a.pos.n != 2) {
		cli_args_dispose(&a);
		return cli_usage("usage: chancery account set SITE ID [--password-file F]\n");
	}
#ifdef CH_TEST_HOOKS
	/* test builds only: officials set their own (chancery enrol,
	 * chancery account password) */
	if ((error = ch_site_open(&site, a.pos.v[0])) == 0 &&
	    (error = cli_passphrase(&pw, cli_get(&a, "password-file"), a.pos.v[1], 1)) == 0 &&
	    (error = ch_accounts_set_password(site, a.pos.v[1], pw)) == 0)
		printf("login password of %s set\n", a.pos.v[1]);
#else
	error = ch_error_setc(CH_EINVALID, "nobody sets another person's login password: the "
	                      "official sets it with their enrolment code (chancery enrol) and "
	                      "changes it with chancery account password");
#endif
	ch_free_secret(pw);
	ch_site_free(site);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}
