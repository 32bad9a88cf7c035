/* journal.h -- the step journal: one synced append makes a step durable.
 *
 * A signed step writes a commit (and, for a new text or attachments, its
 * blobs and trees) and moves one ref. Made durable file by file, that is
 * four flushes (the object, its directory, the ref, the refs directory):
 * ~1.7 ms of a ~4 ms step here, more than the signature. Instead the step
 * appends ONE record holding everything it writes to SITE/state/journal
 * and flushes that file once (fdatasync); then it writes the loose objects
 * and moves the ref as git does, without flushing them, and answers.
 *
 *   SITE/state/journal   records, appended (O_APPEND, one write each):
 *     "CHJ1"  u32 length of the record (all fields, crc included)
 *     boot    36 bytes: /proc/sys/kernel/random/boot_id when written
 *     u16 n, ref name (n bytes), old id (20, zeros: the ref was created),
 *     new id (20)
 *     u32 count, then per object: u8 git type, u32 length, raw content
 *     u32 crc32 of everything before it
 *   (integers little-endian)
 *
 * Why this loses nothing acknowledged: the order is ref lock, compare,
 * sign, append + fdatasync, write objects, move the ref, answer. Whatever
 * the record names is on disk before the ref moves (DESIGN.md's rule:
 * refs move only after the objects are durable -- here, durable in the
 * journal). Loose files and refs written without a flush sit in the page
 * cache, which survives any process's death; only a crash of the machine
 * (power cut, kernel panic) can lose them, and a machine that crashed has
 * booted again: a record whose boot id is not the current one may name
 * writes that never reached the disk. Such records are replayed
 * (ch_journal_replay, under the site's write lock held exclusively, run
 * by `chancery recover`, chanceryd and the step engine at start, and by
 * every ch_site_open that finds them): each object that is missing or
 * unreadable is written again with fsync, and the ref is set to the
 * record's new id when it is missing, unreadable, or still at the
 * record's old id. A record cut short (the machine died during the
 * append, before the step was acknowledged) ends the replay: it and
 * nothing after it is applied.
 *
 * A record of a step whose process died after the append and before the
 * ref moved (a SIGKILL at that instant) is never acknowledged; it leaves
 * the ref locked, so nothing else moves that ref until `chancery recover`,
 * which empties the journal. Only if the machine also crashes before that
 * recovery does the replay record that step: a step its official signed
 * and asked for, whose answer was lost (as with a crash just after the
 * ref moved).
 *
 * Checkpoints keep the journal short: when it holds more than
 * CH_JOURNAL_CHECKPOINT bytes, the writer that finished a step makes the
 * whole file system durable (syncfs) and empties the journal, if no other
 * step is between its append and its ref move (they hold the journal's
 * flock shared; the checkpoint takes it exclusive, without waiting). A
 * spill's purge empties the journal first (the journal holds document
 * contents), as does `chancery recover`.
 *
 * Who writes without the journal: the quarantine (a mission's push) and
 * repository creation, with fsync of files and directories. They move
 * refs only forward, so an older record never undoes them: a replayed
 * record whose ref moved on is left alone.
 *
 * CHANCERY_TEST_BOOT_ID replaces the boot id, for tests that simulate a
 * crash (tests/integration/test_journal.sh). */
#ifndef CH_JOURNAL_H
#define CH_JOURNAL_H

#include <git2.h>

#include "util/buf.h"
#include "util/strv.h"

#define CH_JOURNAL_CHECKPOINT (1024 * 1024)
/* A record holds at most one step: a fileset of CH_TREE_MAX_BYTES and its
 * trees and commit fit. */
#define CH_JOURNAL_RECORD_MAX (80u * 1024 * 1024)

typedef struct ch_site ch_site;

typedef struct {
	git_object_t type;
	git_oid id;
	ch_buf data; /* raw content, without git's "type length\0" header */
} ch_jobj;

typedef struct {
	ch_jobj *v;
	size_t n, cap;
} ch_objlist;

/* journal.c */
/* Add an object unless the list already has it (the id is computed). */
int ch_objlist_add(ch_objlist *l, git_object_t type, const void *data, size_t len,
                   git_oid *id_out);
void ch_objlist_dispose(ch_objlist *l);

/* Take the journal's shared lock (held from the append to the ref move). */
int ch_journal_begin(ch_site *site);
void ch_journal_end(ch_site *site);
/* Append one record and flush it (fdatasync); inside begin/end. */
int ch_journal_append(ch_site *site, const char *ref, const git_oid *old,
                      const git_oid *new_id, const ch_objlist *objs);
/* Write a loose object into the site's repository as git does (zlib, a
 * file made unnamed or temporary, then linked under its name); fsync of the file and its
 * directory when `durable`. An object already present is left. */
int ch_loose_write(ch_site *site, const ch_jobj *o, int durable);
/* Move `ref` (its <ref>.lock file open in lock_fd, which this closes) to
 * `id` by renaming the lock file over it; fsync of both when `durable`. */
int ch_ref_commit_lock(const char *gitdir, const char *ref, int lock_fd, const git_oid *id,
                       int durable);
/* Create <ref>.lock (exclusively) and its directories: CH_ECONFLICT if
 * held. */
int ch_ref_lock(int *lock_fd, ch_site *site, const char *ref);
/* Make ahead, unnamed, the files the next step will create: its ref lock
 * (linked as refs/docs/<id>.lock by ch_ref_lock) and its commit object
 * (linked under objects/ by ch_loose_write); the site keeps them. A ref
 * file is replaced at every step, and ext4 skips the inodes freed in the
 * last half minute when it allocates one in their group, reading each:
 * under a steady stream of steps a new file there costs ~0.3-0.6 ms where
 * it cost 0.02 ms. The step engine makes the next ones after it has
 * answered; unused, they vanish with the process. */
void ch_journal_prepare(ch_site *site);
void ch_ref_unlock(const char *gitdir, const char *ref, int lock_fd);

/* Make the 256 fan-out directories objects/00..ff that are missing: a
 * step that must create its object's directory pays ~0.2 ms more (the
 * step engine calls this at start; empty ones are harmless to git, and
 * `git prune` removes them). */
void ch_loose_prepare(const char *gitdir);

/* When the journal is larger than CH_JOURNAL_CHECKPOINT (always, with
 * `force`): syncfs the repository's file system, then empty the journal.
 * Without `force`, gives up at once when a step holds the journal; with
 * it, waits for them (at most CH_WRITE_LOCK_WAIT_MS). */
int ch_journal_checkpoint(ch_site *site, int force);
/* Records written before the current boot are waiting: 1, else 0. */
int ch_journal_stale(ch_site *site);
/* Replay every record (see above) and empty the journal. The caller holds
 * the site's write lock exclusively. Each thing done is described in
 * `done` ("restored object ...", "set refs/docs/... to ..."). */
int ch_journal_replay(ch_site *site, ch_strv *done);

#endif
