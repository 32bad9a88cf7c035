/* cmd_bundle.c -- `chancery bundle create|apply`: sync by file when the
 * link is down (docs/sync.md "Bundles"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "workflows/sync/bundle.h"
#include "util/fs.h"
#include "util/common.h"

static const char bundle_usage[] =
	"usage: chancery bundle create SITE --for PEER --as ID [--passphrase-file F] -o FILE\n"
	"                              [--since-checkpoint CHECKPOINT.json]\n"
	"       chancery bundle apply SITE FILE [--as ID] [--passphrase-file F]\n"
	"create: one file with the refs and objects PEER may see (the same need to know as a\n"
	"  fetch), signed by ID (an official of this site) and encrypted to PEER's people.\n"
	"  --since-checkpoint: leave out what PEER holds, as its `chancery verify --checkpoint`\n"
	"  file says (an incremental bundle; PEER must hold those commits to apply it).\n"
	"apply: decrypt with a key of this site (ID's passphrase), check the sender's signature\n"
	"  against the current policy, and receive it through the quarantine; prints one line\n"
	"  a ref. Applying a bundle twice changes nothing the second time.\n"
	"Exit: 0 every ref accepted or already here, 1 refused (some or all), 3 a conflict kept\n"
	"aside under refs/conflicts/.\n";

static int run_create(const cli_args *a)
{
	ch_buf out = CH_BUF_INIT;
	ch_site *site = NULL;
	char *pass = NULL;
	ch_actor who;
	const char *peer = cli_get(a, "for"), *file = cli_get(a, "out");
	const char *since = cli_get(a, "since-checkpoint");
	git_oid *have = NULL;
	size_t nrefs = 0, nhave = 0;
	int error;

	memset(&who, 0, sizeof(who));
	who.actor = cli_get(a, "as");
	who.door = "bundle";
	if (!peer || !file || !who.actor)
		return ch_error_setc(CH_EINVALID, "bundle create needs --for PEER, --as ID and -o FILE");
	if ((since && (error = ch_bundle_read_checkpoint(&have, &nhave, since)) < 0) ||
	    (error = ch_site_open(&site, a->pos.v[1])) < 0 ||
	    (error = cli_passphrase(&pass, cli_get(a, "passphrase-file"), who.actor, 0)) < 0)
		goto done;
	who.passphrase = pass;
	if ((error = ch_bundle_create(&out, &nrefs, site, peer, &who, have, nhave)) < 0 ||
	    (error = ch_fs_write_atomic(file, out.ptr, out.size, 0600)) < 0)
		goto done;
	printf("bundle for %s: %zu refs, %zu bytes, signed by %s, written to %s%s\n", peer, nrefs,
	       out.size, who.actor, file, since ? " (incremental: since the checkpoint)" : "");
done:
	free(have);
	ch_free_secret(pass);
	ch_buf_dispose(&out);
	ch_site_free(site);
	return error;
}

static int run_apply(const cli_args *a, int *exit_code)
{
	ch_buf in = CH_BUF_INIT;
	ch_qresult *r = NULL;
	ch_site *site = NULL;
	char *pass = NULL, from[128] = "";
	const char *who = cli_get(a, "as");
	size_t i, n = 0;
	int error, refused = 0, conflict = 0, incomplete = 0;

	if ((error = ch_site_open(&site, a->pos.v[1])) < 0 ||
	    (error = ch_fs_read(&in, a->pos.v[2], CH_BUNDLE_MAX_FILE)) < 0 ||
	    (error = cli_passphrase(&pass, cli_get(a, "passphrase-file"),
	                            who ? who : "the recipient", 0)) < 0 ||
	    (error = ch_bundle_apply(&r, &n, from, site, in.ptr, in.size, pass)) < 0)
		goto done;
	printf("bundle from %s: %zu refs\n", from, n);
	for (i = 0; i < n; i++) {
		printf("%s %s %s", ch_qstatus_name(r[i].status), r[i].ref, r[i].commit);
		if (r[i].status == CH_Q_REFUSED)
			printf(" rule %s: %s", r[i].rule, r[i].message);
		else if (r[i].status == CH_Q_CONFLICT || !strcmp(r[i].ref, CH_SPILLS_REF))
			printf(": %s", r[i].message);
		printf("\n");
		refused |= r[i].status == CH_Q_REFUSED;
		/* what a site lacking an incremental bundle's base gets */
		incomplete |= r[i].status == CH_Q_REFUSED &&
		              (!strcmp(r[i].rule, "REF") || !strcmp(r[i].rule, "D8") ||
		               !strcmp(r[i].rule, "P6"));
		conflict |= r[i].status == CH_Q_CONFLICT;
	}
	if (incomplete)
		fprintf(stderr, "chancery: if this bundle was made with --since-checkpoint, this "
		        "site may lack the commits it builds on: ask for a full one\n");
	*exit_code = refused ? CLI_REFUSED : conflict ? CLI_CONFLICT : CLI_OK;
done:
	ch_qresults_free(r, n);
	ch_free_secret(pass);
	ch_buf_dispose(&in);
	ch_site_free(site);
	return error;
}

int cmd_bundle(int argc, char **argv)
{
	static const char *const opts[] = { "for", "as", "passphrase-file", "out", "since-checkpoint",
	                                    NULL };
	static const char *const apply_opts[] = { "as", "passphrase-file", NULL };
	char **args = ch_calloc((size_t)argc + 1, sizeof(*args));
	cli_args a;
	int i, error, code = CLI_OK;

	/* -o FILE is --out FILE */
	for (i = 0; i < argc; i++)
		args[i] = strcmp(argv[i], "-o") ? argv[i] : (char *)"--out";
	error = cli_parse(&a, argc, args, opts, NULL);
	free(args);
	if (error == 0 && a.pos.n && !strcmp(a.pos.v[0], "apply"))
		error = cli_only(&a, apply_opts);
	if (error < 0)
		return cli_bad_args(&a);
	if (a.pos.n >= 2 && !strcmp(a.pos.v[0], "create") && a.pos.n == 2)
		error = run_create(&a);
	else if (a.pos.n == 3 && !strcmp(a.pos.v[0], "apply"))
		error = run_apply(&a, &code);
	else {
		cli_args_dispose(&a);
		return cli_usage(bundle_usage);
	}
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : code;
}
