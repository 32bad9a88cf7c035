/* cmd_verify.c -- `chancery verify REPO`: exit 0 all holds, 1 findings,
 * 2 usage or I/O. REPO is a bare repository or a site directory. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "workflows/site.h"
#include "workflows/verify.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

static int open_repo(git_repository **out, const char *path)
{
	ch_buf sub = CH_BUF_INIT;
	int rc;

	ch_buf_printf(&sub, "%s/repo.git", path);
	rc = git_repository_open_bare(out, ch_fs_exists(sub.ptr) ? sub.ptr : path);
	ch_buf_dispose(&sub);
	if (rc < 0)
		return ch_error_setc(CH_EIO, "%s: not a repository: %s", path,
		                     git_error_last()->message);
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const char *const opts[] = { "introduction", "introducer", "doc", "checkpoint",
	                                    NULL };
	static const char *const flags[] = { "json", NULL };
	git_repository *repo = NULL;
	ch_strv docs = CH_STRV_INIT;
	ch_buf out = CH_BUF_INIT;
	ch_verify_opts vo;
	ch_report report;
	cli_args a;
	int error, rc = CLI_USAGE;

	memset(&report, 0, sizeof(report));
	if ((error = cli_parse(&a, argc, argv, opts, flags)) < 0 || a.pos.n != 1) {
		if (error < 0)
			fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_usage("usage: chancery verify REPO [--introduction COMMIT --introducer FPR] "
		          "[--doc ID ...] [--json] [--checkpoint FILE]\n");
		goto done;
	}
	memset(&vo, 0, sizeof(vo));
	vo.introduction = cli_get(&a, "introduction");
	vo.introducer = cli_get(&a, "introducer");
	vo.checkpoint = cli_get(&a, "checkpoint");
	cli_get_all(&docs, &a, "doc");
	vo.docs = docs.n ? &docs : NULL;
	if ((vo.introduction && !ch_valid_oid_hex(vo.introduction)) ||
	    (vo.introducer && !ch_valid_fpr(vo.introducer))) {
		fprintf(stderr, "chancery: --introduction takes a 40-hex commit id, --introducer a "
		        "40-hex upper-case fingerprint\n");
		goto done;
	}
	if ((error = ch_lib_init()) < 0 || (error = open_repo(&repo, a.pos.v[0])) < 0 ||
	    (error = ch_verify(&report, repo, &vo)) < 0) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		goto done;
	}
	if (cli_get(&a, "json"))
		ch_report_json(&out, &report);
	else
		ch_report_text(&out, &report);
	fwrite(out.ptr, 1, out.size, stdout);
	rc = report.nfindings ? CLI_REFUSED : CLI_OK;
done:
	ch_report_dispose(&report);
	ch_buf_dispose(&out);
	ch_strv_free(&docs);
	git_repository_free(repo);
	cli_args_dispose(&a);
	return rc;
}
