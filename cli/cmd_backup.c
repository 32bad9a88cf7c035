/* cmd_backup.c -- `chancery backup SITE FILE` and `chancery restore FILE
 * SITE`: a whole site in one file, and back, checked.
 *
 * The file (mode 0600: it holds the GnuPG home, the site's secret keys):
 *
 *   chancery-backup 1\n
 *   sha256 <64 hex digits of the archive>\n
 *   size <bytes of the archive>\n
 *   \n
 *   <a tar archive>: site.json, gnupg/ (no agent sockets), state/ (login
 *   password hashes, enrolment codes, the access log; no lock file),
 *   repo.bundle (`git bundle create --all`), repo.config, repo.HEAD and
 *   refs.txt (every ref and its commit id when the copy was taken)
 *
 * Backup holds the site's write lock EXCLUSIVE (as `chancery recover`
 * does, workflows/site.h) while it copies: no step lands mid-copy; a writer
 * waits for it (CH_WRITE_LOCK_WAIT_MS). Stock git and tar do the copying
 * (util/spawn.h), as join and sync run stock git.
 *
 * Restore goes into a new directory only. It checks the archive's SHA-256
 * before unpacking anything, lists the archive and refuses any member that
 * is not a plain file or directory of the layout above, rebuilds repo.git
 * from the bundle (objects fsck'ed as they arrive), then checks that every
 * ref of refs.txt is there with the same commit id and nothing else is, and
 * runs the verifier (`chancery verify`) over the result; only then is the
 * directory renamed into place. Any failure leaves nothing behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli/backup_format.h"
#include "workflows/site.h"
#include "workflows/sync/transport.h"
#include "workflows/verify/verify.h"
#include "util/fs.h"
#include "util/spawn.h"
#include "util/common.h"

static const char backup_usage[] =
	"usage: chancery backup SITE FILE [--wait SECONDS]\n"
	"       chancery restore FILE SITE   (SITE: a new or empty directory)\n";

/* ---- helpers ---- */

static int run(const char *const *argv, ch_buf *out)
{
	ch_buf err = CH_BUF_INIT;
	int status, error;

	error = ch_spawn_run(&status, argv, NULL, out, &err);
	while (err.size && err.ptr[err.size - 1] == '\n')
		ch_buf_truncate(&err, err.size - 1);
	if (!error && status != 0)
		error = ch_error_setc(CH_EIO, "%s failed (exit %d)%s%.400s", argv[0], status,
		                      err.size ? ": " : "", err.ptr);
	ch_buf_dispose(&err);
	return error;
}

/* Stock git on the repository `git_dir` (owned by another user, perhaps:
 * the site's network user; hence safe.directory). */
static int git(ch_buf *out, const char *git_dir, const char *const *args)
{
	ch_strv env = { 0 }, a = { 0 };
	ch_buf safe = CH_BUF_INIT;
	int error;

	ch_git_env(&env, git_dir, NULL, NULL, NULL, 1);
	ch_buf_printf(&safe, "safe.directory=%s", git_dir);
	ch_strv_push(&a, "-c");
	ch_strv_push(&a, safe.ptr);
	for (; *args; args++)
		ch_strv_push(&a, *args);
	error = ch_git_run(out, &env, 0, &a);
	ch_strv_free(&env);
	ch_strv_free(&a);
	ch_buf_dispose(&safe);
	return error;
}

static int copy_file(const char *from, const char *to)
{
	ch_buf b = CH_BUF_INIT;
	int error;

	if ((error = ch_fs_read(&b, from, 1 << 20)) == 0)
		error = ch_fs_write_atomic(to, b.ptr, b.size, 0600);
	ch_buf_dispose(&b);
	return error;
}

static char *join(const char *dir, const char *name)
{
	ch_buf b = CH_BUF_INIT;

	ch_buf_printf(&b, "%s/%s", dir, name);
	return ch_buf_detach(&b);
}

/* A staging directory beside `path` (same filesystem: renamed at the end). */
static char *stage_beside(const char *path, const char *what)
{
	char *copy = ch_strdup(path), *dir = dirname(copy);
	ch_buf b = CH_BUF_INIT;

	ch_buf_printf(&b, "%s/.chancery-%s.XXXXXX", dir, what);
	free(copy);
	if (!mkdtemp(b.ptr)) {
		ch_error_setc(CH_EIO, "cannot make a staging directory in %s: %s", b.ptr,
		              strerror(errno));
		ch_buf_dispose(&b);
		return NULL;
	}
	return ch_buf_detach(&b);
}

/* The site's write lock, exclusive: no writer mid-step while we copy. */
static int lock_site(int *fd_out, ch_site *site, long wait_ms)
{
	long waited = 0;
	int fd;

	if ((fd = ch_site_write_lock_fd(site)) < 0)
		return fd;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited >= wait_ms)
			return ch_error_setc(CH_ECONFLICT, "a write is in progress (%s/state/write.lock "
			                     "is held): no backup taken; try again or --wait longer",
			                     site->path);
		usleep(10000);
		waited += 10;
	}
	*fd_out = fd;
	return 0;
}

/* ---- backup ---- */

/* The archive of the site, under its lock, into stage/site.tar. */
static int archive_site(ch_site *site, const char *stage, size_t *nrefs)
{
	ch_buf refs = CH_BUF_INIT, tmp = CH_BUF_INIT;
	char *bundle = join(stage, "repo.bundle"), *refs_path = join(stage, "refs.txt"),
	     *cfg = join(stage, "repo.config"), *head = join(stage, "repo.HEAD"),
	     *tar = join(stage, "site.tar"), *rcfg = join(site->repo_path, "config"),
	     *rhead = join(site->repo_path, "HEAD");
	const char *const bundle_args[] = { "bundle", "create", "--quiet", bundle, "--all", NULL };
	const char *const refs_args[] = { "for-each-ref", "--format=%(objectname) %(refname)", NULL };
	const char *const tar_args[] = { "tar", "--create", "--format=posix", "--file", tar,
		"--exclude=S.*", "--exclude=write.lock", "--exclude=.#lk*", "--exclude=*.tmp.*",
		"-C", site->path, "site.json", "gnupg", "state",
		"-C", stage, "repo.bundle", "repo.config", "repo.HEAD", "refs.txt", NULL };
	size_t i;
	int error;

	if ((error = git(&refs, site->repo_path, refs_args)) == 0 &&
	    (error = git(&tmp, site->repo_path, bundle_args)) == 0 &&
	    (error = ch_fs_write_atomic(refs_path, refs.ptr, refs.size, 0600)) == 0 &&
	    (error = copy_file(rcfg, cfg)) == 0 && (error = copy_file(rhead, head)) == 0)
		error = run(tar_args, NULL);
	for (*nrefs = 0, i = 0; i < refs.size; i++)
		*nrefs += refs.ptr[i] == '\n';
	ch_buf_dispose(&refs);
	ch_buf_dispose(&tmp);
	free(bundle), free(refs_path), free(cfg), free(head), free(tar), free(rcfg), free(rhead);
	return error;
}

/* SHA-256 of a file, as hex; its size. */
static int hash_file(char hex[65], off_t *size, const char *path)
{
	unsigned char chunk[65536];
	gcry_md_hd_t md;
	ssize_t n;
	int fd, i;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
	if (gcry_md_open(&md, GCRY_MD_SHA256, 0)) {
		close(fd);
		return ch_error_setc(CH_EIO, "SHA-256 unavailable");
	}
	*size = 0;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		gcry_md_write(md, chunk, (size_t)n);
		*size += n;
	}
	close(fd);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", gcry_md_read(md, GCRY_MD_SHA256)[i]);
	gcry_md_close(md);
	return n < 0 ? ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno)) : 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n) {
		if ((w = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* FILE: the header, then the archive; 0600, written whole or not at all. */
static int write_backup(const char *file, const char *tar)
{
	ch_buf head = CH_BUF_INIT, tmp = CH_BUF_INIT;
	char hex[65], chunk[65536];
	off_t size;
	ssize_t n;
	int in = -1, out = -1, error;

	if ((error = hash_file(hex, &size, tar)) < 0)
		return error;
	ch_buf_printf(&head, CH_BACKUP_MAGIC "sha256 %s\nsize %lld\n\n", hex, (long long)size);
	ch_buf_printf(&tmp, "%s.tmp.%d", file, (int)getpid());
	if ((in = open(tar, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    fchmod(out, 0600) < 0 || write_all(out, head.ptr, head.size) < 0) {
		error = ch_error_setc(CH_EIO, "%s: %s", tmp.ptr, strerror(errno));
		goto done;
	}
	while ((n = read(in, chunk, sizeof(chunk))) > 0)
		if (write_all(out, chunk, (size_t)n) < 0)
			break;
	if (n != 0 || fsync(out) < 0 || close(out) < 0) {
		out = -1;
		error = ch_error_setc(CH_EIO, "%s: %s", tmp.ptr, strerror(errno));
		goto done;
	}
	out = -1;
	if (link(tmp.ptr, file) < 0) /* never over an existing file */
		error = ch_error_setc(CH_EIO, "%s: %s", file, strerror(errno));
	printf("backup: %s (%lld bytes, sha256 %s)\n", file, (long long)size, hex);
done:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	unlink(tmp.ptr);
	ch_buf_dispose(&head);
	ch_buf_dispose(&tmp);
	return error;
}

static long parse_wait(const cli_args *a)
{
	const char *w = cli_get(a, "wait");
	char *end;
	long s;

	if (!w)
		return CH_WRITE_LOCK_WAIT_MS / 1000;
	s = strtol(w, &end, 10);
	return *end || end == w || s < 0 || s > 3600 ? -1 : s;
}

int cmd_backup(int argc, char **argv)
{
	static const char *const opts[] = { "wait", NULL };
	static const char *const flags[] = { NULL };
	ch_site *site = NULL;
	char *stage = NULL, *tar = NULL;
	cli_args a;
	size_t nrefs = 0;
	long wait_s;
	int error, lock_fd = -1, rc = CLI_USAGE;

	if ((error = cli_parse(&a, argc, argv, opts, flags)) < 0 || a.pos.n != 2 ||
	    (wait_s = parse_wait(&a)) < 0) {
		if (error < 0)
			fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_usage(backup_usage);
		goto done;
	}
	if (ch_fs_exists(a.pos.v[1])) {
		ch_error_setc(CH_EINVALID, "%s exists: a backup never overwrites a file",
		              a.pos.v[1]);
		rc = cli_fail(CH_EINVALID);
		goto done;
	}
	if ((error = ch_site_open(&site, a.pos.v[0])) < 0 ||
	    !(stage = stage_beside(a.pos.v[1], "backup")) ||
	    (error = lock_site(&lock_fd, site, wait_s * 1000)) < 0) {
		rc = cli_fail(error < 0 ? error : CH_EIO);
		goto done;
	}
	error = archive_site(site, stage, &nrefs);
	flock(lock_fd, LOCK_UN);
	tar = join(stage, "site.tar");
	if (error < 0 || (error = write_backup(a.pos.v[1], tar)) < 0) {
		rc = cli_fail(error);
		goto done;
	}
	printf("backup: site %s, %zu refs, the GnuPG home and state/; keep the file as you "
	       "keep the keys (mode 0600)\n", site->site_id, nrefs);
	rc = CLI_OK;
done:
	if (stage)
		ch_fs_remove_tree(stage);
	free(stage);
	free(tar);
	ch_site_free(site);
	cli_args_dispose(&a);
	return rc;
}

/* ---- restore ---- */

/* FILE's header, and the archive after it copied to `tar`, checking its
 * size (before copying: the file's own) and SHA-256 against the header's. */
static int read_header(ch_backup_header *h, FILE *f, const char *file)
{
	char head[CH_BACKUP_HEADER_MAX];
	size_t n = fread(head, 1, sizeof(head), f);
	struct stat st;
	int error;

	if ((error = ch_backup_header_parse(h, head, n)) < 0)
		return ch_error_setc(CH_EINVALID, "%s is not a Chancery backup (%s): nothing was "
		                     "restored", file, ch_error_last());
	if (fstat(fileno(f), &st) < 0 || fseek(f, (long)h->length, SEEK_SET) < 0)
		return ch_error_setc(CH_EIO, "%s: %s", file, strerror(errno));
	if ((unsigned long long)st.st_size - h->length != h->size)
		return ch_error_setc(CH_EINVALID, "%s is damaged: its archive is not the size its "
		                     "header records (truncated or extended); nothing was restored",
		                     file);
	return 0;
}

static int unpack_checked(const char *file, const char *tar, unsigned long long *size)
{
	char got[65], chunk[65536];
	ch_backup_header h;
	off_t got_size;
	size_t n;
	FILE *f, *out = NULL;
	int error;

	if (!(f = fopen(file, "rb")))
		return ch_error_setc(CH_EIO, "%s: %s", file, strerror(errno));
	if ((error = read_header(&h, f, file)) == 0 && !(out = fopen(tar, "wbx")))
		error = ch_error_setc(CH_EIO, "%s: %s", tar, strerror(errno));
	while (!error && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (fwrite(chunk, 1, n, out) != n)
			error = ch_error_setc(CH_EIO, "%s: %s", tar, strerror(errno));
	if (out && fclose(out) != 0 && !error)
		error = ch_error_setc(CH_EIO, "%s: %s", tar, strerror(errno));
	fclose(f);
	if (error || (error = hash_file(got, &got_size, tar)) < 0)
		return error;
	if ((unsigned long long)got_size != h.size || strcmp(got, h.sha256))
		return ch_error_setc(CH_EINVALID, "%s is damaged: %s; nothing was restored", file,
		                     (unsigned long long)got_size != h.size ? "its archive is not "
		                     "the size its header records (truncated or extended)" : "its "
		                     "archive's SHA-256 does not match the one its header records");
	*size = h.size;
	return 0;
}

/* Every member of the archive (`size` bytes): a plain file or directory the
 * layout allows, once (ch_backup_listing_check). */
static int check_members(const char *tar, unsigned long long size)
{
	const char *const args[] = { "tar", "--list", "--verbose", "--numeric-owner",
		"--quoting-style=escape", "--file", tar, NULL };
	ch_buf out = CH_BUF_INIT;
	int error;

	if ((error = run(args, &out)) < 0) /* hashed and copied: the archive is bad */
		error = ch_error_setc(CH_EINVALID, "the archive cannot be read (%s): nothing was "
		                      "restored", ch_error_last());
	else
		error = ch_backup_listing_check(out.ptr, out.size, size);
	ch_buf_dispose(&out);
	return error;
}

/* The refs of the restored repository against refs.txt: each difference
 * printed; the count returned. */
static size_t compare_refs(const char *want, const char *got)
{
	ch_buf w = CH_BUF_INIT, g = CH_BUF_INIT;
	char *line, *save = NULL;
	size_t bad = 0;

	ch_buf_puts(&w, want);
	ch_buf_puts(&g, got);
	for (line = strtok_r(w.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *name = strchr(line, ' ');
		char *at;

		if (!name)
			continue;
		if ((at = strstr(g.ptr, line)) && (at == g.ptr || at[-1] == '\n') &&
		    (at[strlen(line)] == '\n' || !at[strlen(line)])) {
			memset(at, '#', strlen(line)); /* seen */
			continue;
		}
		printf("restore: %s is not restored as it was backed up (%.40s)\n", name + 1, line);
		bad++;
	}
	save = NULL;
	for (line = strtok_r(g.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#') {
			printf("restore: %s is restored but was not backed up\n", line);
			bad++;
		}
	ch_buf_dispose(&w);
	ch_buf_dispose(&g);
	return bad;
}

/* repo.git from the bundle, with the backed-up config and HEAD. */
static int rebuild_repo(const char *root)
{
	char *repo = join(root, "repo.git"), *bundle = join(root, "repo.bundle"),
	     *cfg = join(root, "repo.config"), *head = join(root, "repo.HEAD"),
	     *rcfg = join(repo, "config"), *rhead = join(repo, "HEAD");
	const char *const init[] = { "git", "init", "--quiet", "--bare", repo, NULL };
	const char *const fetch[] = { "fetch", "--quiet", "--no-write-fetch-head", bundle,
		"+refs/*:refs/*", NULL };
	ch_buf out = CH_BUF_INIT;
	int error;

	if ((error = run(init, NULL)) == 0 && (error = copy_file(cfg, rcfg)) == 0 &&
	    (error = copy_file(head, rhead)) == 0 && (error = git(&out, repo, fetch)) < 0)
		ch_error_prefix("the repository bundle does not restore: ");
	unlink(bundle), unlink(cfg), unlink(head);
	free(repo), free(bundle), free(cfg), free(head), free(rcfg), free(rhead);
	ch_buf_dispose(&out);
	return error;
}

/* What was restored is what was backed up, and it verifies. */
static int check_restored(const char *root)
{
	const char *const refs_args[] = { "for-each-ref", "--format=%(objectname) %(refname)", NULL };
	char *refs_path = join(root, "refs.txt"), *repo = join(root, "repo.git");
	ch_buf want = CH_BUF_INIT, got = CH_BUF_INIT, text = CH_BUF_INIT;
	ch_verify_opts vo;
	ch_report report;
	ch_site *site = NULL;
	size_t bad;
	int error;

	memset(&report, 0, sizeof(report));
	memset(&vo, 0, sizeof(vo));
	if ((error = ch_fs_read(&want, refs_path, 64u << 20)) < 0 ||
	    (error = git(&got, repo, refs_args)) < 0)
		goto done;
	unlink(refs_path);
	if ((bad = compare_refs(want.ptr, got.ptr)) > 0) {
		error = ch_error_setc(CH_EINVALID, "%zu refs differ from the backup's list: nothing "
		                      "was restored", bad);
		goto done;
	}
	if ((error = ch_site_open(&site, root)) < 0 ||
	    (error = ch_verify(&report, site->repo, &vo)) < 0)
		goto done;
	ch_report_text(&text, &report);
	fwrite(text.ptr, 1, text.size, stdout);
	if (report.nfindings)
		error = ch_error_setc(CH_EINVALID, "the restored repository does not verify (%zu "
		                      "findings): nothing was restored", report.nfindings);
done:
	ch_report_dispose(&report);
	ch_site_free(site);
	ch_buf_dispose(&want);
	ch_buf_dispose(&got);
	ch_buf_dispose(&text);
	free(refs_path);
	free(repo);
	return error;
}

/* The checked archive into `root`, owned by whoever restores (root: the
 * archive's owners are numbers from another machine, or an attacker's
 * choice; chanceryd gives the tree to the site's users at start), its
 * modes without group or world bits, and no extended attribute (no file
 * capability), ACL or SELinux label from the archive. */
static int extract(const char *tar, const char *root)
{
	const char *const untar[] = { "tar", "--extract", "--no-overwrite-dir",
		"--no-same-owner", "--no-same-permissions", "--no-xattrs", "--no-acls",
		"--no-selinux", "--file", tar, "-C", root, NULL };
	mode_t old;
	int error;

	if (mkdir(root, 0750) < 0)
		return ch_error_setc(CH_EIO, "%s: %s", root, strerror(errno));
	old = umask(077);
	error = run(untar, NULL);
	umask(old);
	return error;
}

/* SITE does not exist, or is an empty directory (removed, to be replaced). */
static int target_free(const char *path)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (!(d = opendir(path)))
		return errno == ENOENT ? 0 : ch_error_setc(CH_EINVALID, "%s: %s", path, strerror(errno));
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	if (n)
		return ch_error_setc(CH_EINVALID, "%s exists and is not empty: restore goes into a "
		                     "new directory only, never over a site", path);
	return rmdir(path) < 0 ? ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno)) : 0;
}

int cmd_restore(int argc, char **argv)
{
	static const char *const opts[] = { NULL };
	static const char *const flags[] = { NULL };
	char *stage = NULL, *tar = NULL, *root = NULL;
	const char *file, *target;
	unsigned long long size;
	cli_args a;
	int error, rc = CLI_USAGE;

	if ((error = cli_parse(&a, argc, argv, opts, flags)) < 0 || a.pos.n != 2) {
		if (error < 0)
			fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_usage(backup_usage);
		goto done;
	}
	file = a.pos.v[0];
	target = a.pos.v[1];
	if (!ch_fs_exists(file)) {
		rc = cli_fail(ch_error_setc(CH_EIO, "%s: no such file", file));
		goto done;
	}
	if ((error = target_free(target)) < 0) {
		rc = cli_fail(error);
		goto done;
	}
	if (!(stage = stage_beside(target, "restore"))) {
		rc = cli_fail(CH_EIO);
		goto done;
	}
	tar = join(stage, "site.tar");
	root = join(stage, "site");
	if ((error = unpack_checked(file, tar, &size)) < 0 ||
	    (error = check_members(tar, size)) < 0 || (error = extract(tar, root)) < 0 ||
	    (error = rebuild_repo(root)) < 0 || (error = check_restored(root)) < 0) {
		rc = cli_fail(error);
		goto done;
	}
	if (rename(root, target) < 0) {
		rc = cli_fail(ch_error_setc(CH_EIO, "%s: %s", target, strerror(errno)));
		goto done;
	}
	printf("restore: %s restored into %s; every ref as backed up, and it verifies\n", file,
	       target);
	rc = CLI_OK;
done:
	if (stage)
		ch_fs_remove_tree(stage);
	free(stage);
	free(tar);
	free(root);
	cli_args_dispose(&a);
	return rc;
}
