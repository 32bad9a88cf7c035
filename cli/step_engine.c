/* step_engine.c -- the resident step engine of a site, and its client.
 *
 * A signed step through a whole `chancery` process pays, every time, for
 * what does not change between steps: libgit2's and the crypto libraries'
 * start-up, opening the repository, parsing the policy, connecting to
 * gpg-agent. The engine is one process per site that keeps those open and
 * records steps for `chancery doc act`, which becomes a small client: it
 * reads the document's current head itself, asks for the passphrase, and
 * hands the step to the engine over a Unix socket. The engine runs the same
 * library code as the command line (ch_doc_act: load and replay, check,
 * sign through gpg-agent, write the commit with fsync, move the ref by
 * compare-and-swap) and answers the commit or the error, which the client
 * prints exactly as the in-process path would.
 *
 *   SITE/state/engine/             mode 0700, owned by the site's user
 *                                  (SITE/state: writable by its owner only)
 *   SITE/state/engine/engine.lock  flock()ed by the running engine for its
 *                                  whole life: two engines never run for one
 *                                  site, and a crashed engine's lock is
 *                                  released by the kernel; holds its pid
 *   SITE/state/engine/engine.sock  the listening socket (0600)
 *
 * Started on demand, like gpg-agent: when `doc act` finds no engine it
 * starts `chancery engine run SITE` (detached, in its own session), waits
 * for it to listen, and goes on. An engine that loses the flock race exits
 * at once; a socket left by a dead engine is removed by the next one (it
 * holds the lock, so no live engine owns the old socket). The engine exits
 * after CHANCERY_ENGINE_IDLE seconds without a request (default 120), when
 * its socket is removed or replaced (the site was deleted), when the spill
 * list moves (below), on `chancery engine stop SITE` and on SIGTERM. An
 * engine of another build of chancery (an upgrade) stops at the first
 * request of a new client, which then does its step in process.
 *
 * Who can talk to it: the socket's directory is 0700, and every connection's
 * peer credentials (SO_PEERCRED) must be the engine's own user id, or the
 * engine answers a refusal and closes. The client checks the same of the
 * engine before it sends a passphrase.
 *
 * Nothing trusted from a cache: every request re-reads site.json (the
 * signing keys), the policy ref and the document ref from disk, so writes
 * by the server and by other command-line processes are seen; what is kept
 * is keyed by content (parsed policies by commit id, libgit2's object
 * cache). The head the client read is passed as the expected head and the
 * ref moves only by compare-and-swap from it: racing clients get one step
 * and conflicts for the rest, as in process.
 *
 * Secrets: the passphrase travels over the socket only and is wiped
 * (request buffer included) before the next request; the engine keeps no
 * passphrase. gpg-agent caches none either (keystore.c), so a kept
 * connection to it can sign nothing without one. What the engine does keep
 * is its unlocked-key cache (crypto/keycache.h, the "token" model): the
 * first signature of a person's Ed25519 key asks gpg-agent for the key in
 * the clear (EXPORT_KEY, authorised by the passphrase at S2K cost), and
 * for CHANCERY_KEYCACHE_TTL seconds (default 900; 0: no cache, every
 * signature goes to the agent) the engine signs in process, ~0.3 ms
 * instead of ~1.5 ms, each signature still authorised by the passphrase,
 * checked against an HMAC verifier. A wrong passphrase evicts the key
 * before the agent is asked, so guessing through the engine costs the
 * agent's S2K per guess as before. The keys sit in libgcrypt's secure
 * memory and are wiped on every way out (idle, stop, SIGTERM, the spill
 * list moving, a lost socket; SIGKILL takes the memory with the process). Against its own user the engine makes
 * itself non-dumpable at start (prctl PR_SET_DUMPABLE 0): no core dump,
 * and no ptrace or /proc/PID/mem by other same-uid processes (root, or a
 * process with CAP_SYS_PTRACE, can still read it; the same root can read
 * the keys' passphrases as they are typed, too).
 *
 * When no engine can be reached (or CHANCERY_ENGINE=off), the client does
 * the step in process, with the head it read as the expected head; when
 * the engine dies after the request was sent, likewise, so the
 * compare-and-swap records the step at most once, and the client reports
 * the engine's step as done when it finds it at the head (cmd_doc.c).
 *
 * CHANCERY_ENGINE_TRACE=1 makes the client say on stderr which path a step
 * took (tests/bench/bench_step.sh counts them).
 *
 * Not in the air-gapped build (chancery-offline opens no socket of its own). */
#ifndef CH_OFFLINE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine_wire.h"
#include "crypto/keycache.h"
#include "workflows/commit.h"
#include "workflows/doc.h"
#include "workflows/journal.h"
#include "workflows/spill.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

extern char **environ;

/* The protocol and the client: cli/engine_wire.c (shared with the
 * `chancery` front, cli/front/front.c). */
#define ENGINE_MAGIC EW_MAGIC
#define ENGINE_REQ_MAX EW_REQ_MAX
#define ENGINE_ANSWER_MAX EW_ANSWER_MAX
#define ENGINE_IDLE_DEFAULT 120         /* seconds */
#define ENGINE_READ_MS EW_READ_MS
#define ENGINE_STALE EW_STALE
#define field_max ew_field_max
#define sun_of ew_sun_of
#define peer_is_me ew_peer_is_me
#define now_ms ew_now_ms
#define io_full ew_io_full
#define get_u32 ew_get_u32

_Static_assert(EW_COMMENT_MAX == CH_COMMENT_MAX, "the engine carries whole comments");

typedef ew_paths engine_paths;

static void build_id(char out[64])
{
	ew_build_id(out, NULL);
}

static int make_paths(engine_paths *p, const char *site)
{
	char why[PATH_MAX + 128];

	if (ew_make_paths(p, site, why, sizeof(why)) < 0)
		return ch_error_setc(CH_EINVALID, "%s", why);
	return 0;
}

static int check_state_dir(const engine_paths *p)
{
	char why[PATH_MAX + 128];
	int rc = ew_check_state_dir(p, why, sizeof(why));

	if (rc < 0)
		return ch_error_setc(rc == -2 ? CH_EDENIED : CH_EIO, "%s", why);
	return 0;
}

static void put_u32(ch_buf *b, uint32_t v)
{
	unsigned char x[4];

	ew_put_u32(x, v);
	ch_buf_put(b, x, 4);
}

static void put_field(ch_buf *b, int tag, const char *s)
{
	if (!s)
		return;
	ch_buf_putc(b, (char)tag);
	put_u32(b, (uint32_t)strlen(s));
	ch_buf_puts(b, s);
}

/* ======================================================================
 * The engine
 * ====================================================================== */

static volatile sig_atomic_t engine_stop;

static void on_term(int sig)
{
	(void)sig;
	engine_stop = 1;
}

typedef ew_fields engine_req;

static void req_dispose(engine_req *r)
{
	ew_fields_wipe(r);
}

static int req_parse(engine_req *r, const unsigned char *p, size_t n)
{
	const char *why;

	if (ew_req_parse(r, p, n, &why) < 0)
		return ch_error_setc(CH_EINVALID, "engine request: %s", why);
	return 0;
}

static void answer(int fd, int code, const char *text)
{
	ch_buf b = CH_BUF_INIT;
	size_t len = strlen(text);

	if (len > ENGINE_ANSWER_MAX)
		len = ENGINE_ANSWER_MAX;
	ch_buf_puts(&b, ENGINE_MAGIC);
	put_u32(&b, (uint32_t)code);
	put_u32(&b, (uint32_t)len);
	ch_buf_put(&b, text, len);
	(void)io_full(fd, b.ptr, b.size, now_ms() + ENGINE_READ_MS, 1);
	ch_buf_dispose(&b);
}

/* Answer without reading the request, then let the peer's bytes drain
 * (at most 64 KiB, 1 s) so that closing does not reset the connection and
 * lose the answer. Nothing read is looked at. */
static void refuse(int fd, int code, const char *text)
{
	unsigned char sink[4096];
	long long deadline = now_ms() + 1000;
	size_t total = 0;

	answer(fd, code, text);
	shutdown(fd, SHUT_WR);
	while (total < ENGINE_REQ_MAX) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		if ((r = recv(fd, sink, sizeof(sink), 0)) <= 0)
			break;
		total += (size_t)r;
	}
}

/* Test hook (tests/integration/test_step_engine.sh): CHANCERY_ENGINE_CRASH,
 * read once at start, names the point where the engine kills itself with
 * SIGKILL: "after-object" (commit written, ref not moved: commit.c's
 * CHANCERY_FAILPOINT_CRASH) or "before-answer" (ref moved, no answer). */
static char crash_point[32];

static int do_step(ch_site *site, const engine_req *r, char hex[GIT_OID_HEXSZ + 1])
{
	ch_actor who;
	git_oid expected, id;
	int error;

	if (!r->f[F_DOC] || !r->f[F_ACTION] || !r->f[F_ACTOR] || !r->f[F_PASSPHRASE])
		return ch_error_setc(CH_EINVALID, "engine request: a field is missing");
	memset(&who, 0, sizeof(who));
	who.actor = r->f[F_ACTOR];
	who.on_behalf = r->f[F_ON_BEHALF];
	who.comment = r->f[F_COMMENT];
	who.passphrase = r->f[F_PASSPHRASE];
	who.door = "command line";
	if (r->f[F_EXPECTED]) {
		if (git_oid_fromstr(&expected, r->f[F_EXPECTED]) < 0)
			return ch_error_setc(CH_EINVALID, "engine request: malformed head");
		who.expected = &expected;
	}
	/* Signing keys added since the last request (person add, ...). */
	if ((error = ch_site_reload_config(site)) < 0 ||
	    (error = ch_doc_act(&id, site, r->f[F_DOC], r->f[F_ACTION], &who)) < 0)
		return error;
	if (!strcmp(crash_point, "before-answer"))
		raise(SIGKILL);
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &id);
	return 0;
}

/* One connection: read the request, do it, answer. */
static char my_build[64];

static void serve(int fd, ch_site *site, unsigned char *buf)
{
	unsigned char head[8];
	engine_req r;
	char hex[GIT_OID_HEXSZ + 1];
	long long deadline = now_ms() + ENGINE_READ_MS;
	uint32_t len;
	int error;

	memset(&r, 0, sizeof(r));
	if (!peer_is_me(fd)) {
		refuse(fd, CH_EDENIED, "the engine of this site serves its owner only");
		return;
	}
	if (io_full(fd, head, 8, deadline, 0) < 0)
		return;
	len = get_u32(head + 4);
	if (memcmp(head, ENGINE_MAGIC, 4) || len > ENGINE_REQ_MAX) {
		refuse(fd, CH_EINVALID, "engine request: bad header");
		return;
	}
	if (io_full(fd, buf, len, deadline, 0) < 0)
		goto done;
	ch_error_clear();
	if ((error = req_parse(&r, buf, len)) == 0 && r.f[F_STOP]) {
		answer(fd, 0, "stopping");
		engine_stop = 1;
		goto done;
	}
	if (error == 0 && (!r.f[F_BUILD] || strcmp(r.f[F_BUILD], my_build))) {
		answer(fd, ENGINE_STALE, "another build of chancery runs this engine: it stops");
		engine_stop = 1;
		goto done;
	}
	if (error == 0)
		error = do_step(site, &r, hex);
	answer(fd, error, error < 0 ? ch_error_last() : hex);
	/* answered: the next step's new files are made now (workflows/journal.h) */
	ch_journal_prepare(site);
done:
	ch_wipe(buf, len);
	req_dispose(&r);
}

/* Take the engine lock and bind the socket; -1 with errno EWOULDBLOCK when
 * another engine holds the lock. */
static int engine_listen(int *lock_fd, int *sock_fd, struct stat *sock_st, const engine_paths *p)
{
	struct sockaddr_un sa;
	char pid[32];
	int n;

	*lock_fd = *sock_fd = -1;
	if ((mkdir(p->state, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(p->dir, 0700) < 0 && errno != EEXIST))
		return ch_error_setc(CH_EIO, "%s: %s", p->dir, strerror(errno));
	if (check_state_dir(p) < 0)
		return CH_EDENIED;
	*lock_fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*lock_fd < 0)
		return ch_error_setc(CH_EIO, "%s: %s", p->lock, strerror(errno));
	if (flock(*lock_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? ch_error_setc(CH_ELOCKED, "another engine runs") :
		       ch_error_setc(CH_EIO, "%s: %s", p->lock, strerror(errno));
	/* Ours now: a socket still there was left by an engine that died. */
	if (unlink(p->sock) < 0 && errno != ENOENT)
		return ch_error_setc(CH_EIO, "%s: %s", p->sock, strerror(errno));
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(*lock_fd, 0) < 0 || write(*lock_fd, pid, (size_t)n) != n)
		return ch_error_setc(CH_EIO, "%s: %s", p->lock, strerror(errno));
	*sock_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*sock_fd < 0 || sun_of(&sa, p->sock) < 0 ||
	    bind(*sock_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(p->sock, 0600) < 0 || listen(*sock_fd, 64) < 0 ||
	    lstat(p->sock, sock_st) < 0)
		return ch_error_setc(CH_EIO, "%s: %s", p->sock, strerror(errno));
	return 0;
}

/* Spillage (workflows/spill.h) purges a document from the repository; the
 * engine may hold pieces of it (libgit2's cache of commits and trees, freed
 * heap). So the engine watches the spill list's ref and exits as soon as it
 * moves (checked every second and before every request): what it held goes
 * with the process, and the next step starts a fresh one. */
typedef struct {
	int present;
	git_oid id;
} spill_mark;

static void spill_read(spill_mark *m, ch_site *site)
{
	memset(m, 0, sizeof(*m));
	m->present = git_reference_name_to_id(&m->id, site->repo, CH_SPILLS_REF) == 0;
}

static int spill_moved(const spill_mark *at_start, ch_site *site)
{
	spill_mark now;

	spill_read(&now, site);
	return now.present != at_start->present ||
	       (now.present && !git_oid_equal(&now.id, &at_start->id));
}

/* The socket we bound is still at its path (the site was not removed, no
 * one replaced it). */
static int still_ours(const engine_paths *p, const struct stat *mine)
{
	struct stat st;

	return lstat(p->sock, &st) == 0 && st.st_dev == mine->st_dev && st.st_ino == mine->st_ino;
}

/* The site signs through the engine's unlocked-key cache. */
typedef struct {
	ch_site *site;
	ch_keycache *kc;
} engine_signer;

static int engine_sign(ch_buf *sig, const char *person, const ch_keyinfo *key,
                       const char *passphrase, const void *payload, size_t len, void *ctx)
{
	engine_signer *es = ctx;
	ch_keystore *ks;
	int error;

	(void)person;
	if ((error = ch_site_keystore(&ks, es->site)) < 0)
		return error;
	return ch_keystore_sign_cached(sig, ks, es->kc, key, passphrase, payload, len);
}

static int engine_run(const char *site_path)
{
	const char *idle_env = getenv("CHANCERY_ENGINE_IDLE");
	const char *crash = getenv("CHANCERY_ENGINE_CRASH");
	long idle = idle_env ? strtol(idle_env, NULL, 10) : ENGINE_IDLE_DEFAULT;
	unsigned char *buf = NULL;
	struct sigaction sa;
	struct stat sock_st;
	engine_paths p;
	spill_mark spills;
	ch_site *site = NULL;
	ch_keycache *kc = NULL;
	engine_signer signer;
	long long last;
	int lock_fd = -1, sock_fd = -1, error;

	if (idle < 1 || idle > 86400)
		idle = ENGINE_IDLE_DEFAULT;
	snprintf(crash_point, sizeof(crash_point), "%s", crash ? crash : "");
	if (!strcmp(crash_point, "after-object"))
		setenv("CHANCERY_FAILPOINT_CRASH", crash_point, 1);
	unsetenv("CHANCERY_ENGINE_CRASH");
	unsetenv("CHANCERY_FAILPOINT_WAIT"); /* a client's test hook, not ours */
	umask(077);
	/* It will hold unlocked keys: no core dump, no ptrace or /proc/PID/mem
	 * by other processes of the same user. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		error = ch_error_setc(CH_EIO, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		goto done;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	build_id(my_build);
	if ((error = make_paths(&p, site_path)) < 0 || (error = ch_site_open(&site, site_path)) < 0 ||
	    (error = ch_keycache_new(&kc, -1)) < 0)
		goto done;
	/* Objects land in existing directories, and the first ref lock is made
	 * ahead (workflows/journal.h). */
	ch_loose_prepare(git_repository_path(site->repo));
	ch_journal_prepare(site);
	signer.site = site;
	signer.kc = kc;
	site->sign = engine_sign;
	site->sign_ctx = &signer;
	/* A long-lived process: bound libgit2's object cache as the server does. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(32 * 1024 * 1024));
	if ((error = engine_listen(&lock_fd, &sock_fd, &sock_st, &p)) < 0)
		goto done;
	/* Listening: tell the client that started us (stdout is its pipe; run
	 * by hand, stdout is not a pipe and nothing is written), then let go of
	 * the descriptors we were given. */
	{
		struct stat out;

		if (fstat(STDOUT_FILENO, &out) == 0 && S_ISFIFO(out.st_mode) &&
		    write(STDOUT_FILENO, "R", 1) != 1) {
			/* the client gave up waiting: nothing to tell */
		}
	}
	{
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			close(null);
		}
	}
	if (chdir("/") < 0) {
		/* paths are absolute (the client passes one) */
	}
	buf = ch_malloc(ENGINE_REQ_MAX);
	spill_read(&spills, site);
	last = now_ms();
	while (!engine_stop) {
		struct pollfd pfd = { sock_fd, POLLIN, 0 };
		int rc = poll(&pfd, 1, 1000), fd;

		/* A client already connected sees the engine lost and does its
		 * step in process. */
		if (!still_ours(&p, &sock_st) || spill_moved(&spills, site))
			break;
		if (rc <= 0) {
			if (now_ms() - last >= idle * 1000)
				break;
			continue;
		}
		fd = accept4(sock_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(fd, site, buf);
		close(fd);
		last = now_ms();
	}
	if (still_ours(&p, &sock_st))
		unlink(p.sock);
	error = 0;
done:
	if (error < 0 && error != CH_ELOCKED)
		fprintf(stderr, "chancery engine: %s\n", ch_error_last());
	free(buf);
	/* Every way out comes here: the keys are wiped before the socket and
	 * the lock go (a new engine may start at once). */
	ch_keycache_free(kc);
	if (sock_fd >= 0)
		close(sock_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	ch_site_free(site);
	return error == CH_ELOCKED ? 0 : error < 0 ? CLI_USAGE : 0;
}

/* ======================================================================
 * The client (the protocol and the exchange: engine_wire.c)
 * ====================================================================== */

int cli_engine_act(cli_engine_step *st, const cli_args *a, char **pass)
{
	ew_result res;
	ew_step step;
	char *abs_site = NULL;
	int rc = CLI_ENGINE_NOT_USED;

	memset(st, 0, sizeof(*st));
	/* Anything the engine's request cannot carry is refused in process, in
	 * its own words (a comment too long, an id too long, ...). */
	if (!ew_enabled() || !cli_get(a, "as") || !ch_valid_doc_id(a->pos.v[1]) ||
	    !ew_fits(F_ACTION, cli_get(a, "action")) || !ew_fits(F_ACTOR, cli_get(a, "as")) ||
	    !ew_fits(F_ON_BEHALF, cli_get(a, "on-behalf-of")) ||
	    !ew_fits(F_COMMENT, cli_get(a, "comment")) ||
	    !(abs_site = realpath(a->pos.v[0], NULL)) ||
	    ew_read_head(st->seen, abs_site, a->pos.v[1]) < 0)
		goto done;
	/* From here on the passphrase is ours to ask, as open_actor would. */
	if ((st->code = cli_passphrase(pass, cli_get(a, "passphrase-file"), cli_get(a, "as"),
	                               0)) < 0) {
		rc = CLI_ENGINE_FAILED;
		goto done;
	}
	ew_failpoint_wait();
	memset(&step, 0, sizeof(step));
	step.site = abs_site;
	step.doc = a->pos.v[1];
	step.action = cli_get(a, "action");
	step.actor = cli_get(a, "as");
	step.on_behalf = cli_get(a, "on-behalf-of");
	step.comment = cli_get(a, "comment");
	step.seen = st->seen;
	switch (ew_act(&res, &step, *pass)) {
	case EW_DONE:
		memcpy(st->hex, res.hex, sizeof(st->hex));
		rc = CLI_ENGINE_DONE;
		break;
	case EW_FAILED:
		st->code = res.code < CH_ECLASSIFIED || res.code > CH_ERROR ? CH_ERROR : res.code;
		ch_error_setc(st->code, "%s", res.msg);
		free(res.msg);
		rc = CLI_ENGINE_FAILED;
		break;
	case EW_LOST:
		rc = CLI_ENGINE_LOST;
		break;
	default:
		break;
	}
	free(abs_site);
	return rc;
done:
	if (rc == CLI_ENGINE_NOT_USED)
		ew_trace("done in process");
	free(abs_site);
	return rc;
}

/* ---- `chancery engine run|status|stop SITE` ---- */

static int engine_stop_cmd(const char *site)
{
	engine_paths p;
	ch_buf req = CH_BUF_INIT;
	unsigned char head[12];
	int fd, ok;

	if (make_paths(&p, site) < 0 || ew_connect(&fd, &p) < 0) {
		printf("no engine runs for %s\n", site);
		return 0;
	}
	ch_buf_puts(&req, ENGINE_MAGIC);
	put_u32(&req, 6);
	put_field(&req, F_STOP, "");
	ch_buf_putc(&req, F_END);
	ok = io_full(fd, req.ptr, req.size, now_ms() + ENGINE_READ_MS, 1) == 0 &&
	     io_full(fd, head, 12, now_ms() + ENGINE_READ_MS, 0) == 0 && get_u32(head + 4) == 0;
	close(fd);
	ch_buf_dispose(&req);
	/* Gone when its lock is free (at most 5 s: a step in progress ends). */
	if (ok) {
		int lock = open(p.lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), i;

		for (i = 0, ok = 0; lock >= 0 && i < 500 && !ok; i++) {
			ok = flock(lock, LOCK_SH | LOCK_NB) == 0;
			if (!ok)
				usleep(10000);
		}
		if (lock >= 0)
			close(lock);
	}
	if (!ok) {
		fprintf(stderr, "chancery: the engine of %s did not stop\n", site);
		return CLI_USAGE;
	}
	printf("stopped the engine of %s\n", site);
	return 0;
}

static int engine_status(const char *site)
{
	ch_buf pid = CH_BUF_INIT;
	engine_paths p;
	int fd, running;

	if (make_paths(&p, site) < 0 || ew_connect(&fd, &p) < 0) {
		printf("no engine runs for %s\n", site);
		return CLI_REFUSED;
	}
	close(fd);
	running = ch_fs_read(&pid, p.lock, 32) == 0;
	printf("the engine of %s runs (pid %.*s)\n", site,
	       running ? (int)strcspn(pid.ptr, "\n") : 1, running ? pid.ptr : "?");
	ch_buf_dispose(&pid);
	return 0;
}

int cmd_engine(int argc, char **argv)
{
	char *site;
	int rc;

	if (argc != 2 || (strcmp(argv[0], "run") && strcmp(argv[0], "status") &&
	                  strcmp(argv[0], "stop")))
		return cli_usage(NULL);
	if (!(site = realpath(argv[1], NULL))) {
		fprintf(stderr, "chancery: %s: %s\n", argv[1], strerror(errno));
		return CLI_USAGE;
	}
	rc = !strcmp(argv[0], "run") ? engine_run(site) :
	     !strcmp(argv[0], "stop") ? engine_stop_cmd(site) : engine_status(site);
	free(site);
	return rc;
}

#else
/* The air-gapped build has no engine: ISO C wants a declaration. */
typedef int ch_engine_unused;
#endif
