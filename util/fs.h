/* fs.h -- bounded reads and durable, atomic writes. */
#ifndef CH_FS_H
#define CH_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* fs.c */
/* Read a whole file of at most `max` bytes; CH_ENOTFOUND if it does not
 * exist, CH_EINVALID if it is larger than max. */
int ch_fs_read(ch_buf *out, const char *path, size_t max);
/* Write via a temporary file, fsync, rename, fsync the directory. */
int ch_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* mkdir -p with the given mode for directories it creates. */
int ch_fs_mkdir_p(const char *path, mode_t mode);
int ch_fs_exists(const char *path);
/* rm -rf; refuses "" and "/". */
int ch_fs_remove_tree(const char *path);

#endif
