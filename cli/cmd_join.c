/* cmd_join.c -- `chancery join` (a mission's site takes headquarters'
 * policy chain: workflows/sync/join.h) and `chancery key new` (an
 * official's key in the site's own GnuPG home). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "workflows/sync/join.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

#ifndef CH_OFFLINE

int cmd_join(int argc, char **argv)
{
	static const char *const opts[] = { "site-id", "from", "anchor", "cert", "key", "ca", "peer",
	                                    NULL };
	static const char usage[] =
		"usage: chancery join SITE --site-id ID --from DIR_OR_URL [--anchor COMMIT]\n"
		"                     [--cert F --key F --ca F] [--peer ID]\n";
	ch_join_req jr;
	ch_sync_run r;
	cli_args a;
	int error;

	if (cli_parse(&a, argc, argv, opts, NULL) < 0) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_args_dispose(&a);
		return cli_usage(usage);
	}
	if (a.pos.n != 1 || !cli_get(&a, "site-id") || !cli_get(&a, "from")) {
		cli_args_dispose(&a);
		return cli_usage(usage);
	}
	memset(&jr, 0, sizeof(jr));
	jr.path = a.pos.v[0];
	jr.site_id = cli_get(&a, "site-id");
	jr.from = cli_get(&a, "from");
	jr.anchor = cli_get(&a, "anchor");
	jr.cert = cli_get(&a, "cert");
	jr.key = cli_get(&a, "key");
	jr.ca = cli_get(&a, "ca");
	jr.peer = cli_get(&a, "peer");
	jr.progress = isatty(2);
	jr.out = stdout;
	memset(&r, 0, sizeof(r));
	error = ch_sync_join(&jr, &r);
	cli_args_dispose(&a);
	if (error < 0)
		return cli_fail(error);
	return r.refused + r.conflicts ? CLI_REFUSED : CLI_OK;
}

#endif /* !CH_OFFLINE */

/* `key new SITE ID`: the official's key in the site's own GnuPG home,
 * recorded in site.json's signers; the armored public key on stdout for
 * headquarters' `chancery person add HQ ID --key FILE`. */
int cmd_key(int argc, char **argv)
{
	static const char *const opts[] = { "passphrase-file", "new-passphrase-file", "name",
	                                    "key-algo", NULL };
	static const char usage[] =
		"usage: chancery key new SITE ID [--name NAME] [--passphrase-file F]\n";
	ch_buf armored = CH_BUF_INIT, email = CH_BUF_INIT;
	ch_site *site = NULL;
	ch_keystore *ks;
	ch_keyinfo key;
	char *pass = NULL;
	const char *id, *file;
	cli_args a;
	int error;

	if (argc >= 1 && !strcmp(argv[0], "passphrase"))
		return cmd_key_passphrase(argc - 1, argv + 1);
	if (argc < 1 || strcmp(argv[0], "new"))
		return cli_usage(usage);
	if (cli_parse(&a, argc - 1, argv + 1, opts, NULL) < 0)
		return cli_bad_args(&a);
	if (a.pos.n != 2) {
		cli_args_dispose(&a);
		return cli_usage(usage);
	}
	id = a.pos.v[1];
	file = cli_get(&a, "passphrase-file") ? cli_get(&a, "passphrase-file") :
	       cli_get(&a, "new-passphrase-file");
	if (!ch_valid_person_id(id)) {
		error = ch_error_setc(CH_EINVALID, "'%.80s' is not a valid person id", id);
		goto done;
	}
	if ((error = ch_site_open(&site, a.pos.v[0])) < 0)
		goto done;
	if (ch_site_signer(&key, site, id) == 0) {
		error = ch_error_setc(CH_EINVALID, "%s already has a signing key on site %s (%s)", id,
		                      site->site_id, key.fpr);
		goto done;
	}
	if ((error = cli_passphrase(&pass, file, id, 1)) < 0)
		goto done;
	if (strlen(pass) < 8) {
		error = ch_error_setc(CH_EINVALID, "the signing passphrase of %s must have at least "
		                      "8 characters", id);
		goto done;
	}
	ch_buf_printf(&email, "%s@%s", id, site->site_id);
	if ((error = ch_site_keystore(&ks, site)) < 0 ||
	    (error = ch_keystore_create_key(&key, ks, cli_get(&a, "name") ? cli_get(&a, "name") : id,
	                                    email.ptr, cli_get(&a, "key-algo"), pass)) < 0 ||
	    (error = ch_keystore_export(&armored, ks, key.fpr)) < 0 ||
	    (error = ch_site_set_signer(site, id, &key)) < 0)
		goto done;
	fwrite(armored.ptr, 1, armored.size, stdout);
	fprintf(stderr, "key of %s created on site %s: %s\nheadquarters adds it with: chancery "
	        "person add HQ %s --key FILE --unit %s --roles ... --as ADMIN\n", id,
	        site->site_id, key.fpr, id, site->site_id);
done:
	ch_free_secret(pass);
	ch_site_free(site);
	ch_buf_dispose(&armored);
	ch_buf_dispose(&email);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}
