/* gen_site.c -- the verification benchmark's site, made with the library
 * itself (workflows/admin.h, workflows/doc.h), as the command line or the
 * server would make it: every step a commit signed through gpg-agent with
 * the acting person's own Ed25519 key.
 *
 *   gen_site init DIR                  the site and its seven people
 *   gen_site docs DIR FIRST STRIDE N   documents FIRST, FIRST+STRIDE, ... < N
 *   (GEN_SITE_STEPS=1: only the create, for the advertisement's benchmark;
 *    GEN_SITE_STEPS=2: only create and submit, for the server's benchmark;
 *    GEN_SITE_STEPS=3: create, submit and the head's approval, for the sync
 *    benchmark; GEN_SITE_TO=site,site,...: the documents' recipients)
 *   gen_site comments DIR FIRST STRIDE N K   K more signed comment steps on
 *                                      each of those documents (the sync
 *                                      benchmark's new steps)
 *
 * Each document takes 20 signed steps through the công văn workflow:
 * create, submit, the head's approval, 13 comments by the officials
 * involved, two deputies' approvals (the quorum), signature, publication.
 * Several `docs` processes may run at once on one site (one per core):
 * each document is its own ref. fsync is off: this is a fixture, not a
 * record anyone relies on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/admin.h"
#include "workflows/doc.h"
#include "workflows/site.h"
#include "util/fs.h"
#include "util/common.h"

#define STEPS_PER_DOC 20

static const struct {
	const char *id, *role;
} people[] = {
	{ "nguyen.van.a", "drafter" }, { "tran.thi.b", "head" }, { "le.van.c", "deputy" },
	{ "pham.thi.d", "deputy" }, { "vu.van.f", "minister" }, { "do.thi.g", "clerk" },
};

static const char text[] =
	"Thực hiện Nghị quyết số 292/NQ-CP ngày 23 tháng 9 năm 2025 của Chính phủ, Bộ Ngoại "
	"giao đề nghị các cơ quan đại diện rà soát quy trình xử lý văn bản trên môi trường "
	"điện tử, bảo đảm mọi bước phê duyệt được ký số bằng khóa của người có thẩm quyền.\n";

static void passphrase(char *out, size_t size, const char *id)
{
	snprintf(out, size, "bench-passphrase-%s", id);
}

static int fail(const char *what)
{
	fprintf(stderr, "gen_site: %s: %s\n", what, ch_error_last());
	return 1;
}

static int init_site(const char *dir)
{
	ch_strv admin_roles = CH_STRV_INIT;
	ch_person_new admin, p;
	ch_site *site = NULL;
	char pass[128], newpass[128];
	ch_actor who;
	size_t i;
	int error;

	ch_strv_push(&admin_roles, "policy-admin");
	memset(&admin, 0, sizeof(admin));
	admin.id = "admin.a";
	admin.name = "Quản Trị A";
	admin.unit = "hq/admin";
	admin.roles = &admin_roles;
	passphrase(pass, sizeof(pass), admin.id);
	admin.passphrase = pass;
	if ((error = ch_admin_init(&site, dir, "hq", "networked", &admin)) < 0)
		goto done;
	memset(&who, 0, sizeof(who));
	who.actor = admin.id;
	who.passphrase = pass;
	for (i = 0; i < CH_ARRAY_SIZE(people) && !error; i++) {
		ch_strv roles = CH_STRV_INIT;

		ch_strv_push(&roles, people[i].role);
		memset(&p, 0, sizeof(p));
		p.id = people[i].id;
		p.name = people[i].id;
		p.unit = "hq/legal";
		p.roles = &roles;
		passphrase(newpass, sizeof(newpass), p.id);
		p.passphrase = newpass;
		error = ch_admin_person_add(site, &who, &p);
		ch_strv_free(&roles);
	}
done:
	ch_strv_free(&admin_roles);
	ch_site_free(site);
	return error < 0 ? fail("init") : 0;
}

static int step(ch_site *site, const char *id, const char *action, const char *actor,
                const char *comment)
{
	char pass[128];
	ch_actor who;
	git_oid out;

	memset(&who, 0, sizeof(who));
	passphrase(pass, sizeof(pass), actor);
	who.actor = actor;
	who.passphrase = pass;
	who.comment = comment;
	return ch_doc_act(&out, site, id, action, &who);
}

static int steps_per_doc(void)
{
	const char *v = getenv("GEN_SITE_STEPS");

	return v && atoi(v) >= 1 && atoi(v) <= 3 ? atoi(v) : STEPS_PER_DOC;
}

static const char *const commenters[] = { "nguyen.van.a", "tran.thi.b", "le.van.c",
                                          "pham.thi.d", "vu.van.f", "do.thi.g" };

/* GEN_SITE_ATTACH's bytes, read once per process. */
static ch_buf attach_data = CH_BUF_INIT;
static const char *attach_ext;

static int load_attachment(void)
{
	const char *file = getenv("GEN_SITE_ATTACH");

	if (!file || !*file)
		return 0;
	attach_ext = strrchr(file, '.') ? strrchr(file, '.') + 1 : "bin";
	return ch_fs_read(&attach_data, file, 16u * 1024 * 1024);
}

static int make_doc(ch_site *site, unsigned n)
{
	ch_strv to = CH_STRV_INIT;
	const char *to_env = getenv("GEN_SITE_TO");
	ch_buf id = CH_BUF_INIT, title = CH_BUF_INIT, body = CH_BUF_INIT, comment = CH_BUF_INIT;
	ch_doc_new req;
	ch_actor who;
	ch_attachment att;
	ch_attach_req areq;
	char pass[128], docid[32], aname[64];
	int i, error;

	snprintf(docid, sizeof(docid), "bench-%05u", n);
	ch_buf_printf(&title, "Công văn thử nghiệm số %u", n);
	ch_buf_printf(&body, "# Công văn số %u\n\n%s", n, text);
	memset(&req, 0, sizeof(req));
	req.id = docid;
	req.title = title.ptr;
	req.type = "cong-van";
	req.text = body.ptr;
	req.text_len = body.size;
	if (attach_data.size && n % 2 == 0) {
		snprintf(aname, sizeof(aname), "phu-luc-%u.%s", n, attach_ext);
		att.name = aname;
		att.data = attach_data.ptr;
		att.len = attach_data.size;
		memset(&areq, 0, sizeof(areq));
		areq.add = &att;
		areq.nadd = 1;
		req.attach = &areq;
	}
	if (to_env && *to_env) {
		const char *p = to_env, *comma;

		for (; p; p = comma ? comma + 1 : NULL) {
			char one[128];
			size_t len;

			comma = strchr(p, ',');
			len = comma ? (size_t)(comma - p) : strlen(p);
			if (len == 0 || len >= sizeof(one))
				continue;
			memcpy(one, p, len);
			one[len] = '\0';
			ch_strv_push(&to, one);
		}
		req.recipients = &to;
	}
	memset(&who, 0, sizeof(who));
	passphrase(pass, sizeof(pass), "nguyen.van.a");
	who.actor = "nguyen.van.a";
	who.passphrase = pass;
	if ((error = ch_doc_create(&id, site, &req, &who)) < 0 || steps_per_doc() == 1 ||
	    (error = step(site, docid, "submit", "nguyen.van.a", NULL)) < 0)
		goto done;
	/* GEN_SITE_STEPS=2: documents left awaiting the head (the server's
	 * benchmark wants many documents, not long chains). */
	if (steps_per_doc() <= 2)
		goto done;
	if ((error = step(site, docid, "approve", "tran.thi.b", "Đồng ý.")) < 0 ||
	    steps_per_doc() == 3)
		goto done;
	for (i = 0; i < STEPS_PER_DOC - 7 && !error; i++) {
		ch_buf_clear(&comment);
		ch_buf_printf(&comment, "Ý kiến %d về công văn %u.", i + 1, n);
		error = step(site, docid, "comment", commenters[i % CH_ARRAY_SIZE(commenters)],
		             comment.ptr);
	}
	if (error < 0 || (error = step(site, docid, "approve", "le.van.c", NULL)) < 0 ||
	    (error = step(site, docid, "approve", "pham.thi.d", NULL)) < 0 ||
	    (error = step(site, docid, "sign", "vu.van.f", NULL)) < 0)
		goto done;
	error = step(site, docid, "publish", "do.thi.g", NULL);
done:
	ch_buf_dispose(&id);
	ch_buf_dispose(&title);
	ch_buf_dispose(&body);
	ch_buf_dispose(&comment);
	ch_strv_free(&to);
	return error;
}

/* K comment steps on document n (after its head's approval). */
static int comment_doc(ch_site *site, unsigned n, unsigned k)
{
	ch_buf comment = CH_BUF_INIT;
	char docid[32];
	unsigned i;
	int error = 0;

	snprintf(docid, sizeof(docid), "bench-%05u", n);
	for (i = 0; i < k && !error; i++) {
		ch_buf_clear(&comment);
		ch_buf_printf(&comment, "Ý kiến bổ sung %u về công văn %u.", i + 1, n);
		error = step(site, docid, "comment", commenters[(n + i) % CH_ARRAY_SIZE(commenters)],
		             comment.ptr);
	}
	ch_buf_dispose(&comment);
	return error;
}

static int comment_docs(const char *dir, unsigned first, unsigned stride, unsigned n,
                        unsigned k)
{
	ch_site *site = NULL;
	unsigned i;
	int error;

	if ((error = ch_site_open(&site, dir)) < 0)
		return fail("open");
	for (i = first; i < n && !error; i += stride)
		error = comment_doc(site, i, k);
	ch_site_free(site);
	return error < 0 ? fail("comment") : 0;
}

static int make_docs(const char *dir, unsigned first, unsigned stride, unsigned n)
{
	ch_site *site = NULL;
	unsigned i, made = 0;
	int error;

	if (load_attachment() < 0)
		return fail("GEN_SITE_ATTACH");
	if ((error = ch_site_open(&site, dir)) < 0)
		return fail("open");
	for (i = first; i < n && !error; i += stride) {
		error = make_doc(site, i);
		if (!error && ++made % 100 == 0)
			fprintf(stderr, "gen_site: %u documents by this process\n", made);
	}
	ch_site_free(site);
	return error < 0 ? fail("document") : 0;
}

int main(int argc, char **argv)
{
	if (ch_lib_init() < 0)
		return fail("init");
	/* A fixture: no need to wait for the disk at every step. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	if (argc == 3 && !strcmp(argv[1], "init"))
		return init_site(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "docs") && atoi(argv[4]) > 0)
		return make_docs(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]),
		                 (unsigned)atoi(argv[5]));
	if (argc == 7 && !strcmp(argv[1], "comments") && atoi(argv[4]) > 0 && atoi(argv[6]) > 0)
		return comment_docs(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]),
		                    (unsigned)atoi(argv[5]), (unsigned)atoi(argv[6]));
	fprintf(stderr, "usage: gen_site init DIR | gen_site docs DIR FIRST STRIDE N | "
	        "gen_site comments DIR FIRST STRIDE N K\n");
	return 2;
}
