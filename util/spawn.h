/* spawn.h -- run a program and collect its output (libc only). */
#ifndef CH_SPAWN_H
#define CH_SPAWN_H

#include "util/buf.h"

/* spawn.c */
/* Run argv[0] (searched in PATH) with our environment plus `env`
 * ("NAME=value" strings, NULL-terminated, may be NULL). stdout into `out`
 * (NULL: /dev/null), stderr into `err` (NULL: ours); each bounded (64 MiB,
 * 1 MiB). *status: the exit code, or 128 + the signal. */
int ch_spawn_run(int *status, const char *const *argv, const char *const *env, ch_buf *out,
                 ch_buf *err);

#endif
