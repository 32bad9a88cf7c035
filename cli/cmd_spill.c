/* cmd_spill.c -- `chancery spill`: withdraw a spilled document from every
 * network path and purge its objects (SECURITY.md "Spillage"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "workflows/classify/spill.h"
#include "util/common.h"

static const char spill_usage[] =
	"usage: chancery spill SITE DOC --as SECURITY-OFFICER [--reason TEXT]\n"
	"                      [--passphrase-file FILE]\n"
	"Records the spill (a commit on refs/chancery/spills signed by the officer: from then\n"
	"on every page and answer of the server shows only a tombstone), deletes refs/docs/DOC,\n"
	"removes every object of its chain that no other ref holds, and prints the sites that\n"
	"received it. Run it again to finish a purge that was interrupted.\n";

/* Record the spill unless the list already names the document (a purge
 * interrupted earlier); the recipients come from the record or meta.json. */
static int ensure_recorded(ch_strv *recipients, ch_site *site, const ch_actor *officer,
                           const char *doc, const char *reason)
{
	ch_spill_list list;
	const ch_spill *s;
	size_t i;
	int error;

	if ((error = ch_spill_list_load(&list, site->repo)) < 0)
		return error;
	if ((s = ch_spill_find(&list, doc))) {
		for (i = 0; i < s->recipients.n; i++)
			ch_strv_push(recipients, s->recipients.v[i]);
		printf("%s is already in the spill list (by %s, %s): finishing the purge\n", doc,
		       s->by, s->at);
	} else if ((error = ch_spill_doc_recipients(recipients, site, doc)) == 0 &&
	           (error = ch_spill_record(site, officer, doc, reason, recipients)) == 0) {
		printf("recorded the spill of %s in %s: the server now shows only a tombstone\n", doc,
		       CH_SPILLS_REF);
	}
	ch_spill_list_dispose(&list);
	return error;
}

static void print_result(const char *doc, const ch_purge_result *r, const ch_strv *recipients)
{
	size_t i;

	printf("purged %s: %zu objects of its chain removed, %zu kept (identical objects that "
	       "other documents hold), %zu left\n", doc, r->unique, r->shared, r->remaining);
	if (!recipients->n)
		printf("no other site received it\n");
	else
		printf("sites that received it and must purge it (SECURITY.md \"Spillage\"):\n");
	for (i = 0; i < recipients->n; i++)
		printf("recipient: %s\n", recipients->v[i]);
}

static int run_spill(const cli_args *a)
{
	ch_strv recipients = CH_STRV_INIT;
	ch_purge_result res;
	ch_site *site = NULL;
	char *pass = NULL;
	ch_actor who;
	const char *doc = a->pos.v[1];
	int error;

	memset(&who, 0, sizeof(who));
	who.actor = cli_get(a, "as");
	who.door = "command line";
	if (!who.actor)
		return ch_error_setc(CH_EINVALID, "--as ID is required: the security-officer who "
		                     "records the spill");
	if ((error = ch_site_open(&site, a->pos.v[0])) < 0 ||
	    (error = cli_passphrase(&pass, cli_get(a, "passphrase-file"), who.actor, 0)) < 0)
		goto done;
	who.passphrase = pass;
	if ((error = ensure_recorded(&recipients, site, &who, doc, cli_get(a, "reason"))) < 0)
		goto done;
	error = ch_spill_purge(&res, site, doc);
	print_result(doc, &res, &recipients);
done:
	ch_free_secret(pass);
	ch_strv_free(&recipients);
	ch_site_free(site);
	return error;
}

int cmd_spill(int argc, char **argv)
{
	static const char *const opts[] = { "as", "reason", "passphrase-file", NULL };
	cli_args a;
	int error;

	if ((error = cli_parse(&a, argc, argv, opts, NULL)) < 0)
		return cli_bad_args(&a);
	if (a.pos.n != 2) {
		cli_args_dispose(&a);
		return cli_usage(spill_usage);
	}
	error = run_spill(&a);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}
