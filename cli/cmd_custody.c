/* cmd_custody.c -- a person's keys and their custody: `person key add`,
 * `person key revoke`, `custody set` (workflows/custody.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "workflows/custody.h"
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
