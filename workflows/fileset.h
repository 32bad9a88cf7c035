/* fileset.h -- a set of files (path -> bytes) and the git trees that hold it.
 *
 * Policy and document commits are built from a fileset: the tree id is
 * computed first without writing anything (so a refused or unsigned step
 * leaves the object store untouched), and objects are written only after
 * the signature exists. */
#ifndef CH_FILESET_H
#define CH_FILESET_H

#include <git2.h>

#include "util/buf.h"

#define CH_TREE_MAX_FILES 512
#define CH_TREE_MAX_BYTES (64u * 1024 * 1024)
#define CH_TREE_MAX_DEPTH 4

typedef struct {
	char *path; /* "policy/people.json", no leading slash, no "." or ".." parts */
	ch_buf data;
} ch_file;

typedef struct {
	ch_file *v;
	size_t n;
} ch_fileset;

#define CH_FILESET_INIT { NULL, 0 }

/* tree.c */
/* Add or replace. */
void ch_fileset_put(ch_fileset *fs, const char *path, const void *data, size_t len);
int ch_fileset_remove(ch_fileset *fs, const char *path);
/* Borrowed; NULL when absent. */
const ch_buf *ch_fileset_get(const ch_fileset *fs, const char *path);
void ch_fileset_dispose(ch_fileset *fs);
/* Read a whole tree (bounded in files, bytes and depth). */
int ch_fileset_from_tree(ch_fileset *out, git_repository *repo, const git_tree *tree);
/* The tree id of the set; with `write`, its blobs and trees are stored
 * (durably: site.c turns on libgit2's fsync), else nothing is written. */
int ch_fileset_tree_id(git_oid *out, git_repository *repo, const ch_fileset *fs, int write);
/* A path component is valid: not empty, ".", "..", ".git", no '/' or NUL. */
int ch_valid_path(const char *path);

/* One file of the tree of `commit`, appended to out (at most max bytes):
 * CH_ENOTFOUND when the commit, its tree or the file cannot be read. */
int ch_fileset_read_at(ch_buf *out, git_repository *repo, const git_oid *commit,
                       const char *path, size_t max);

#endif
