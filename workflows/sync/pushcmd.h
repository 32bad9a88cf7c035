/* pushcmd.h -- the receive-pack request of git's smart-HTTP protocol,
 * version 0/1 (git's Documentation/gitprotocol-pack.txt, "Reference Update
 * Request and Packfile Transfer"):
 *
 *   <old-oid> <new-oid> <ref>\0<capabilities>   (capabilities on the first only)
 *   <old-oid> <new-oid> <ref>
 *   ...
 *   flush-pkt
 *   PACK...                                     (absent when only deleting)
 *
 * Untrusted network input: at most CH_PUSH_MAX_COMMANDS commands, refs of
 * at most CH_PUSH_MAX_REF bytes of printable ASCII without spaces,
 * CH_UPLOAD_MAX_CAPS capabilities, and the pack (after the flush) at most
 * CH_Q_MAX_PACK bytes. shallow and push-cert sections are refused (not
 * advertised). Errors are CH_EINVALID and never echo the input. No socket
 * code: fuzzed by tests/fuzz/fuzz_pushcmd.c. */
#ifndef CH_PUSHCMD_H
#define CH_PUSHCMD_H

#include <stddef.h>

#include <git2.h>

#include "workflows/sync/quarantine.h"
#include "util/buf.h"
#include "util/strv.h"

#define CH_PUSH_MAX_COMMANDS CH_Q_MAX_UPDATES
#define CH_PUSH_MAX_REF 255

typedef struct {
	ch_qupdate *cmds;
	size_t ncmds;
	ch_strv caps;
	size_t pack_offset; /* where the pack starts in the input; == len when there is none */
	size_t pack_len;
} ch_push_request;

/* pushcmd.c */
int ch_push_request_parse(ch_push_request *out, const void *data, size_t len);
void ch_push_request_dispose(ch_push_request *r);
/* 1 if the client asked for capability `name` (exactly, or name=value). */
int ch_push_request_has_cap(const ch_push_request *r, const char *name);
/* Write the command list back (no pack; for tests and the fuzz target). */
void ch_push_request_write(ch_buf *out, const ch_push_request *r);

#endif
