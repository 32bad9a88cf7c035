/* fs.c -- bounded reads and durable, atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"

int ch_fs_read(ch_buf *out, const char *path, size_t max)
{
	char chunk[65536];
	ssize_t n;
	int fd, error = 0;

	ch_buf_clear(out);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return ch_error_setc(CH_ENOTFOUND, "%s: no such file", path);
		return ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (out->size + (size_t)n > max) {
			error = ch_error_setc(CH_EINVALID, "%s: larger than the limit of %zu bytes",
			                      path, max);
			break;
		}
		ch_buf_put(out, chunk, (size_t)n);
	}
	close(fd);
	return error;
}

static int fsync_dir_of(const char *path)
{
	char *copy = ch_strdup(path);
	int fd, error = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		error = ch_error_setc(CH_EIO, "%s: cannot sync directory: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(copy);
	return error;
}

int ch_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	ch_buf tmp = CH_BUF_INIT;
	const char *p = data;
	int fd, error = 0;
	ssize_t n;

	ch_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		error = ch_error_setc(CH_EIO, "%s: %s", tmp.ptr, strerror(errno));
		goto done;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = ch_error_setc(CH_EIO, "%s: %s", tmp.ptr, strerror(errno));
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!error && fsync(fd) < 0)
		error = ch_error_setc(CH_EIO, "%s: %s", tmp.ptr, strerror(errno));
	close(fd);
	if (!error && rename(tmp.ptr, path) < 0)
		error = ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
	if (error)
		unlink(tmp.ptr);
	else
		error = fsync_dir_of(path);
done:
	ch_buf_dispose(&tmp);
	return error;
}

int ch_fs_mkdir_p(const char *path, mode_t mode)
{
	char *copy = ch_strdup(path), *p;
	int error = 0;

	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			error = ch_error_setc(CH_EIO, "%s: %s", copy, strerror(errno));
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(copy);
	return error;
}

int ch_fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int ch_fs_remove_tree(const char *path)
{
	if (!path[0] || !strcmp(path, "/"))
		return ch_error_setc(CH_EINVALID, "refusing to remove '%s'", path);
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return ch_error_setc(CH_EIO, "%s: cannot remove: %s", path, strerror(errno));
	return 0;
}
