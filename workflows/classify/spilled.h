/* spilled.h -- the ids of what was spilled (spilled/<doc> in the spill
 * list's tree, refs/chancery/spills: docs/format.md), and the check every
 * write makes against them. Apart from spill.c so that the writer of
 * commits (workflows/commit.c) can use it without depending on the spill
 * itself, which writes commits. */
#ifndef CH_SPILLED_H
#define CH_SPILLED_H

#include <git2.h>

#include "workflows/fileset.h"
#include "workflows/format.h"
#include "workflows/oidset.h"
#include "workflows/site.h"

/* spilled.c */
/* Add to `out` the ids every spill record keeps (spilled/<id> at the head
 * of CH_SPILLS_REF; nothing when there is no list). */
int ch_spill_objects_load(ch_oidset *out, git_repository *repo);
/* CH_EDENIED (and a security event, rule "SPILL", at `door` by `person`)
 * when `tree` or the blob of any file of `files` (either may be NULL) is
 * in `spilled`; 0 otherwise. */
int ch_spill_check_tree(ch_site *site, const ch_oidset *spilled, const git_oid *tree,
                        const ch_fileset *files, const char *door, const char *person);

#endif
