/* cmd_declassify.c -- `chancery-offline declassify` writes a signed
 * declassification bundle; `chancery import` brings one onto a networked
 * site (SECURITY.md "Declassification"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "workflows/classify/declassify.h"
#include "util/fs.h"
#include "util/common.h"

static const char declassify_usage[] =
	"usage: chancery-offline declassify SITE DOC --as DECLASSIFIER --to FILE\n"
	"                 --reference \"Quyết định giải mật số N/QĐ-...\" [--file RELEASED.md]\n"
	"                 [--passphrase-file FILE]\n"
	"Writes FILE: the document's text (or RELEASED.md, with the old marking removed) and\n"
	"title, signed by the declassifier's own key, to carry to the networked site.\n";

static const char import_usage[] =
	"usage: chancery import SITE FILE --as DRAFTER [--passphrase-file FILE]\n"
	"Verifies a declassification bundle (signed by a declassifier of this site's policy),\n"
	"passes it through the classification gate and records it as a new document.\n";

static int open_site_as(ch_site **site, char **pass, ch_actor *who, const cli_args *a,
                        const char *door)
{
	int error;

	memset(who, 0, sizeof(*who));
	who->actor = cli_get(a, "as");
	who->door = door;
	if (!who->actor)
		return ch_error_setc(CH_EINVALID, "--as ID is required");
	if ((error = ch_site_open(site, a->pos.v[0])) < 0 ||
	    (error = cli_passphrase(pass, cli_get(a, "passphrase-file"), who->actor, 0)) < 0)
		return error;
	who->passphrase = *pass;
	return 0;
}

static int run_declassify(const cli_args *a)
{
	ch_buf out = CH_BUF_INIT, text = CH_BUF_INIT;
	ch_declassify_req req;
	ch_site *site = NULL;
	char *pass = NULL;
	ch_actor who;
	int error;

	memset(&req, 0, sizeof(req));
	req.doc = a->pos.v[1];
	req.reference = cli_get(a, "reference");
	if (!cli_get(a, "to"))
		return ch_error_setc(CH_EINVALID, "--to FILE is required: where the bundle goes");
	if (cli_get(a, "file")) {
		if ((error = ch_fs_read(&text, cli_get(a, "file"), CH_DOC_MAX_TEXT)) < 0)
			goto done;
		req.text = text.ptr;
		req.text_len = text.size;
	}
	if ((error = open_site_as(&site, &pass, &who, a, "command line")) < 0 ||
	    (error = ch_declassify_export(&out, site, &req, &who)) < 0 ||
	    (error = ch_fs_write_atomic(cli_get(a, "to"), out.ptr, out.size, 0600)) < 0)
		goto done;
	printf("declassification bundle of %s written to %s, signed by %s\n", req.doc,
	       cli_get(a, "to"), who.actor);
done:
	ch_free_secret(pass);
	ch_site_free(site);
	ch_buf_dispose(&out);
	ch_buf_dispose(&text);
	return error;
}

static int run_import(const cli_args *a)
{
	ch_buf data = CH_BUF_INIT, id = CH_BUF_INIT;
	ch_site *site = NULL;
	char *pass = NULL, who_decl[65] = "";
	ch_actor who;
	int error;

	if ((error = ch_fs_read(&data, a->pos.v[1], CH_DECLASSIFY_MAX)) < 0 ||
	    (error = open_site_as(&site, &pass, &who, a, "declassification import")) < 0 ||
	    (error = ch_declassify_import(&id, who_decl, site, data.ptr, data.size, &who)) < 0)
		goto done;
	printf("%s\n", id.ptr);
	fprintf(stderr, "imported as %s (declassified by %s)\n", id.ptr, who_decl);
done:
	ch_free_secret(pass);
	ch_site_free(site);
	ch_buf_dispose(&data);
	ch_buf_dispose(&id);
	return error;
}

static int dispatch(int argc, char **argv, int import)
{
	static const char *const dopts[] = { "as", "to", "reference", "file", "passphrase-file",
	                                     NULL };
	static const char *const iopts[] = { "as", "passphrase-file", NULL };
	cli_args a;
	int error;

	if ((error = cli_parse(&a, argc, argv, import ? iopts : dopts, NULL)) < 0)
		return cli_bad_args(&a);
	if (a.pos.n != 2) {
		cli_args_dispose(&a);
		return cli_usage(import ? import_usage : declassify_usage);
	}
	error = import ? run_import(&a) : run_declassify(&a);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}

int cmd_declassify(int argc, char **argv)
{
	return dispatch(argc, argv, 0);
}

int cmd_import(int argc, char **argv)
{
	return dispatch(argc, argv, 1);
}
