/* run.c -- run stock git (the transport of join and sync) as a child
 * process: argv given whole (no shell), stdin from /dev/null, extra
 * environment (GIT_SSL_*) added to ours, stdout and stderr captured with
 * bounds, or stderr passed through for progress on a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util/common.h"

extern char **environ;

#define RUN_MAX_OUT (64u * 1024 * 1024) /* a ref listing of 100 000 documents fits */
#define RUN_MAX_ERR (1u * 1024 * 1024)

/* environ plus `extra` ("NAME=value"), an extra replacing a same-named
 * variable. The strings are borrowed. */
static char **make_env(const char *const *extra)
{
	size_t n = 0, k = 0, i, j;
	char **env;

	while (environ[n])
		n++;
	for (i = 0; extra && extra[i]; i++)
		k++;
	env = ch_calloc(n + k + 1, sizeof(*env));
	k = 0;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
		int replaced = 0;

		for (j = 0; extra && extra[j]; j++)
			if (!strncmp(extra[j], environ[i], len))
				replaced = 1;
		if (!replaced)
			env[k++] = environ[i];
	}
	for (j = 0; extra && extra[j]; j++)
		env[k++] = (char *)(uintptr_t)extra[j];
	env[k] = NULL;
	return env;
}

static int drain(int fd, ch_buf *b, size_t max, int *open_)
{
	char chunk[16384];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		*open_ = 0;
		return 0;
	}
	if (b->size + (size_t)n > max)
		return -1;
	ch_buf_put(b, chunk, (size_t)n);
	return 0;
}

int cli_run(int *status, const char *const *argv, const char *const *env, ch_buf *out,
            ch_buf *err)
{
	posix_spawn_file_actions_t fa;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, rc, wst = 0, oopen, eopen, error = 0;
	char **envp = make_env(env);
	pid_t pid = -1;

	*status = -1;
	if ((out && pipe2(po, O_CLOEXEC) < 0) || (err && pipe2(pe, O_CLOEXEC) < 0)) {
		error = ch_error_setc(CH_EIO, "cannot make a pipe: %s", strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out)
		posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (err)
		posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)(uintptr_t)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		error = ch_error_setc(CH_EIO, "cannot run %s: %s", argv[0], strerror(rc));
		pid = -1;
		goto done;
	}
	if (out) {
		close(po[1]);
		po[1] = -1;
	}
	if (err) {
		close(pe[1]);
		pe[1] = -1;
	}
	oopen = out != NULL;
	eopen = err != NULL;
	while (oopen || eopen) {
		struct pollfd p[2];
		nfds_t np = 0;
		int io = -1, ie = -1;

		if (oopen) {
			p[np].fd = po[0];
			p[np].events = POLLIN;
			io = (int)np++;
		}
		if (eopen) {
			p[np].fd = pe[0];
			p[np].events = POLLIN;
			ie = (int)np++;
		}
		if (poll(p, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			error = ch_error_setc(CH_EIO, "poll: %s", strerror(errno));
			break;
		}
		if ((io >= 0 && p[io].revents && drain(po[0], out, RUN_MAX_OUT, &oopen) < 0) ||
		    (ie >= 0 && p[ie].revents && drain(pe[0], err, RUN_MAX_ERR, &eopen) < 0)) {
			error = ch_error_setc(CH_EIO, "%s wrote more than we read", argv[0]);
			kill(pid, SIGKILL);
			break;
		}
	}
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + (WIFSIGNALED(wst) ? WTERMSIG(wst) : 0);
done:
	if (po[0] >= 0)
		close(po[0]);
	if (po[1] >= 0)
		close(po[1]);
	if (pe[0] >= 0)
		close(pe[0]);
	if (pe[1] >= 0)
		close(pe[1]);
	free(envp);
	return error;
}

static const char **nt(const ch_strv *s, const char *first)
{
	const char **v = ch_calloc(s->n + 2, sizeof(*v));
	size_t i, k = 0;

	if (first)
		v[k++] = first;
	for (i = 0; i < s->n; i++)
		v[k++] = s->v[i];
	v[k] = NULL;
	return v;
}

void cli_git_env(ch_strv *env, const char *git_dir, const char *cert, const char *key,
                 const char *ca, int durable)
{
	static const char *const cfg[][2] = {
		{ "core.fsync", "committed" },     /* objects and refs reach the disk */
		{ "core.fsyncMethod", "fsync" },
		{ "fetch.fsckObjects", "true" },   /* malformed objects never land */
		{ "protocol.version", "0" },       /* chanceryd speaks v0/v1 */
		{ "credential.helper", "" },
		{ "maintenance.auto", "false" },   /* no gc of a site or a quarantine behind our back */
		{ "gc.auto", "0" },
	};
	ch_buf b = CH_BUF_INIT;
	size_t i;

	ch_buf_printf(&b, "GIT_DIR=%s", git_dir);
	ch_strv_push(env, b.ptr);
	ch_strv_push(env, "GIT_TERMINAL_PROMPT=0");
	ch_strv_push(env, "GIT_CONFIG_NOSYSTEM=1");
#define ENV(name, v) do { if (v) { ch_buf_clear(&b); ch_buf_printf(&b, "%s=%s", name, v); \
			ch_strv_push(env, b.ptr); } } while (0)
	ENV("GIT_SSL_CERT", cert);
	ENV("GIT_SSL_KEY", key);
	ENV("GIT_SSL_CAINFO", ca);
	ch_buf_clear(&b);
	ch_buf_printf(&b, "GIT_CONFIG_COUNT=%zu", sizeof(cfg) / sizeof(cfg[0]));
	ch_strv_push(env, b.ptr);
	for (i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		ch_buf_clear(&b);
		ch_buf_printf(&b, "GIT_CONFIG_KEY_%zu=%s", i, cfg[i][0]);
		ch_strv_push(env, b.ptr);
		ch_buf_clear(&b);
		/* a quarantine or staging repository is thrown away on a crash
		 * and fsyncs what it keeps itself: no fsync per ref there */
		ch_buf_printf(&b, "GIT_CONFIG_VALUE_%zu=%s", i,
		              !durable && !strcmp(cfg[i][0], "core.fsync") ? "none" : cfg[i][1]);
		ch_strv_push(env, b.ptr);
	}
#undef ENV
	ch_buf_dispose(&b);
}

void cli_git_upload_pack_arg(ch_strv *args, const char *safe_dir)
{
	ch_buf b = CH_BUF_INIT;
	const char *p;

	/* git runs it through the shell, and clears GIT_CONFIG_* for a local
	 * transport: the exception goes on its own command line, quoted */
	ch_buf_puts(&b, "--upload-pack=git -c safe.directory='");
	for (p = safe_dir; *p; p++)
		if (*p == '\'')
			ch_buf_puts(&b, "'\\''");
		else
			ch_buf_putc(&b, *p);
	ch_buf_puts(&b, "' upload-pack");
	ch_strv_push(args, b.ptr);
	ch_buf_dispose(&b);
}

int cli_git(ch_buf *out, const ch_strv *env, int progress, const ch_strv *args)
{
	ch_buf err = CH_BUF_INIT;
	const char **argv = nt(args, "git"), **envp = nt(env, NULL);
	int status, error;
	size_t n;

	error = cli_run(&status, argv, envp, out, progress ? NULL : &err);
	if (!error && status != 0) {
		/* the last lines say why (git's "fatal: ...") */
		while (err.size && (err.ptr[err.size - 1] == '\n' || err.ptr[err.size - 1] == '\r'))
			ch_buf_truncate(&err, err.size - 1);
		n = err.size > 600 ? err.size - 600 : 0;
		error = ch_error_setc(CH_EIO, "git %s failed (exit %d)%s%s", args->n ? args->v[0] : "",
		                      status, err.size ? ": " : "", err.size ? err.ptr + n : "");
	}
	free(argv);
	free(envp);
	ch_buf_dispose(&err);
	return error;
}
