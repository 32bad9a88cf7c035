/* cmd_verify.c -- `chancery verify REPO`: exit 0 all holds, 1 findings,
 * 2 usage or I/O. REPO is a bare repository or a site directory. Reads
 * nothing but the repository (and the checkpoint and cache it is given). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "workflows/site.h"
#include "workflows/verify/verify.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

static const char verify_usage[] =
	"usage: chancery verify REPO [--introduction COMMIT --introducer FPR] [--doc ID ...]\n"
	"                       [--json] [--html FILE] [--checkpoint FILE] [--cache DIR]\n";

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

/* Fingerprints are compared upper-case, as people.json writes them. */
static char *upper(const char *s)
{
	char *u = ch_strdup(s), *p;

	for (p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static int write_html(const char *file, const ch_report *r)
{
	ch_buf html = CH_BUF_INIT;
	int error;

	ch_report_html(&html, r);
	error = ch_fs_write_atomic(file, html.ptr, html.size, 0644);
	ch_buf_dispose(&html);
	return error;
}

static int run(const cli_args *a, const ch_verify_opts *vo)
{
	git_repository *repo = NULL;
	ch_buf out = CH_BUF_INIT;
	ch_report report;
	const char *html = cli_get(a, "html");
	int error, rc = CLI_USAGE;

	memset(&report, 0, sizeof(report));
	if ((error = ch_lib_init()) < 0 || (error = open_repo(&repo, a->pos.v[0])) < 0 ||
	    (error = ch_verify(&report, repo, vo)) < 0) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		goto done;
	}
	if (report.cache_note)
		fprintf(stderr, "chancery: verification cache: %s\n", report.cache_note);
	if (cli_get(a, "json"))
		ch_report_json(&out, &report);
	else
		ch_report_text(&out, &report);
	fwrite(out.ptr, 1, out.size, stdout);
	if (html && write_html(html, &report) < 0) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		goto done;
	}
	rc = report.nfindings ? CLI_REFUSED : CLI_OK;
done:
	ch_report_dispose(&report);
	ch_buf_dispose(&out);
	git_repository_free(repo);
	return rc;
}

int cmd_verify(int argc, char **argv)
{
	static const char *const opts[] = { "introduction", "introducer", "doc*", "checkpoint",
	                                    "html", "cache", NULL };
	static const char *const flags[] = { "json", NULL };
	ch_strv docs = CH_STRV_INIT;
	ch_verify_opts vo;
	char *introducer = NULL;
	cli_args a;
	size_t i;
	int error, rc = CLI_USAGE;

	if ((error = cli_parse(&a, argc, argv, opts, flags)) < 0 || a.pos.n != 1) {
		if (error < 0)
			fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_usage(verify_usage);
		goto done;
	}
	memset(&vo, 0, sizeof(vo));
	vo.introduction = cli_get(&a, "introduction");
	if (cli_get(&a, "introducer"))
		vo.introducer = introducer = upper(cli_get(&a, "introducer"));
	vo.checkpoint = cli_get(&a, "checkpoint");
	vo.cache_dir = cli_get(&a, "cache");
	cli_get_all(&docs, &a, "doc");
	vo.docs = docs.n ? &docs : NULL;
	if ((vo.introduction != NULL) != (vo.introducer != NULL) ||
	    (vo.introduction && !ch_valid_oid_hex(vo.introduction)) ||
	    (vo.introducer && !ch_valid_fpr(vo.introducer))) {
		fprintf(stderr, "chancery: the trust anchor is --introduction (a 40-hex commit id) "
		        "with --introducer (the 40-hex fingerprint of its signer), both or neither\n");
		goto done;
	}
	for (i = 0; i < docs.n; i++)
		if (!ch_valid_doc_id(docs.v[i])) {
			fprintf(stderr, "chancery: '%.80s' is not a valid document id\n", docs.v[i]);
			goto done;
		}
	rc = run(&a, &vo);
done:
	free(introducer);
	ch_strv_free(&docs);
	cli_args_dispose(&a);
	return rc;
}
