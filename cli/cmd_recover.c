/* cmd_recover.c -- `chancery recover SITE [--wait SECONDS]`: after a crash,
 * remove what a killed writer left (stale ref locks, temporary objects and
 * files: workflows/store/recover.h), naming each, then check the repository:
 * every ref names a readable commit, and `chancery verify` holds.
 * Exit 0 clean, 1 findings, 2 usage or I/O, 3 a write is in progress
 * (nothing removed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "workflows/sitelog.h"
#include "workflows/store/recover.h"
#include "workflows/site.h"
#include "workflows/verify/verify.h"
#include "util/common.h"

static const char recover_usage[] =
	"usage: chancery recover SITE [--wait SECONDS]\n";

/* Every ref under refs/ peels to a commit whose object reads back. */
static size_t check_refs(git_repository *repo)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	size_t bad = 0;

	if (git_reference_iterator_new(&it, repo) < 0) {
		printf("recover: cannot list the refs: %s\n", git_error_last()->message);
		return 1;
	}
	while (git_reference_next(&ref, it) == 0) {
		git_object *obj = NULL;

		if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0) {
			printf("recover: %s does not name a readable commit: %s\n",
			       git_reference_name(ref), git_error_last()->message);
			bad++;
		}
		git_object_free(obj);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return bad;
}

int cmd_recover(int argc, char **argv)
{
	static const char *const opts[] = { "wait", NULL };
	static const char *const flags[] = { NULL };
	ch_recover_result res;
	ch_verify_opts vo;
	ch_report report;
	ch_buf text = CH_BUF_INIT;
	ch_site *site = NULL;
	const char *w;
	cli_args a;
	size_t i, bad;
	int begun = 0;
	long wait_s = 0;
	int error, rc = CLI_USAGE;

	memset(&res, 0, sizeof(res));
	memset(&report, 0, sizeof(report));
	if ((error = cli_parse(&a, argc, argv, opts, flags)) < 0 || a.pos.n != 1) {
		if (error < 0)
			fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_usage(recover_usage);
		goto done;
	}
	if ((w = cli_get(&a, "wait"))) {
		char *end;

		wait_s = strtol(w, &end, 10);
		if (*end || wait_s < 0 || wait_s > 3600) {
			fprintf(stderr, "chancery: --wait takes 0 to 3600 seconds\n");
			goto done;
		}
	}
	if ((error = ch_site_open(&site, a.pos.v[0])) < 0) {
		rc = cli_fail(error);
		goto done;
	}
	if ((error = ch_recover(&res, site, (int)wait_s * 1000)) < 0) {
		rc = cli_fail(error);
		goto done;
	}
	for (i = 0; i < res.removed.n; i++)
		printf("recover: removed %s\n", res.removed.v[i]);
	for (i = 0; i < res.kept.n; i++)
		printf("recover: kept %s (its process still runs)\n", res.kept.v[i]);
	if (!res.removed.n)
		printf("recover: nothing left behind by a dead writer\n");
	/* the site log's first entry, if it has none yet (sitelog.h) */
	if ((error = ch_log_begin(site, &begun)) < 0) {
		rc = cli_fail(error);
		goto done;
	}
	if (begun)
		printf("recover: the site log begins, with every head the site holds\n");
	/* the check, read-only, without the lock: writers may go on */
	bad = check_refs(site->repo);
	memset(&vo, 0, sizeof(vo));
	if ((error = ch_verify(&report, site->repo, &vo)) < 0) {
		rc = cli_fail(error);
		goto done;
	}
	ch_report_text(&text, &report);
	fwrite(text.ptr, 1, text.size, stdout);
	rc = bad || report.nfindings ? CLI_REFUSED : CLI_OK;
done:
	ch_buf_dispose(&text);
	ch_report_dispose(&report);
	ch_recover_result_dispose(&res);
	ch_site_free(site);
	cli_args_dispose(&a);
	return rc;
}
