/* oidset.h -- a set of git object ids (open addressing, grows by
 * doubling): for walks that must visit each object once (peerview.c,
 * quarantine.c, spill.c). Not thread-safe. */
#ifndef CH_OIDSET_H
#define CH_OIDSET_H

#include <stddef.h>

#include <git2.h>

typedef struct {
	git_oid *slots;
	unsigned char *used;
	size_t cap, n;
} ch_oidset;

#define CH_OIDSET_INIT { NULL, NULL, 0, 0 }

/* oidset.c */
/* 1 when `id` was added, 0 when it was already there. */
int ch_oidset_add(ch_oidset *s, const git_oid *id);
int ch_oidset_has(const ch_oidset *s, const git_oid *id);
void ch_oidset_dispose(ch_oidset *s);

#endif
