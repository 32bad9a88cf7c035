/* engine_wire.c -- the step engine's protocol and client (engine_wire.h).
 * The C library only: the `chancery` front links nothing else. */
#ifndef CH_OFFLINE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine_wire.h"

extern char **environ;

const size_t ew_field_max[F_COUNT] = {
	0, 64, 16, 64, 64, EW_COMMENT_MAX, EW_PASSPHRASE_MAX, EW_HEX, 0, 64
};

void ew_build_id(char out[64], const char *exe)
{
	char self[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (!exe) {
		/* by the path readlink gives (under valgrind: the client's binary) */
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		exe = self;
	}
	if (!exe[0] || stat(exe, &st) < 0)
		memset(&st, 0, sizeof(st));
	snprintf(out, 64, "%llx:%llx:%lld.%09ld", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino, (long long)st.st_ctim.tv_sec,
	         (long)st.st_ctim.tv_nsec);
}

int ew_make_paths(ew_paths *p, const char *site, char *why, size_t whylen)
{
	struct sockaddr_un sa;

	if ((size_t)snprintf(p->state, sizeof(p->state), "%s/state", site) >= sizeof(p->state) ||
	    (size_t)snprintf(p->dir, sizeof(p->dir), "%s/state/engine", site) >= sizeof(p->dir) ||
	    (size_t)snprintf(p->lock, sizeof(p->lock), "%s/engine.lock", p->dir) >=
	    sizeof(p->lock) ||
	    (size_t)snprintf(p->sock, sizeof(p->sock), "%s/engine.sock", p->dir) >=
	    sizeof(sa.sun_path)) {
		snprintf(why, whylen, "%s: the path is too long for the engine's socket", site);
		return -1;
	}
	return 0;
}

int ew_check_state_dir(const ew_paths *p, char *why, size_t whylen)
{
	struct stat st;

	if (lstat(p->state, &st) < 0 || lstat(p->dir, &st) < 0) {
		snprintf(why, whylen, "%s: %s", p->dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(why, whylen, "%s must be a directory owned by uid %u with mode 0700", p->dir,
		         (unsigned)geteuid());
		return -2;
	}
	if (lstat(p->state, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & 022)) {
		snprintf(why, whylen, "%s must be a directory that only its owner can write",
		         p->state);
		return -2;
	}
	return 0;
}

int ew_sun_of(void *sockaddr_un, const char *path)
{
	struct sockaddr_un *sa = sockaddr_un;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

int ew_peer_is_me(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	       len == sizeof(cred) && cred.uid == geteuid();
}

long long ew_now_ms(void)
{
	return ew_now_us() / 1000;
}

long long ew_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int ew_io_full(int fd, void *buf, size_t n, long long deadline, int writing)
{
	unsigned char *p = buf;

	while (n) {
		struct pollfd pfd = { fd, (short)(writing ? POLLOUT : POLLIN), 0 };
		long long left = deadline - ew_now_ms();
		ssize_t r;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)(left > INT_MAX ? INT_MAX : left)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		r = writing ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

void ew_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

uint32_t ew_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int ew_fits(int tag, const char *s)
{
	return !s || strlen(s) <= ew_field_max[tag];
}

/* ---- requests ---- */

#define REQ_CAP (EW_REQ_MAX + 8)

int ew_req_init(ew_req *r)
{
	r->n = 0;
	if (!(r->p = malloc(REQ_CAP)))
		return -1;
	memcpy(r->p, EW_MAGIC, 4);
	ew_put_u32(r->p + 4, 0);
	r->n = 8;
	return 0;
}

void ew_req_field(ew_req *r, int tag, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	/* past the end: the request is refused by ew_req_finish */
	if (!s || r->n > REQ_CAP || len > REQ_CAP - r->n || REQ_CAP - r->n - len < 5) {
		if (s)
			r->n = REQ_CAP + 1;
		return;
	}
	r->p[r->n] = (unsigned char)tag;
	ew_put_u32(r->p + r->n + 1, (uint32_t)len);
	memcpy(r->p + r->n + 5, s, len);
	r->n += 5 + len;
}

int ew_req_finish(ew_req *r)
{
	if (r->n >= REQ_CAP)
		return -1;
	r->p[r->n++] = F_END;
	ew_put_u32(r->p + 4, (uint32_t)(r->n - 8));
	return r->n - 8 > EW_REQ_MAX ? -1 : 0;
}

void ew_req_wipe(ew_req *r)
{
	if (r->p) {
		explicit_bzero(r->p, REQ_CAP);
		free(r->p);
	}
	r->p = NULL;
	r->n = 0;
}

int ew_req_parse(ew_fields *r, const unsigned char *p, size_t n, const char **why)
{
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	for (;;) {
		unsigned tag;
		uint32_t len;

		if (off >= n) {
			*why = "truncated";
			goto fail;
		}
		tag = p[off++];
		if (tag == F_END)
			break;
		if (tag >= F_COUNT || r->f[tag] || n - off < 4) {
			*why = "malformed field";
			goto fail;
		}
		len = ew_get_u32(p + off);
		off += 4;
		if (len > ew_field_max[tag] || len > n - off || memchr(p + off, '\0', len)) {
			*why = "a field too long";
			goto fail;
		}
		if (!(r->f[tag] = malloc((size_t)len + 1))) {
			*why = "out of memory";
			goto fail;
		}
		memcpy(r->f[tag], p + off, len);
		r->f[tag][len] = '\0';
		off += len;
	}
	if (off != n) {
		*why = "trailing bytes";
		goto fail;
	}
	return 0;
fail:
	ew_fields_wipe(r);
	return -1;
}

void ew_fields_wipe(ew_fields *r)
{
	int i;

	for (i = 0; i < F_COUNT; i++) {
		if (r->f[i]) {
			explicit_bzero(r->f[i], strlen(r->f[i]));
			free(r->f[i]);
		}
		r->f[i] = NULL;
	}
}

/* ---- the client ---- */

int ew_enabled(void)
{
	const char *e = getenv("CHANCERY_ENGINE");

	return !e || (strcmp(e, "off") && strcmp(e, "0"));
}

void ew_trace(const char *what)
{
	if (getenv("CHANCERY_ENGINE_TRACE"))
		fprintf(stderr, "chancery: step %s\n", what);
}

void ew_failpoint_wait(void)
{
	const char *file = getenv("CHANCERY_FAILPOINT_WAIT");
	int i;

	for (i = 0; file && i < 3000 && access(file, F_OK) != 0; i++)
		usleep(10000);
}

int ew_doc_id_chars(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return s && n >= 1 && n <= 64;
}

static int hex40(const char *s)
{
	int i;

	for (i = 0; i < EW_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* At most `max` bytes of `path` into a malloc'ed, NUL-terminated buffer. */
static char *read_small(const char *path, size_t max, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !(buf = malloc(max + 1)))
		goto fail;
	while ((r = read(fd, buf + n, max + 1 - n)) > 0)
		if ((n += (size_t)r) > max)
			goto fail;
	if (r < 0)
		goto fail;
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* Anything unexpected (a symbolic ref, a torn file, no such document) is
 * -1, and the caller does the step in process, which says what is wrong
 * in the usual words. A wrong reading here cannot record a wrong step:
 * the engine checks it against the ref under its lock. */
int ew_read_head(char hex[EW_HEX + 1], const char *site, const char *doc)
{
	char path[PATH_MAX], want[128], *text, *p, *end;
	size_t len;
	int error = -1;

	if (!ew_doc_id_chars(doc) ||
	    (size_t)snprintf(path, sizeof(path), "%s/repo.git/refs/docs/%s", site, doc) >=
	    sizeof(path))
		return -1;
	if ((text = read_small(path, 4096, &len))) {
		if (len == EW_HEX + 1 && text[EW_HEX] == '\n' && hex40(text)) {
			memcpy(hex, text, EW_HEX);
			hex[EW_HEX] = '\0';
			error = 0;
		}
		free(text);
		return error;
	}
	if (access(path, F_OK) == 0 ||
	    (size_t)snprintf(path, sizeof(path), "%s/repo.git/packed-refs", site) >= sizeof(path))
		return -1;
	if (!(text = read_small(path, 256 * 1024 * 1024, &len)))
		return -1;
	snprintf(want, sizeof(want), " refs/docs/%s\n", doc);
	for (p = text, end = text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break;
		if ((size_t)(nl + 1 - p) == EW_HEX + strlen(want) &&
		    !memcmp(p + EW_HEX, want, strlen(want))) {
			if (hex40(p)) {
				memcpy(hex, p, EW_HEX);
				hex[EW_HEX] = '\0';
				error = 0;
			}
			break;
		}
		p = nl + 1;
	}
	free(text);
	return error;
}

int ew_connect(int *out, const ew_paths *p)
{
	struct sockaddr_un sa;
	char why[PATH_MAX + 128];
	int fd;

	*out = -1;
	if (ew_check_state_dir(p, why, sizeof(why)) < 0 || ew_sun_of(&sa, p->sock) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || !ew_peer_is_me(fd)) {
		close(fd);
		return -1;
	}
	*out = fd;
	return 0;
}

/* Start `exe engine run SITE` detached and wait until it listens (or
 * exits: another engine won the lock). */
static void engine_spawn(const char *site, const char *exe)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char *argv[] = { (char *)"chancery", (char *)"engine", (char *)"run", (char *)site, NULL };
	char self[PATH_MAX], c;
	int pipefd[2];
	ssize_t n;
	pid_t pid;

	if (!exe) {
		/* this very binary, by its path (valgrind reports that for its client) */
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0 || (size_t)n >= sizeof(self) - 1)
			return;
		self[n] = '\0';
		exe = self;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	if (posix_spawn(&pid, exe, &fa, &attr, argv, environ) == 0) {
		struct pollfd pfd = { pipefd[0], POLLIN, 0 };

		close(pipefd[1]);
		pipefd[1] = -1;
		if (poll(&pfd, 1, EW_START_MS) > 0 && read(pipefd[0], &c, 1) < 0) {
			/* EOF or error: it did not start (another engine won) */
		}
	}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
}

int ew_reach(int *fd, const char *site, const char *exe)
{
	char why[PATH_MAX + 128];
	ew_paths p;
	int i;

	if (ew_make_paths(&p, site, why, sizeof(why)) < 0)
		return -1;
	if (ew_connect(fd, &p) == 0)
		return 0;
	/* No state directory yet is fine (the engine makes it); one that is
	 * not ours alone is not: no engine then, the step is done in process. */
	if (ew_check_state_dir(&p, why, sizeof(why)) == -2)
		return -1;
	engine_spawn(site, exe);
	/* Another client's engine may still be binding: tries for 3 s. */
	for (i = 0; i < 150; i++) {
		if (ew_connect(fd, &p) == 0)
			return 0;
		usleep(20000);
	}
	return -1;
}

int ew_act(ew_result *res, const ew_step *s, const char *passphrase)
{
	unsigned char head[12];
	char build[64];
	ew_req req = { NULL, 0 };
	long long sent = 0;
	uint32_t len;
	int32_t code;
	int fd = -1, rc = EW_NOT_USED;

	memset(res, 0, sizeof(*res));
	if (!ew_fits(F_PASSPHRASE, passphrase) || ew_reach(&fd, s->site, s->exe) < 0 ||
	    ew_req_init(&req) < 0)
		goto done;
	ew_build_id(build, s->exe);
	ew_req_field(&req, F_DOC, s->doc);
	ew_req_field(&req, F_ACTION, s->action);
	ew_req_field(&req, F_ACTOR, s->actor);
	ew_req_field(&req, F_ON_BEHALF, s->on_behalf);
	ew_req_field(&req, F_COMMENT, s->comment);
	ew_req_field(&req, F_EXPECTED, s->seen);
	ew_req_field(&req, F_BUILD, build);
	ew_req_field(&req, F_PASSPHRASE, passphrase);
	if (ew_req_finish(&req) < 0 ||
	    ew_io_full(fd, req.p, req.n, ew_now_ms() + EW_READ_MS, 1) < 0)
		goto done;
	/* Sent: from now on the engine may have recorded the step. */
	rc = EW_LOST;
	sent = ew_now_us();
	if (ew_io_full(fd, head, 12, ew_now_ms() + EW_ANSWER_MS, 0) < 0 ||
	    memcmp(head, EW_MAGIC, 4) || (len = ew_get_u32(head + 8)) > EW_ANSWER_MAX)
		goto done;
	code = (int32_t)ew_get_u32(head + 4);
	if (code == EW_STALE) {
		rc = EW_NOT_USED; /* nothing was done */
		goto done;
	}
	if (!(res->msg = calloc(1, (size_t)len + 1)) ||
	    ew_io_full(fd, res->msg, len, ew_now_ms() + EW_READ_MS, 0) < 0)
		goto done;
	if (code == 0) {
		if (len != EW_HEX || !hex40(res->msg))
			goto done;
		memcpy(res->hex, res->msg, EW_HEX + 1);
		rc = EW_DONE;
	} else {
		res->code = code;
		rc = EW_FAILED;
	}
	if (getenv("CHANCERY_ENGINE_TRACE"))
		fprintf(stderr, "chancery: step done by the engine (%.2f ms round trip)\n",
		        (double)(ew_now_us() - sent) / 1000.0);
done:
	if (rc != EW_FAILED) {
		free(res->msg);
		res->msg = NULL;
	}
	if (rc == EW_NOT_USED || rc == EW_LOST)
		ew_trace(rc == EW_LOST ? "lost by the engine: redone in process" : "done in process");
	if (fd >= 0)
		close(fd);
	ew_req_wipe(&req);
	return rc;
}

#else
/* The air-gapped build has no engine: ISO C wants a declaration. */
typedef int ch_engine_wire_unused;
#endif
