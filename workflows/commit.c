/* commit.c -- one signed commit, its ref moved by compare-and-swap. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workflows/commit.h"
#include "workflows/sitelog.h"
#include "workflows/classify/spilled.h"
#include "workflows/store/keyguard.h"
#include "util/failpoint.h"
#include "util/common.h"

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return ch_error_setc(code, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

/* Author names are informational; keep them from breaking the header. */
static void put_ident(ch_buf *out, const char *name, const char *email)
{
	const char *p;

	for (p = name; *p; p++)
		if (*p != '<' && *p != '>' && *p != '\n' && *p != '\r')
			ch_buf_putc(out, *p);
	ch_buf_puts(out, " <");
	for (p = email; *p; p++)
		if (*p != '<' && *p != '>' && *p != '\n' && *p != '\r' && *p != ' ')
			ch_buf_putc(out, *p);
	ch_buf_putc(out, '>');
}

static void build_text(ch_buf *out, const git_oid *tree, const git_oid *parent,
                       const ch_commit_req *req, long long when)
{
	char hex[GIT_OID_HEXSZ + 1];
	int i;

	ch_buf_printf(out, "tree %s\n", git_oid_tostr(hex, sizeof(hex), tree));
	if (parent)
		ch_buf_printf(out, "parent %s\n", git_oid_tostr(hex, sizeof(hex), parent));
	for (i = 0; i < 2; i++) {
		ch_buf_puts(out, i ? "committer " : "author ");
		put_ident(out, req->name, req->email);
		ch_buf_printf(out, " %lld +0000\n", when);
	}
	ch_buf_printf(out, "\n%s", req->message);
}

static int parent_tree(git_oid *out, git_repository *repo, const git_oid *parent)
{
	git_commit *c = NULL;

	if (git_commit_lookup(&c, repo, parent) < 0)
		return git_fail(CH_EIO, "cannot read the parent commit");
	git_oid_cpy(out, git_commit_tree_id(c));
	git_commit_free(c);
	return 0;
}

static int check_head(git_repository *repo, const ch_commit_req *req)
{
	git_reference *cur = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int rc = git_reference_lookup(&cur, repo, req->ref), error = 0;

	if (rc == GIT_ENOTFOUND) {
		if (req->expected)
			error = ch_error_setc(CH_ECONFLICT, "%s no longer exists", req->ref);
	} else if (rc < 0) {
		error = git_fail(CH_EIO, "cannot read the ref");
	} else if (!req->expected) {
		error = ch_error_setc(CH_ECONFLICT, "%s already exists", req->ref);
	} else if (!git_reference_target(cur) ||
	           !git_oid_equal(git_reference_target(cur), req->expected)) {
		error = ch_error_setc(CH_ECONFLICT, "%s moved to %s while this step was prepared: "
		                      "someone acted first; nothing was recorded", req->ref,
		                      git_reference_target(cur) ?
		                      git_oid_tostr(hex, sizeof(hex), git_reference_target(cur)) : "?");
	}
	git_reference_free(cur);
	return error;
}

/* What was spilled never comes back (spill.h): the tree and every file of
 * a document's create or revise, whatever door it came through. */
static int check_spilled(ch_site *site, const ch_commit_req *req, const git_oid *tree)
{
	ch_oidset spilled = CH_OIDSET_INIT;
	int error;

	if (!req->files || strncmp(req->ref, "refs/docs/", 10))
		return 0;
	if ((error = ch_spill_objects_load(&spilled, site->repo)) == 0)
		error = ch_spill_check_tree(site, &spilled, tree, req->files, "step", req->signer);
	ch_oidset_dispose(&spilled);
	return error;
}

/* Prepare: the text and the signature's digest. Write: the text prepared
 * must name the tree and parent of now (the head was checked already). */
static int external(ch_buf *text, ch_buf *sig, const git_oid *tree, const ch_commit_req *req)
{
	ch_commit_ext *ext = req->ext;
	ch_buf want = CH_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int error = 0;

	if (ext->prepare) {
		size_t i;

		build_text(text, tree, req->expected, req, (long long)time(NULL));
		ext->ref = ch_strdup(req->ref);
		if ((ext->has_expected = !!req->expected))
			git_oid_cpy(&ext->expected, req->expected);
		for (i = 0; req->files && i < req->files->n; i++)
			ch_fileset_put(&ext->files, req->files->v[i].path, req->files->v[i].data.ptr,
			               req->files->v[i].data.size);
		ext->has_files = !!req->files;
		ch_buf_set(&ext->text, text->ptr, text->size);
		return ch_pgp_sig_begin(&ext->sig, ext->key_fpr, ext->pk_algo, CH_PGP_HASH_SHA256,
		                        (int64_t)time(NULL), text->ptr, text->size);
	}
	ch_buf_printf(&want, "tree %s\n", git_oid_tostr(hex, sizeof(hex), tree));
	if (req->expected)
		ch_buf_printf(&want, "parent %s\n", git_oid_tostr(hex, sizeof(hex), req->expected));
	if (ext->text.size < want.size || memcmp(ext->text.ptr, want.ptr, want.size) ||
	    !strncmp(ext->text.ptr + want.size, "parent ", 7) || !ext->signature)
		error = ch_error_setc(CH_ECONFLICT, "the prepared step no longer fits %s: nothing "
		                      "was recorded", req->ref);
	else {
		ch_buf_set(text, ext->text.ptr, ext->text.size);
		ch_buf_puts(sig, ext->signature);
	}
	ch_buf_dispose(&want);
	return error;
}

int ch_commit_signed(git_oid *out, ch_site *site, const ch_commit_req *req)
{
	ch_buf text = CH_BUF_INIT, sig = CH_BUF_INIT;
	git_transaction *tx = NULL;
	ch_keystore *ks = NULL;
	git_oid tree;
	int rc, error;

	/* the key holder (this process or the signer) opens the GnuPG home */
	if (!site->sign && !req->ext && (error = ch_site_keystore(&ks, site)) < 0)
		return error;
	ch_failpoint_wait("CHANCERY_FAILPOINT_WAIT");
	/* held shared until the ref lock is gone: `chancery recover` then knows
	 * a <ref>.lock or temporary object it finds is a dead writer's */
	if ((error = ch_site_write_lock(site)) < 0)
		return error;
	/* git's own lock, <ref>.lock: stock git and libgit2 respect it too */
	if (git_transaction_new(&tx, site->repo) < 0) {
		error = git_fail(CH_EIO, "cannot start a ref transaction");
		goto done;
	}
	rc = git_transaction_lock_ref(tx, req->ref);
	if (rc == GIT_ELOCKED || rc == GIT_EEXISTS) {
		error = ch_error_setc(CH_ECONFLICT, "%s is locked: another step is being recorded "
		                      "(or a crashed one left %s.lock: `chancery recover SITE` "
		                      "removes it safely); nothing was recorded", req->ref, req->ref);
		goto done;
	} else if (rc < 0) {
		error = git_fail(CH_EIO, "cannot lock the ref");
		goto done;
	}
	ch_failpoint_wait("CHANCERY_FAILPOINT_HOLD");
	if ((error = check_head(site->repo, req)) < 0)
		goto done;
	if (req->files)
		error = ch_fileset_tree_id(&tree, site->repo, req->files, 0);
	else if (req->expected)
		error = parent_tree(&tree, site->repo, req->expected);
	else
		error = ch_error_setc(CH_EINVALID, "a first commit needs files");
	if (error < 0 || (error = check_spilled(site, req, &tree)) < 0)
		goto done;
	if (req->ext) {
		error = external(&text, &sig, &tree, req);
		if (!error && req->ext->prepare)
			memset(out, 0, sizeof(*out));
		if (error < 0 || req->ext->prepare)
			goto done; /* prepared: nothing written */
	} else {
		build_text(&text, &tree, req->expected, req, (long long)time(NULL));
	}
	error = req->ext ? 0 : site->sign ? site->sign(&sig, req->signer, req->key, req->passphrase, text.ptr,
	                                text.size, site->sign_ctx) :
	                    ch_keyguard_sign(&sig, site, req->signer, req->key, req->passphrase,
	                                     text.ptr, text.size);
	if (error < 0) {
		if (error == CH_EAUTH)
			ch_error_setc(CH_EAUTH, "wrong signing passphrase for %s (%d wrong in a row lock "
			              "the key); nothing was recorded", req->signer, CH_KEYGUARD_TRIES);
		goto done;
	}
	/* libgit2 would turn a final "\n" into a line holding one space. */
	while (sig.size && sig.ptr[sig.size - 1] == '\n')
		ch_buf_truncate(&sig, sig.size - 1);
	if (memchr(sig.ptr, '\0', sig.size)) {
		error = ch_error_setc(CH_EIO, "the signer returned a malformed signature");
		goto done;
	}
	/* objects first, each flushed (site.c: GIT_OPT_ENABLE_FSYNC_GITDIR),
	 * then the ref, moved under its lock and flushed likewise */
	if (req->files && (error = ch_fileset_tree_id(&tree, site->repo, req->files, 1)) < 0)
		goto done;
	if (git_commit_create_with_signature(out, site->repo, text.ptr, sig.ptr, NULL) < 0) {
		error = git_fail(CH_EIO, "cannot write the commit");
		goto done;
	}
	ch_failpoint_crash("after-object");
	/* the site log records the update before the ref moves (sitelog.h):
	 * a crash between leaves an entry for a step never shown, which is
	 * harmless; never a head the log does not hold */
	if ((error = ch_log_record(site, req->ref, req->expected, out)) < 0) {
		ch_error_prefix("the site log cannot record the step, so nothing was recorded: ");
		goto done;
	}
	if (git_transaction_set_target(tx, req->ref, out, NULL, NULL) < 0 ||
	    git_transaction_commit(tx) < 0)
		error = git_fail(CH_EIO, "cannot move the ref");
done:
	git_transaction_free(tx); /* (unlocks the ref) */
	ch_site_write_unlock(site);
	ch_buf_dispose(&text);
	ch_buf_dispose(&sig);
	return error;
}

int ch_commit_write_prepared(git_oid *out, ch_site *site, ch_commit_ext *ext,
                             const char *armored)
{
	ch_commit_req req;

	if (!ext->ref || !ext->text.size)
		return ch_error_setc(CH_EINVALID, "nothing was prepared");
	memset(&req, 0, sizeof(req));
	req.ref = ext->ref;
	req.expected = ext->has_expected ? &ext->expected : NULL;
	req.files = ext->has_files ? &ext->files : NULL;
	req.message = "";
	req.name = req.email = req.signer = "";
	req.ext = ext;
	ext->prepare = 0;
	ext->signature = armored;
	return ch_commit_signed(out, site, &req);
}

void ch_commit_ext_init(ch_commit_ext *ext)
{
	memset(ext, 0, sizeof(*ext));
	ch_buf_init(&ext->text);
	ch_buf_init(&ext->sig.hashed);
	ch_buf_init(&ext->sig.unhashed);
}

void ch_commit_ext_dispose(ch_commit_ext *ext)
{
	if (!ext)
		return;
	ch_buf_dispose(&ext->text);
	ch_pgp_sig_dispose(&ext->sig);
	ch_fileset_dispose(&ext->files);
	free(ext->ref);
	ext->ref = NULL;
}
