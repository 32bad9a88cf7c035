/* engine_wire.h -- the step engine's socket protocol, and its client.
 *
 * Shared by the engine and the full command line (cli/step_engine.c) and
 * by the `chancery` front (cli/front/front.c), the small program that is
 * `chancery`: it hands `doc act` to the site's engine without loading
 * libgit2, GPGME or libgcrypt, and runs the full command line
 * (chancery-full, beside it) for everything else. So this file uses the C
 * library only.
 *
 * request:  "CHE1" u32 length, then fields (u8 tag, u32 length, bytes) up
 *           to F_END; integers big-endian; each field at most its maximum.
 * answer:   "CHE1" i32 code (0 or a CH_E* code) u32 length, then the
 *           commit id (hex) or the error message. */
#ifndef CH_ENGINE_WIRE_H
#define CH_ENGINE_WIRE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define EW_MAGIC "CHE1"
#define EW_REQ_MAX (64 * 1024)    /* a whole request, comment included */
#define EW_ANSWER_MAX (64 * 1024)
#define EW_READ_MS 10000          /* a peer has this long to send */
#define EW_ANSWER_MS 120000       /* a step has this long to be answered */
#define EW_START_MS 5000          /* a new engine has this long to listen */
#define EW_PASSPHRASE_MAX 1024    /* as the command line reads one */
#define EW_COMMENT_MAX (16 * 1024) /* CH_COMMENT_MAX (checked in step_engine.c) */
#define EW_HEX 40
/* The answer of an engine whose binary is not the client's (an upgrade, or
 * another build): it exits, and the client does the step in process. */
#define EW_STALE 1

enum { F_END = 0, F_DOC, F_ACTION, F_ACTOR, F_ON_BEHALF, F_COMMENT, F_PASSPHRASE, F_EXPECTED,
       F_STOP, F_BUILD, F_COUNT };
extern const size_t ew_field_max[F_COUNT];

typedef struct {
	char state[PATH_MAX], dir[PATH_MAX], sock[PATH_MAX], lock[PATH_MAX];
} ew_paths;

/* Which binary: device, inode and change time of `exe` (NULL: this
 * process's own, /proc/self/exe). A client hands steps only to an engine
 * of the binary it would run itself. */
void ew_build_id(char out[64], const char *exe);
/* -1 (and a reason in `why`) when SITE's paths do not fit a socket. */
int ew_make_paths(ew_paths *p, const char *site, char *why, size_t whylen);
/* SITE/state must be a directory only its owner can write, and
 * SITE/state/engine ours, mode 0700: 0; -1 missing; -2 not private (a
 * reason in `why`). */
int ew_check_state_dir(const ew_paths *p, char *why, size_t whylen);
int ew_sun_of(void *sockaddr_un, const char *path);
int ew_peer_is_me(int fd);
long long ew_now_ms(void);
long long ew_now_us(void);
/* Read or write exactly n bytes before the deadline (CLOCK_MONOTONIC ms). */
int ew_io_full(int fd, void *buf, size_t n, long long deadline, int writing);
void ew_put_u32(unsigned char *p, uint32_t v);
uint32_t ew_get_u32(const unsigned char *p);
int ew_fits(int tag, const char *s);

/* A request in one buffer reserved whole (the passphrase is never left in
 * a buffer that grew) and wiped by ew_req_wipe. */
typedef struct {
	unsigned char *p;
	size_t n;
} ew_req;
int ew_req_init(ew_req *r);
void ew_req_field(ew_req *r, int tag, const char *s); /* s NULL: nothing */
int ew_req_finish(ew_req *r);                         /* -1: too long */
void ew_req_wipe(ew_req *r);

/* The engine's side: the fields of a request, NUL-terminated copies or
 * NULL; -1 and a reason when it is malformed (a field unknown, repeated,
 * longer than its maximum, holding a NUL, or cut; bytes after F_END). */
typedef struct {
	char *f[F_COUNT];
} ew_fields;
int ew_req_parse(ew_fields *r, const unsigned char *p, size_t n, const char **why);
/* Wipe (the passphrase is one of them) and free. */
void ew_fields_wipe(ew_fields *r);

/* ---- the client ---- */

/* CHANCERY_ENGINE is not "off" or "0". */
int ew_enabled(void);
/* CHANCERY_ENGINE_TRACE=1: say on stderr which path a step took. */
void ew_trace(const char *what);
/* Test hook: wait (at most 30 s) for the file CHANCERY_FAILPOINT_WAIT names. */
void ew_failpoint_wait(void);
/* [a-z0-9-]{1,64}: the characters of a document id (the rest of the rule
 * is the library's; a wrong id is refused there, in process). */
int ew_doc_id_chars(const char *s);
/* The document's head as libgit2 reads it (the loose ref, else
 * packed-refs); -1 for anything unexpected. */
int ew_read_head(char hex[EW_HEX + 1], const char *site, const char *doc);
/* Connect to SITE's engine, starting `exe engine run SITE` (NULL: this
 * binary) when none answers; -1: no engine. */
int ew_reach(int *fd, const char *site, const char *exe);
int ew_connect(int *fd, const ew_paths *p);

enum { EW_NOT_USED, EW_DONE, EW_FAILED, EW_LOST };

typedef struct {
	const char *site;     /* absolute */
	const char *doc, *action, *actor, *on_behalf, *comment;
	const char *seen;     /* the head read, hex */
	const char *exe;      /* the binary whose engine to use (NULL: this one) */
} ew_step;

typedef struct {
	char hex[EW_HEX + 1]; /* EW_DONE: the step recorded */
	int code;             /* EW_FAILED: the CH_E* code */
	char *msg;            /* EW_FAILED: the engine's message (free it) */
} ew_result;

/* Reach the engine, send the step, read the answer: EW_DONE, EW_FAILED,
 * EW_NOT_USED (nothing was sent, or the engine was stale: do it in
 * process) or EW_LOST (sent, then the engine was lost: it may have
 * recorded the step; redo it in process with `seen` as the expected head). */
int ew_act(ew_result *res, const ew_step *s, const char *passphrase);

#endif
