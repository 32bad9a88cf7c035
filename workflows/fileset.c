/* fileset.c -- filesets and the git trees that hold them. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workflows/fileset.h"
#include "util/common.h"

void ch_fileset_put(ch_fileset *fs, const char *path, const void *data, size_t len)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].path, path)) {
			ch_buf_set(&fs->v[i].data, data, len);
			return;
		}
	fs->v = ch_realloc(fs->v, (fs->n + 1) * sizeof(*fs->v));
	fs->v[fs->n].path = ch_strdup(path);
	ch_buf_init(&fs->v[fs->n].data);
	ch_buf_set(&fs->v[fs->n].data, data, len);
	fs->n++;
}

int ch_fileset_remove(ch_fileset *fs, const char *path)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].path, path)) {
			free(fs->v[i].path);
			ch_buf_dispose(&fs->v[i].data);
			memmove(&fs->v[i], &fs->v[i + 1], (fs->n - i - 1) * sizeof(*fs->v));
			fs->n--;
			return 0;
		}
	return CH_ENOTFOUND;
}

const ch_buf *ch_fileset_get(const ch_fileset *fs, const char *path)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].path, path))
			return &fs->v[i].data;
	return NULL;
}

void ch_fileset_dispose(ch_fileset *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		free(fs->v[i].path);
		ch_buf_dispose(&fs->v[i].data);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
}

int ch_valid_path(const char *path)
{
	const char *p = path, *slash;
	size_t n;

	if (!path[0] || strlen(path) > 255)
		return 0;
	do {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && !memcmp(p, "..", 2)) ||
		    (n == 4 && !strncasecmp(p, ".git", 4)))
			return 0;
		p = slash ? slash + 1 : NULL;
	} while (p);
	return 1;
}

/* ---- reading ---- */

typedef struct {
	git_repository *repo;
	ch_fileset *fs;
	size_t bytes;
	int error;
} read_ctx;

static int read_entry(const char *root, const git_tree_entry *e, void *payload)
{
	read_ctx *ctx = payload;
	ch_buf path = CH_BUF_INIT;
	git_blob *blob = NULL;
	size_t depth = 0;
	const char *p;
	int rc = 0;

	for (p = root; *p; p++)
		depth += *p == '/';
	if (depth >= CH_TREE_MAX_DEPTH) {
		ctx->error = ch_error_setc(CH_EINVALID, "tree is nested deeper than %d levels",
		                           CH_TREE_MAX_DEPTH);
		return -1;
	}
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return 0;
	ch_buf_printf(&path, "%s%s", root, git_tree_entry_name(e));
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || !ch_valid_path(path.ptr)) {
		ctx->error = ch_error_setc(CH_EINVALID, "tree entry '%.200s' is not a plain file",
		                           path.ptr);
		rc = -1;
		goto done;
	}
	if (ctx->fs->n >= CH_TREE_MAX_FILES) {
		ctx->error = ch_error_setc(CH_EINVALID, "tree holds more than %d files",
		                           CH_TREE_MAX_FILES);
		rc = -1;
		goto done;
	}
	if (git_blob_lookup(&blob, ctx->repo, git_tree_entry_id(e)) < 0) {
		ctx->error = ch_error_setc(CH_EIO, "cannot read blob for '%s': %s", path.ptr,
		                           git_error_last() ? git_error_last()->message : "?");
		rc = -1;
		goto done;
	}
	ctx->bytes += (size_t)git_blob_rawsize(blob);
	if (ctx->bytes > CH_TREE_MAX_BYTES) {
		ctx->error = ch_error_setc(CH_EINVALID, "tree holds more than %u bytes",
		                           CH_TREE_MAX_BYTES);
		rc = -1;
		goto done;
	}
	ch_fileset_put(ctx->fs, path.ptr, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
done:
	git_blob_free(blob);
	ch_buf_dispose(&path);
	return rc;
}

int ch_fileset_from_tree(ch_fileset *out, git_repository *repo, const git_tree *tree)
{
	read_ctx ctx = { repo, out, 0, 0 };

	if (git_tree_walk(tree, GIT_TREEWALK_PRE, read_entry, &ctx) < 0) {
		if (!ctx.error)
			ctx.error = ch_error_setc(CH_EIO, "cannot read tree: %s",
			                          git_error_last() ? git_error_last()->message : "?");
		ch_fileset_dispose(out);
	}
	return ctx.error;
}

/* ---- writing ---- */

typedef struct {
	const char *name; /* this level's component */
	size_t namelen;
	int is_dir;
	git_oid oid;
} tree_ent;

/* git sorts tree entries by name, comparing a directory as "name/". */
static int ent_cmp(const void *pa, const void *pb)
{
	const tree_ent *a = pa, *b = pb;
	size_t n = a->namelen < b->namelen ? a->namelen : b->namelen;
	int c = memcmp(a->name, b->name, n);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = n < a->namelen ? (unsigned char)a->name[n] : (a->is_dir ? '/' : 0);
	cb = n < b->namelen ? (unsigned char)b->name[n] : (b->is_dir ? '/' : 0);
	return (int)ca - (int)cb;
}

/* Hash the object; with `write`, also store it (libgit2 writes a loose
 * object through a temporary file, fsync'd: GIT_OPT_ENABLE_FSYNC_GITDIR,
 * site.c; an object the repository has is left as it is). */
static int put_object(git_oid *out, git_odb *odb, const void *data, size_t len,
                      git_object_t type, int write)
{
	int rc = write ? git_odb_write(out, odb, data, len, type) : git_odb_hash(out, data, len, type);

	if (rc < 0)
		return ch_error_setc(CH_EIO, "cannot %s an object: %s", write ? "write" : "hash",
		                     git_error_last() ? git_error_last()->message : "?");
	return 0;
}

/* Build the tree for the files under `prefix` (which ends in '/' or is ""). */
static int build_level(git_oid *out, git_odb *odb, const ch_fileset *fs, const char *prefix,
                       int write)
{
	size_t plen = strlen(prefix), i, j, nents = 0;
	tree_ent *ents = ch_calloc(fs->n ? fs->n : 1, sizeof(*ents));
	ch_buf raw = CH_BUF_INIT, sub = CH_BUF_INIT;
	int error = 0;

	for (i = 0; i < fs->n; i++) {
		const char *rest, *slash;
		size_t n;
		int dup = 0;

		if (strncmp(fs->v[i].path, prefix, plen))
			continue;
		rest = fs->v[i].path + plen;
		slash = strchr(rest, '/');
		n = slash ? (size_t)(slash - rest) : strlen(rest);
		for (j = 0; j < nents; j++)
			if (ents[j].namelen == n && !memcmp(ents[j].name, rest, n)) {
				if (ents[j].is_dir != !!slash) {
					error = ch_error_setc(CH_EINVALID, "'%s' is both a file and a folder",
					                      fs->v[i].path);
					goto done;
				}
				dup = 1;
			}
		if (dup)
			continue;
		ents[nents].name = rest;
		ents[nents].namelen = n;
		ents[nents].is_dir = !!slash;
		if (slash) {
			ch_buf_clear(&sub);
			ch_buf_put(&sub, fs->v[i].path, plen + n + 1);
			error = build_level(&ents[nents].oid, odb, fs, sub.ptr, write);
		} else {
			error = put_object(&ents[nents].oid, odb, fs->v[i].data.ptr, fs->v[i].data.size,
			                   GIT_OBJECT_BLOB, write);
		}
		if (error < 0)
			goto done;
		nents++;
	}
	qsort(ents, nents, sizeof(*ents), ent_cmp);
	for (i = 0; i < nents; i++) {
		ch_buf_puts(&raw, ents[i].is_dir ? "40000 " : "100644 ");
		ch_buf_put(&raw, ents[i].name, ents[i].namelen);
		ch_buf_putc(&raw, '\0');
		ch_buf_put(&raw, ents[i].oid.id, GIT_OID_RAWSZ);
	}
	error = put_object(out, odb, raw.ptr, raw.size, GIT_OBJECT_TREE, write);
done:
	free(ents);
	ch_buf_dispose(&raw);
	ch_buf_dispose(&sub);
	return error;
}

int ch_fileset_tree_id(git_oid *out, git_repository *repo, const ch_fileset *fs, int write)
{
	git_odb *odb = NULL;
	size_t i;
	int error;

	for (i = 0; i < fs->n; i++)
		if (!ch_valid_path(fs->v[i].path))
			return ch_error_setc(CH_EINVALID, "'%.200s' is not a valid file name",
			                     fs->v[i].path);
	if (git_repository_odb(&odb, repo) < 0)
		return ch_error_setc(CH_EIO, "cannot open the object store: %s",
		                     git_error_last() ? git_error_last()->message : "?");
	error = build_level(out, odb, fs, "", write);
	git_odb_free(odb);
	return error;
}

int ch_fileset_read_at(ch_buf *out, git_repository *repo, const git_oid *commit,
                       const char *path, size_t max)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int error = 0;

	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&tree, c) < 0 ||
	    git_tree_entry_bypath(&e, tree, path) < 0 ||
	    git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
		error = ch_error_setc(CH_ENOTFOUND, "%.12s holds no readable %s",
		                      git_oid_tostr_s(commit), path);
	else if ((size_t)git_blob_rawsize(blob) > max)
		error = ch_error_setc(CH_EINVALID, "%s at %.12s is larger than %zu bytes", path,
		                      git_oid_tostr_s(commit), max);
	else
		ch_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}
