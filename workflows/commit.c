/* commit.c -- one signed commit, its ref moved by compare-and-swap. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "journal.h"
#include "util/common.h"

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return ch_error_setc(code, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

/* Test hook: with CHANCERY_FAILPOINT_CRASH=after-object the process kills
 * itself once the commit is written and before the ref moves (the ref's
 * lock is then left behind, as by any crash at that moment). The engine's
 * client waits on CHANCERY_FAILPOINT_WAIT in cli/engine_wire.c. */
static void failpoint_crash(const char *where)
{
	const char *at = getenv("CHANCERY_FAILPOINT_CRASH");

	if (at && !strcmp(at, where))
		raise(SIGKILL);
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

/* Failpoints for the tests: wait (at most 30 s) until FILE exists.
 * CHANCERY_FAILPOINT_WAIT=FILE: before taking the lock, so that several
 * processes that read the same head race for the ref at once.
 * CHANCERY_FAILPOINT_HOLD=FILE: with the ref locked (and the site's write
 * lock held), a writer caught mid-write (tests/integration/test_recover.sh). */
static void failpoint_wait(const char *env)
{
	const char *file = getenv(env);
	int i;

	for (i = 0; file && i < 3000 && access(file, F_OK) != 0; i++)
		usleep(10000);
}

/* The signed commit as git lays it out (and libgit2's
 * git_commit_create_with_signature): the signature as a "gpgsig" header
 * after the last header line, its line breaks continued by a space. */
static void build_signed(ch_buf *out, const ch_buf *text, const ch_buf *sig)
{
	const char *end = strstr(text->ptr, "\n\n"), *p;

	ch_buf_put(out, text->ptr, (size_t)(end - text->ptr) + 1);
	ch_buf_puts(out, "gpgsig ");
	for (p = sig->ptr; *p; p++) {
		ch_buf_putc(out, *p);
		if (*p == '\n')
			ch_buf_putc(out, ' ');
	}
	ch_buf_putc(out, '\n');
	ch_buf_puts(out, end + 1);
}

int ch_commit_signed(git_oid *out, ch_site *site, const ch_commit_req *req)
{
	ch_buf text = CH_BUF_INIT, sig = CH_BUF_INIT, commit = CH_BUF_INIT;
	ch_objlist objs = { NULL, 0, 0 };
	ch_keystore *ks = NULL;
	const char *gitdir = git_repository_path(site->repo);
	git_oid tree;
	size_t i;
	int lock_fd = -1, in_journal = 0, appended = 0, error;

	if (!site->sign && (error = ch_site_keystore(&ks, site)) < 0)
		return error;
	failpoint_wait("CHANCERY_FAILPOINT_WAIT");
	/* held shared until the ref lock is gone: `chancery recover` then knows
	 * a <ref>.lock or temporary object it finds is a dead writer's */
	if ((error = ch_site_write_lock(site)) < 0)
		return error;
	/* git's own lock: stock git and libgit2 respect <ref>.lock too */
	if ((error = ch_ref_lock(&lock_fd, site, req->ref)) < 0)
		goto done;
	failpoint_wait("CHANCERY_FAILPOINT_HOLD");
	if ((error = check_head(site->repo, req)) < 0)
		goto done;
	if (req->files)
		error = ch_fileset_tree_id(&tree, site->repo, req->files, NULL);
	else if (req->expected)
		error = parent_tree(&tree, site->repo, req->expected);
	else
		error = ch_error_setc(CH_EINVALID, "a first commit needs files");
	if (error < 0)
		goto done;
	build_text(&text, &tree, req->expected, req, (long long)time(NULL));
	error = site->sign ? site->sign(&sig, req->signer, req->key, req->passphrase, text.ptr,
	                                text.size, site->sign_ctx) :
	                    ch_keystore_sign(&sig, ks, req->key, req->passphrase, text.ptr, text.size);
	if (error < 0) {
		if (error == CH_EAUTH)
			ch_error_setc(CH_EAUTH, "wrong signing passphrase for %s; nothing was recorded",
			              req->signer);
		goto done;
	}
	/* libgit2 would turn a final "\n" into a line holding one space. */
	while (sig.size && sig.ptr[sig.size - 1] == '\n')
		ch_buf_truncate(&sig, sig.size - 1);
	if (memchr(sig.ptr, '\0', sig.size) || !strstr(text.ptr, "\n\n")) {
		error = ch_error_setc(CH_EIO, "the signer returned a malformed signature");
		goto done;
	}
	/* what the repository lacks: new blobs and trees, and the commit */
	if (req->files && (error = ch_fileset_tree_id(&tree, site->repo, req->files, &objs)) < 0)
		goto done;
	build_signed(&commit, &text, &sig);
	if ((error = ch_objlist_add(&objs, GIT_OBJECT_COMMIT, commit.ptr, commit.size, out)) < 0)
		goto done;
	/* durable in one flush (journal.h), then written as git writes them */
	if ((error = ch_journal_begin(site)) < 0)
		goto done;
	in_journal = 1;
	/* (set before: a record whose flush failed may still be in the file, and
	 * a failed step's record is emptied out below) */
	appended = 1;
	if ((error = ch_journal_append(site, req->ref, req->expected, out, &objs)) < 0)
		goto done;
	for (i = 0; i < objs.n; i++)
		if ((error = ch_loose_write(site, &objs.v[i], 0)) < 0)
			goto done;
	failpoint_crash("after-object");
	error = ch_ref_commit_lock(gitdir, req->ref, lock_fd, out, 0);
	lock_fd = -1;
done:
	if (in_journal)
		ch_journal_end(site);
	if (lock_fd >= 0)
		ch_ref_unlock(gitdir, req->ref, lock_fd);
	ch_site_write_unlock(site);
	/* a step that failed after its record was written must never be
	 * replayed: make the repository durable as it is and empty the journal
	 * (best effort; the error already says what failed) */
	if (error < 0 && appended)
		ch_journal_checkpoint(site, 1);
	else if (!error)
		(void)ch_journal_checkpoint(site, 0); /* the step is done; a later one retries */
	ch_objlist_dispose(&objs);
	ch_buf_dispose(&text);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&commit);
	return error;
}
