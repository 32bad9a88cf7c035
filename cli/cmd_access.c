/* cmd_access.c -- `chancery access`: who read what (workflows/store/access.h).
 *   access verify SITE                 the hash chain and every seal
 *   access seal SITE [--as ID]         seal the complete days; with --as, an
 *                                      auditor's signed countersignature too
 *   access show SITE DOC               a document's access records */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "workflows/store/access.h"
#include "util/text.h"
#include "util/common.h"

static const char access_usage[] =
	"usage: chancery access verify SITE\n"
	"       chancery access seal SITE [--as AUDITOR [--passphrase-file FILE]]\n"
	"       chancery access show SITE DOC\n"
	"Who read what (SITE/state/access.log, sealed on refs/chancery/access): verify checks\n"
	"the hash chain and that every sealed day is byte for byte in the log (exit 1 on any\n"
	"tampering, naming the line or day); seal seals every complete day, and with --as adds\n"
	"a seal signed by that auditor's or security officer's own key.\n";

static int verify(ch_site *site)
{
	ch_access_report r;
	size_t i;
	int error = ch_access_verify(&r, site);

	for (i = 0; i < r.findings.n; i++)
		printf("finding: %s\n", r.findings.v[i]);
	for (i = 0; i < r.notes.n; i++)
		printf("note: %s\n", r.notes.v[i]);
	printf("%zu records over %zu days; %zu days sealed, %zu under a signed seal; %s\n", r.lines,
	       r.days, r.sealed_days, r.signed_days, r.findings.n ? "TAMPERED" : "intact");
	ch_access_report_dispose(&r);
	return error;
}

static int seal(ch_site *site, const cli_args *a)
{
	ch_actor who;
	char *pass = NULL;
	size_t n = 0;
	int error;

	memset(&who, 0, sizeof(who));
	who.actor = cli_get(a, "as");
	who.door = "command line";
	if (who.actor &&
	    (error = cli_passphrase(&pass, cli_get(a, "passphrase-file"), who.actor, 0)) < 0)
		return error;
	who.passphrase = pass;
	error = ch_access_seal(site, who.actor ? &who : NULL, &n);
	if (!error)
		printf("%zu days newly sealed%s\n", n, who.actor ? "; countersigned" : "");
	ch_free_secret(pass);
	return error;
}

static int show(ch_site *site, const char *doc)
{
	json_t *rec = NULL;
	size_t i;
	int error;

	if (!ch_valid_doc_id(doc))
		return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid document id", doc);
	if ((error = ch_access_history(&rec, site, doc, (size_t)-1)) < 0)
		return error;
	for (i = 0; i < json_array_size(rec); i++) {
		json_t *o = json_array_get(rec, i);

		printf("%s %s %s\n", json_string_value(json_object_get(o, "at")),
		       json_string_value(json_object_get(o, "person")),
		       json_string_value(json_object_get(o, "what")));
	}
	json_decref(rec);
	return 0;
}

int cmd_access(int argc, char **argv)
{
	static const char *const opts[] = { "as", "passphrase-file", NULL };
	ch_site *site = NULL;
	const char *sub;
	cli_args a;
	int error;

	if ((error = cli_parse(&a, argc, argv, opts, NULL)) < 0) {
		cli_args_dispose(&a);
		return cli_fail(error);
	}
	sub = a.pos.n ? a.pos.v[0] : "";
	if (!((!strcmp(sub, "verify") && a.pos.n == 2) || (!strcmp(sub, "seal") && a.pos.n == 2) ||
	      (!strcmp(sub, "show") && a.pos.n == 3))) {
		cli_args_dispose(&a);
		return cli_usage(access_usage);
	}
	if ((error = ch_site_open(&site, a.pos.v[1])) == 0) {
		if (!strcmp(sub, "verify"))
			error = verify(site);
		else if (!strcmp(sub, "seal"))
			error = seal(site, &a);
		else
			error = show(site, a.pos.v[2]);
	}
	ch_site_free(site);
	cli_args_dispose(&a);
	if (error == CH_EINVALID && !strcmp(sub, "verify")) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		return CLI_REFUSED;
	}
	return error < 0 ? cli_fail(error) : CLI_OK;
}
