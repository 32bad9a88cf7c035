/* static.c -- plain files served as they are (--static DIR): read once at
 * start, before privileges are dropped, so serving them touches no disk.
 * The benchmark serves a file of a page's size here as its ceiling. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server.h"
#include "util/fs.h"
#include "util/common.h"

#define STATIC_MAX_FILES 256
#define STATIC_MAX_SIZE (16u * 1024 * 1024)

static int valid_static_name(const char *n)
{
	size_t i;

	if (!n[0] || n[0] == '.' || strlen(n) > 64)
		return 0;
	for (i = 0; n[i]; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '.' ||
		      n[i] == '_' || n[i] == '-'))
			return 0;
	return 1;
}

int srv_static_load(srv *s, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	ch_buf path = CH_BUF_INIT;
	int error = 0;

	if (!d)
		return ch_error_setc(CH_ENOTFOUND, "%s: cannot open the static directory", dir);
	while (!error && (e = readdir(d))) {
		struct stat st;

		if (!valid_static_name(e->d_name))
			continue;
		ch_buf_clear(&path);
		ch_buf_printf(&path, "%s/%s", dir, e->d_name);
		if (lstat(path.ptr, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (s->nstatic >= STATIC_MAX_FILES) {
			error = ch_error_setc(CH_EINVALID, "%s: more than %d files", dir, STATIC_MAX_FILES);
			break;
		}
		s->static_names = ch_realloc(s->static_names, (s->nstatic + 1) * sizeof(char *));
		s->static_data = ch_realloc(s->static_data, (s->nstatic + 1) * sizeof(ch_buf));
		ch_buf_init(&s->static_data[s->nstatic]);
		if ((error = ch_fs_read(&s->static_data[s->nstatic], path.ptr, STATIC_MAX_SIZE)) < 0) {
			ch_buf_dispose(&s->static_data[s->nstatic]);
			break;
		}
		s->static_names[s->nstatic++] = ch_strdup(e->d_name);
	}
	closedir(d);
	ch_buf_dispose(&path);
	return error;
}

const ch_buf *srv_static_get(const srv *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nstatic; i++)
		if (!strcmp(s->static_names[i], name))
			return &s->static_data[i];
	return NULL;
}

void srv_static_free(srv *s)
{
	size_t i;

	for (i = 0; i < s->nstatic; i++) {
		free(s->static_names[i]);
		ch_buf_dispose(&s->static_data[i]);
	}
	free(s->static_names);
	free(s->static_data);
}
