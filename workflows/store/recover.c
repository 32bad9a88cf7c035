/* recover.c -- see recover.h. */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "workflows/store/recover.h"
#include "util/common.h"

/* nftw has no payload: one walk at a time (the command line and the
 * server's start are single-threaded here). */
static struct {
	ch_recover_result *out;
	size_t root_len;      /* strlen(SITE) */
	int error;
} walk;

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcmp(s + n - m, tail);
}

/* "NAME.tmp.PID": the PID, or 0. */
static long tmp_pid(const char *name)
{
	const char *t = strstr(name, ".tmp."), *p;
	long pid = 0;

	if (!t || t == name)
		return 0;
	for (p = t + 5; *p; p++) {
		if (*p < '0' || *p > '9' || pid > 4194304)
			return 0;
		pid = pid * 10 + (*p - '0');
	}
	return p > t + 5 ? pid : 0;
}

/* What a dead writer may have left at `rel` (relative to SITE), or NULL. */
static const char *leftover(const char *rel, const char *name)
{
	if (!strncmp(rel, "repo.git/", 9)) {
		const char *in = rel + 9;

		if (!strncmp(in, "objects/", 8))
			return !strncmp(name, "tmp_", 4) ? "a temporary object or pack" : NULL;
		if (ends_with(name, ".lock"))
			return !strncmp(in, "refs/", 5) ? "a stale ref lock" : "a stale git lock";
	}
	return NULL;
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = path + (strlen(path) >= walk.root_len ? walk.root_len : strlen(path));
	const char *name = path + ftw->base, *what;
	ch_buf line = CH_BUF_INIT;
	long pid;

	(void)st;
	while (*rel == '/')
		rel++;
	if (flag != FTW_F)
		return 0;
	if ((what = leftover(rel, name)) == NULL && (pid = tmp_pid(name)) > 0) {
		if (kill((pid_t)pid, 0) == 0 || errno == EPERM) {
			ch_strv_push(&walk.out->kept, rel);
			return 0;
		}
		what = "a temporary file of a process that is gone";
	}
	if (!what)
		return 0;
	if (unlink(path) < 0 && errno != ENOENT) {
		walk.error = ch_error_setc(CH_EIO, "cannot remove %s (%s): %s", path, what,
		                           strerror(errno));
		return 1;
	}
	ch_buf_printf(&line, "%s (%s)", rel, what);
	ch_strv_push(&walk.out->removed, line.ptr);
	ch_buf_dispose(&line);
	return 0;
}

int ch_recover(ch_recover_result *out, ch_site *site, int wait_ms)
{
	int fd, waited = 0, error = 0;

	memset(out, 0, sizeof(*out)); /* (two empty ch_strv) */
	if (site->write_depth)
		return ch_error_setc(CH_EINVALID, "recovery inside a write");
	if ((fd = ch_site_write_lock_fd(site)) < 0)
		return fd;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return ch_error_setc(CH_EIO, "cannot lock %s/state/write.lock: %s", site->path,
			                     strerror(errno));
		if (waited >= wait_ms)
			return ch_error_setc(CH_ECONFLICT, "a write is in progress (a Chancery process "
			                     "holds %s/state/write.lock): nothing was removed; try "
			                     "again, or wait with --wait SECONDS", site->path);
		usleep(10000);
		waited += 10;
	}
	walk.out = out;
	walk.root_len = strlen(site->path);
	walk.error = 0;
	/* the whole site: repo.git's leftovers, and NAME.tmp.PID anywhere
	 * (an unreadable directory, such as another user's GnuPG home, is
	 * passed over) */
	if (nftw(site->path, visit, 16, FTW_PHYS) < 0 && !walk.error)
		error = ch_error_setc(CH_EIO, "cannot walk %s: %s", site->path, strerror(errno));
	else
		error = walk.error;
	walk.out = NULL;
	flock(fd, LOCK_UN);
	return error;
}

void ch_recover_result_dispose(ch_recover_result *r)
{
	ch_strv_free(&r->removed);
	ch_strv_free(&r->kept);
}
